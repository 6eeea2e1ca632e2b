"""Sensitivity: seeded samples, indices that rank a known driver first, the command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.errors import ScenarioError
from flowsim.experiments.sensitivity import parse_param, sensitivity

SCENARIOS = Path(__file__).parents[1] / "scenarios"
NOTICE = SCENARIOS / "notice_from_mou.toml"
IN_TIME = ["notice.0.ruling_days=0"]
PARAMS = ["matching.tin_rate=0.02:0.05", "approval.days=1:14", "notice.0.grant=0:1"]


@pytest.fixture(scope="module")
def loaded():
    # A ruling always in time: the grant alone decides a noticed file.
    return flowsim.load(NOTICE, IN_TIME)


def run(loaded, method, samples, **kw):
    ranges = [parse_param(p, loaded) for p in PARAMS]
    return sensitivity(loaded, ranges, method=method, samples=samples, replications=10, **kw)


def test_morris_ranks_grant_first_and_a_timing_parameter_last(loaded):
    """Relief decides whether the one file goes; sign-off time changes no record count."""
    result = run(loaded, "morris", 6)
    assert result.ranking("transferred")[0] == "notice.0.grant"
    row = result.indices.set_index(["metric", "parameter"]).loc[("transferred", "approval.days")]
    assert row["mu_star"] == 0
    assert len(result.samples) == 6 * (len(PARAMS) + 1)


def test_sobol_indices_have_confidence_intervals(loaded):
    result = run(loaded, "sobol", 16)
    rows = result.indices[result.indices["metric"] == "transferred"].set_index("parameter")
    assert rows.loc["notice.0.grant", "ST"] > rows.loc["matching.tin_rate", "ST"]
    assert (rows["ST_conf"] >= 0).all()
    assert len(result.samples) == 16 * (len(PARAMS) + 2)


def test_a_rerun_gives_the_same_indices(loaded):
    a, b = run(loaded, "morris", 4), run(loaded, "morris", 4)
    pd.testing.assert_frame_equal(a.indices, b.indices)


def test_parallel_points_give_the_serial_indices(loaded, pool):
    parallel = run(loaded, "morris", 4, executor=pool)
    pd.testing.assert_frame_equal(parallel.indices, run(loaded, "morris", 4).indices)


def test_a_metric_missing_at_some_point_is_skipped_with_a_reason(loaded):
    result = run(loaded, "morris", 4)
    assert "first_transfer_days" in result.skipped


@pytest.mark.parametrize("text, fragment", [
    ("matching.tin_rate", "expected key=low:high"),
    ("matching.tin_rat=0:1", "no such key"),
    ("matching.tin_rate=0.5:0.1", "low < high"),
    ("matching.tin_rate=0.5:1.5", "refuses"),
])
def test_bad_ranges_are_bad_input(loaded, text, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        parse_param(text, loaded)


def test_sobol_needs_a_power_of_two(loaded):
    with pytest.raises(ScenarioError, match="power of two"):
        run(loaded, "sobol", 12)


def test_sensitivity_command(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["sensitivity", str(NOTICE), "--set", IN_TIME[0],
            *(a for p in PARAMS for a in ("--param", p)),
            "--samples", "4", "-n", "5", "--out", str(out)]
    assert cli.main(args) == 0
    assert "most influential first: notice.0.grant" in capsys.readouterr().out
    for name in ("indices.csv", "samples.csv", "tornado.png", "tornado.svg", "manifest.json"):
        assert (out / name).exists()


def test_no_ranking_is_printed_when_nothing_moves_the_metric(tmp_path, capsys):
    from flowsim import cli

    scenario = Path(__file__).parents[1] / "scenarios" / "injunction_may12.toml"
    assert cli.main(["sensitivity", str(scenario), "--param", "matching.tin_rate=0.02:0.05",
                     "--param", "approval.days=1:3", "--samples", "2", "-n", "2",
                     "--metric", "transferred", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "most influential first" not in out
    assert "transferred: no parameter moves it over these ranges" in out


@pytest.mark.parametrize("method, samples, k", [("morris", 4, 1), ("morris", 3, 3),
                                                 ("sobol", 4, 2), ("sobol", 8, 3)])
def test_the_work_estimate_counts_the_points_sampled(method, samples, k):
    from flowsim.experiments.sensitivity import ParamRange, point_count, sample

    ranges = [ParamRange(f"matching.tin_rate{i}", 0.01, 0.05) for i in range(k)]
    assert point_count(method, samples, k) == len(sample(ranges, method, samples, seed=1))
