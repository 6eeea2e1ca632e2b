"""Serial, process-pool and Dask runs give the same results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.compare import compare
from flowsim.errors import ScenarioError
from flowsim.experiments.executors import DaskExecutor, PoolExecutor, SerialExecutor, make_executor
from flowsim.experiments.sweep import parse_vary
from flowsim.outputs.sweeps import sweep

SCENARIOS = Path(__file__).parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
REPS = 23  # not a multiple of the chunk count, so the last chunk is short


def assert_same_run(a, b):
    for table in ("summary", "stats", "events", "daily", "daily_stats"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))


@pytest.fixture(scope="module")
def loaded():
    return flowsim.load(SCENARIOS / "no_injunction_resubmit.toml")


@pytest.fixture(scope="module")
def serial(loaded):
    return flowsim.run(loaded, replications=REPS)


def test_process_pool_gives_the_serial_result(loaded, serial, pool):
    assert_same_run(flowsim.run(loaded, replications=REPS, executor=pool), serial)


def test_dask_gives_the_serial_result(loaded, serial, dask_executor):
    assert dask_executor.workers == 2
    assert_same_run(flowsim.run(loaded, replications=REPS, executor=dask_executor), serial)


def test_compare_in_parallel_gives_the_serial_table(pool):
    base = flowsim.load(BASELINE)
    others = [flowsim.load(SCENARIOS / "notice_72h.toml")]
    a = compare(base, others, replications=REPS)
    b = compare(base, others, replications=REPS, executor=pool)
    pd.testing.assert_frame_equal(a.table, b.table)


@pytest.mark.parametrize("which", ["pool", "dask"])
def test_sweep_files_do_not_depend_on_the_executor(tmp_path, which, request):
    executor = request.getfixturevalue("pool" if which == "pool" else "dask_executor")
    loaded = flowsim.load(BASELINE)
    varies = [parse_vary("notice.0.from=2025-04-07,2025-09-05"), parse_vary("notice.0.relief=0,0.5")]
    sweep(loaded, varies, tmp_path / "serial", replications=6)
    sweep(loaded, varies, tmp_path / "parallel", replications=6, executor=executor)
    for name in ("sweep.csv", "sweep_stats.csv", "points.csv", "manifest.json"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes()


def test_progress_counts_every_replication_in_parallel(loaded, pool):
    seen = []
    flowsim.run(loaded, replications=REPS, executor=pool, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (REPS, REPS)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_make_executor_picks_by_jobs():
    assert isinstance(make_executor("local", 1), SerialExecutor)
    executor = make_executor("local", 2)
    try:
        assert isinstance(executor, PoolExecutor) and executor.workers == 2
    finally:
        executor.close()


def test_scheduler_without_dask_is_bad_input():
    with pytest.raises(ScenarioError, match="goes with --executor dask"):
        make_executor("local", 1, "tcp://127.0.0.1:8786")


def same_files(one: Path, two: Path) -> list[str]:
    """The files under folder `one`, after checking that `two` holds the same bytes."""
    names = sorted(str(p.relative_to(one)) for p in one.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(two)) for p in two.rglob("*") if p.is_file())
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    return names


@pytest.mark.slow
def test_run_command_with_jobs_writes_the_serial_files(tmp_path, capsys):
    # With two workers the charts are drawn in them, while the tables are written here.
    for folder, extra in (("one", []), ("two", ["--jobs", "2"])):
        assert cli.main(["run", str(BASELINE), "-n", "9", "--out", str(tmp_path / folder),
                         "-q", *extra]) == 0
    names = same_files(tmp_path / "one", tmp_path / "two")
    assert {"summary.csv", "results.xlsx", "disclosures.png", "disclosures.svg",
            "after_disclosure.svg", "manifest.json"} <= set(names)


@pytest.mark.slow
def test_compare_command_with_jobs_writes_the_serial_files(tmp_path, capsys):
    files = [str(BASELINE), str(BASELINE.parent / "notice_72h.toml")]
    for folder, extra in (("one", []), ("two", ["--jobs", "2"])):
        assert cli.main(["compare", *files, "-n", "6", "--out", str(tmp_path / folder), "-q",
                         *extra]) == 0
    names = same_files(tmp_path / "one", tmp_path / "two")
    assert {"comparison.png", "disclosures.svg", "outcomes.png"} <= set(names)


@pytest.mark.slow
def test_run_command_on_a_local_dask_cluster(tmp_path, capsys):
    pytest.importorskip("distributed")
    assert cli.main(["run", str(BASELINE), "-n", "9", "--out", str(tmp_path / "one"), "-q"]) == 0
    assert cli.main(["run", str(BASELINE), "-n", "9", "--out", str(tmp_path / "dask"), "-q",
                     "--executor", "dask", "--jobs", "2"]) == 0
    same_files(tmp_path / "one", tmp_path / "dask")  # the charts drawn on the cluster too


def test_unreachable_scheduler_is_bad_input():
    pytest.importorskip("distributed")
    with pytest.raises(ScenarioError, match="cannot reach the Dask scheduler") as err:
        DaskExecutor("tcp://127.0.0.1:1", timeout_seconds=1)
    assert err.value.source == "--scheduler"


def _upkeep_settings() -> dict:
    import dask

    from flowsim.experiments.executors import LOCAL_CLUSTER_CONFIG

    return {key: dask.config.get(key) for key in LOCAL_CLUSTER_CONFIG}


def test_the_local_dask_clusters_workers_keep_their_upkeep_light(dask_executor):
    """No sampling profiler and slow ticks and monitors: on a laptop's cores Dask's upkeep
    takes time from the work."""
    from flowsim.experiments.executors import LOCAL_CLUSTER_CONFIG

    seen = dask_executor._client.run(_upkeep_settings)
    assert len(seen) == 2 and all(s == LOCAL_CLUSTER_CONFIG for s in seen.values())
    assert LOCAL_CLUSTER_CONFIG["distributed.worker.profile.enabled"] is False
