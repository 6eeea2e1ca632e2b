"""The filers' response ([filing], `model/filing.py`): seasons worked out by hand.

In the hand scenario the one file is disclosed on day 26 (2025-01-27); the 2025 season's
returns are due on day 104 (2025-04-15).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from flowsim.model import compile_plan, simulate
from flowsim.model.filing import Signals, level_at, mean_level, pieces, remaining

from helpers import day, scenario

def filing(**values):
    return {"filers": 1000, "income_tax_dollars": 100_000, "response": 0.1,
            "first_season": 2025, "last_season": 2025, **values}


def counts(s, replication=0):
    return simulate(compile_plan(s), s.scenario.seed, replication).counts


def test_a_response_of_zero_leaves_every_return_filed():
    c = counts(scenario(filing=filing(response=0, payroll_tax_dollars=10**6,
                                      payroll_share=1)))
    assert (c["returns_not_filed"], c["revenue_not_paid"]) == (0, 0)


def test_ten_percent_of_a_thousand_filers_paying_100_dollars_lose_100_returns_and_10000():
    c = counts(scenario(filing=filing()))
    assert (c["returns_not_filed"], c["income_tax_not_paid"], c["payroll_tax_not_paid"],
            c["revenue_not_paid"]) == (100, 10_000, 0, 10_000)


def test_seasons_add_up_while_the_response_stays():
    c = counts(scenario(filing=filing(last_season=2027)))
    assert (c["returns_not_filed"], c["income_tax_not_paid"]) == (300, 30_000)


def test_a_disclosure_after_the_deadline_misses_that_season():
    s = scenario(filing=filing(), requests=[{"name": "R1", "at": day(200), "records": 1000}])
    assert counts(s)["returns_not_filed"] == 0


@pytest.mark.parametrize("recovery, recovery_days, returns", [
    ("none", None, 100),          # the response stays
    ("linear", 100, 50),          # 50 of 100 days after the stop: half of it left
    ("linear", 40, 0),            # faded completely by day 94
    ("exponential", 50, 50),      # one half-life after the stop
    ("exponential", 25, 25),      # two half-lives
])
def test_recovery_after_a_stop_follows_its_declared_shape(recovery, recovery_days, returns):
    """An order at the gate on day 54 stops the sharing, 50 days before the deadline."""
    values = {"recovery": recovery}
    if recovery_days is not None:
        values["recovery_days"] = recovery_days
    s = scenario(filing=filing(**values), injunction={"at": day(54)})
    assert counts(s)["returns_not_filed"] == returns


def test_an_order_lifted_later_is_still_read_as_a_stop_from_its_start():
    s = scenario(filing=filing(recovery="linear", recovery_days=100),
                 injunction={"at": day(54), "until": day(300), "halts_upstream": False})
    assert counts(s)["returns_not_filed"] == 50


def test_payroll_tax_follows_the_response_averaged_over_the_year():
    """Carried out from day 26 of 365: 339/365 of the year, so 0.1 x 365,000 x 339/365."""
    s = scenario(filing=filing(income_tax_dollars=0, payroll_tax_dollars=365_000,
                               payroll_share=1))
    assert counts(s)["payroll_tax_not_paid"] == 33_900


def test_an_announcement_alone_moves_its_share_of_the_response():
    s = scenario(filing=filing(announced=day(0), announced_level=0.4),
                 requests=[{"name": "R1", "at": day(10), "records": 1000, "accept": 0}])
    assert counts(s)["returns_not_filed"] == 40


def test_without_an_announcement_or_a_disclosure_nobody_responds():
    s = scenario(filing=filing(),
                 requests=[{"name": "R1", "at": day(10), "records": 1000, "accept": 0}])
    assert counts(s)["returns_not_filed"] == 0


def test_a_disclosure_after_a_stop_brings_the_whole_response_back():
    parts = pieces(Signals(None, (10.0, 200.0), (100.0,)), 0.0)
    assert level_at(150, parts, "linear", 100) == pytest.approx(0.5)
    assert level_at(250, parts, "linear", 100) == 1.0


def test_the_yearly_mean_integrates_the_recovery():
    """Carried out from day 0, stopped mid-year, fading linearly over a year:
    (182.5 + 182.5 - 182.5^2 / 730) / 365 = 0.875."""
    parts = pieces(Signals(None, (0.0,), (182.5,)), 0.0)
    assert mean_level(0, 365, parts, "linear", 365) == pytest.approx(0.875)
    assert mean_level(0, 365, parts, "exponential", 1e9) == pytest.approx(1.0)


def test_remaining_is_one_at_the_stop_and_falls_by_its_shape():
    assert remaining("exponential", 0, 10) == 1
    assert remaining("exponential", 20, 10) == pytest.approx(0.25)
    assert remaining("linear", 5, 10) == pytest.approx(0.5)
    assert remaining("none", 1e6, 10) == 1


def test_the_response_changes_no_record_count():
    """The same history with and without [filing]: every count of records is the same."""
    from flowsim.experiments.run import FILING_METRICS

    plain = scenario()
    filed = scenario(filing=filing(response={"dist": "uniform", "low": 0, "high": 1}))
    for r in range(5):
        a, b = counts(plain, r), counts(filed, r)
        assert b["returns_not_filed"] > 0
        assert {k: v for k, v in a.items() if k not in FILING_METRICS} \
            == {k: v for k, v in b.items() if k not in FILING_METRICS}


def test_without_filing_the_returns_and_revenue_are_unknown_not_zero():
    import flowsim

    result = flowsim.run(scenario(), replications=2)
    assert np.isnan(result.metrics["revenue_not_paid"]).all()
    assert math.isnan(result.stats.set_index("metric").loc["returns_not_filed", "mean"])


@pytest.mark.parametrize("values, key, fragment", [
    (filing(last_season=2024), "filing.last_season", "must not come before first_season"),
    (filing(recovery="exponential"), "filing.recovery_days", "is required when recovery"),
    (filing(recovery="slowly"), "filing.recovery", "none"),
    (filing(income_tax_dollars=-1), "filing.income_tax_dollars", "negative"),
])
def test_bad_filing_values_name_their_key(values, key, fragment):
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=fragment) as err:
        scenario(filing=values)
    assert err.value.key == key



def test_at_the_yale_budget_labs_assumptions_2026_lands_inside_their_range():
    """An independent model (FACTS: projection-yale-2025): $25 B of federal revenue in 2026,
    range $12-39 B. A check, not a target: nothing is fitted to it."""
    import flowsim
    from flowsim.outputs.markdown import independent_check

    loaded = flowsim.load(Path(__file__).parents[1] / "calibration" / "yale-budget-lab.toml")
    rows = {r["years"]: r for r in independent_check(loaded, replications=100)}
    first = rows["2026"]
    assert first["their_low"] <= first["ours"] <= first["their_high"]
    # Ten seasons without a stop are ten times one, at a tax base that does not grow.
    assert rows["2026–2035"]["ours"] == pytest.approx(10 * first["ours"], rel=1e-6)


def test_seasons_csv_gives_each_season_and_they_add_up_to_the_totals(tmp_path):
    """seasons.csv breaks the run's totals down by year: the seasons' means add up to the
    mean of each total, as the totals are sums of the seasons, replication by replication."""
    import pandas as pd

    import flowsim
    from flowsim.outputs.writers import write_results

    s = scenario(filing=filing(last_season=2026, response={"dist": "uniform", "low": 0,
                                                            "high": 0.2},
                               payroll_tax_dollars=50_000, payroll_share=0.5))
    result = flowsim.run(s, replications=8)
    write_results(result, tmp_path / "out")
    seasons = pd.read_csv(tmp_path / "out" / "seasons.csv")
    assert sorted(seasons["season"].unique()) == [2025, 2026]
    means = seasons.groupby("value")["mean"].sum()
    stats = result.stats.set_index("metric")["mean"]
    assert means["returns"] == pytest.approx(stats["returns_not_filed"], abs=2)
    assert means["revenue_dollars"] == pytest.approx(stats["revenue_not_paid"], abs=2)
    assert set(seasons["unit"]) == {"share", "returns", "dollars"}


def test_a_run_without_filing_writes_no_seasons_csv(tmp_path):
    import flowsim
    from flowsim.outputs.writers import write_results

    write_results(flowsim.run(scenario(), replications=2), tmp_path / "out")
    assert not (tmp_path / "out" / "seasons.csv").exists()
