"""Parameter sweeps: a full-factorial grid over scenario keys.

`--vary notice.0.hours=0,24,72 --vary matching.tin_rate=0.02:0.06:5` makes 3 x 5 points;
each point is the scenario with those `--set` overrides, run for every replication with
the same seed (common random numbers across points).

Each finished point goes at once into a point store: in memory, or (from
`outputs.sweeps`) a folder beside the results, so that an interrupted sweep loses
nothing and a resumed one skips the finished points. The tables are assembled from the
stored points, so a resumed sweep's tables are the same, byte for byte, as an
uninterrupted one's.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import ScenarioError
from .executors import Executor, SerialExecutor
from .run import METRICS, SHARE_METRICS, metric_rows, settings
from ..scenario import SET_SOURCE, LoadedScenario, Scenario, jsonable, lookup
from ..scenario.keys import NumberRange, parse_range, split_assignment
from ..spreadsheet import spreadsheet_safe
from .stats import STAT_COLUMNS, describe, describe_share

VARY_SOURCE = "--vary"


@dataclass(frozen=True)
class Vary:
    """One swept key and its values, as TOML text (what `--set key=value` takes)."""

    key: str
    values: tuple[str, ...]


def parse_vary(text: str) -> Vary:
    """`key=v1,v2,...` (TOML values) or `key=low:high:count` (evenly spaced, ends included)."""
    key, spec = split_assignment(text, source=VARY_SOURCE,
                                 form="key=v1,v2,... or key=low:high:count")
    spaced = parse_range(spec, key, source=VARY_SOURCE, count=True)
    if spaced is not None:
        values = _range_values(spaced)
    else:
        values = tuple(v.strip() for v in _split_top_level(spec))
    if any(not v for v in values):
        raise ScenarioError("an empty value in the list", key=key, source=VARY_SOURCE)
    if len(set(values)) != len(values):
        raise ScenarioError("a value is listed twice", key=key, source=VARY_SOURCE)
    return Vary(key, values)


def _range_values(spaced: NumberRange) -> tuple[str, ...]:
    low, high, count = spaced.low, spaced.high, spaced.count or 1
    points = np.linspace(low, high, count) if count > 1 else np.array([low])
    if spaced.whole and all(float(p).is_integer() for p in points):
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


class PointStore(Protocol):
    """Where finished points are kept while a sweep runs (a folder, or memory)."""

    def done(self, index: int) -> bool: ...

    def save(self, index: int, rows: str, error: str) -> None: ...

    def rows(self, index: int) -> str: ...

    def error(self, index: int) -> str: ...


class MemoryPointStore:
    """Finished points in memory: a sweep that cannot be resumed."""

    def __init__(self) -> None:
        self._rows: dict[int, str] = {}
        self._errors: dict[int, str] = {}

    def done(self, index: int) -> bool:
        return index in self._rows or index in self._errors

    def save(self, index: int, rows: str, error: str) -> None:
        (self._errors if error else self._rows)[index] = error or rows

    def rows(self, index: int) -> str:
        return self._rows[index]

    def error(self, index: int) -> str:
        return self._errors.get(index, "")


@dataclass(frozen=True)
class SweepResult:
    """A sweep's tables; `long_csv` is sweep.csv as its points wrote it, byte for byte."""

    spec: dict[str, Any]
    long_csv: str
    long: pd.DataFrame
    stats: pd.DataFrame
    points: pd.DataFrame

    @property
    def failed(self) -> pd.DataFrame:
        return self.points[self.points["status"] == "failed"]


def sweep_spec(loaded: LoadedScenario, varies: Sequence[Vary], *, replications: int | None,
               seed: int | None) -> dict[str, Any]:
    """What makes two sweeps the same sweep: only such a sweep may resume another."""
    reps, seed = settings(loaded, replications, seed)
    return {
        "flowsim": __version__,
        "scenario": jsonable(loaded.scenario.to_toml_dict()),
        "vary": [[v.key, list(v.values)] for v in varies],
        "seed": seed,
        "replications": reps,
    }


def sweep(
    loaded: LoadedScenario,
    varies: Sequence[Vary],
    *,
    store: PointStore | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run every point of the grid not yet in `store`, and gather the tables."""
    check_keys(loaded.scenario, varies)
    spec = sweep_spec(loaded, varies, replications=replications, seed=seed)
    store = MemoryPointStore() if store is None else store
    reps, seed = spec["replications"], spec["seed"]
    keys = [v.key for v in varies]
    columns = ("point", *keys, "replication", "metric", "value")
    points = grid(varies)
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
    return gather(store, points, keys, spec)


def gather(store: PointStore, points: list[Point], keys: list[str],
           spec: dict[str, Any]) -> SweepResult:
    """The long table (as its points wrote it), the statistics and each point's status."""
    parts: list[str] = []
    for point in points:
        if store.error(point.index):
            continue
        head, _, body = store.rows(point.index).partition("\n")
        if not parts:
            parts.append(head + "\n")
        parts.append(body)
    if not parts:
        parts.append(",".join(["point", *keys, "replication", "metric", "value"]) + "\n")
    long_csv = "".join(parts)
    long = pd.read_csv(io.StringIO(long_csv), dtype={**{k: str for k in keys}, "value": str},
                       keep_default_na=False)
    # Python's float() reads back exactly what repr() wrote, whatever the pandas version.
    long["value"] = np.array([float(v) if v else math.nan for v in long["value"]])
    stats_rows = []
    for (index, metric), group in long.groupby(["point", "metric"], sort=False):
        values = dict(zip(keys, group.iloc[0][keys]))
        stats_rows.append({"point": index, **values, "metric": metric,
                           **(describe_share if metric in SHARE_METRICS else describe)(
                               group["value"].to_numpy(dtype=float))})
    stats = pd.DataFrame(stats_rows, columns=["point", *keys, "metric", *STAT_COLUMNS])
    stats = stats.astype({"replications": "int64"})
    status = pd.DataFrame(
        [{"point": p.index, **dict(zip(keys, p.values)),
          "status": "failed" if store.error(p.index) else "ok", "error": store.error(p.index)}
         for p in points],
        columns=["point", *keys, "status", "error"],
    )
    return SweepResult(spec, long_csv, long, stats, status)
