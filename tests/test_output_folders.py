"""Output folders: a command never deletes a file flowsim did not write, never mixes two
commands' results, and replaces its own results whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from flowsim import cli
from flowsim.outputs.folders import OutputFolder

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"
SCENARIOS = BASELINE.parent


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def quick_run(capsys, out: Path, *extra) -> tuple[int, str, str]:
    return run_cli(capsys, "run", BASELINE, "-n", "2", "--no-charts", "--out", out, *extra)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


COMMANDS = {
    "run": ["run", BASELINE, "-n", "2", "--no-charts"],
    "compare": ["compare", BASELINE, SCENARIOS / "notice_72h.toml", "-n", "2", "--no-charts"],
    "sweep": ["sweep", BASELINE, "--vary", "notice.0.hours=0,24", "-n", "2"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_of_the_users_files_is_refused_and_kept(command, tmp_path, capsys):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "keep.txt").write_text("x", encoding="utf-8")
    code, _, err = run_cli(capsys, *COMMANDS[command], "--out", folder)
    assert code == 2 and err.count("\n") == 1
    assert str(folder) in err and "--force" in err and "did not write" in err
    assert tree(folder) == {"keep.txt": b"x"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_force_writes_beside_the_users_files_and_keeps_them(tmp_path, capsys):
    folder = tmp_path / "d"
    (folder / "sub").mkdir(parents=True)
    (folder / "keep.txt").write_text("x", encoding="utf-8")
    (folder / "sub" / "mine.csv").write_text("a,b\n", encoding="utf-8")
    assert quick_run(capsys, folder, "--force")[0] == 0
    assert (folder / "keep.txt").read_text() == "x"
    assert (folder / "sub" / "mine.csv").read_text() == "a,b\n"
    assert len(pd.read_csv(folder / "summary.csv")) == 2


def test_force_refuses_to_replace_a_users_file_of_a_results_name(tmp_path, capsys):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "summary.csv").write_text("mine", encoding="utf-8")
    code, _, err = quick_run(capsys, folder, "--force")
    assert code == 2 and "summary.csv" in err and "flowsim did not write" in err
    assert tree(folder) == {"summary.csv": b"mine"}


def test_the_scenario_library_cannot_be_the_output(tmp_path, capsys):
    library = tmp_path / "scenarios"
    library.mkdir()
    scenario = library / "mine.toml"
    scenario.write_text(f'extends = "{BASELINE}"\n[scenario]\nname = "mine"\n', encoding="utf-8")
    for extra in ([], ["--force"]):
        code, _, err = run_cli(capsys, "run", scenario, "-n", "2", "--out", library, *extra)
        assert code == 2 and "an input of this command" in err and str(scenario) in err
    assert tree(library) == {"mine.toml": scenario.read_bytes()}


def test_an_extended_file_cannot_be_inside_the_output(tmp_path, capsys):
    parent_folder = tmp_path / "base"
    parent_folder.mkdir()
    (parent_folder / "base.toml").write_bytes(BASELINE.read_bytes())
    child = tmp_path / "child.toml"
    child.write_text('extends = "base/base.toml"\n[scenario]\nname = "child"\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "run", child, "-n", "2", "--out", parent_folder, "--force")
    assert code == 2 and "base.toml, an input of this command" in err


def test_a_rerun_keeps_the_users_notes_inside_its_results(tmp_path, capsys):
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    (out / "notes.txt").write_text("what we saw", encoding="utf-8")
    assert run_cli(capsys, "run", BASELINE, "-n", "5", "--no-charts", "--out", out)[0] == 0
    assert (out / "notes.txt").read_text() == "what we saw"
    assert len(pd.read_csv(out / "summary.csv")) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_compare_keeps_notes_inside_a_scenarios_subfolder(tmp_path, capsys):
    out = tmp_path / "c"
    assert run_cli(capsys, *COMMANDS["compare"], "--out", out)[0] == 0
    (out / "baseline" / "notes.txt").write_text("n", encoding="utf-8")
    assert run_cli(capsys, *COMMANDS["compare"], "--out", out)[0] == 0
    assert (out / "baseline" / "notes.txt").read_text() == "n"


def test_a_folder_of_another_command_is_refused(tmp_path, capsys):
    out = tmp_path / "c"
    assert run_cli(capsys, *COMMANDS["compare"], "--out", out)[0] == 0
    before = tree(out)
    code, _, err = quick_run(capsys, out)
    assert code == 2 and "flowsim compare" in err and "flowsim run" in err
    assert tree(out) == before


def test_replacing_is_one_exchange_that_leaves_nothing_beside(tmp_path, capsys, monkeypatch):
    import flowsim.outputs.folders as folders

    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    seen = []
    original = folders.exchange

    def watched(a, b):
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        original(a, b)

    monkeypatch.setattr(folders, "exchange", watched)
    assert quick_run(capsys, out)[0] == 0
    # At the moment of the swap the old folder is still whole in its place.
    assert len(seen) == 1 and "r" in seen[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_stale_staging_folders_of_a_killed_run_are_cleared(tmp_path, capsys):
    for name in (".r.partial-abc123", ".r.old-999"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.csv").write_text("half", encoding="utf-8")
    (tmp_path / ".other.partial-x").mkdir()
    assert quick_run(capsys, tmp_path / "r")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.partial-x", "r"]


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path, capsys):
    out = tmp_path / "r"
    with OutputFolder(out, "run"):
        code, _, err = quick_run(capsys, out)
        assert code == 2 and "being written by another flowsim command" in err
        assert f"process {os.getpid()}" in err
    assert not out.exists()
    assert quick_run(capsys, out)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


@pytest.mark.slow
def test_two_sweeps_in_two_processes_never_mix(tmp_path):
    """Both start at once: one gets the folder, the other a refusal, or each its own
    complete result one after the other; the folder's points are those of its manifest."""
    out = tmp_path / "sw"

    def sweep(seed: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "flowsim", "sweep", str(BASELINE), "--vary",
             "matching.tin_rate=0.02:0.05:6", "-n", "40", "--seed", seed, "--out", str(out), "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    procs = [sweep("1"), sweep("2")]
    results = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    assert 0 in codes and set(codes) <= {0, 2}, results
    for code, (_, err) in zip(codes, results):
        if code == 2:
            assert "being written by another flowsim command" in err
    manifest = json.loads((out / "manifest.json").read_text())
    alone = tmp_path / "alone"
    cli.main(["sweep", str(BASELINE), "--vary", "matching.tin_rate=0.02:0.05:6", "-n", "40",
              "--seed", str(manifest["seed"]), "--out", str(alone), "-q"])
    assert (out / "sweep.csv").read_bytes() == (alone / "sweep.csv").read_bytes()


def test_a_planted_link_at_the_sweeps_partial_folder_is_refused(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "sw.partial").symlink_to(elsewhere)
    code, _, err = run_cli(capsys, *COMMANDS["sweep"], "--out", tmp_path / "sw")
    assert code == 2 and "sw.partial" in err and "not a folder this user made" in err
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "sw").exists()


