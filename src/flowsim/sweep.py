"""Parameter sweeps: a full-factorial grid over scenario keys.

`--vary notice.0.hours=0,24,72 --vary matching.tin_rate=0.02:0.06:5` makes 3 x 5 points;
each point is the scenario with those `--set` overrides, run for every replication with
the same seed (common random numbers across points).

Each finished point is written at once into `<out>.partial/points/`, so an interrupted
sweep loses nothing: rerun with `resume=True` and the finished points are skipped. The
final files are assembled from the point files, so a resumed sweep's files are the same,
byte for byte, as an uninterrupted one's. The sweep holds its output folder's lock from
start to end, so two sweeps cannot mix their points.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from . import __version__
from .errors import ScenarioError
from .executors import Executor, SerialExecutor
from .experiment import METRICS, metric_rows
from .export import jsonable, package_versions, sha256_of, spreadsheet_safe, write_csv, write_json
from .folders import OutputFolder
from .scenario import SET_SOURCE, LoadedScenario, Scenario, lookup
from .stats import STAT_COLUMNS, describe

VARY_SOURCE = "--vary"
_NUMBER = r"\s*(-?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?)\s*"
_RANGE = re.compile(rf"^{_NUMBER}:{_NUMBER}:\s*([0-9]+)\s*$")


@dataclass(frozen=True)
class Vary:
    """One swept key and its values, as TOML text (what `--set key=value` takes)."""

    key: str
    values: tuple[str, ...]


def parse_vary(text: str) -> Vary:
    """`key=v1,v2,...` (TOML values) or `key=low:high:count` (evenly spaced, ends included)."""
    key, eq, spec = text.partition("=")
    key = key.strip()
    if not eq or not key or not spec.strip():
        raise ScenarioError(f"expected key=v1,v2,... or key=low:high:count, got {text!r}",
                            source=VARY_SOURCE)
    match = _RANGE.match(spec)
    if match:
        values = _range_values(match.group(1), match.group(2), int(match.group(3)), key)
    else:
        values = tuple(v.strip() for v in _split_top_level(spec))
    if any(not v for v in values):
        raise ScenarioError("an empty value in the list", key=key, source=VARY_SOURCE)
    if len(set(values)) != len(values):
        raise ScenarioError("a value is listed twice", key=key, source=VARY_SOURCE)
    return Vary(key, values)


def _range_values(low_text: str, high_text: str, count: int, key: str) -> tuple[str, ...]:
    if count < 1:
        raise ScenarioError("a range needs a count of at least 1", key=key, source=VARY_SOURCE)
    low, high = float(low_text.replace("_", "")), float(high_text.replace("_", ""))
    points = np.linspace(low, high, count) if count > 1 else np.array([low])
    whole = all(re.fullmatch(r"-?[0-9_]+", t.strip()) for t in (low_text, high_text))
    if whole and all(float(p).is_integer() for p in points):
        return tuple(str(int(p)) for p in points)
    # 12 significant digits hide float noise such as 0.30000000000000004.
    return tuple(_float_text(float(f"{p:.12g}")) for p in points)


def _float_text(x: float) -> str:
    text = repr(x)
    return text if any(c in text for c in ".en") else text + ".0"


def _split_top_level(spec: str) -> list[str]:
    """Split on commas outside quotes, brackets and braces (inline tables keep theirs)."""
    parts, depth, quote, current = [], 0, "", []
    for ch in spec:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def check_keys(scenario: Scenario, varies: Sequence[Vary]) -> None:
    """Refuse a swept key the scenario does not have: every point would fail the same way."""
    tree: Any = scenario.to_toml_dict()
    seen = set()
    for vary in varies:
        if vary.key in seen:
            raise ScenarioError("is varied twice", key=vary.key, source=VARY_SOURCE)
        seen.add(vary.key)
        lookup(tree, vary.key, source=VARY_SOURCE)


@dataclass(frozen=True)
class Point:
    index: int
    values: tuple[str, ...]

    def overrides(self, varies: Sequence[Vary]) -> list[str]:
        return [f"{v.key}={value}" for v, value in zip(varies, self.values)]


def grid(varies: Sequence[Vary]) -> list[Point]:
    """The full-factorial grid, the last key varying fastest."""
    return [Point(i, values)
            for i, values in enumerate(itertools.product(*(v.values for v in varies)))]


def _metric_text(value: float | int) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return "" if math.isnan(value) else repr(float(value))


def run_point(task: tuple[Point, Scenario, int, int, tuple[str, ...]]) -> tuple[int, str, str]:
    """Run one point's replications: returns (point, CSV rows, error)."""
    point, scenario, seed, replications, columns = task
    try:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        shown = spreadsheet_safe(pd.DataFrame([point.values], dtype=object)).iloc[0].tolist()
        for r, values in metric_rows(scenario, seed, replications):
            for metric, value in zip(METRICS, values):
                writer.writerow([point.index, *shown, r, metric, _metric_text(value)])
        return point.index, buffer.getvalue(), ""
    except Exception as exc:  # a failed point is recorded and the sweep goes on
        return point.index, "", f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class SweepResult:
    out: Path
    long: pd.DataFrame
    stats: pd.DataFrame
    points: pd.DataFrame

    @property
    def failed(self) -> pd.DataFrame:
        return self.points[self.points["status"] == "failed"]


