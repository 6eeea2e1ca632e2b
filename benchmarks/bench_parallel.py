"""Speed of parallel runs and of a what-if comparison.

    python benchmarks/bench_parallel.py [--replications 4000] [--repeat 3]

Measures:
1. baseline replications per second, serial and in a pool of 2 processes (the pool is
   started before timing, as a long session would have it);
2. the wall time of `flowsim compare` over the baseline and eight what-ifs at 200
   replications, as a user types it (start-up, run and writing every file and chart),
   with --jobs 1 and --jobs 2, with and without charts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import flowsim
from timing import best_of
from flowsim.experiments.executors import PoolExecutor, SerialExecutor

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
LIBRARY = ["notice_from_mou", "notice_72h", "injunction_may12", "no_injunction_resubmit",
           "june24_accepted", "better_ice_data", "verified_address", "faster_matching"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loaded = flowsim.load(SCENARIOS / "baseline.toml")
    reps = args.replications

    serial = best_of(args.repeat, lambda: flowsim.run(loaded, replications=reps,
                                                      executor=SerialExecutor()))
    pool = PoolExecutor(2)
    flowsim.run(loaded, replications=8, executor=pool)  # start the workers
    parallel = best_of(args.repeat, lambda: flowsim.run(loaded, replications=reps, executor=pool))
    pool.close()
    print(f"baseline, {reps} replications, 1 process:  {reps / serial:8.0f} replications/s")
    print(f"baseline, {reps} replications, 2 processes: {reps / parallel:8.0f} replications/s")
    print(f"speed-up with 2 processes:                   {serial / parallel:8.2f}x")

    files = [str(SCENARIOS / "baseline.toml")] + [str(SCENARIOS / f"{n}.toml") for n in LIBRARY]
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            for charts in ([], ["--no-charts"]):
                command = [sys.executable, "-m", "flowsim", "compare", *files, "-n", "200", "-q",
                           "--jobs", str(jobs), "--out", str(Path(tmp) / f"j{jobs}"), *charts]
                wall = best_of(args.repeat, lambda: subprocess.run(command, check=True))
                print(f"compare, baseline + 8 what-ifs, 200 replications, --jobs {jobs}"
                      f"{' --no-charts' if charts else ''}: {wall:6.2f} s")

if __name__ == "__main__":
    main()
