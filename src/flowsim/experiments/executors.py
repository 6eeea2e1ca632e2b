"""Where replications run: in this process, in a local process pool, or on Dask.

Every executor maps a top-level function over a list of tasks and yields
`(index, result)` pairs as tasks finish. Results depend only on the tasks, never on
which worker ran them or in what order, so every executor gives the same answer.

No executor waits without bound: a pool's workers end when their parent dies, a Dask
address that does not answer as a scheduler is refused within `CONNECT_SECONDS`, and a
cluster left with no worker, or whose scheduler goes away, ends the run within
`NO_WORKER_SECONDS` with one line.
"""

from __future__ import annotations

import functools
import os
import pickle
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterator, Sequence

from ..errors import InputError

EXECUTORS = ("local", "dask")
CONNECT_SECONDS = 10.0
NO_WORKER_SECONDS = 20.0
PARENT_CHECK_SECONDS = 1.0


class ExecutorError(InputError):
    """The workers could not be reached or were lost: one line, no traceback."""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


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


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)  # the parent is gone: nobody will read this worker's results


def _worker_start(parent: int) -> None:
    # Ctrl-C goes to the whole process group; the parent alone decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


class PoolExecutor:
    """Runs tasks in up to `workers` local processes, started on the first map with no
    more processes than there are tasks."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _start(self, tasks: int) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=max(1, min(self.workers, tasks)),
                                             initializer=_worker_start,
                                             initargs=(os.getpid(),))
        return self._pool

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        pool = self._start(len(tasks))
        futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
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
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __repr__(self) -> str:
        return f"PoolExecutor(workers={self.workers})"


def check_scheduler(address: str, timeout_seconds: float = CONNECT_SECONDS) -> None:
    """Refuse, within `timeout_seconds`, an address where no Dask scheduler answers.

    distributed's own client can wait past its timeout on a port that accepts a
    connection but never speaks its protocol (a dashboard, a silent server), so the
    scheduler is asked who it is first, under a deadline of our own.
    """
    import asyncio  # here, not at the top: only a Dask address needs it, and it costs a start

    from distributed.comm import connect

    async def identity() -> Any:
        comm = await connect(address, timeout=timeout_seconds)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded() -> Any:
        return await asyncio.wait_for(identity(), timeout_seconds)

    try:
        reply = asyncio.run(bounded())
    except (asyncio.TimeoutError, TimeoutError):
        raise ExecutorError(f"cannot reach the Dask scheduler (no answer within "
                            f"{timeout_seconds:g} s)",
                            key=address, source="--scheduler") from None
    except ValueError as exc:
        raise ExecutorError(f"not a scheduler address ({exc}); give one such as "
                            "tcp://127.0.0.1:8786", key=address, source="--scheduler") from None
    except Exception as exc:  # refused, reset, or bytes that are not Dask's protocol
        reason = str(exc).strip() or type(exc).__name__
        raise ExecutorError(f"cannot reach the Dask scheduler ({reason[:120]})",
                            key=address, source="--scheduler") from None
    if not (isinstance(reply, dict) and reply.get("type") == "Scheduler"):
        raise ExecutorError("answers, but not as a Dask scheduler", key=address,
                            source="--scheduler")


# Dask's settings for the local cluster flowsim starts (see DaskExecutor).
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False,
                        "distributed.admin.tick.interval": "1s",
                        "distributed.worker.memory.monitor-interval": "1s",
                        "distributed.admin.system-monitor.interval": "2s"}


def _pickled(fn: Callable[[Any], Any], task: bytes) -> bytes:
    """`fn` of a pickled task, as one pickle. Dask sends a value that holds many arrays or
    models as a frame for each, and serializes a task again on its way through an
    in-process scheduler: coding those cost the client more than the work. A pickle is
    one frame, coded once each way, with the same values."""
    return pickle.dumps(fn(pickle.loads(task)), protocol=pickle.HIGHEST_PROTOCOL)


class DaskExecutor:
    """Runs tasks on a Dask cluster: the one at `scheduler`, or a new local one.

    Workers of a remote cluster need flowsim installed at the same version.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2,
                 timeout_seconds: float = CONNECT_SECONDS,
                 no_worker_seconds: float = NO_WORKER_SECONDS) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(
                "Dask is not installed; install it with pip install -e \".[dask]\"",
                source="--executor dask",
            ) from None
        self._cluster = None
        self.no_worker_seconds = no_worker_seconds
        if scheduler:
            check_scheduler(scheduler, timeout_seconds)
            try:
                self._client = Client(scheduler, timeout=timeout_seconds)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(f"cannot reach the Dask scheduler ({exc})",
                                    key=scheduler, source="--scheduler") from None
        else:
            import dask

            # On a laptop whose cores the workers fill, Dask's own upkeep is time taken
            # from the work: the workers' sampling profiler (every 10 ms), each event
            # loop's tick (20 ms), each nanny's memory check (100 ms) and the system
            # monitors (500 ms). Off or slowed on the cluster flowsim starts (a cluster
            # of one's own keeps its own settings).
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None,
                                             host="127.0.0.1")
            self._client = Client(self._cluster)
        self.workers = max(1, sum(self._client.nthreads().values()))

    def _worker_count(self) -> int:
        return len(self._client.scheduler_info(n_workers=-1).get("workers", {}))

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        blobs = [pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL) for task in tasks]
        futures = self._client.map(functools.partial(_pickled, fn), blobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        problem: list[ExecutorError] = []
        stop = threading.Event()
        # A watchdog checks the cluster once a second; the results arrive through
        # as_completed, which costs the client nothing while it waits.
        watchdog = threading.Thread(target=self._watch, args=(futures, stop, problem),
                                    daemon=True)
        watchdog.start()
        try:
            for future in as_completed(futures):
                if problem:
                    raise problem[0]
                yield index[future.key], self._result(future)
            if problem:
                raise problem[0]
        finally:
            stop.set()
            try:
                self._client.cancel([f for f in futures if not f.done()])
            except Exception:
                pass  # the scheduler may be gone; there is nothing left to cancel

    def _watch(self, futures: list[Any], stop: threading.Event,
               problem: list[ExecutorError]) -> None:
        """Cancel the work, saying why, when the cluster can no longer do it."""
        alone_since: float | None = None
        while not stop.wait(1.0):
            try:
                if self._client.status != "running":
                    raise ExecutorError("the Dask scheduler went away during the run",
                                        source="--executor dask")
                workers = self._worker_count()
            except ExecutorError as exc:
                problem.append(exc)
            except Exception as exc:
                problem.append(self._lost(exc))
            else:
                if workers > 0:
                    alone_since = None
                    continue
                alone_since = alone_since or time.monotonic()
                if time.monotonic() - alone_since <= self.no_worker_seconds:
                    continue
                problem.append(ExecutorError(
                    f"the Dask cluster has had no worker for {self.no_worker_seconds:g} s; "
                    "start workers (dask worker ADDRESS) and run again",
                    source="--executor dask"))
            try:
                self._client.cancel([f for f in futures if not f.done()])
            except Exception:
                pass
            return

    @staticmethod
    def _lost(exc: BaseException) -> ExecutorError:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        if "cancelled" in reason.lower():
            reason = "it cancelled the work"
        return ExecutorError(f"lost the Dask scheduler during the run ({reason})",
                             source="--executor dask")

    def _result(self, future: Any) -> Any:
        from concurrent.futures import CancelledError

        try:
            return pickle.loads(future.result())
        except CancelledError:
            raise ExecutorError("the Dask scheduler cancelled the work (did it stop?)",
                                source="--executor dask") from None
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"lost the Dask scheduler ({exc})",
                                source="--executor dask") from None

    def close(self) -> None:
        try:
            self._client.close(timeout=CONNECT_SECONDS)
        except Exception:
            pass  # closing a client whose scheduler is gone must not hide the real error
        if self._cluster is not None:
            self._cluster.close()

    def __repr__(self) -> str:
        return f"DaskExecutor(workers={self.workers})"


