"""Every bad input an adversarial user tried: exit 2, one line naming the file, the key
and the reason, no traceback, and nothing written."""

from __future__ import annotations

import json

import os
import stat
from pathlib import Path

import pytest

from flowsim import cli

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"
EXT = f'extends = "{BASELINE}"\n'


def deep_inline(levels: int) -> str:
    return "x = " + "{ a = " * levels + "1" + " }" * levels + "\n"


# name: (scenario text, the reason's key fragment, a reason fragment)
SCENARIO_CASES = {
    "records of 1e308": (EXT + "[[requests]]\nname = 'x'\nat = 2025-06-01\nrecords = 1e308\n",
                         "requests.0.records", "at most 1,000,000,000,000 records"),
    "records of 10^30": (EXT + "[[requests]]\nname = 'x'\nat = 2025-06-01\nrecords = "
                         + str(10**30) + "\n", "requests.0.records", "at most"),
    "2^53 + 1 records, which a float would round": (
        EXT + f"[[requests]]\nname = 'x'\nat = 2025-06-01\nrecords = {2**53 + 1}\n",
        "requests.0.records", "at most"),
    "records whose mean is out of bounds": (
        EXT + "[[requests]]\nname = 'x'\nat = 2025-06-01\n"
        "records = { dist = 'normal', mean = 1e15, sd = 1 }\n", "requests.0.records", "a mean of"),
    "injunction before the scenario starts": (EXT + "[injunction]\nat = 2025-01-01\n",
                                              "injunction.at", "must not be before scenario.start"),
    "end of 9999-12-31": (EXT + "[scenario]\nend = 9999-12-31\n", "scenario.end", "ten years"),
    "lognormal whose mean overflows": (
        EXT + "[review]\ndays = { dist = 'lognormal', mu = 1000, sigma = 1 }\n", "review.days",
        "mean is too large"),
    "dist given as a list": (EXT + "[review]\ndays = { dist = ['uniform'], low = 1, high = 2 }\n",
                             "review.days.dist", "name in quotes"),
    "tables nested a thousand deep": (EXT + deep_inline(1000), "", "too deeply"),
    "a stream that never ends": (
        EXT + "[[request_streams]]\nname = 's'\nfrom = 2025-06-01\ninterval_days = 1e-300\n"
        "records = 5\n", "request_streams.0.interval_days", "100,000"),
    "a stream of too many requests": (
        EXT + "[[request_streams]]\nname = 's'\nfrom = 2025-06-01\ninterval_days = 0.001\n"
        "records = 5\n", "request_streams.0.interval_days", "lengthen interval_days"),
    "replications as a string": (EXT + "[scenario]\nreplications = '5'\n",
                                 "scenario.replications", "valid integer"),
    "enabled as a string": (EXT + "[injunction]\nenabled = 'no'\n", "injunction.enabled",
                            "valid boolean"),
    "capacity as a float": (EXT + "[review]\ncapacity = 2.0\n", "review.capacity", "integer"),
    "replications past the bound": (EXT + "[scenario]\nreplications = 10_000_000\n",
                                    "scenario.replications", "less than or equal to 1000000"),
    "bytes that are not UTF-8": (EXT + "[scenario]\ntitle = '\udcff'\n", "", "not UTF-8"),
    "relief and grant together": (
        EXT + "[[notice]]\nfrom = 2025-09-05\nhours = 24\nrelief = 0.5\ngrant = 0.5\n",
        "notice.0.grant", "not both"),
    "ruling_days without grant": (
        EXT + "[[notice]]\nfrom = 2025-09-05\nhours = 24\nruling_days = 1\n",
        "notice.0.ruling_days", "needs grant"),
    "a throughput whose reciprocal has no mean": (
        EXT + "[matching]\nrecords_per_day = { dist = 'exponential', mean = 100000 }\n",
        "matching.records_per_day", "no finite mean"),
    "a beta throughput near zero": (
        EXT + "[matching]\nrecords_per_day = { dist = 'beta', alpha = 1, beta = 2 }\n",
        "matching.records_per_day", "alpha > 1"),
    "a scenario that is not a table": (
        EXT + "scenario = 5\n", "scenario", "must be a table"),
    "a request named like a stream's": (
        EXT + "[[request_streams]]\nname = 'ICE resubmission'\nfrom = 2025-09-01\n"
        "interval_days = 30\nrecords = 5\n[[requests]]\nname = 'ICE resubmission #1'\n"
        "at = 2025-06-01\nrecords = 5\n", "requests.0.name", "request_streams.0"),
}


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=list(SCENARIO_CASES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenario_is_one_line_and_writes_nothing(case, command, tmp_path, capsys):
    text, key, reason = SCENARIO_CASES[case]
    path = tmp_path / "s.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    out = tmp_path / "out"
    extra = ["--out", out] if command == "run" else []
    code, _, err = run_cli(capsys, command, path, *extra)
    assert_one_line(code, err, str(path), key, reason)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_an_extends_chain_a_thousand_long_is_one_line(tmp_path, capsys):
    for i in range(1000):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i + 1}.toml"\n', encoding="utf-8")
    (tmp_path / "s1000.toml").write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", tmp_path / "s0.toml")
    assert_one_line(code, err, "extends", "longer than 32 files")


