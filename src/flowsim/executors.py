"""Where replications run: in this process, in a local process pool, or on Dask.

Every executor maps a top-level function over a list of tasks and yields
`(index, result)` pairs as tasks finish. Results depend only on the tasks, never on
which worker ran them or in what order, so every executor gives the same answer.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterator, Sequence

from .errors import ScenarioError

EXECUTORS = ("local", "dask")


class SerialExecutor:
    """Runs tasks one after another in this process."""

    workers = 1

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "SerialExecutor()"


def _ignore_interrupts() -> None:
    # Ctrl-C goes to the whole process group; the parent alone decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class PoolExecutor:
    """Runs tasks in `workers` local processes."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        futures = {self._pool.submit(fn, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=futures.__getitem__):
                    yield futures[future], future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __repr__(self) -> str:
        return f"PoolExecutor(workers={self.workers})"


class DaskExecutor:
    """Runs tasks on a Dask cluster: the one at `scheduler`, or a new local one.

    Workers of a remote cluster need flowsim installed at the same version.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2,
                 timeout_seconds: float = 10.0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ScenarioError(
                "Dask is not installed; install it with pip install -e \".[dask]\"",
                source="--executor dask",
            ) from None
        self._cluster = None
        if scheduler:
            try:
                self._client = Client(scheduler, timeout=timeout_seconds)
            except (OSError, TimeoutError) as exc:
                raise ScenarioError(f"cannot reach the Dask scheduler ({exc})",
                                    key=scheduler, source="--scheduler") from None
        else:
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0")
            self._client = Client(self._cluster)
        self.workers = max(1, sum(self._client.nthreads().values()))

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        futures = self._client.map(fn, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future, result in as_completed(futures, with_results=True):
                yield index[future.key], result
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __repr__(self) -> str:
        return f"DaskExecutor(workers={self.workers})"


Executor = SerialExecutor | PoolExecutor | DaskExecutor


def make_executor(kind: str = "local", jobs: int = 1, scheduler: str | None = None) -> Executor:
    """`local` with jobs 1: this process; `local` with more: a process pool; `dask`: Dask."""
    if kind == "dask":
        return DaskExecutor(scheduler, workers=jobs if jobs > 1 else (os.cpu_count() or 1))
    if kind != "local":
        raise ScenarioError(f"unknown executor {kind!r}; one of: {', '.join(EXECUTORS)}",
                            source="--executor")
    if scheduler:
        raise ScenarioError("goes with --executor dask", source="--scheduler")
    return SerialExecutor() if jobs <= 1 else PoolExecutor(jobs)
