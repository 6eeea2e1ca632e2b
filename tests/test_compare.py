"""Comparisons: shared random numbers, paired intervals, comparison.csv."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowsim
from flowsim import cli
from flowsim.experiments.compare import compare, comparison_table, paired
from flowsim.experiments.stats import describe
from flowsim.errors import ScenarioError

SCENARIOS = Path(__file__).parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"


@pytest.fixture(scope="module")
def comparison():
    base = flowsim.load(BASELINE)
    return compare(base, [flowsim.load(SCENARIOS / "better_ice_data.toml"),
                          flowsim.load(SCENARIOS / "notice_from_mou.toml")], replications=60)


def test_all_scenarios_share_the_baseline_seed_and_replications(comparison):
    assert {r.seed for r in comparison.results} == {20251121}
    assert {r.replications for r in comparison.results} == {60}


def test_difference_is_per_replication_and_paired(comparison):
    base, better = comparison.results[0], comparison.results[1]
    d = better.metrics["transferred"] - base.metrics["transferred"]
    row = comparison.row("better_ice_data")
    assert row["diff_mean"] == pytest.approx(d.mean())
    half = row["diff_ci95_high"] - row["diff_mean"]
    assert half == pytest.approx(2.0010 * d.std(ddof=1) / np.sqrt(60), rel=1e-3)  # t(0.975, 59)


def test_paired_interval_is_narrower_than_the_unpaired_one(comparison):
    """Common random numbers: the paired interval beats comparing two independent means."""
    row = comparison.row("better_ice_data")
    base = comparison.row("baseline")
    unpaired_half = np.hypot(row["ci95_high"] - row["mean"], base["ci95_high"] - base["mean"])
    assert row["diff_ci95_high"] - row["diff_mean"] < 0.75 * unpaired_half


def test_baseline_differs_from_itself_by_zero(comparison):
    row = comparison.row("baseline")
    assert (row["diff_mean"], row["diff_ci95_low"], row["diff_ci95_high"]) == (0, 0, 0)


def test_table_has_every_scenario_and_metric(comparison):
    table = comparison.table
    assert list(table["scenario"].unique()) == ["baseline", "better_ice_data", "notice_from_mou"]
    assert (table["baseline"] == "baseline").all()
    assert "first_transfer_days" in set(table["metric"])


def test_paired_difference_skips_replications_missing_either_value():
    d = describe(paired(np.array([1.0, np.nan, 5.0]), np.array([0.0, 2.0, np.nan])))
    assert d["mean"] == 1.0 and d["replications"] == 1


def test_two_scenarios_with_one_name_are_refused():
    base = flowsim.load(BASELINE)
    with pytest.raises(ScenarioError, match="two scenarios are named 'baseline'"):
        compare(base, [base])


def test_compare_command_writes_the_table_and_each_run(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = cli.main(["compare", str(BASELINE), str(SCENARIOS / "verified_address.toml"),
                     "-n", "5", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "verified_address" in text and "paired 95% CI" in text
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"baseline", "verified_address"}
    assert (out / "verified_address" / "summary.csv").exists()
    assert (out / "baseline" / "daily_stats.csv").exists()
    assert (out / "results.xlsx").exists()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(-1e9, 1e9), st.just(math.nan)), max_size=12),
                min_size=1, max_size=6))
def test_describing_many_arrays_at_once_is_describing_each(arrays):
    """Arrays of one length share a percentile call; each row is what it is alone."""
    from flowsim.experiments.stats import describe_all

    values = [np.array(a, dtype=float) for a in arrays]
    together = describe_all(values)
    for x, d in zip(values, together):
        kept = x[~np.isnan(x)]
        assert d["replications"] == len(kept)
        if len(kept):
            assert [d["p05"], d["p50"], d["p95"]] == list(np.percentile(kept, [5, 50, 95]))
            assert d["mean"] == float(kept.mean())


def test_a_runs_rows_against_the_baseline_are_its_rows_of_the_comparison(comparison):
    table = comparison_table([comparison.results[2]], base=comparison.results[0])
    whole = comparison.table[comparison.table["scenario"] == comparison.results[2].name]
    pd.testing.assert_frame_equal(table, whole.reset_index(drop=True))
