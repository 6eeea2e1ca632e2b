"""Filing seasons: a population of filers, each season, and how many of them stop filing
(and stop paying tax) in response to the sharing as they perceive it.

Nothing here changes the flow of records: the response reads a replication's own events
once the flow has run. People perceive four kinds of signal, each dated by the scenario's
own rules and history:

- announced: the sharing is announced (`[filing] announced`); the response rises to
  `announced_level` of its full size;
- carried out: records are disclosed, or access to view them begins; the response is at
  its full size (`response`), again after any recovery;
- stopped: an order at the gate covering every record comes into force (even one lifted
  later), or an order bars the use of (or disposes of) every record disclosed, or access
  ends; from the first such signal after the sharing was announced or carried out, the
  response recovers along `recovery` over `recovery_days`, until records are disclosed
  again (lifting an order is not perceived: a disclosure after it is).

A season is a calendar year. Its returns, and the income tax they carry, are filed by the
season's deadline (15 April): what is not filed is the response at the deadline. Payroll
tax is withheld through the year: what is not paid is the response averaged over the year,
times `payroll_share` (the share of those who stop filing who also leave pay that is
withheld). The dollar amounts are each season's totals for the whole population, so the
revenue not paid is `response × perceived level × amount`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, Sequence

from .plan import days_between

# Returns for a calendar year's season are due on this day of it.
DEADLINE_MONTH_DAY = (4, 15)


@dataclass(frozen=True)
class Signals:
    """The sharing as people perceive it: the days (from clock zero) of each signal."""

    announced_days: float | None = None
    carried_out_days: tuple[float, ...] = ()
    stopped_days: tuple[float, ...] = ()


class Season(NamedTuple):
    """One season's losses, in the units of their names."""

    year: int
    level: float              # the perceived share of the full response at the deadline
    returns: float
    income_tax_dollars: float
    payroll_tax_dollars: float

    @property
    def revenue_dollars(self) -> float:
        return self.income_tax_dollars + self.payroll_tax_dollars


def remaining(shape: str, days: float, recovery_days: float) -> float:
    """The share of a response still there `days` after the sharing stopped."""
    if shape == "none" or days <= 0:
        return 1.0
    if recovery_days <= 0:
        return 0.0
    if shape == "linear":
        return max(0.0, 1.0 - days / recovery_days)
    return 0.5 ** (days / recovery_days)


def _remaining_integral(shape: str, a: float, b: float, recovery_days: float) -> float:
    """The integral of `remaining` from a to b days after the stop (0 <= a <= b)."""
    if shape == "none":
        return b - a
    if recovery_days <= 0:
        return 0.0
    if shape == "linear":
        a, b = min(a, recovery_days), min(b, recovery_days)
        return (b - a) - (b * b - a * a) / (2 * recovery_days)
    rate = math.log(2) / recovery_days
    return (math.exp(-rate * a) - math.exp(-rate * b)) / rate


# A stretch of time over which the perceived level is `level × remaining(t − since)`
# (since = None: constant): (from, to, level, since).
Piece = tuple[float, float, float, "float | None"]


def pieces(signals: Signals, announced_level: float) -> list[Piece]:
    """The perceived level over all time, as pieces in order (the last one unbounded)."""
    changes: list[tuple[float, int]] = []
    if signals.announced_days is not None:
        changes.append((signals.announced_days, 0))
    changes += [(t, 1) for t in signals.carried_out_days]
    changes += [(t, 2) for t in signals.stopped_days]
    # On one day a stop is read after a disclosure: the last word is the stop.
    changes.sort()
    out: list[Piece] = []
    t0, level, since = -math.inf, 0.0, None
    for t, kind in changes:
        new_level, new_since = level, since
        if kind == 0 and since is None and level < announced_level:
            new_level = announced_level
        elif kind == 1:
            new_level, new_since = 1.0, None
        elif kind == 2 and level > 0 and since is None:
            new_since = t
        if (new_level, new_since) != (level, since):
            out.append((t0, t, level, since))
            t0, level, since = t, new_level, new_since
    out.append((t0, math.inf, level, since))
    return out


def level_at(t: float, parts: Sequence[Piece], shape: str, recovery_days: float) -> float:
    for a, b, level, since in parts:
        if a <= t < b:
            return level if since is None else level * remaining(shape, t - since,
                                                                  recovery_days)
    return 0.0


def mean_level(a: float, b: float, parts: Sequence[Piece], shape: str,
               recovery_days: float) -> float:
    """The perceived level averaged over days a to b."""
    total = 0.0
    for lo, hi, level, since in parts:
        lo, hi = max(lo, a), min(hi, b)
        if hi <= lo or not level:
            continue
        if since is None:
            total += level * (hi - lo)
        else:
            total += level * _remaining_integral(shape, lo - since, hi - since, recovery_days)
    return total / (b - a)


@lru_cache(maxsize=256)
def season_days(start: dt.datetime, first: int, last: int) -> tuple[tuple[int, float, float,
                                                                            float], ...]:
    """Each season's year, its deadline and the start and end of its calendar year, in days
    from clock zero."""
    return tuple((year, days_between(start, dt.datetime(year, *DEADLINE_MONTH_DAY)),
                  days_between(start, dt.datetime(year, 1, 1)),
                  days_between(start, dt.datetime(year + 1, 1, 1)))
                 for year in range(first, last + 1))


def seasons(values: Any, signals: Signals, start: dt.datetime) -> list[Season]:
    """Each season's returns not filed and tax not paid, for one replication's values
    (numbers: its draws already made) and signals."""
    parts = pieces(signals, values.announced_level)
    shape, recovery = values.recovery, values.recovery_days
    response = values.response
    out = []
    for year, deadline, year_start, year_end in season_days(start, values.first_season,
                                                            values.last_season):
        level = level_at(deadline, parts, shape, recovery)
        year_level = mean_level(year_start, year_end, parts, shape, recovery)
        out.append(Season(year, level, values.filers * response * level,
                          values.income_tax_dollars * response * level,
                          values.payroll_tax_dollars * response * values.payroll_share
                          * year_level))
    return out


def timeline(s: Any) -> list[tuple[dt.datetime, str]]:
    """The filers' dated sentences, for `explain`: the announcement and the seasons."""
    f = s.filing
    if f is None:
        return []
    items = []
    if f.announced is not None:
        items.append((f.announced, f"the sharing announced: filers respond with "
                                   f"{f.announced_level.mean:.0%} of the full response "
                                   f"({f.response.mean:.0%} of them stop filing) until a "
                                   "record is disclosed"))
    for year in range(f.first_season, f.last_season + 1):
        due = dt.datetime(year, *DEADLINE_MONTH_DAY)
        later = " (after the horizon: as the rules stand at its end)" if due > s.scenario.end else ""
        items.append((due, f"filing season {year}: returns due{later}"))
    return items
