"""Replications of a scenario, gathered into tables.

`run` is the public entry point: a scenario in, a `RunResult` of pandas tables out.
Each replication's randomness depends only on (seed, replication, stage, entity).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .model import COUNTS, STATES, Event, ReplicationResult, compile_plan, simulate
from .model.ledger import TERMINAL_EVENTS
from .model.plan import Plan
from .scenario import LoadedScenario, Scenario
from .stats import stats_table

Progress = Callable[[int, int], None]

TIME_METRICS = ("first_transfer_days", "last_transfer_days")
METRICS = (*COUNTS, *TIME_METRICS)


@dataclass(frozen=True)
class RunResult:
    """The tables of one run; the same seed gives the same tables, byte for byte."""

    scenario: Scenario
    seed: int
    replications: int
    summary: pd.DataFrame
    stats: pd.DataFrame
    daily: pd.DataFrame
    events: pd.DataFrame
    metrics: dict[str, np.ndarray]

    @property
    def name(self) -> str:
        return self.scenario.name


def run(
    scenario: Scenario | LoadedScenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Simulate `replications` replications of `scenario` (defaults from its file)."""
    if isinstance(scenario, LoadedScenario):
        scenario = scenario.scenario
    reps = scenario.scenario.replications if replications is None else replications
    seed = scenario.scenario.seed if seed is None else seed
    if reps < 1:
        raise ValueError("replications must be at least 1")
    plan = compile_plan(scenario)
    results = []
    for r in range(reps):
        results.append(simulate(plan, seed, r))
        if progress is not None:
            progress(r + 1, reps)
    return collect(scenario, plan, seed, results)


def collect(scenario: Scenario, plan: Plan, seed: int,
            results: list[ReplicationResult]) -> RunResult:
    """Build the run's tables from replication results, once per run."""
    name = scenario.name
    results = sorted(results, key=lambda r: r.replication)
    metrics = {m: np.array([r.counts[m] for r in results], dtype=np.int64) for m in COUNTS}
    metrics["first_transfer_days"] = np.array([r.first_transfer_days for r in results])
    metrics["last_transfer_days"] = np.array([r.last_transfer_days for r in results])
    replication = np.array([r.replication for r in results], dtype=np.int64)

    summary = pd.DataFrame({"scenario": name, "replication": replication, "seed": seed})
    for m in ("requested", *STATES):
        summary[m] = metrics[m]
    summary["first_transfer"] = iso_times(plan.start, metrics["first_transfer_days"])
    summary["last_transfer"] = iso_times(plan.start, metrics["last_transfer_days"])
    for m in ("transferred_tin_path", "transferred_incomplete_address", "transfers"):
        summary[m] = metrics[m]

    events = _events_table(name, plan, results)
    return RunResult(
        scenario=scenario,
        seed=seed,
        replications=len(results),
        summary=summary,
        stats=stats_table(name, metrics),
        daily=_daily_table(name, plan, results),
        events=events,
        metrics=metrics,
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


def _flat_events(results: list[ReplicationResult]):
    n = sum(len(r.events) for r in results)
    rep = np.empty(n, dtype=np.int64)
    t = np.empty(n)
    code = np.empty(n, dtype=np.int8)
    records = np.empty(n, dtype=np.int64)
    request: list[str] = []
    file = np.empty(n, dtype=np.int64)
    i = 0
    for r in results:
        k = len(r.events)
        if k:
            times, names, files, codes, counts = zip(*r.events)
            rep[i : i + k] = r.replication
            t[i : i + k] = times
            code[i : i + k] = codes
            records[i : i + k] = counts
            file[i : i + k] = files
            request.extend(names)
        i += k
    return rep, t, code, records, request, file


def _events_table(name: str, plan: Plan, results: list[ReplicationResult]) -> pd.DataFrame:
    rep, t, code, records, request, file = _flat_events(results)
    labels = np.array([e.label for e in Event], dtype=object)
    return pd.DataFrame(
        {
            "scenario": name,
            "replication": rep,
            "time": iso_times(plan.start, t),
            "request": np.array(request, dtype=object),
            "file": pd.arrays.IntegerArray(file, mask=file == 0),
            "event": labels[code.astype(np.int64)],
            "records": records,
        }
    )


def _daily_table(name: str, plan: Plan, results: list[ReplicationResult]) -> pd.DataFrame:
    """Cumulative records in each state at the end of each day, per replication."""
    rep_ids = np.array([r.replication for r in results], dtype=np.int64)
    n_reps, n_days = len(results), plan.days
    rep, t, code, records, _, _ = _flat_events(results)
    row = np.searchsorted(rep_ids, rep) if n_reps else rep
    cell = row * n_days + np.minimum(np.floor(t).astype(np.int64), n_days - 1)

    def cumulative(event: Event) -> np.ndarray:
        mask = code == event
        counts = np.bincount(cell[mask], weights=records[mask], minlength=n_reps * n_days)
        return counts.reshape(n_reps, n_days).cumsum(axis=1).astype(np.int64).ravel()

    columns = {"requested": cumulative(Event.ARRIVED)}
    for event, state in TERMINAL_EVENTS.items():
        columns[state] = cumulative(event)
    columns["pending"] = columns["requested"] - sum(columns[s] for s in TERMINAL_EVENTS.values())
    dates = np.datetime_as_string(
        np.datetime64(plan.start.date(), "D") + np.arange(n_days), unit="D"
    ).astype(object)
    table = pd.DataFrame(
        {
            "scenario": name,
            "replication": np.repeat(rep_ids, n_days),
            "date": np.tile(dates, n_reps),
        }
    )
    for state in ("requested", *STATES):
        table[state] = columns[state]
    return table