Executor = SerialExecutor | PoolExecutor | DaskExecutor


def map_in_order(executor: Executor | None, fn: Callable[[Any], Any], tasks: Sequence[Any],
                 progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """`fn` over `tasks` on `executor` (this process if None), the results in task
    order; `progress(done, total)` is called as each task finishes."""
    results: list[Any] = [None] * len(tasks)
    for done, (i, result) in enumerate((executor or SerialExecutor()).map_unordered(fn, tasks),
                                       start=1):
        results[i] = result
        if progress is not None:
            progress(done, len(tasks))
    return results


def make_executor(kind: str = "local", jobs: int = 1, scheduler: str | None = None) -> Executor:
    """`local` with jobs 1: this process; `local` with more: a process pool of at most
    one process per core; `dask`: Dask (a local cluster of at most one worker per core
    when no scheduler is given)."""
    jobs = min(jobs, usable_cores())
    if kind == "dask":
        return DaskExecutor(scheduler, workers=jobs if jobs > 1 else usable_cores())
    if kind != "local":
        raise InputError(f"unknown executor {kind!r}; one of: {', '.join(EXECUTORS)}",
                         source="--executor")
    if scheduler:
        raise InputError("goes with --executor dask", source="--scheduler")
    return SerialExecutor() if jobs <= 1 else PoolExecutor(jobs)
