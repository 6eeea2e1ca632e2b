"""The public record (../shared/FACTS.md) set beside a run of the model."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..experiments.run import RunResult
from ..model.plan import days_between
from ..experiments.stats import describe

NOTICE_ORDER = dt.datetime(2025, 9, 5)


@dataclass(frozen=True)
class RecordRow:
    figure: str
    record: str
    model: str
    spread: str
    source: str


def _count(x: np.ndarray) -> tuple[str, str]:
    d = describe(x)
    return (f"{d['mean']:,.0f} (95% CI {d['ci95_low']:,.0f} to {d['ci95_high']:,.0f})",
            f"{d['p05']:,.0f} to {d['p95']:,.0f}")


def _date(start: dt.datetime, days: np.ndarray) -> tuple[str, str]:
    days = days[~np.isnan(days)]
    if len(days) == 0:
        return ("no transfer", "")
    lo, mid, hi = (start + dt.timedelta(days=float(v)) for v in np.percentile(days, [5, 50, 95]))
    return (f"median {mid:%Y-%m-%d}", f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}")


def record_rows(metrics: dict[str, np.ndarray], start: dt.datetime) -> list[RecordRow]:
    """The record's figures and the model's, from the baseline's per-replication metrics."""
    m = metrics
    replications = len(m["transferred"])
    after_notice = np.nan_to_num(m["last_transfer_days"], nan=-1) >= days_between(start, NOTICE_ORDER)
    return [
        RecordRow("Records rejected by IRS review", "14,900,000 (7.6 M + 7.3 M)",
                  *_count(m["rejected"]), "FACTS: timeline, 2025-06-05 and 2025-06-24"),
        RecordRow("Addresses disclosed to ICE", "47,289 (also 47,489)",
                  *_count(m["transferred"]), "FACTS: timeline, 2025-08-07"),
        RecordRow("…of them through the TIN path", "42,695",
                  *_count(m["transferred_tin_path"]), "FACTS: timeline, 2026-02-26"),
        RecordRow("Date of the disclosure", "2025-08-07",
                  *_date(start, m["first_transfer_days"]), "FACTS: timeline, 2025-08-07"),
        RecordRow("Files disclosed", "1", *_count(m["transfers"]), "FACTS: matching, no further disclosure"),
        RecordRow("Replications with a transfer on or after 2025-09-05", "0",
                  f"{int(after_notice.sum())} of {replications}", "",
                  "FACTS: timeline, 2025-09-05; no further disclosure found"),
    ]


def record_table_markdown(result: RunResult) -> str:
    lines = [
        f"| figure | record | model, mean of {result.replications} replications (seed "
        f"{result.seed}) | model, 5–95% of replications | source |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.figure} | {r.record} | {r.model} | {r.spread} | {r.source} |"
              for r in record_rows(result.metrics, result.scenario.scenario.start)]
    return "\n".join(lines)
