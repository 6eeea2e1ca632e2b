"""The tables as files show them: rounded to what they mean, dates beside day counts,
and a data dictionary that says what every column holds.

The numbers of a run stay at full precision in memory (`RunResult`); only the files and
the page round. Every table column is declared once here, with its unit and meaning,
and the documentation's data dictionary and the workbook's are both written from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..experiments.run import (DAILY_STATES, DAILY_STATISTICS, METRIC_UNITS, METRICS,
                               SEASON_STATISTICS, SEASON_VALUES, SHARE_METRICS, TIME_METRICS,
                               iso_times)
from ..model.outcomes import AFTER_STATES, DESCRIPTIONS, STATES

AFTER_MEANINGS = {h.name: h.description for h in AFTER_STATES}

# Decimals that carry meaning: records are whole, days to a quarter of an hour or so,
# shares to a hundredth of a percent.
DECIMALS = {"records": 0, "files": 0, "requests": 0, "people": 0, "returns": 0, "dollars": 0,
            "record-days": 0, "days": 2,
            "share": 4}
# The statistics of a metric row, rounded like the metric.
VALUE_COLUMNS = ("mean", "std", "ci95_low", "ci95_high", "p05", "p50", "p95",
                 "diff_mean", "diff_ci95_low", "diff_ci95_high")
DATE_OF = {"mean": "mean_date", "p05": "p05_date", "p50": "p50_date", "p95": "p95_date"}

METRIC_MEANINGS = {
    **DESCRIPTIONS,
    "first_transfer_days": "days from the start of the horizon to the first disclosure "
                           "(only replications with a disclosure)",
    "last_transfer_days": "days from the start of the horizon to the last disclosure "
                          "(only replications with a disclosure)",
    "any_transferred": "1 if the replication disclosed any record, else 0; its mean is the "
                       "share of histories with a disclosure, with Wilson's 95% interval",
}


def decimals(metric: str) -> int:
    return DECIMALS[METRIC_UNITS.get(metric, "records")]


def rounded(table: pd.DataFrame, *, metric: str | None = None) -> pd.DataFrame:
    """`table` with its statistics rounded to what they mean: by each row's metric, or
    (daily tables, whose rows are records) by `metric`'s unit."""
    out = table.copy()
    columns = [c for c in VALUE_COLUMNS if c in out.columns]
    if metric is not None or "metric" not in out.columns:
        places = decimals(metric or "requested")
        for c in columns:
            out[c] = out[c].astype(float).round(places) + 0.0  # never -0
        return out
    places = out["metric"].map(decimals).to_numpy()
    for c in columns:
        values = out[c].to_numpy(dtype=float)
        out[c] = np.array([round(v, p) + 0.0 for v, p in zip(values, places)], dtype=float)
    return out


def with_dates(table: pd.DataFrame, start: dt.datetime, columns: tuple[str, ...]) -> pd.DataFrame:
    """ISO dates beside the day counts of the time metrics' rows; empty elsewhere."""
    out = table.copy()
    is_time = out["metric"].isin(TIME_METRICS).to_numpy()
    for c in columns:
        days = np.where(is_time, out[c].to_numpy(dtype=float), np.nan)
        out[DATE_OF[c]] = [t[:10] for t in iso_times(start, days)]
    return out


def stats_file(stats: pd.DataFrame, start: dt.datetime) -> pd.DataFrame:
    """stats.csv: each metric's unit, rounded statistics and, for dates, ISO dates."""
    table = rounded(stats)
    table.insert(2, "unit", table["metric"].map(METRIC_UNITS))
    return with_dates(table, start, tuple(DATE_OF))


def comparison_file(comparison: pd.DataFrame, starts: dict[str, dt.datetime]) -> pd.DataFrame:
    """comparison.csv: as `stats_file`, with each scenario's own start for its dates."""
    table = rounded(comparison)
    table.insert(3, "unit", table["metric"].map(METRIC_UNITS))
    parts = [with_dates(part, starts[name], ("mean",))
             for name, part in table.groupby("scenario", sort=False)]
    return pd.concat(parts).loc[table.index] if parts else table.assign(mean_date="")