def test_a_planted_link_beside_the_report_is_not_followed(tmp_path, capsys):
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / ".report.html.partial").symlink_to(victim)
    code, _, _ = run_cli(capsys, "report", out, "-o", tmp_path / "report.html")
    assert code == 0
    assert victim.read_text() == "precious"
    assert (tmp_path / "report.html").read_text().startswith("<!doctype html>")


def test_report_replaces_its_own_file_but_not_anothers(tmp_path, capsys):
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    page = tmp_path / "report.html"
    assert run_cli(capsys, "report", out, "-o", page)[0] == 0
    assert run_cli(capsys, "report", out, "-o", page)[0] == 0  # its own: replaced
    mine = tmp_path / "mine.html"
    mine.write_text("<p>my page</p>", encoding="utf-8")
    code, _, err = run_cli(capsys, "report", out, "-o", mine)
    assert code == 2 and "flowsim did not write it" in err and "--force" in err
    assert mine.read_text() == "<p>my page</p>"
    assert run_cli(capsys, "report", out, "-o", mine, "--force")[0] == 0


def test_charts_never_draw_over_a_users_file(tmp_path, capsys):
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    (out / "disclosures.png").write_bytes(b"mine")
    code, _, err = run_cli(capsys, "charts", out)
    assert code == 2 and "disclosures.png" in err
    assert (out / "disclosures.png").read_bytes() == b"mine"


def test_sigterm_while_running_leaves_no_results_and_no_staging(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "flowsim", "run", str(BASELINE), "-n", "20000",
                             "--out", str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / ".r.lock"
    deadline = time.monotonic() + 60

    def held() -> bool:  # the lock file holds the pid once the lock is taken
        try:
            return bool(lock.read_text().strip())
        except OSError:
            return False

    while not held() and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_folder_of_another_scenario_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    other = SCENARIOS / "notice_72h.toml"
    code, _, err = run_cli(capsys, "run", other, "-n", "2", "--no-charts", "--out", out)
    assert code == 2 and "'baseline'" in err and "'notice_72h'" in err and "--force" in err
    assert run_cli(capsys, "run", other, "-n", "2", "--no-charts", "--out", out,
                   "--force")[0] == 0


def test_a_smaller_compare_does_not_replace_a_larger_one(tmp_path, capsys):
    out = tmp_path / "c"
    assert run_cli(capsys, "compare", BASELINE, SCENARIOS / "notice_72h.toml",
                   SCENARIOS / "notice_from_mou.toml", "-n", "2", "--no-charts",
                   "--out", out)[0] == 0
    code, _, err = run_cli(capsys, *COMMANDS["compare"], "--out", out)
    assert code == 2 and "scenarios" in err
