"""Replications of scenarios, gathered into tables.

`run` is the public entry point: a scenario in, a `RunResult` of pandas tables out;
`run_many` runs several scenarios with shared random numbers. Each replication's
randomness depends only on (seed, replication, stage, entity), so how the work is
split across processes or machines never changes a result.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from .executors import Executor, SerialExecutor
from ..model import COUNTS, STATES, Event, compile_plan, simulate
from ..model.after import daily_counts
from ..model.outcomes import (AFTER_STATES, LABELS, LEFT_IN_PIPELINE, MEASURES,
                              TERMINAL_EVENTS, UNITS)
from ..model.plan import Plan
from ..errors import ScenarioError
from ..scenario import LoadedScenario, Scenario
from ..scenario.distributions import did_you_mean
from .stats import stats_table

Progress = Callable[[int, int], None]

TIME_METRICS = ("first_transfer_days", "last_transfer_days")
# 1 in a replication that disclosed any record, else 0: its mean is the share of
# histories with a disclosure, the figure an all-or-nothing outcome turns on.
SHARE_METRICS = ("any_transferred",)
# Counts that rest on a table of their own (the people at disclosed addresses, the filers'
# response): unknown, not zero, where the scenario lacks it.
NEEDS = {m.name: m.needs for m in MEASURES if m.needs}
IMPACT_METRICS = tuple(m for m, table in NEEDS.items() if table == "impact")
FILING_METRICS = tuple(m for m, table in NEEDS.items() if table == "filing")
CHILDREN = "citizen_children_in_mixed_status_households"
METRICS = (*COUNTS, *TIME_METRICS, *SHARE_METRICS)
METRIC_UNITS = {**UNITS, **dict.fromkeys(TIME_METRICS, "days"),
                **dict.fromkeys(SHARE_METRICS, "share")}
# Standing alone, a part names what it is part of: "disclosed to ICE, about people who
# were not targets" rather than a table's "…of them about people who were not targets".
PART = "…of them "
METRIC_LABELS = {**LABELS,
                 **{m.name: f"{LABELS[m.part_of]}, {m.label.removeprefix(PART)}"
                    for m in MEASURES if m.part_of and m.label.startswith(PART)},
                 "first_transfer_days": "first disclosure",
                 "last_transfer_days": "last disclosure",
                 "any_transferred": "histories with a disclosure"}
# The states of the daily tables: cumulative records requested and in each end state,
# then the disclosed (or viewable) records in each state after disclosure.
AFTER = tuple(h.name for h in AFTER_STATES)
DAILY_STATES = ("requested", *STATES, *AFTER)
# Each event's label at its code (codes are stable, not necessarily 0, 1, 2, ...).
EVENT_LABELS = np.array([next((e.label for e in Event if e == code), "")
                         for code in range(max(Event) + 1)], dtype=object)


def settings(scenario: Scenario | LoadedScenario, replications: int | None = None,
             seed: int | None = None) -> tuple[int, int]:
    """The replications and seed of a run: those given, else the scenario's own."""
    meta = (scenario.scenario if isinstance(scenario, LoadedScenario) else scenario).scenario
    return (meta.replications if replications is None else replications,
            meta.seed if seed is None else seed)


def check_headline(scenario: Scenario | LoadedScenario) -> None:
    """A ScenarioError naming `scenario.headline` unless it is a metric the scenario can
    answer."""
    loaded = scenario if isinstance(scenario, LoadedScenario) else None
    s = loaded.scenario if loaded else scenario
    metric = s.scenario.headline
    source = loaded.source_of("scenario.headline") if loaded else s.name
    if metric not in METRICS:
        raise ScenarioError(f"is not a metric flowsim measures ({metric!r})"
                            f"{did_you_mean(metric, METRICS)}; one of: " + ", ".join(METRICS),
                            key="scenario.headline", source=source)
    if metric in unknown_metrics(s):
        what = (f"the [{NEEDS[metric]}] table" if metric != CHILDREN or s.impact is None
                else "[impact] citizen_children_share")
        raise ScenarioError(f"{metric} needs {what}, which this scenario lacks",
                            key="scenario.headline", source=source)


def unknown_metrics(scenario: Scenario) -> tuple[str, ...]:
    """Metrics the scenario cannot say anything about: without [impact], the people
    figures are unknown, not zero; without [filing], the returns and revenue figures."""
    unknown = tuple(m for m, table in NEEDS.items() if getattr(scenario, table) is None)
    if scenario.impact is not None and scenario.impact.citizen_children_share is None:
        unknown += (CHILDREN,)
    return unknown