def test_a_fifo_as_a_scenario_is_refused_at_once(tmp_path, capsys):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    code, _, err = run_cli(capsys, "validate", fifo)
    assert_one_line(code, err, str(fifo), "not a regular file")


def test_a_fifo_as_an_extends_target_is_refused_at_once(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "pipe.toml"\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", child)
    assert_one_line(code, err, "pipe.toml", "not a regular file")


def test_a_device_as_a_scenario_is_refused(capsys):
    code, _, err = run_cli(capsys, "validate", "/dev/zero")
    assert_one_line(code, err, "/dev/zero", "not a regular file")


def test_a_byte_order_mark_is_read_as_utf8(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + EXT.encode() + b"[scenario]\nname = 'bom'\n")
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 0, err
    assert "bom" in out


def test_a_comment_block_of_megabytes_gives_its_note(tmp_path):
    from flowsim.scenario import comment_notes

    block = "# ASSUMPTION: long\n" * 200_000
    notes = comment_notes(block + "x = 1\ny = 2\n")
    assert notes["x"] == notes["y"] == " ".join(["ASSUMPTION: long"] * 200_000)


# name: (arguments after the scenario, the option named, a reason fragment)
OPTION_CASES = {
    "--out /": (["--out", "/"], "--out", "root folder"),
    "--replications past the bound": (["--replications", "1000000000"], "--replications",
                                      "at most 1,000,000"),
    "--scheduler that is not an address": (["--executor", "dask", "--scheduler", "notanaddress"],
                                           "--scheduler", "notanaddress"),
    "--scheduler without dask": (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler",
                                 "goes with --executor dask"),
}


@pytest.mark.parametrize("case", OPTION_CASES, ids=list(OPTION_CASES))
def test_bad_option_is_one_line(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extra, option, reason = OPTION_CASES[case]
    try:
        code, _, err = run_cli(capsys, "run", BASELINE, "-n", "2", *extra)
    except SystemExit as exit_:  # argparse's own refusal
        code, err = exit_.code, capsys.readouterr().err
    assert_one_line(code, err, option, reason)
    assert list(tmp_path.iterdir()) == []


def test_out_of_the_current_folder_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    for out in (".", str(tmp_path), ".."):
        code, _, err = run_cli(capsys, "run", BASELINE, "-n", "2", "--out", out, "--force")
        assert_one_line(code, err, "--out", "holds the current folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_out_below_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("", encoding="utf-8")
    code, _, err = run_cli(capsys, "run", BASELINE, "-n", "2", "--out", tmp_path / "file" / "x")
    assert_one_line(code, err, "--out", "is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_out_in_a_read_only_parent_is_refused(tmp_path, capsys):
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o555)
    code, _, err = run_cli(capsys, "run", BASELINE, "-n", "2", "--out", parent / "x")
    assert_one_line(code, err, "--out", "not writable")


def test_a_read_only_results_folder_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "r"
    assert run_cli(capsys, "run", BASELINE, "-n", "2", "--out", out, "--no-charts")[0] == 0
    before = {p.name: p.stat().st_ino for p in out.iterdir()}
    out.chmod(0o555)
    try:
        code, _, err = run_cli(capsys, "run", BASELINE, "-n", "3", "--out", out, "--force")
        assert_one_line(code, err, str(out), "read-only")
        assert stat.S_IMODE(out.stat().st_mode) == 0o555
        assert {p.name: p.stat().st_ino for p in out.iterdir()} == before
    finally:
        out.chmod(0o755)


@pytest.fixture
def run_folder(tmp_path, capsys) -> Path:
    out = tmp_path / "r"
    assert run_cli(capsys, "run", BASELINE, "-n", "3", "--out", out, "--no-charts")[0] == 0
    return out


# name: (what is done to a run's folder, the file named, a reason fragment)
DAMAGE = {
    "summary.csv missing": (lambda f: (f / "summary.csv").unlink(), "summary.csv", "missing"),
    "stats.csv cut short": (lambda f: (f / "stats.csv").write_text("scenario,metr"), "stats.csv",
                            "changed since flowsim wrote it"),
    "manifest.json not JSON": (lambda f: (f / "manifest.json").write_text("{"), "manifest.json",
                               "cannot be read"),
    "manifest.json a list": (lambda f: (f / "manifest.json").write_text("[]"), "manifest.json",
                             "not a flowsim manifest"),
    "manifest.json without checksums and a table without its columns": (
        lambda f: ((f / "manifest.json").write_text(
            (f / "manifest.json").read_text().replace('"files"', '"files_"')),
            (f / "stats.csv").write_text("a,b\n1,2\n")), "stats.csv", "lacks the columns"),
    "a scenario in the manifest that does not validate": (
        lambda f: (f / "manifest.json").write_text(
            (f / "manifest.json").read_text().replace('"start": "2025-04-07', '"start": "x')),
        "manifest.json", "cannot read"),
    "a seed that is not a number": (
        lambda f: _tamper(f, seed="<script>"), "manifest.json", "seed must be a whole number"),
    "parameters that are not tables": (
        lambda f: _tamper(f, parameters=["x"]), "manifest.json",
        "parameters must be a list of tables of text"),
    "replications that are not a number": (
        lambda f: _tamper(f, replications="many"), "manifest.json",
        "replications must be a whole number"),
}


def _tamper(folder: Path, **values) -> None:
    path = folder / "manifest.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**doc, **values}), encoding="utf-8")


@pytest.mark.parametrize("case", DAMAGE, ids=list(DAMAGE))
@pytest.mark.parametrize("command", ["report", "charts"])
def test_a_damaged_results_folder_is_one_line(case, command, run_folder, tmp_path, capsys):
    damage, name, reason = DAMAGE[case]
    damage(run_folder)
    extra = ["-o", tmp_path / "report.html"] if command == "report" else []
    code, _, err = run_cli(capsys, command, run_folder, *extra)
    assert_one_line(code, err, reason)
    assert str(run_folder) in err and (name in err or name == "manifest.json")
    assert not (tmp_path / "report.html").exists()


def test_an_internal_error_is_one_line_naming_the_traceback_file(tmp_path, capsys, monkeypatch):
    import flowsim.experiments.run

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke\nsecond line")

    monkeypatch.setattr(flowsim.experiments.run, "run_many", broken)
    code, _, err = run_cli(capsys, "run", BASELINE, "-n", "2", "--out", tmp_path / "o")
    assert code == 1
    assert err.count("\n") == 1 and "internal error" in err and "something inside broke" in err
    where = err.strip().rsplit("the traceback is in ", 1)[1]
    assert "RuntimeError" in Path(where).read_text(encoding="utf-8")
    Path(where).unlink()
    assert list(tmp_path.iterdir()) == []


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text(tmp_path, capsys):
    import pandas as pd

    path = tmp_path / "s.toml"
    path.write_text(EXT + "[scenario]\nname = 'f'\n[[requests]]\n"
                    "name = '=HYPERLINK(\"http://x\",\"y\")'\nat = 2025-06-27\nrecords = 1000\n"
                    "[[requests]]\nname = '-1 request'\nat = 2025-06-28\nrecords = 5\n",
                    encoding="utf-8")
    assert run_cli(capsys, "run", path, "-n", "2", "--no-charts", "--out", tmp_path / "o")[0] == 0
    names = set(pd.read_csv(tmp_path / "o" / "events.csv")["request"])
    assert names == {"'=HYPERLINK(\"http://x\",\"y\")", "'-1 request"}
    stats = pd.read_csv(tmp_path / "o" / "stats.csv")
    assert (stats["mean"].dropna() >= 0).all()  # numbers stay numbers


def test_negative_numbers_as_text_are_not_escaped():
    import pandas as pd

    from flowsim.spreadsheet import spreadsheet_safe

    table = pd.DataFrame({"v": ["-0.5", "+3", "@x", "=1+1", "ok", None]})
    safe = spreadsheet_safe(table)["v"]
    assert safe[:5].tolist() == ["-0.5", "+3", "'@x", "'=1+1", "ok"] and safe.isna()[5]
