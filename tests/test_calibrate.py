"""Targets and calibration: the record as data, a reproducible fit, a calibrated file."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.calibrate import calibrate, parse_free
from flowsim.outputs.scenario_files import scenario_text
from flowsim.errors import ScenarioError
from flowsim.experiments.targets import Target, evaluate, load_targets, objective

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
TARGETS = SCENARIOS.parent / "calibration" / "targets.toml"
START = dt.datetime(2025, 4, 7)


def test_shipped_targets_cite_the_record():
    targets = load_targets(TARGETS)
    assert {t.metric for t in targets} >= {"transferred", "transferred_tin_path",
                                          "first_transfer", "last_transfer"}
    assert all(t.source.startswith("FACTS") for t in targets)


def test_the_shipped_baseline_meets_every_target():
    result = flowsim.run(flowsim.load(BASELINE))
    table = evaluate(load_targets(TARGETS), result.metrics, START)
    assert table["met"].all(), table.to_string()


def test_residual_is_in_units_of_the_tolerance():
    metrics = {"transferred": np.array([100.0, 120.0])}
    t = Target(name="x", metric="transferred", value=100, tolerance=5)
    table = evaluate([t], metrics, START)
    assert table.loc[0, "residual"] == pytest.approx(2.0)
    assert not table.loc[0, "met"]
    assert objective(table) == pytest.approx(4.0)


def test_a_bound_counts_only_the_excess_and_an_empty_run_meets_it():
    below = Target(name="x", metric="last_transfer", statistic="max", below=dt.date(2025, 9, 5))
    late = {"last_transfer_days": np.array([150.0, 151.0])}  # 2025-09-05 is day 151
    assert evaluate([below], late, START).loc[0, "met"] == False  # noqa: E712
    none = {"last_transfer_days": np.array([np.nan, np.nan])}
    assert evaluate([below], none, START).loc[0, "met"]


@pytest.mark.parametrize("text, fragment", [
    ('[[targets]]\nname = "x"\nmetric = "transfered"\nvalue = 1\ntolerance = 1\n', "unknown metric"),
    ('[[targets]]\nname = "x"\nmetric = "transferred"\nvalue = 1\n', "needs a tolerance"),
    ('[[targets]]\nname = "x"\nmetric = "first_transfer"\nvalue = 5\ntolerance = 1\n', "a date"),
    ('[[targets]]\nname = "x"\nmetric = "transferred"\n', "either value"),
])
def test_bad_targets_are_bad_input(tmp_path, text, fragment):
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=fragment) as err:
        load_targets(path)
    assert err.value.source == str(path)


def test_free_parameters_take_bounds_or_default_to_half_and_twice():
    loaded = flowsim.load(BASELINE)
    p = parse_free("matching.tin_rate=0.02:0.05", loaded)
    assert (p.low, p.high, p.start) == (0.02, 0.05, 0.0332812)
    setup_days = loaded.scenario.matching.setup_days.mean
    q = parse_free("matching.setup_days", loaded)
    assert (q.low, q.high) == pytest.approx((setup_days / 2, setup_days * 2))
    assert parse_free("review.days.mode", loaded).start == loaded.raw["review"]["days"]["mode"]
    with pytest.raises(ScenarioError, match="no such key"):
        parse_free("matching.tin_rat", loaded)
    with pytest.raises(ScenarioError, match="must hold a number"):
        parse_free("review.days", loaded)
    with pytest.raises(ScenarioError, match="outside"):
        parse_free("matching.tin_rate=0.05:0.06", loaded)


def fit(**kw):
    loaded = flowsim.load(BASELINE, ["matching.tin_rate=0.025"])
    free = [parse_free("matching.tin_rate=0.01:0.06", loaded)]
    return calibrate(loaded, load_targets(TARGETS), free, replications=20,
                     max_evaluations=40, **kw)


def test_calibration_recovers_a_rate_moved_off_the_record():
    result = fit()
    assert result.objective_after < result.objective_before / 100
    assert result.fitted["matching.tin_rate"] == pytest.approx(0.0334, rel=0.01)
    assert result.residuals["met"].all()
    assert list(result.residuals.columns[:5]) == ["target", "metric", "statistic", "goal", "model"]


def test_calibration_is_reproducible():
    a, b = fit(), fit()
    assert a.fitted == b.fitted
    assert a.residuals.equals(b.residuals)


def test_calibrated_scenario_file_extends_and_loads(tmp_path):
    result = fit()
    out = tmp_path / "calibrated.toml"
    out.write_text(scenario_text(result, "flowsim calibrate ...", TARGETS, out))
    raw = tomllib.loads(out.read_text())
    assert Path(raw["extends"]).name == "baseline.toml"
    loaded = flowsim.load(out)
    assert loaded.scenario.matching.tin_rate.mean == result.fitted["matching.tin_rate"]
    assert loaded.scenario.name == "baseline_calibrated"


def test_calibrate_command_writes_fit_and_residuals(tmp_path, capsys):
    out = tmp_path / "fit"
    code = cli.main(["calibrate", str(BASELINE), "--targets", str(TARGETS), "--set",
                     "matching.setup_days=15", "--free", "matching.setup_days=5:40", "-n", "10",
                     "--max-evaluations", "20", "--out", str(out),
                     "--write-scenario", str(tmp_path / "c.toml")])
    assert code == 0
    text = capsys.readouterr().out
    assert "objective" in text and "date of the disclosure" in text
    assert (out / "fitted.csv").exists() and (out / "residuals.csv").exists()
    assert flowsim.load(tmp_path / "c.toml").scenario.matching.setup_days.mean != 15


@pytest.mark.slow
def test_the_shipped_baseline_is_what_the_calibration_command_fits(tmp_path):
    """scripts/calibrate_baseline.sh reproduces the values baseline.toml ships."""
    import subprocess

    done = subprocess.run([str(ROOT / "scripts" / "calibrate_baseline.sh"), "-q", "--out",
                           str(tmp_path / "fit")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    import pandas as pd

    fitted = pd.read_csv(tmp_path / "fit" / "fitted.csv").set_index("parameter")["fitted"]
    matching = flowsim.load(BASELINE).scenario.matching
    assert fitted["matching.tin_rate"] == matching.tin_rate.mean
    assert fitted["matching.name_address_rate"] == matching.name_address_rate.mean
    assert fitted["matching.setup_days"] == matching.setup_days.mean


def test_a_fitted_list_item_is_written_with_its_whole_list(tmp_path):
    loaded = flowsim.load(BASELINE)
    free = [parse_free("notice.0.hours=1:48", loaded)]
    result = calibrate(loaded, load_targets(TARGETS), free, replications=5, max_evaluations=4)
    out = tmp_path / "calibrated.toml"
    out.write_text(scenario_text(result, "flowsim calibrate ...", TARGETS, out))
    assert "[[notice]]" in out.read_text()
    rules = flowsim.load(out).scenario.notice
    assert len(rules) == 1 and rules[0].hours.mean == result.fitted["notice.0.hours"]
