"""Whether a large run may start: its time (from `experiments.run.estimate_work`) and the
bytes it would write, against the bounds past which it asks for --force."""

from __future__ import annotations

from typing import Sequence

from ..errors import InputError
from ..experiments.run import estimate_work
from ..scenario import Scenario

# A run this long or this large asks for --force first.
CONFIRM_SECONDS = 15 * 60
CONFIRM_BYTES = 2 * 10**9
# Above this many replications in all, the work is estimated before it starts.
ESTIMATE_FROM_REPLICATIONS = 20_000
# Bytes a row of daily.csv and of events.csv takes, about.
DAILY_ROW_BYTES = 90
EVENT_ROW_BYTES = 75
# Said before a run estimated to take longer than this.
SAY_SECONDS = 60


def duration_text(seconds: float) -> str:
    s = seconds
    return (f"{s:.0f} seconds" if s < 120 else f"{s / 60:.0f} minutes" if s < 7200
            else f"{s / 3600:.0f} hours" if s < 172800 else f"{s / 86400:,.0f} days")


def size_text(size: float) -> str:
    return f"{size / 1e6:,.0f} MB" if size < 1e9 else f"{size / 1e9:,.1f} GB"


def check_work(scenarios: Sequence[Scenario], replications: int, *, workers: int,
               writes: bool, force: bool) -> str:
    """Refuse a run over the bounds unless forced (one line naming --replications);
    return what to say before a long one starts, or ""."""
    if replications < ESTIMATE_FROM_REPLICATIONS:
        return ""
    estimate = estimate_work(scenarios, replications, workers=workers)
    # Sweeps' points, ensembles' members and sensitivity samples keep only their metrics.
    size = sum(each * (days * DAILY_ROW_BYTES + events * EVENT_ROW_BYTES)
               for each, days, events in estimate.scenarios) if writes else 0.0
    text = f"{duration_text(estimate.seconds)} and write about {size_text(size)}"
    if (estimate.seconds > CONFIRM_SECONDS or size > CONFIRM_BYTES) and not force:
        raise InputError(f"{replications:,} replications would take about {text}; pass "
                         "--force to run them anyway, or ask for fewer",
                         source="--replications")
    if estimate.seconds > SAY_SECONDS:
        return f"{replications:,} replications will take about {text}"
    return ""
