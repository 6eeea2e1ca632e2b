"""The public record (record/record.md) set beside a run of the model, and the rows of
the record that citations name."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..experiments.run import RunResult
from ..model.plan import days_between
from ..experiments.stats import describe, interval_text, number_text
from ..library import RECORD_FILE

NOTICE_ORDER = dt.datetime(2025, 9, 5)
# The record's one disclosure, set beside the baseline's chart (FACTS: 2025-08-07).
RECORD_POINT = (dt.datetime(2025, 8, 7), 47_289.0, "record: 47,289 on 2025-08-07")


@dataclass(frozen=True)
class RecordRow:
    figure: str
    record: str
    model: str
    spread: str
    source: str


def _count(x: np.ndarray) -> tuple[str, str]:
    d = describe(x)
    return (f"{number_text(d['mean'])} (95% CI {interval_text(d['ci95_low'], d['ci95_high'])})",
            interval_text(d['p05'], d['p95']))


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
                  *_count(m["rejected"]), "FACTS: 2025-06-05; 2025-06-24"),
        RecordRow("Addresses disclosed to ICE", "47,289 (also 47,489)",
                  *_count(m["transferred"]), "FACTS: 2025-08-07"),
        RecordRow("…of them through the TIN path", "42,695",
                  *_count(m["transferred_tin_path"]), "FACTS: 2026-02-26"),
        RecordRow("Date of the disclosure", "2025-08-07",
                  *_date(start, m["first_transfer_days"]), "FACTS: 2025-08-07"),
        RecordRow("Disclosures on incomplete addresses (held out of the fit)", "about 2,350",
                  *_count(m["transferred_incomplete_address"]), "FACTS: 2026-02-11"),
        # Counsel's figure: perhaps the name-and-address path, perhaps the names answered by
        # then; read as the count disclosed, the held-out figure above rules it out (docs/background/validation.md).
        RecordRow("\"About 4,000\" answered (counsel, 2025-10): the name-and-address path?",
                  "about 4,000", *_count(m["transferred"] - m["transferred_tin_path"]),
                  "FACTS: 2025-10"),
        RecordRow("Files disclosed", "1", *_count(m["files_transferred"]), "FACTS: no-further-disclosure"),
        RecordRow("Replications with a transfer on or after 2025-09-05", "0",
                  f"{int(after_notice.sum())} of {replications}", "",
                  "FACTS: 2025-09-05; no-further-disclosure"),
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


CITATION = re.compile(r"FACTS:\s*([^,)\"]*)")
ROW_ID = re.compile(r"[0-9a-z][0-9a-z-]*")


@dataclass(frozen=True)
class FactRow:
    id: str
    date: str
    what: str
    figure: str
    solid: str
    sources: str


def read_record(path: Path = RECORD_FILE) -> dict[str, FactRow]:
    """The rows of the record by id: each table row whose first cell is a `code` id."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows[cells[0].strip("`")] = FactRow(cells[0].strip("`"), *cells[1:])
    return rows


def cited_ids(text: str) -> list[str]:
    """The record rows a comment cites: `FACTS: <id>, ...` (ids separated by ; or and)."""
    ids = []
    for cited in CITATION.findall(text):
        for part in re.split(r";|\band\b", cited):
            token = part.strip().split(" ")[0] if part.strip() else ""
            if ROW_ID.fullmatch(token):
                ids.append(token)
    return ids
