"""Speed of `flowsim explore` over the whole library.

    python benchmarks/bench_explore.py [--repeat 1]

Measures:
1. the wall time of `flowsim explore` over the baseline and every what-if of scenarios/ at
   the command's defaults, as a user types it (start-up, every run, every file and chart),
   with --jobs 1 and --jobs 2;
2. the exploration alone (every run of the three layers and the verdicts, no files), on
   one worker, a pool of two processes and a local Dask cluster of two workers, each
   started before timing as a long session would have it; and that the three give the
   same verdicts and sets, to the byte.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import flowsim
from flowsim.experiments.ensemble import read_members
from flowsim.experiments.executors import make_executor
from flowsim.experiments.explore import explore, load_assumptions
from flowsim.experiments.targets import load_targets

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CALIBRATION = ROOT / "calibration"
LIBRARY = [SCENARIOS / "baseline.toml",
           *(p for p in sorted(SCENARIOS.glob("*.toml")) if p.name != "baseline.toml")]


def command_seconds(out: Path, *extra: str) -> float:
    command = [sys.executable, "-m", "flowsim", "explore", *map(str, LIBRARY), "--out",
               str(out), "-q", "--force", *extra]
    t0 = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - t0


def exploration(executor):
    loaded = [flowsim.load(p) for p in LIBRARY]
    t0 = time.perf_counter()
    found = explore(loaded[0], loaded[1:], load_assumptions(CALIBRATION / "assumptions.toml"),
                    read_members(CALIBRATION / "ensemble.csv"),
                    load_targets(CALIBRATION / "targets.toml"), executor=executor)
    return time.perf_counter() - t0, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in ("1", "2"):
            seconds = min(command_seconds(Path(tmp) / f"j{jobs}-{i}", "-j", jobs)
                          for i in range(args.repeat))
            print(f"flowsim explore, whole library, --jobs {jobs}:      {seconds:8.1f} s",
                  flush=True)
    timings, tables = {}, {}
    for label, kind, jobs in (("one worker", "local", 1), ("pool of two", "local", 2),
                              ("Dask, two workers", "dask", 2)):
        executor = make_executor(kind, jobs)
        try:
            runs = [exploration(executor) for _ in range(args.repeat)]
        finally:
            executor.close()
        timings[label] = min(seconds for seconds, _ in runs)
        found = runs[0][1]
        tables[label] = (found.verdicts.to_csv(index=False), found.rows.to_csv(index=False))
        print(f"the exploration alone, {label + ':':<22}{timings[label]:8.1f} s", flush=True)
    one = timings["one worker"]
    for label in ("pool of two", "Dask, two workers"):
        print(f"speed-up, {label + ':':<35}{one / timings[label]:8.2f}x")
    same = len(set(tables.values())) == 1
    print(f"verdicts and sets: {'the same bytes' if same else 'DIFFERENT'} on all three")


if __name__ == "__main__":
    main()
