"""Speed of an ensemble compare: every shipped scenario at every member.

    python benchmarks/bench_ensemble.py [--members 100] [--replications 200]

Runs the library (baseline and eight what-ifs) at `members` members (those of
calibration/ensemble.csv, repeated in order to reach the count) with `replications`
replications each: 100 x 9 x 200 = 180,000 replications by default. Times it on 1 and 2
local processes, and on a Dask cluster of one and of two workers started as separate
processes (`dask scheduler` and `dask worker` on 127.0.0.1), and reports the speed-ups.
The robustness tables of every way are checked to be identical.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

import flowsim
from flowsim.experiments.ensemble import read_members, robustness
from flowsim.experiments.executors import DaskExecutor, make_executor

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_cluster(workers: int) -> tuple[str, list[subprocess.Popen]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)]
    for _ in range(workers):
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker",
                                       address, "--nthreads", "1", "--no-nanny", "--host",
                                       "127.0.0.1", "--no-dashboard"], **quiet))
    return address, procs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--only", choices=("local", "dask"),
                        help="time only the local processes or only the Dask cluster")
    args = parser.parse_args()
    library = [SCENARIOS / "baseline.toml", *sorted(p for p in SCENARIOS.glob("*.toml")
                                                    if p.name != "baseline.toml")]
    loaded = [flowsim.load(p) for p in library]
    members = read_members(ROOT / "calibration" / "ensemble.csv")
    members = pd.concat([members] * (-(-args.members // len(members))))[:args.members]
    members = members.assign(member=range(len(members))).reset_index(drop=True)
    total = args.members * len(loaded) * args.replications
    headline = flowsim.compare(loaded[0], loaded[1:], replications=args.replications).table
    print(f"{args.members} members x {len(loaded)} scenarios x {args.replications} "
          f"replications = {total:,} replications")

    def timed(executor) -> tuple[float, pd.DataFrame]:
        began = time.perf_counter()
        table = robustness(loaded[0], loaded[1:], members, headline=headline,
                           replications=args.replications, executor=executor)
        return time.perf_counter() - began, table

    results = {}
    for jobs in (1, 2) if args.only != "dask" else ():
        executor = make_executor("local", jobs)
        results[f"local, {jobs} process{'es' if jobs > 1 else ''}"] = timed(executor)
        executor.close()
    for workers in (1, 2) if args.only != "local" else ():
        address, procs = dask_cluster(workers)
        try:
            time.sleep(3)
            executor = DaskExecutor(address)
            while executor.workers < workers:
                time.sleep(0.2)
                executor.workers = max(1, sum(executor._client.nthreads().values()))
            results[f"Dask, {workers} worker{'s' if workers > 1 else ''}"] = timed(executor)
            executor.close()
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
    first = next(iter(results.values()))[1]
    for name, (seconds, table) in results.items():
        same = table.equals(first)
        if not same:
            print(table.compare(first).to_string())
        print(f"{name:<22}{seconds:>8.1f} s  {total / seconds:>9,.0f} replications/s"
              f"  same table: {same}")
    for kind, one, two in (("local", "local, 1 process", "local, 2 processes"),
                           ("Dask", "Dask, 1 worker", "Dask, 2 workers")):
        if one in results:
            print(f"speed-up, {kind}: {results[one][0] / results[two][0]:.2f}x")


if __name__ == "__main__":
    main()
