"""Check that a change leaves every output file as it was: run the same commands on an
earlier commit and on this checkout, and compare what they wrote, byte for byte.

    python scripts/compare_outputs.py --before REV [--keep DIR]

Runs, in a worktree of REV and in this checkout alike (each from its own root, with its
own `src/` first on the path): a run of every shipped scenario, a compare of the whole
library, a sweep, a calibration with --write-scenario, a Morris sensitivity run, the
report of the compare, and `explain` of every scenario. Prints how many files are
identical and lists the rest; exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scenario_files(tree: Path) -> list[str]:
    names = sorted(p.name for p in (tree / "scenarios").glob("*.toml") if p.name != "targets.toml")
    # (scenarios/targets.toml is where targets lived before calibration/)
    names.remove("baseline.toml")
    return ["scenarios/baseline.toml", *(f"scenarios/{n}" for n in names)]


def targets_file(tree: Path) -> str:
    for candidate in ("calibration/targets.toml", "scenarios/targets.toml"):
        if (tree / candidate).exists():
            return candidate
    raise SystemExit(f"no targets file in {tree}")


def commands(tree: Path) -> list[tuple[str, list[str]]]:
    """(name of what it writes, arguments to flowsim) for one tree."""
    files = scenario_files(tree)
    out = "cmp-out"
    steps = [(f"run-{Path(f).stem}", ["run", f, "-n", "20", "--out", f"{out}/run-{Path(f).stem}"])
             for f in files]
    steps += [
        ("compare", ["compare", *files, "-n", "30", "--out", f"{out}/compare"]),
        ("sweep", ["sweep", files[0], "--vary", "notice.0.hours=0,24", "--vary",
                   "matching.tin_rate=0.03:0.04:3", "-n", "10", "--out", f"{out}/sweep"]),
        ("calibrate", ["calibrate", files[0], "--targets", targets_file(tree), "--free",
                       "matching.setup_days=5:40", "-n", "20", "--max-evaluations", "15",
                       "--out", f"{out}/calibrate", "--write-scenario",
                       f"{out}/calibrated.toml"]),
        ("sensitivity", ["sensitivity", files[0], "--param", "matching.tin_rate=0.02:0.05",
                         "--param", "matching.setup_days=10:30", "--samples", "4", "-n", "5",
                         "--out", f"{out}/sensitivity"]),
        ("report", ["report", f"{out}/compare", "-o", f"{out}/report.html"]),
    ]
    steps += [(f"explain-{Path(f).stem}", ["explain", f]) for f in files]
    return steps


def run_all(tree: Path) -> None:
    shutil.rmtree(tree / "cmp-out", ignore_errors=True)
    (tree / "cmp-out").mkdir()
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    for name, args in commands(tree):
        done = subprocess.run([sys.executable, "-m", "flowsim", *args], cwd=tree, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{tree}: flowsim {' '.join(args)} failed:\n{done.stderr}")
        if name.startswith("explain-"):
            (tree / "cmp-out" / f"{name}.txt").write_text(done.stdout, encoding="utf-8")


def _text_without_root(path: Path, root: Path) -> bytes:
    # A file may name an input by its absolute path, which differs between the trees.
    return path.read_bytes().replace(os.fsencode(root), b"<root>")


def compare_trees(before: Path, after: Path) -> tuple[list[str], list[str]]:
    same, differ = [], []
    names = {str(p.relative_to(before)) for p in before.rglob("*") if p.is_file()}
    names |= {str(p.relative_to(after)) for p in after.rglob("*") if p.is_file()}
    for name in sorted(names):
        a, b = before / name, after / name
        if a.is_file() and b.is_file() and (
                filecmp.cmp(a, b, shallow=False)
                or _text_without_root(a, before.parent) == _text_without_root(b, after.parent)):
            same.append(name)
        else:
            differ.append(name)
    return same, differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--keep", type=Path, help="copy both output trees here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), args.before],
                       cwd=ROOT, check=True)
        try:
            run_all(old)
            run_all(ROOT)
            same, differ = compare_trees(old / "cmp-out", ROOT / "cmp-out")
            if args.keep:
                shutil.rmtree(args.keep, ignore_errors=True)
                shutil.copytree(old / "cmp-out", args.keep / "before")
                shutil.copytree(ROOT / "cmp-out", args.keep / "after")
        finally:
            shutil.rmtree(ROOT / "cmp-out", ignore_errors=True)
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                           check=True)
    print(f"{len(same)} files identical, {len(differ)} differ")
    for name in differ:
        print(f"  differs: {name}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