class _PointStore:
    """The partial folder: the sweep's settings and a file per finished point."""

    def __init__(self, out: OutputFolder, spec: dict[str, Any], resume: bool) -> None:
        self.folder = out.scratch(".partial")
        self.points = self.folder / "points"
        spec_path = self.folder / "spec.json"
        if resume and self.folder.exists():
            try:
                previous = json.loads(spec_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                previous = None
            if previous != spec:
                raise ScenarioError(
                    "cannot resume: the unfinished sweep there was started with other settings "
                    "(scenario, --vary, seed or replications); rerun without --resume to start over",
                    source=str(self.folder),
                )
            self.points.mkdir(exist_ok=True)
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir()
            self.points.mkdir()
            write_json(spec, spec_path)

    def _path(self, index: int, suffix: str) -> Path:
        return self.points / f"{index:06d}.{suffix}"

    def done(self, index: int) -> bool:
        return self._path(index, "csv").exists() or self._path(index, "error").exists()

    def save(self, index: int, rows: str, error: str) -> None:
        target = self._path(index, "error" if error else "csv")
        tmp = target.with_suffix(".tmp")
        tmp.write_text(error + "\n" if error else rows, encoding="utf-8")
        os.replace(tmp, target)

    def error(self, index: int) -> str:
        path = self._path(index, "error")
        return path.read_text(encoding="utf-8").strip() if path.exists() else ""

    def rows(self, index: int) -> str:
        return self._path(index, "csv").read_text(encoding="utf-8")


def sweep(
    loaded: LoadedScenario,
    varies: Sequence[Vary],
    out: Path | OutputFolder,
    *,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    resume: bool = False,
) -> SweepResult:
    """Run every point of the grid and write sweep.csv, sweep_stats.csv and points.csv."""
    folder = out if isinstance(out, OutputFolder) else OutputFolder(out, "sweep",
                                                                     inputs=loaded.files)
    with folder:
        return _sweep(loaded, varies, folder, replications=replications, seed=seed,
                      executor=executor, progress=progress, resume=resume)


def _sweep(loaded: LoadedScenario, varies: Sequence[Vary], out: OutputFolder, *,
           replications: int | None, seed: int | None, executor: Executor | None,
           progress: Callable[[int, int], None] | None, resume: bool) -> SweepResult:
    base = loaded.scenario
    check_keys(base, varies)
    reps = base.scenario.replications if replications is None else replications
    seed = base.scenario.seed if seed is None else seed
    keys = [v.key for v in varies]
    columns = ("point", *keys, "replication", "metric", "value")
    spec = {
        "flowsim": __version__,
        "scenario": jsonable(base.to_toml_dict()),
        "vary": [[v.key, list(v.values)] for v in varies],
        "seed": seed,
        "replications": reps,
    }
    points = grid(varies)
    store = _PointStore(out, spec, resume)
    tasks = []
    for point in points:
        if store.done(point.index):
            continue
        try:
            scenario = loaded.with_overrides(point.overrides(varies)).scenario
        except ScenarioError as exc:
            # The point's values reach the scenario as --set overrides; the user wrote --vary.
            source = VARY_SOURCE if exc.source == SET_SOURCE else exc.source
            store.save(point.index, "", str(ScenarioError(exc.reason, key=exc.key, source=source)))
            continue
        tasks.append((point, scenario, seed, reps, columns))
    finished = len(points) - len(tasks)
    if progress is not None:
        progress(finished, len(points))
    for _, (index, rows, error) in (executor or SerialExecutor()).map_unordered(run_point, tasks):
        store.save(index, rows, error)
        finished += 1
        if progress is not None:
            progress(finished, len(points))
    return _assemble(store, out, points, keys, spec)


def _assemble(store: _PointStore, out: OutputFolder, points: list[Point], keys: list[str],
              spec: dict[str, Any]) -> SweepResult:
    result = out.write(lambda staging: _write_sweep(store, staging, points, keys, spec))
    shutil.rmtree(store.folder)
    return SweepResult(out.path, *result)


def _write_sweep(store: _PointStore, folder: Path, points: list[Point], keys: list[str],
                 spec: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    header = ""
    with open(folder / "sweep.csv", "w", encoding="utf-8", newline="") as long_file:
        for point in points:
            if store.error(point.index):
                continue
            head, _, body = store.rows(point.index).partition("\n")
            if not header:
                header = head
                long_file.write(head + "\n")
            long_file.write(body)
        if not header:
            long_file.write(",".join(["point", *keys, "replication", "metric", "value"]) + "\n")
    long = pd.read_csv(folder / "sweep.csv", dtype={**{k: str for k in keys}, "value": str},
                       keep_default_na=False)
    # Python's float() reads back exactly what repr() wrote, whatever the pandas version.
    long["value"] = np.array([float(v) if v else math.nan for v in long["value"]])
    stats_rows = []
    for (index, metric), group in long.groupby(["point", "metric"], sort=False):
        values = dict(zip(keys, group.iloc[0][keys]))
        stats_rows.append({"point": index, **values, "metric": metric,
                           **describe(group["value"].to_numpy(dtype=float))})
    stats = pd.DataFrame(stats_rows, columns=["point", *keys, "metric", *STAT_COLUMNS])
    stats = stats.astype({"replications": "int64"})
    status = pd.DataFrame(
        [{"point": p.index, **dict(zip(keys, p.values)),
          "status": "failed" if store.error(p.index) else "ok", "error": store.error(p.index)}
         for p in points],
        columns=["point", *keys, "status", "error"],
    )
    checksums = {"sweep.csv": sha256_of(folder / "sweep.csv"),
                 "sweep_stats.csv": write_csv(stats, folder / "sweep_stats.csv"),
                 "points.csv": write_csv(status, folder / "points.csv")}
    write_json({"command": "sweep", **spec, "points": len(points),
                "packages": package_versions(), "files": checksums}, folder / "manifest.json")
    return long, stats, status
