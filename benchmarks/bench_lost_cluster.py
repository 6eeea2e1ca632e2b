"""How long a run on a Dask cluster takes to report a lost cluster, with the defaults.

    python benchmarks/bench_lost_cluster.py

Starts `dask scheduler` and one `dask worker` as processes on 127.0.0.1, starts a long
baseline run on them, then kills the worker (and, in a second run, the scheduler), and
reports the seconds from the kill to flowsim's one-line error. Also times the refusal of
an address that accepts connections but never answers (a silent server).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import flowsim
from flowsim.errors import InputError
from flowsim.experiments.executors import DaskExecutor

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster() -> tuple[str, dict[str, subprocess.Popen]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = {
        "scheduler": subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                       "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], **quiet),
        "worker": subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                    "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                                    "--no-dashboard"], **quiet),
    }
    return address, procs


def lost(which: str) -> float:
    address, procs = cluster()
    try:
        time.sleep(3)
        executor = DaskExecutor(address)
        killed_at: list[float] = []

        def kill() -> None:
            killed_at.append(time.monotonic())
            procs[which].kill()

        threading.Timer(2.0, kill).start()
        try:
            flowsim.run(flowsim.load(BASELINE), replications=300_000, executor=executor)
        except InputError as exc:
            print(f"  {which} killed: {exc}")
        took = time.monotonic() - killed_at[0]
        executor.close()
        return took
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


def silent() -> float:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    began = time.monotonic()
    try:
        DaskExecutor(address)
    except InputError as exc:
        print(f"  silent server: {exc}")
    finally:
        server.close()
    return time.monotonic() - began


def main() -> None:
    print(f"worker lost: error after {lost('worker'):.1f} s")
    print(f"scheduler lost: error after {lost('scheduler'):.1f} s")
    print(f"silent server refused after {silent():.1f} s")


if __name__ == "__main__":
    main()