def metric_rows(scenario: Scenario, seed: int,
                replications: int) -> Iterator[tuple[int, list[float | int]]]:
    """Each replication's value of every metric in METRICS (NaN where unknown), without
    building any table: for sweeps and sensitivity runs, which need only these."""
    plan = compile_plan(scenario)
    unknown = [COUNTS.index(m) for m in unknown_metrics(scenario)]
    for r in range(replications):
        result = simulate(plan, seed, r)
        values: list[float | int] = [result.counts[m] for m in COUNTS]
        for i in unknown:
            values[i] = np.nan
        yield r, [*values, result.first_transfer_days, result.last_transfer_days,
                  int(result.counts["transferred"] > 0)]


ESTIMATE_REPLICATIONS = 5


@dataclass(frozen=True)
class WorkEstimate:
    """How long a run will take, from a few replications, and how much it makes: for
    each scenario its share of the replications, the days of its daily tables and its
    events per replication (what `outputs.work` turns into bytes)."""

    replications: int
    seconds: float
    scenarios: tuple[tuple[float, int, float], ...]  # (replications, days, events each)


def estimate_work(scenarios: Sequence[Scenario], replications: int, *,
                  workers: int = 1) -> WorkEstimate:
    """Time `ESTIMATE_REPLICATIONS` replications of each scenario and scale up to
    `replications` in all (shared evenly between the scenarios)."""
    seconds = 0.0
    each = replications / max(1, len(scenarios))
    made = []
    for scenario in scenarios:
        plan = compile_plan(scenario)
        simulate(plan, scenario.scenario.seed, ESTIMATE_REPLICATIONS)  # imports, caches
        began = time.perf_counter()
        events = sum(len(simulate(plan, scenario.scenario.seed, r).events)
                     for r in range(ESTIMATE_REPLICATIONS))
        per = (time.perf_counter() - began) / ESTIMATE_REPLICATIONS
        seconds += per * each / max(1, workers)
        made.append((each, plan.days, events / ESTIMATE_REPLICATIONS))
    return WorkEstimate(replications, seconds, tuple(made))


# What a filing season keeps per replication (`model.filing.Season`), and the statistics of
# seasons.csv: one row per season and value.
SEASON_VALUES = {
    "level": ("share", "the share of the full response people perceived at the season's "
              "deadline (15 April)"),
    "returns": ("returns", "returns not filed that season"),
    "income_tax_dollars": ("dollars", "income tax those returns would have paid"),
    "payroll_tax_dollars": ("dollars", "payroll tax not withheld that calendar year"),
    "revenue_dollars": ("dollars", "income and payroll tax not paid"),
}
SEASON_STATISTICS = ("mean", "p05", "p50", "p95")


@dataclass(frozen=True)
class Chunk:
    """Replications lo..hi-1 of one scenario, flattened into arrays by the worker."""

    lo: int
    hi: int
    counts: np.ndarray          # (replications, len(COUNTS)) int64
    first_transfer_days: np.ndarray
    last_transfer_days: np.ndarray
    event_replication: np.ndarray
    event_days: np.ndarray
    event_code: np.ndarray
    event_records: np.ndarray
    event_file: np.ndarray
    event_request: np.ndarray   # index into `request_names`
    request_names: list[str]
    after_row: np.ndarray       # the replication (row within the chunk) of each segment
    after_segments: np.ndarray  # (segments, 4): from, to, state, records after disclosure
    # Each replication's filing seasons ([filing]): (replications, seasons, SEASON_VALUES).
    seasons: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, len(SEASON_VALUES))))


# The last scenario compiled and its plan, as one tuple so that a thread reads a matching
# pair: a serial run sends one scenario's chunks one after another, and a frozen scenario's
# plan is the same each time.
_last_plan: tuple[Scenario | None, Any] = (None, None)


def _plan_of(scenario: Scenario) -> Any:
    global _last_plan
    last, plan = _last_plan
    if last is not scenario:
        plan = compile_plan(scenario)
        _last_plan = (scenario, plan)
    return plan


