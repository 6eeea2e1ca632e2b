"""The command line: exit codes, one-line errors, and nothing written on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flowsim import cli
from flowsim.outputs.writers import TABLES

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def child(folder: Path, text: str, name: str = "what_if.toml") -> Path:
    return write(folder, name, f'extends = "{BASELINE}"\n{text}')


# (file text or None for the baseline, extra arguments, the key named, a reason fragment)
BAD_INPUT = {
    "malformed TOML": ("[scenario\nname = 'x'\n", [], "line 1", "not valid TOML"),
    "unknown key": ("EXT[matching]\ntin_rat = 0.1\n", [], "matching.tin_rat",
                    "did you mean 'tin_rate'"),
    "unknown table": ("EXT[matchng]\ncapacity = 1\n", [], "matchng", "did you mean 'matching'"),
    "wrong type": ("EXT[matching]\ncapacity = 'two'\n", [], "matching.capacity", "integer"),
    "negative records": ("EXT[[requests]]\nname = 'x'\nat = 2025-06-01\nrecords = -5\n", [],
                         "requests.0.records", "negative"),
    "rate above 1": ("EXT[matching]\ntin_rate = 1.5\n", [], "matching.tin_rate", "between 0 and 1"),
    "end before start": ("EXT[scenario]\nend = 2025-01-01\n", [], "scenario.end", "after"),
    "negative notice hours": ("EXT[[notice]]\nfrom = 2025-09-05\nhours = -1\n", [],
                              "notice.0.hours", "negative"),
    "zero throughput": ("EXT[matching]\nrecords_per_day = 0\n", [], "matching.records_per_day",
                        "greater than 0"),
    "unknown distribution": ("EXT[review]\ndays = { dist = 'triangle', low = 1, mode = 2, high = 3 }\n",
                             [], "review.days.dist", "did you mean 'triangular'"),
    "bad distribution parameters": (
        "EXT[review]\ndays = { dist = 'triangular', low = 1, mode = 5, high = 3 }\n", [],
        "review.days", "low <= mode <= high"),
    "missing parameter": ("EXT[review]\ndays = { dist = 'uniform', low = 1 }\n", [],
                          "review.days.high", "needs high"),
    "request outside the horizon": (
        "EXT[[requests]]\nname = 'x'\nat = 2030-01-01\nrecords = 5\n", [], "requests.0.at",
        "between scenario.start and scenario.end"),
    "duplicate request name": (
        "EXT[[requests]]\nname = 'x'\nat = 2025-06-01\nrecords = 5\n"
        "[[requests]]\nname = 'x'\nat = 2025-06-02\nrecords = 5\n", [], "requests.1.name", "unique"),
    "bad scenario name": ("EXT[scenario]\nname = 'Bad Name'\n", [], "scenario.name", "a-z"),
    "missing required key": ("[scenario]\nname = 'x'\nstart = 2025-01-01\nend = 2025-02-01\n"
                             "[review]\ndays = 1\n", [], "matching", "required"),
    "bad --set syntax": (None, ["--set", "novalue"], "--set", "key.path=value"),
    "bad --set value": (None, ["--set", "matching.tin_rate=abc"], "matching.tin_rate",
                        "must be a number"),
    "bad --set index": (None, ["--set", "notice.5.hours=72"], "notice.5.hours", "1 item"),
    "bad --set key": (None, ["--set", "matching.tin_rat=0.1"], "matching.tin_rat", "did you mean"),
}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_gets_one_line_naming_file_and_key(case, tmp_path, capsys):
    text, extra, key, reason = BAD_INPUT[case]
    if text is None:
        path, named = BASELINE, ("--set" if "--set" in case else str(BASELINE))
    else:
        path = write(tmp_path, "s.toml", text.replace("EXT", f'extends = "{BASELINE}"\n'))
        named = str(path)
    out_dir = tmp_path / "out"
    code, _, err = run_cli(capsys, "run", path, "--out", out_dir, *extra)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert named in err and key in err and reason in err
    assert not out_dir.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_file(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", tmp_path / "nope.toml", "--out", tmp_path / "o")
    assert code == 2 and "nope.toml: no such file" in err


def test_extends_cycle(tmp_path, capsys):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    code, _, err = run_cli(capsys, "validate", tmp_path / "a.toml")
    assert code == 2 and "extends: " in err and "cycle: a.toml -> b.toml -> a.toml" in err


def test_missing_extends_target(tmp_path, capsys):
    path = write(tmp_path, "a.toml", 'extends = "gone.toml"\n')
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2
    assert f"{path}: extends: the file it extends does not exist: {tmp_path / 'gone.toml'}" in err


def test_bad_option_value_exits_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", str(BASELINE), "--replications", "0"])
    assert exit_.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_validate_accepts_the_baseline(capsys):
    code, out, _ = run_cli(capsys, "validate", BASELINE)
    assert code == 0 and "ok" in out


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    target = write(tmp_path, "taken", "")
    code, _, err = run_cli(capsys, "run", BASELINE, "-n", "2", "--out", target)
    assert code == 2 and "--out" in err


def test_run_writes_every_output(tmp_path, capsys):
    out_dir = tmp_path / "results"
    code, out, _ = run_cli(capsys, "run", BASELINE, "-n", "7", "--seed", "3", "--out", out_dir,
                           "--set", "notice.0.hours=48")
    assert code == 0
    assert "transferred" in out
    summary = pd.read_csv(out_dir / "summary.csv")
    assert len(summary) == 7 and (summary["seed"] == 3).all()
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["overrides"] == ["notice.0.hours=48"]
    assert manifest["resolved_scenario"]["notice"][0]["hours"] == 48
    assert manifest["replications"] == 7
    # The baseline holds orders after disclosure, so it charts them too.
    charts = {f"{c}.{ext}" for c in ("disclosures", "outcomes", "after_disclosure")
              for ext in ("png", "svg")}
    # seasons.csv: the baseline counts its filers' seasons ([filing]).
    # disclosures.vl.json: the page's chart, its one Vega-Lite definition with its data.
    assert set(manifest["files"]) == ({f"{t}.csv" for t in TABLES} | charts | {"results.xlsx"}
                                      | {"seasons.csv", "disclosures.vl.json"})
    spec = json.loads((out_dir / "disclosures.vl.json").read_text())
    assert spec["$schema"].endswith("vega-lite/v6.json") and spec["vconcat"][0]["data"]["values"]
    assert all((out_dir / name).stat().st_size > 0 for name in charts)
    assert not (out_dir / "daily.csv").exists()  # per replication only when asked


def test_daily_per_replication_writes_daily_csv_too(tmp_path, capsys):
    out_dir = tmp_path / "results"
    code, _, _ = run_cli(capsys, "run", BASELINE, "-n", "3", "--out", out_dir, "--no-charts",
                         "--daily", "per-replication")
    assert code == 0
    daily = pd.read_csv(out_dir / "daily.csv")
    stats = pd.read_csv(out_dir / "daily_stats.csv")
    assert len(daily) == 3 * len(stats[stats["state"] == "transferred"])
    last = daily.groupby("replication")["transferred"].last()
    summary = pd.read_csv(out_dir / "summary.csv").set_index("replication")
    assert (last == summary["transferred"]).all()


def test_rerun_replaces_the_results_whole(tmp_path, capsys):
    out_dir = tmp_path / "results"
    run_cli(capsys, "run", BASELINE, "-n", "9", "--out", out_dir)
    run_cli(capsys, "run", BASELINE, "-n", "4", "--out", out_dir)
    assert len(pd.read_csv(out_dir / "summary.csv")) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_failure_while_writing_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "results"

    def broken(self, path, **kwargs):
        if str(path).endswith("daily_stats.csv"):
            raise OSError("disk full")
        return original(self, path, **kwargs)

    original = pd.DataFrame.to_csv
    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    code, _, err = run_cli(capsys, "run", BASELINE, "-n", "2", "--out", out_dir)
    assert code == 1 and "internal error" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_console_script_and_module_run_in_a_subprocess(tmp_path):
    """The installed command and `python -m flowsim` both work end to end."""
    # The command installed beside this interpreter (a virtual environment's bin/).
    command = str(Path(sys.executable).parent / "flowsim")
    done = subprocess.run([command, "run", str(BASELINE), "-n", "3", "--out", str(tmp_path / "a")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    bad = subprocess.run([sys.executable, "-m", "flowsim", "run", str(BASELINE), "--set",
                          "matching.tin_rate=2", "--out", str(tmp_path / "b")],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "matching.tin_rate" in bad.stderr
    assert not (tmp_path / "b").exists()


COMMANDS_THAT_SIMULATE = ("run", "compare", "sweep", "calibrate", "sensitivity")


def help_of(capsys, command: str) -> str:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", [*COMMANDS_THAT_SIMULATE, "explain", "report", "charts",
                                     "validate"])
def test_help_prints_no_doubled_percent_sign(capsys, command):
    assert "%%" not in help_of(capsys, command)


def test_each_command_says_its_own_replications_default(capsys):
    from flowsim.experiments.calibrate import DEFAULT_REPLICATIONS as calibrate_default
    from flowsim.experiments.sensitivity import DEFAULT_REPLICATIONS as sensitivity_default

    assert "(default: the scenario's scenario.replications)" in help_of(capsys, "run")
    assert f"(default: {sensitivity_default} per point)" in help_of(capsys, "sensitivity")
    assert f"(default: {calibrate_default} per evaluation)" in help_of(capsys, "calibrate")


@pytest.mark.parametrize("command", ["sweep", "calibrate", "sensitivity"])
def test_options_of_run_and_compare_only_are_not_offered_elsewhere(capsys, command):
    text = help_of(capsys, command)
    assert "--no-charts" not in text and "--hold-uncertain" not in text and "--daily" not in text


def test_every_argument_has_help(capsys):
    assert "the scenario the others are compared with" in help_of(capsys, "compare")
    assert "the record's figures with their tolerances" in help_of(capsys, "calibrate")
    assert "elementary effects" in help_of(capsys, "sensitivity")


def test_a_calibration_goal_names_its_unit():
    import datetime as dt

    import numpy as np

    from flowsim.experiments.targets import Target, evaluate

    start = dt.datetime(2025, 4, 7)
    rows = evaluate([Target(name="date", metric="first_transfer", statistic="median",
                            value=dt.date(2025, 8, 7), tolerance=3, source="FACTS: 2025-08-07"),
                     Target(name="count", metric="transferred", statistic="mean", value=47289,
                            tolerance=500, source="FACTS: 2025-08-07")],
                    {"first_transfer_days": np.array([122.0]),
                     "transferred": np.array([47000.0])}, start)
    assert rows["goal"].tolist() == ["2025-08-07T00:00:00 ± 3 days", "47289 ± 500 records"]