def daily_stats_file(daily_stats: pd.DataFrame) -> pd.DataFrame:
    return rounded(daily_stats, metric="requested")


def seasons_file(seasons: pd.DataFrame) -> pd.DataFrame:
    """seasons.csv: each season's values rounded to their units."""
    out = seasons.copy()
    places = out["unit"].map(DECIMALS).to_numpy()
    for c in SEASON_STATISTICS:
        values = out[c].to_numpy(dtype=float)
        out[c] = np.array([round(v, p) + 0.0 for v, p in zip(values, places)], dtype=float)
    return out


@dataclass(frozen=True)
class Column:
    """A column of a results table: its unit and what it holds."""

    table: str
    name: str
    unit: str
    meaning: str


UNIT_MEANING = "what the metric counts or measures: " + ", ".join(DECIMALS)


def _stat_meanings(what: str) -> list[tuple[str, str, str]]:
    return [("mean", "the metric's unit", f"mean {what}"),
            ("std", "the metric's unit", f"standard deviation {what}"),
            ("ci95_low", "the metric's unit", "95% confidence interval of the mean, lower end "
             "(Student's t; Wilson's for a share)"),
            ("ci95_high", "the metric's unit", "95% confidence interval of the mean, upper end"),
            ("p05", "the metric's unit", f"5th percentile {what}"),
            ("p50", "the metric's unit", f"median {what}"),
            ("p95", "the metric's unit", f"95th percentile {what}")]


