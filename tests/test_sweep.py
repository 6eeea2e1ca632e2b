"""Sweeps: grids, failed points, and resuming after an interruption."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.errors import ScenarioError
from flowsim.experiments.sweep import check_keys, grid, parse_vary
from flowsim.outputs.sweeps import sweep

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"
FILES = ("sweep.csv", "sweep_stats.csv", "points.csv", "manifest.json")


def test_list_values_are_toml_values():
    v = parse_vary('review.days=1,{dist="uniform", low=1, high=3},2.5')
    assert v.values == ("1", '{dist="uniform", low=1, high=3}', "2.5")


def test_range_spaces_values_evenly_with_both_ends():
    assert parse_vary("matching.tin_rate=0.02:0.06:5").values == (
        "0.02", "0.03", "0.04", "0.05", "0.06")
    assert parse_vary("notice.0.hours=0:72:4").values == ("0", "24", "48", "72")
    assert parse_vary("notice.0.hours=0:10:3").values == ("0", "5", "10")
    assert parse_vary("notice.0.hours=0:1:3").values == ("0.0", "0.5", "1.0")


def test_dates_are_not_mistaken_for_ranges():
    assert parse_vary("injunction.at=2025-05-12,2025-11-21").values == ("2025-05-12", "2025-11-21")


@pytest.mark.parametrize("text", ["nokey", "a.b=", "k=1,,2", "k=1,1", "k=0:1:0"])
def test_bad_vary_is_bad_input(text):
    with pytest.raises(ScenarioError):
        parse_vary(text)


def test_unknown_key_is_refused_before_any_point_runs():
    s = flowsim.load(BASELINE).scenario
    with pytest.raises(ScenarioError, match="no such key"):
        check_keys(s, [parse_vary("matching.tin_rat=0.1,0.2")])
    with pytest.raises(ScenarioError, match="no such key"):
        check_keys(s, [parse_vary("notice.3.hours=1,2")])


def test_grid_is_full_factorial_with_the_last_key_fastest():
    points = grid([parse_vary("a=1,2"), parse_vary("b=x,y,z")])
    assert [p.values for p in points] == [("1", "x"), ("1", "y"), ("1", "z"),
                                          ("2", "x"), ("2", "y"), ("2", "z")]


def small_sweep(out, **kw):
    loaded = flowsim.load(BASELINE)
    varies = [parse_vary("notice.0.from=2025-04-07,2025-09-05"),
              parse_vary("notice.0.relief=0:1:3")]
    return sweep(loaded, varies, out, replications=8, **kw)


def test_sweep_writes_long_table_and_stats_per_point(tmp_path):
    result = small_sweep(tmp_path / "s")
    long = pd.read_csv(tmp_path / "s" / "sweep.csv")
    assert list(long.columns) == ["point", "notice.0.from", "notice.0.relief", "replication",
                                  "metric", "value"]
    assert long["point"].nunique() == 6 and long["replication"].nunique() == 8
    stats = pd.read_csv(tmp_path / "s" / "sweep_stats.csv").set_index(["point", "metric"])
    # Relief 1 from the MOU date blocks the one file in every replication.
    assert stats.loc[(2, "transferred"), "mean"] == 0
    assert stats.loc[(2, "blocked_notice"), "mean"] > 40_000
    # The notice rule of 2025-09-05 comes after the disclosure: relief changes nothing.
    assert stats.loc[(5, "transferred"), "mean"] == stats.loc[(3, "transferred"), "mean"]
    assert (result.points["status"] == "ok").all()


def test_point_equals_a_run_with_the_same_overrides(tmp_path):
    small_sweep(tmp_path / "s")
    long = pd.read_csv(tmp_path / "s" / "sweep.csv")
    one = flowsim.run(flowsim.load(BASELINE, ["notice.0.from=2025-04-07", "notice.0.relief=0.5"]),
                      replications=8)
    point = long[(long.point == 1) & (long.metric == "transferred")]["value"].to_numpy()
    assert (point == one.summary["transferred"].to_numpy()).all()


def test_a_failed_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    loaded = flowsim.load(BASELINE)
    result = sweep(loaded, [parse_vary("matching.tin_rate=0.02,1.5,0.04")], tmp_path / "s",
                   replications=3)
    points = pd.read_csv(tmp_path / "s" / "points.csv", keep_default_na=False)
    assert list(points["status"]) == ["ok", "failed", "ok"]
    assert "--vary: matching.tin_rate: must be between 0 and 1" in points.loc[1, "error"]
    assert set(result.long["point"]) == {0, 2}


def test_interrupted_sweep_resumes_to_identical_files(tmp_path):
    """Kill after two points; --resume skips them and the final files match a clean run."""
    small_sweep(tmp_path / "clean")
    seen = []

    def interrupt_after_two(done, total):
        seen.append(done)
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        small_sweep(tmp_path / "cut", progress=interrupt_after_two)
    partial = tmp_path / "cut.partial" / "points"
    assert len(list(partial.glob("*.csv"))) == 2
    assert not (tmp_path / "cut").exists()

    resumed = []
    small_sweep(tmp_path / "cut", resume=True, progress=lambda d, t: resumed.append(d))
    assert resumed[0] == 2  # the finished points were skipped, not rerun
    for name in FILES:
        assert (tmp_path / "cut" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()
    assert not (tmp_path / "cut.partial").exists()


def test_resume_with_other_settings_is_refused(tmp_path):
    def stop(done, total):
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        small_sweep(tmp_path / "s", progress=stop)
    loaded = flowsim.load(BASELINE)
    with pytest.raises(ScenarioError, match="cannot resume"):
        sweep(loaded, [parse_vary("notice.0.hours=1,2")], tmp_path / "s", replications=8,
              resume=True)


def test_sweep_command(tmp_path, capsys):
    out = tmp_path / "s"
    code = cli.main(["sweep", str(BASELINE), "--vary", "notice.0.hours=0,72", "-n", "3",
                     "--out", str(out)])
    assert code == 0
    assert "2 points" in capsys.readouterr().out
    assert all((out / name).exists() for name in FILES)


def test_sweep_command_with_an_unknown_key_exits_2(tmp_path, capsys):
    code = cli.main(["sweep", str(BASELINE), "--vary", "notice.0.hour=0,72",
                     "--out", str(tmp_path / "s")])
    assert code == 2
    assert "--vary: notice.0.hour: the scenario has no such key" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_in_a_real_process_keeps_finished_points_for_resume(tmp_path):
    """SIGINT mid-sweep: exit 130, finished points kept, --resume ends like a clean run."""
    import signal
    import subprocess
    import sys
    import time

    args = ["sweep", str(BASELINE), "--vary", "matching.tin_rate=0.02:0.05:16", "-n", "150",
            "--out", str(tmp_path / "cut")]
    proc = subprocess.Popen([sys.executable, "-m", "flowsim", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    points = tmp_path / "cut.partial" / "points"
    deadline = time.monotonic() + 60
    while not list(points.glob("*.csv")) and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    kept = len(list(points.glob("*.csv")))
    assert 1 <= kept < 16
    assert not (tmp_path / "cut").exists()

    assert cli.main([*args, "--resume", "-q"]) == 0
    cli.main(["sweep", str(BASELINE), "--vary", "matching.tin_rate=0.02:0.05:16", "-n", "150",
              "--out", str(tmp_path / "clean"), "-q"])
    for name in FILES:
        assert (tmp_path / "cut" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()