def simulate_chunk(task: tuple[int, Scenario, int, int, int]) -> tuple[int, Chunk]:
    """The unit of work sent to an executor: replications lo..hi-1 of scenario `index`."""
    index, scenario, seed, lo, hi = task
    plan = _plan_of(scenario)
    results = [simulate(plan, seed, r) for r in range(lo, hi)]
    events = [(r.replication, *e) for r in results for e in r.events]
    names: dict[str, int] = {}
    if events:
        reps, days, requests, files, codes, records = zip(*events)
    else:
        reps = days = requests = files = codes = records = ()
    return index, Chunk(
        lo=lo,
        hi=hi,
        counts=np.array([[r.counts[c] for c in COUNTS] for r in results], dtype=np.int64),
        first_transfer_days=np.array([r.first_transfer_days for r in results], dtype=float),
        last_transfer_days=np.array([r.last_transfer_days for r in results], dtype=float),
        event_replication=np.array(reps, dtype=np.int64),
        event_days=np.array(days, dtype=float),
        event_code=np.array(codes, dtype=np.int64),
        event_records=np.array(records, dtype=np.int64),
        event_file=np.array(files, dtype=np.int64),
        event_request=np.array([names.setdefault(n, len(names)) for n in requests], dtype=np.int64),
        request_names=list(names),
        after_row=np.array([i for i, r in enumerate(results) for _ in r.after_segments],
                           dtype=np.int64),
        after_segments=np.array([seg for r in results for seg in r.after_segments],
                                dtype=float).reshape(-1, 4),
        seasons=np.array([[[getattr(season, v) for v in SEASON_VALUES] for season in r.seasons]
                          for r in results], dtype=float).reshape(len(results), -1,
                                                                  len(SEASON_VALUES)),
    )


@dataclass(frozen=True)
class RunResult:
    """The tables of one run; the same seed gives the same tables, byte for byte.

    `daily` and `events` are built on first use: comparisons and sweeps rarely need them.
    """

    scenario: Scenario
    seed: int
    replications: int
    summary: pd.DataFrame
    stats: pd.DataFrame
    metrics: dict[str, np.ndarray]
    plan: Plan = field(repr=False)
    chunks: tuple[Chunk, ...] = field(repr=False)

    @property
    def name(self) -> str:
        return self.scenario.name

    def _repr_html_(self) -> str:
        """In Jupyter: the run's statistics as stats.csv has them, each with its unit."""
        import html

        table = self.stats[["metric", "mean", "ci95_low", "ci95_high", "p05", "p95",
                            "replications"]].copy()
        table.insert(1, "unit", table["metric"].map(METRIC_UNITS))
        title = self.scenario.scenario.title or self.name
        return (f"<p><strong>{html.escape(title)}</strong> ({html.escape(self.name)}): "
                f"{self.replications} histories, seed {self.seed}</p>"
                + table.to_html(index=False, na_rep="", float_format=lambda x: f"{x:,.2f}"))

    @cached_property
    def events(self) -> pd.DataFrame:
        return _events_table(self.name, self.plan, self.chunks)

    @cached_property
    def daily_counts(self) -> dict[str, np.ndarray]:
        """Cumulative records in each of DAILY_STATES at the end of each day:
        (replications, days) arrays."""
        return _daily_counts(self.plan, self.chunks)

    @property
    def dates(self) -> np.ndarray:
        """The days of the daily tables, as ISO dates."""
        return np.datetime_as_string(np.datetime64(self.plan.start.date(), "D")
                                     + np.arange(self.plan.days), unit="D").astype(object)

    @cached_property
    def daily(self) -> pd.DataFrame:
        """One row per day per replication: the cumulative count of each state."""
        rep_ids = np.concatenate([np.arange(c.lo, c.hi) for c in self.chunks])
        n_days = self.plan.days
        columns = {"scenario": self.name, "replication": np.repeat(rep_ids, n_days),
                   "date": np.tile(self.dates, len(rep_ids))}
        columns.update({s: v.ravel() for s, v in self.daily_counts.items()})
        return pd.DataFrame(columns)

    @cached_property
    def seasons(self) -> pd.DataFrame:
        """One row per filing season ([filing]) and value: its mean and percentiles across
        the replications (empty without [filing])."""
        f = self.scenario.filing
        if f is None:
            return pd.DataFrame(columns=["scenario", "season", "value", "unit",
                                         *SEASON_STATISTICS])
        values = np.concatenate([c.seasons for c in self.chunks])
        rows = []
        for i, year in enumerate(range(f.first_season, f.last_season + 1)):
            for j, name in enumerate(SEASON_VALUES):
                v = values[:, i, j]
                rows.append({"scenario": self.name, "season": year, "value": name,
                             "unit": SEASON_VALUES[name][0], "mean": v.mean(), **dict(zip(SEASON_STATISTICS[1:],
                                                          np.percentile(v, [5, 50, 95])))})
        return pd.DataFrame(rows)

    @cached_property
    def daily_stats(self) -> pd.DataFrame:
        """One row per day per state: mean, 5th, 50th and 95th percentiles across the
        replications, enough to redraw any chart of the run over time."""
        return daily_stats_table(self.name, self.dates, self.daily_counts)

    def daily_stats_of(self, states: Sequence[str]) -> pd.DataFrame:
        """`daily_stats`' rows of `states` alone, computed from those states alone (what
        a page's chart needs, without the rest)."""
        if "daily_stats" in self.__dict__:
            return self.daily_stats[self.daily_stats["state"].isin(states)]
        counts = _daily_counts(self.plan, self.chunks, states)
        return daily_stats_table(self.name, self.dates, counts)


