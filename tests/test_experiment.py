"""Replications, seeding, common random numbers and the run's tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowsim
from flowsim.outputs.writers import TABLES, write_results
from flowsim.model import STATES
from helpers import day, request, scenario

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def baseline():
    return flowsim.load(BASELINE)


def noisy():
    """A small scenario with randomness in every stage."""
    return scenario(
        requests=[request("A", 10, 50_000, accept=0.7), request("B", 40, 80_000)],
        review={"days": {"dist": "triangular", "low": 1, "mode": 2, "high": 6}},
        matching={"tin_rate": 0.04, "name_address_rate": 0.01, "incomplete_address_rate": 0.05,
                  "records_per_day": 20_000,
                  "setup_days": {"dist": "uniform", "low": 1, "high": 4}},
        approval={"days": {"dist": "exponential", "mean": 2}},
        notice=[{"from": day(30), "hours": 24, "relief": 0.3}],
    )


def test_replications_differ_from_each_other():
    """Each replication gets its own random numbers (not one seed for all)."""
    result = flowsim.run(noisy(), replications=20)
    assert result.summary["transferred"].nunique() > 10
    assert result.summary["first_transfer"].nunique() > 10


def test_same_seed_reproduces_and_another_seed_does_not():
    a = flowsim.run(noisy(), replications=10, seed=1)
    b = flowsim.run(noisy(), replications=10, seed=1)
    c = flowsim.run(noisy(), replications=10, seed=2)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert not a.summary["transferred"].equals(c.summary["transferred"])


def test_same_seed_writes_byte_identical_files(tmp_path):
    for folder in ("one", "two"):
        write_results(flowsim.run(noisy(), replications=15, seed=5), tmp_path / folder)
    for name in [f"{t}.csv" for t in TABLES] + ["manifest.json"]:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_a_replication_does_not_depend_on_how_many_run():
    """Replication k is the same in a run of 5 and a run of 50."""
    short = flowsim.run(noisy(), replications=5).summary
    long = flowsim.run(noisy(), replications=50).summary.head(5)
    pd.testing.assert_frame_equal(short, long)


def test_a_court_rule_changes_nothing_upstream_of_the_gate(baseline):
    """Common random numbers: with a different rule, the matching draws are the same."""
    base = flowsim.run(baseline, replications=30).summary
    early = flowsim.run(
        baseline.with_overrides(["notice.0.from=2025-04-07", "notice.0.relief=0.5"]),
        replications=30,
    ).summary
    assert (base["unmatched"] == early["unmatched"]).all()
    sent = early["transferred"] > 0
    assert 0 < sent.sum() < 30
    assert (early.loc[sent, "transferred"] == base.loc[sent, "transferred"]).all()
    shift = pd.to_datetime(early.loc[sent, "first_transfer"]) - pd.to_datetime(
        base.loc[sent, "first_transfer"])
    assert (shift == pd.Timedelta(hours=24)).all()
    assert (early.loc[~sent, "blocked_notice"] == base.loc[~sent, "transferred"]).all()


def test_adding_a_request_leaves_the_draws_of_the_others_alone(baseline):
    """Entities are keyed by name, not by position or event order."""
    base = flowsim.run(baseline, replications=10)
    more = flowsim.run(baseline.with_overrides([
        'requests.0.name="A new first request"', "requests.0.accept=1.0",
        'requests.1.after=""',
    ]), replications=10)
    june27 = lambda r: r.events.query("request == 'June 27 request' and event == 'matched'")
    assert june27(base)["records"].tolist() == june27(more)["records"].tolist()


def test_summary_columns_and_conservation(baseline):
    summary = flowsim.run(baseline, replications=5).summary
    expected = ["scenario", "replication", "seed", "requested", *STATES,
                "first_transfer", "last_transfer"]
    assert list(summary.columns[: len(expected)]) == expected
    assert (summary[list(STATES)].sum(axis=1) == summary["requested"]).all()


def test_daily_table_ends_where_the_summary_does(baseline):
    result = flowsim.run(baseline, replications=4)
    last = result.daily.groupby("replication").tail(1).set_index("replication")
    summary = result.summary.set_index("replication")
    for column in ("requested", *STATES):
        assert (last[column] == summary[column]).all()
    for state in ("usable", "use_barred", "disposed"):
        assert (last[state] == summary[f"{state}_at_horizon"]).all()
    assert result.daily["date"].iloc[0] == "2025-04-07"
    end = f"{baseline.scenario.scenario.end:%Y-%m-%d}"
    assert result.daily.groupby("replication")["date"].last().eq(end).all()


def test_daily_counts_never_decrease(baseline):
    daily = flowsim.run(baseline, replications=3).daily
    for column in ("requested", "rejected", "unmatched", "transferred"):
        assert (daily.groupby("replication")[column].diff().fillna(0) >= 0).all()


def test_daily_transfer_lands_on_the_date_of_the_event(baseline):
    result = flowsim.run(baseline, replications=3)
    for rep, row in result.summary.set_index("replication").iterrows():
        days = result.daily[result.daily.replication == rep].set_index("date")["transferred"]
        date = row["first_transfer"][:10]
        assert days[date] == row["transferred"]
        assert days[days.index < date].max() == 0


def test_stats_match_the_summary(baseline):
    result = flowsim.run(baseline, replications=40)
    stats = result.stats.set_index("metric")
    x = result.summary["transferred"].to_numpy()
    assert stats.loc["transferred", "mean"] == pytest.approx(x.mean())
    assert stats.loc["transferred", "std"] == pytest.approx(x.std(ddof=1))
    assert stats.loc["transferred", "p50"] == pytest.approx(np.median(x))
    half = stats.loc["transferred", "ci95_high"] - stats.loc["transferred", "mean"]
    assert half == pytest.approx(2.0227 * x.std(ddof=1) / np.sqrt(40), rel=1e-3)  # t(0.975, 39)
    assert stats.loc["transferred", "replications"] == 40


def test_time_metrics_count_only_replications_with_a_transfer():
    s = scenario(requests=[request("R1", 10, 1000, accept=0.5)])
    result = flowsim.run(s, replications=40)
    stats = result.stats.set_index("metric")
    sent = (result.summary["transferred"] > 0).sum()
    assert 0 < sent < 40
    assert stats.loc["first_transfer_days", "replications"] == sent
    assert (result.summary["first_transfer"] == "").sum() == 40 - sent


def test_people_figures_are_blank_without_an_impact_table():
    summary = flowsim.run(noisy(), replications=3).summary
    assert summary["people_at_disclosed_addresses"].isna().all()


def test_people_figures_carry_their_uncertainty(baseline):
    result = flowsim.run(baseline, replications=50)
    people = result.summary["people_at_disclosed_addresses"]
    ratio = people / result.summary["transferred"]
    band = baseline.scenario.impact.persons_per_address.inner
    assert ratio.between(band.low, band.high).all() and ratio.std() > 0.1
    stats = result.stats.set_index("metric")
    # Each count is a part of the one before it.
    assert (stats.loc["citizen_children_in_mixed_status_households", "mean"]
            < stats.loc["people_in_mixed_status_households", "mean"]
            < stats.loc["people_at_disclosed_addresses", "mean"])
    children = (result.summary["citizen_children_in_mixed_status_households"]
                / result.summary["people_in_mixed_status_households"])
    assert children.between(0.24, 0.36).all()  # FACTS: households-fwd-2023; households-cap-2017