def _dictionary() -> tuple[Column, ...]:
    over = "across the replications"
    rows: list[tuple[str, str, str, str]] = []
    rows += [("summary.csv", "scenario", "", "the scenario's name"),
             ("summary.csv", "replication", "", "the replication (0, 1, ...): one history"),
             ("summary.csv", "seed", "", "the run's seed")]
    rows += [("summary.csv", m, METRIC_UNITS[m], METRIC_MEANINGS[m])
             for m in ("requested", *STATES)]
    rows += [("summary.csv", "first_transfer", "date-time", "the first disclosure, ISO 8601; "
              "empty if none"),
             ("summary.csv", "last_transfer", "date-time", "the last disclosure, ISO 8601; "
              "empty if none")]
    rows += [("summary.csv", m, METRIC_UNITS[m], METRIC_MEANINGS[m]) for m in METRICS
             if m not in ("requested", *STATES) and m not in TIME_METRICS
             and m not in SHARE_METRICS]
    rows += [("summary.csv", m, "0 or 1", METRIC_MEANINGS[m]) for m in SHARE_METRICS]
    rows += [("stats.csv", "scenario", "", "the scenario's name"),
             ("stats.csv", "metric", "", "what is counted or timed: see the metrics below"),
             ("stats.csv", "unit", "", UNIT_MEANING)]
    rows += [("stats.csv", n, u, m) for n, u, m in _stat_meanings(over)]
    rows += [("stats.csv", "replications", "replications", "how many replications the row "
              "rests on (time metrics: only those with a disclosure)")]
    rows += [("stats.csv", DATE_OF[c], "date", f"{c} as a date (time metrics only)")
             for c in DATE_OF]
    rows += [("comparison.csv", "scenario", "", "the what-if (the baseline compares with "
              "itself)"), ("comparison.csv", "baseline", "", "the baseline's name"),
             ("comparison.csv", "metric", "", "see the metrics below"),
             ("comparison.csv", "unit", "", UNIT_MEANING)]
    rows += [("comparison.csv", n, u, m) for n, u, m in _stat_meanings(over)
             if n in ("mean", "ci95_low", "ci95_high")]
    rows += [("comparison.csv", "diff_mean", "the metric's unit", "mean of the paired "
              "difference scenario minus baseline, replication by replication"),
             ("comparison.csv", "diff_ci95_low", "the metric's unit", "paired 95% interval of "
              "the difference, lower end"),
             ("comparison.csv", "diff_ci95_high", "the metric's unit", "paired 95% interval of "
              "the difference, upper end"),
             ("comparison.csv", "replications", "replications", "replications the mean rests "
              "on"),
             ("comparison.csv", "diff_replications", "replications", "replication pairs the "
              "difference rests on (time metrics: pairs where both disclosed)"),
             ("comparison.csv", "mean_date", "date", "the mean as a date (time metrics only)")]
    rows += [("daily_stats.csv", "scenario", "", "the scenario's name"),
             ("daily_stats.csv", "date", "date", "the day; counts are at its end"),
             ("daily_stats.csv", "state", "", "requested, or an end state ("
              + ", ".join(STATES) + "), all cumulative; or a state after disclosure ("
              + ", ".join(AFTER_MEANINGS) + "), records in it that day")]
    rows += [("daily_stats.csv", n, "records", f"{m}: cumulative records in the state")
             for n, _, m in _stat_meanings(over) if n in DAILY_STATISTICS]
    rows += [("seasons.csv", "scenario", "", "the scenario's name (written where it has "
              "[filing])"), ("seasons.csv", "season", "year", "the filing season: its returns "
              "are due on 15 April of it"),
             ("seasons.csv", "value", "", "what is counted: " + "; ".join(
                 f"{name}, {meaning}" for name, (_, meaning) in SEASON_VALUES.items())),
             ("seasons.csv", "unit", "", "the value's unit: "
              + ", ".join(dict.fromkeys(u for u, _ in SEASON_VALUES.values())))]
    rows += [("seasons.csv", n, "the value's unit", m) for n, _, m in _stat_meanings(over)
             if n in SEASON_STATISTICS]
    rows += [("daily.csv", "replication", "", "the replication (only with --daily "
              "per-replication)"), ("daily.csv", "date", "date", "the day")]
    rows += [("daily.csv", s, "records", f"cumulative records {METRIC_MEANINGS[s]}"
              if s == "requested" else f"cumulative records: {METRIC_MEANINGS[s]}")
             for s in DAILY_STATES if s not in AFTER_MEANINGS]
    rows += [("daily.csv", s, "records", f"records at the day's end: {meaning}")
             for s, meaning in AFTER_MEANINGS.items()]
    rows += [("events.csv", "replication", "", "the replication"),
             ("events.csv", "time", "date-time", "when it happened, ISO 8601"),
             ("events.csv", "request", "", "the request's name"),
             ("events.csv", "file", "", "the file (batch of matched records); empty before "
              "matching"),
             ("events.csv", "event", "", "what happened: arrived, review_started, accepted, "
              "rejected, matched, transferred, blocked_notice, ..."),
             ("events.csv", "records", "records", "the records it happened to")]
    return tuple(Column(*row) for row in rows)


DICTIONARY = _dictionary()
METRIC_DICTIONARY = tuple((m, METRIC_UNITS[m], METRIC_MEANINGS[m]) for m in METRICS)


def dictionary_table() -> pd.DataFrame:
    columns = pd.DataFrame([(c.table, c.name, c.unit, c.meaning) for c in DICTIONARY],
                           columns=["table", "column", "unit", "meaning"])
    metrics = pd.DataFrame([("metric rows of stats.csv and comparison.csv", m, u, meaning)
                            for m, u, meaning in METRIC_DICTIONARY],
                           columns=["table", "column", "unit", "meaning"])
    return pd.concat([columns, metrics], ignore_index=True)


def dictionary_markdown() -> str:
    lines = ["| table | column | unit | meaning |", "|---|---|---|---|"]
    for _, row in dictionary_table().iterrows():
        lines.append(f"| {row['table']} | `{row['column']}` | {row['unit']} | {row['meaning']} |")
    return "\n".join(lines)