def run(
    scenario: Scenario | LoadedScenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Simulate `replications` replications of `scenario` (defaults from its file)."""
    return run_many([scenario], replications=replications, seed=seed, executor=executor,
                    progress=progress)[0]


def run_many(
    scenarios: Sequence[Scenario | LoadedScenario],
    *,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> list[RunResult]:
    """Run several scenarios with one seed and one number of replications.

    Seed and replications default to the first scenario's; sharing them gives the
    scenarios common random numbers. The work is split into chunks of replications so
    that an executor with several workers keeps them all busy.
    """
    for s in scenarios:
        check_headline(s)
    plain = [s.scenario if isinstance(s, LoadedScenario) else s for s in scenarios]
    if not plain:
        return []
    reps, seed = settings(plain[0], replications, seed)
    if reps < 1:
        raise ValueError("replications must be at least 1")
    executor = executor or SerialExecutor()
    spans = _spans(reps, executor.workers, len(plain))
    tasks = [(i, s, seed, lo, hi) for i, s in enumerate(plain) for lo, hi in spans]
    gathered: list[list[Chunk]] = [[] for _ in plain]
    done, total = 0, reps * len(plain)
    for _, (i, chunk) in executor.map_unordered(simulate_chunk, tasks):
        gathered[i].append(chunk)
        done += chunk.hi - chunk.lo
        if progress is not None:
            progress(done, total)
    return [collect(s, seed, chunks) for s, chunks in zip(plain, gathered)]


def _spans(reps: int, workers: int, scenarios: int = 1) -> list[tuple[int, int]]:
    # Serially, small chunks only pace the progress bar; in parallel, a few chunks per
    # worker, over all the scenarios, balance the load without paying much per task.
    count = 50 if workers == 1 else max(1, -(-4 * workers // scenarios))
    size = max(1, -(-reps // count))
    return [(lo, min(lo + size, reps)) for lo in range(0, reps, size)]


def collect(scenario: Scenario, seed: int, chunks: Sequence[Chunk]) -> RunResult:
    """Build the run's summary and statistics from its chunks, in replication order."""
    chunks = tuple(sorted(chunks, key=lambda c: c.lo))
    plan = compile_plan(scenario)
    name = scenario.name
    counts = np.concatenate([c.counts for c in chunks])
    metrics: dict[str, np.ndarray] = {m: counts[:, j] for j, m in enumerate(COUNTS)}
    for m in unknown_metrics(scenario):
        metrics[m] = np.full(len(counts), np.nan)
    metrics["first_transfer_days"] = np.concatenate([c.first_transfer_days for c in chunks])
    metrics["last_transfer_days"] = np.concatenate([c.last_transfer_days for c in chunks])
    metrics["any_transferred"] = (metrics["transferred"] > 0).astype(np.int64)
    replication = np.concatenate([np.arange(c.lo, c.hi) for c in chunks])

    columns: dict[str, object] = {"scenario": name, "replication": replication, "seed": seed}
    columns.update({m: metrics[m] for m in ("requested", *STATES)})
    columns["first_transfer"] = iso_times(plan.start, metrics["first_transfer_days"])
    columns["last_transfer"] = iso_times(plan.start, metrics["last_transfer_days"])
    columns.update({m.name: metrics[m.name] for m in MEASURES})
    columns.update({m: metrics[m] for m in SHARE_METRICS})
    return RunResult(
        scenario=scenario,
        seed=seed,
        replications=len(replication),
        summary=pd.DataFrame(columns),
        stats=stats_table(name, metrics, shares=SHARE_METRICS),
        metrics=metrics,
        plan=plan,
        chunks=chunks,
    )


def iso_times(start: dt.datetime, days: np.ndarray) -> np.ndarray:
    """ISO 8601 date-times to the second; empty where `days` is NaN."""
    days = np.asarray(days, dtype=float)
    missing = np.isnan(days)
    seconds = np.round(np.where(missing, 0, days) * 86400).astype("int64")
    moments = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    text = np.datetime_as_string(moments, unit="s").astype(object)
    text[missing] = ""
    return text


def _cat(chunks: Sequence[Chunk], name: str) -> np.ndarray:
    return np.concatenate([getattr(c, name) for c in chunks])


def _events_table(name: str, plan: Plan, chunks: Sequence[Chunk]) -> pd.DataFrame:
    file = _cat(chunks, "event_file")
    request = np.concatenate(
        [np.array(c.request_names, dtype=object)[c.event_request] if c.request_names
         else np.array([], dtype=object) for c in chunks]
    )
    return pd.DataFrame(
        {
            "scenario": name,
            "replication": _cat(chunks, "event_replication"),
            "time": iso_times(plan.start, _cat(chunks, "event_days")),
            "request": request,
            "file": pd.arrays.IntegerArray(file, mask=file == 0),
            "event": EVENT_LABELS[_cat(chunks, "event_code")],
            "records": _cat(chunks, "event_records"),
        }
    )


def _daily_counts(plan: Plan, chunks: Sequence[Chunk],
                  states: Sequence[str] = DAILY_STATES) -> dict[str, np.ndarray]:
    rep_ids = np.concatenate([np.arange(c.lo, c.hi) for c in chunks])
    n_reps, n_days = len(rep_ids), plan.days
    rep, code, records = (_cat(chunks, k) for k in ("event_replication", "event_code",
                                                    "event_records"))
    row = np.searchsorted(rep_ids, rep)
    day = np.minimum(np.floor(_cat(chunks, "event_days")).astype(np.int64), n_days - 1)
    cell = row * n_days + day

    def cumulative(event: Event) -> np.ndarray:
        mask = code == event
        counts = np.bincount(cell[mask], weights=records[mask], minlength=n_reps * n_days)
        return counts.reshape(n_reps, n_days).cumsum(axis=1).astype(np.int64)

    # Only the states asked for, and what they are made from.
    wanted = set(states) | (set(TERMINAL_EVENTS.values()) | {"requested"}
                            if LEFT_IN_PIPELINE in states else set())
    counts = {"requested": cumulative(Event.ARRIVED)} if "requested" in wanted else {}
    counts.update({state: cumulative(event) for event, state in TERMINAL_EVENTS.items()
                   if state in wanted})
    if LEFT_IN_PIPELINE in wanted:
        counts[LEFT_IN_PIPELINE] = counts["requested"] - sum(counts[s] for s in
                                                             TERMINAL_EVENTS.values())
    if wanted & set(AFTER):
        # Every chunk's segments at once, each at its replication's row.
        first_rows = np.cumsum([0, *(c.hi - c.lo for c in chunks)])[:-1]
        rows = np.concatenate([c.after_row + first for c, first in zip(chunks, first_rows)])
        segments = np.concatenate([c.after_segments for c in chunks])
        after = daily_counts(rows, segments, n_reps, n_days,
                             plan.horizon_days).round().astype(np.int64)
        counts.update({a: after[:, j, :] for j, a in enumerate(AFTER)})
    return {s: counts[s] for s in DAILY_STATES if s in states}


# A day's statistics across replications in daily_stats.csv, and its columns.
DAILY_STATISTICS = ("mean", "p05", "p50", "p95")
DAILY_STAT_COLUMNS = ("scenario", "date", "state", *DAILY_STATISTICS)


def _percentiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 5th, 50th and 95th percentiles of each day across replications. Most days
    are the same in every replication (nothing has happened yet, or everything has):
    only the days that differ need a partition."""
    out = np.repeat(values[:1].astype(float), 3, axis=0)
    varies = (values != values[:1]).any(axis=0)
    if varies.any():
        out[:, varies] = np.percentile(values[:, varies], [5, 50, 95], axis=0)
    return out[0], out[1], out[2]


def daily_stats_table(name: str, dates: np.ndarray,
                      counts: dict[str, np.ndarray]) -> pd.DataFrame:
    parts = []
    for state, values in counts.items():
        columns = dict(zip(DAILY_STATISTICS, (values.mean(axis=0), *_percentiles(values))))
        parts.append(pd.DataFrame({"scenario": name, "date": dates, "state": state,
                                   **columns}))
    return pd.concat(parts, ignore_index=True)
