"""Work with a bound: no valid input runs forever, forks without need, or waits on a
cluster that cannot answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from flowsim import cli
from flowsim.errors import InputError, WorkLimitError
from flowsim.experiments.executors import DaskExecutor, PoolExecutor, make_executor, usable_cores

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"


def test_jobs_are_capped_at_the_cores():
    executor = make_executor("local", 1000)
    try:
        assert executor.workers == usable_cores()
    finally:
        executor.close()


def _pid(_: object) -> int:
    time.sleep(0.2)
    return os.getpid()


def test_a_pool_starts_no_more_processes_than_tasks():
    pool = PoolExecutor(2)
    try:
        pids = {pid for _, pid in pool.map_unordered(_pid, [0])}
        assert len(pids) == 1
        assert len(pool._pool._processes) == 1
    finally:
        pool.close()


@pytest.mark.slow
def test_a_killed_parent_takes_its_workers_with_it(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        from flowsim.experiments.executors import PoolExecutor

        def forever(_):
            sys.stdout.write(f"{os.getpid()}\\n")  # one write: two workers share the pipe
            sys.stdout.flush()
            time.sleep(600)

        if __name__ == "__main__":
            pool = PoolExecutor(2)
            for _ in pool.map_unordered(forever, [0, 1]):
                pass
    """), encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = [int(parent.stdout.readline()) for _ in range(2)]
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 20
    alive = set(workers)
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                alive.discard(pid)
        time.sleep(0.1)
    for pid in alive:  # stop what the test started, whatever the verdict
        os.kill(pid, 9)
    assert not alive


def test_a_stream_that_outruns_its_bound_stops_with_one_line(monkeypatch):
    import flowsim
    import flowsim.model.flow as flow

    monkeypatch.setattr(flow, "MAX_REQUESTS", 50)
    loaded = flowsim.load(BASELINE, [
        'request_streams=[{name="s", from=2025-07-01, interval_days=1, records=10}]'])
    with pytest.raises(WorkLimitError, match="more than 50 requests"):
        flowsim.run(loaded, replications=1)


def test_many_replications_ask_for_force_with_an_estimate(tmp_path, capsys):
    code = cli.main(["run", str(BASELINE), "-n", "500000", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "--replications" in err and "--force" in err and "GB" in err
    assert list(tmp_path.iterdir()) == []


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers, like a port of the wrong kind."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def test_an_address_that_never_answers_is_refused_in_time():
    pytest.importorskip("distributed")
    server = SilentServer()
    try:
        began = time.monotonic()
        with pytest.raises(InputError, match="no answer within 1 s") as err:
            DaskExecutor(server.address, timeout_seconds=1)
        assert time.monotonic() - began < 10
        assert err.value.source == "--scheduler"
    finally:
        server.close()


@pytest.mark.slow
def test_a_cluster_without_workers_ends_the_run_with_one_line():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    import flowsim

    with LocalCluster(n_workers=0, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        executor = DaskExecutor(cluster.scheduler_address, no_worker_seconds=2)
        try:
            began = time.monotonic()
            with pytest.raises(InputError, match="no worker for 2 s"):
                flowsim.run(flowsim.load(BASELINE), replications=4, executor=executor)
            assert time.monotonic() - began < 30
        finally:
            executor.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_processes():
    """A scheduler and one worker as processes of their own on 127.0.0.1."""
    pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nthreads", "1", "--nworkers", "1", "--no-nanny",
                               "--host", "127.0.0.1", "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = {"scheduler": scheduler, "worker": worker}
    try:
        yield address, procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


def _run_until_lost(address: str, kill) -> tuple[float, str]:
    import flowsim

    executor = DaskExecutor(address, no_worker_seconds=3)
    deadline = time.monotonic() + 30
    while executor._worker_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    timer = threading.Timer(1.5, kill)
    timer.start()
    began = time.monotonic()
    try:
        with pytest.raises(InputError) as err:
            flowsim.run(flowsim.load(BASELINE), replications=200_000, executor=executor)
        return time.monotonic() - began, str(err.value)
    finally:
        timer.cancel()
        executor.close()


@pytest.mark.slow
def test_a_run_whose_last_worker_dies_ends_with_one_line(dask_processes):
    address, procs = dask_processes
    took, message = _run_until_lost(address, procs["worker"].kill)
    assert "no worker for 3 s" in message
    assert took < 60


@pytest.mark.slow
def test_a_run_whose_scheduler_dies_ends_with_one_line(dask_processes):
    address, procs = dask_processes
    took, message = _run_until_lost(address, procs["scheduler"].kill)
    assert "scheduler" in message
    assert took < 60


@pytest.mark.slow
def test_a_killed_worker_does_not_change_the_result():
    """Dask reruns the chunks of a worker that dies; the answer is the serial one."""
    pytest.importorskip("distributed")
    import flowsim

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                               "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              **quiet)]
    procs += [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                                "--no-dashboard"], **quiet) for _ in range(2)]
    try:
        loaded = flowsim.load(BASELINE)
        serial = flowsim.run(loaded, replications=3000).summary
        executor = DaskExecutor(address)
        deadline = time.monotonic() + 30
        while executor._worker_count() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        killer = threading.Timer(1.0, procs[1].kill)
        killer.start()
        try:
            spread = flowsim.run(loaded, replications=3000, executor=executor).summary
        finally:
            killer.cancel()
            executor.close()
        assert procs[1].poll() is not None  # the worker was killed during the run
        pd.testing.assert_frame_equal(spread, serial)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
