"""After disclosure: what the receiving agency may do, over time, with the records it
was sent or may view.

A disclosed record stays `transferred`; beside that, at every moment it is in one of
`AFTER_STATES`: usable, held under a use bar, disposed of, or (for records it could only
view) out of reach once access ended. Court orders after disclosure (`[[use_orders]]`)
decide which: each covers a part of the records (all, the TIN-path ones, those with an
incomplete address; of one request or access; within an earlier order), a share of
that part, from a date to an optional end.

The records of a disclosure are split into parts, each part covered by a set of orders.
The split is one binomial draw per part and order, on the `USE_ORDERS` stream keyed by
the order and the disclosure, so that a scenario differing in one order shares the rest
of its draws with the baseline (common random numbers). Records with an incomplete
address are all TIN-path records: that path alone did not check the address.

A record's state at time t, given the orders covering it, in this order of precedence:
out of reach, if it could only be viewed and access has ended; disposed, if a disposal
covering it has begun (for good); usable, if an order lifting a bar for it is in force;
barred, if a bar covering it is in force; else usable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

import numpy as np

from ..scenario.distributions import about
from ..scenario.parameters import COVERS_TEXT
from .outcomes import AFTER_STATES, HORIZON_MEASURES, horizon_measure
from .seeding import Stream, entity_key

USABLE, BARRED, DISPOSED, ENDED = (s.name for s in AFTER_STATES)


@dataclass(frozen=True)
class Disclosure:
    """Records the receiving agency got (a file sent) or may view (an access grant)."""

    days: float
    request: str
    file: int
    records: float
    tin_path: float = 0
    incomplete: float = 0
    access_until_days: float = math.inf   # when access to records it may only view ends
    viewed: bool = False                  # records it may only view, never sent


class Part(NamedTuple):
    records: float
    tin_path: bool
    incomplete: bool
    orders: frozenset[int]            # the orders (by index) that cover it


def _matches(order: Any, disclosure: Disclosure) -> bool:
    return (not order.of or disclosure.request == order.of
            or disclosure.request.startswith(f"{order.of} #"))


def _within(orders: Sequence[Any]) -> list[int | None]:
    """Each order's `within`: the index of the earlier order it splits, or None."""
    return [next((j for j, o in enumerate(orders) if o.name == order.within), None)
            if order.within else None for order in orders]


def parts_of(disclosure: Disclosure, orders: Sequence[Any], draws_of: Any,
             within: Sequence[int | None] | None = None) -> list[Part]:
    """The disclosure's records split by attribute and by the orders that cover them.

    Records are split by path and by address only as far as some order needs: a split
    no order looks at would only cost draws."""
    n, tin, incomplete = disclosure.records, disclosure.tin_path, disclosure.incomplete
    label = f"{disclosure.request}|{disclosure.file}"
    within = _within(orders) if within is None else within
    by_tin = any(o.covers == "tin_path" for o in orders)
    by_address = any(o.covers == "incomplete_address" for o in orders)
    if by_tin and by_address:
        cells = [(incomplete, True, True), (tin - incomplete, True, False),
                 (n - tin, False, False)]
    elif by_tin:
        cells = [(tin, True, False), (n - tin, False, False)]
    elif by_address:
        cells = [(incomplete, True, True), (n - incomplete, False, False)]
    else:
        cells = [(n, False, False)]
    parts = [Part(r, t, i, frozenset()) for r, t, i in cells if r > 0]
    for index, order in enumerate(orders):
        if not _matches(order, disclosure):
            continue
        draws = draws_of(Stream.USE_ORDERS, entity_key(f"{order.name}|{label}"))
        share = draws.value("share", order.share, "rate")
        inside = within[index]
        split: list[Part] = []
        for k, part in enumerate(parts):
            eligible = ((order.covers == "all"
                         or (order.covers == "tin_path" and part.tin_path)
                         or (order.covers == "incomplete_address" and part.incomplete))
                        and (inside is None or inside in part.orders))
            covered = draws.binomial(f"covered {k}", part.records, share) if eligible else 0
            if covered:
                split.append(Part(covered, part.tin_path, part.incomplete,
                                  part.orders | {index}))
            if part.records - covered:
                split.append(Part(part.records - covered, part.tin_path, part.incomplete,
                                  part.orders))
        parts = split
    return parts


def _until(order: Any) -> float:
    return math.inf if order.until is None else order.until


def states_at(times: Sequence[float], part: Part, disclosure: Disclosure,
              orders: Sequence[Any]) -> list[str]:
    """The part's state at each of `times` (on or after its disclosure)."""
    # An order covers the records disclosed before its end.
    covering = [(o.start, _until(o), o.effect) for o in (orders[i] for i in part.orders)
                if disclosure.days < _until(o)]
    disposed_from = min((start for start, _, effect in covering if effect == "dispose"),
                        default=math.inf)
    states = []
    for t in times:
        if t >= disclosure.access_until_days:
            states.append(ENDED)
        elif t >= disposed_from:
            states.append(DISPOSED)
        else:
            in_force = [effect for start, until, effect in covering if start <= t < until]
            states.append(BARRED if "bar_use" in in_force and "allow_use" not in in_force
                          else USABLE)
    return states


STATE_INDEX = {s.name: i for i, s in enumerate(AFTER_STATES)}
# A stretch of time in which some records are in one state: (from, to, state, records).
Segment = tuple[float, float, int, float]


@dataclass
class AfterDisclosure:
    """A replication's records after disclosure: at the horizon, record-days usable, and
    the stretches of time each part spent in each state."""

    at_horizon: dict[str, float]          # by measure (`outcomes.HORIZON_MEASURES`)
    usable_record_days: float             # of records sent
    segments: list[Segment]
    viewable_record_days: float = 0.0     # of records it could only view


def after_disclosure(disclosures: Sequence[Disclosure], orders: Sequence[Any],
                     draws_of: Any, horizon_days: float) -> AfterDisclosure:
    """Follow every disclosure's parts from its disclosure to the horizon."""
    at_horizon = dict.fromkeys((name for name, _, _ in HORIZON_MEASURES), 0.0)
    segments: list[Segment] = []
    # Record-days of records sent, and of records it could only view: kept apart.
    record_days = {False: 0.0, True: 0.0}
    changes = sorted({t for o in orders for t in (o.start, o.until) if t is not None})
    within = _within(orders)
    for d in disclosures:
        if d.days >= horizon_days or not d.records:
            continue
        if not orders and d.access_until_days >= horizon_days:
            # Nothing after disclosure: usable from disclosure to the horizon.
            at_horizon[horizon_measure(USABLE, d.viewed)] += d.records
            record_days[d.viewed] += d.records * (horizon_days - d.days)
            segments.append((d.days, math.inf, STATE_INDEX[USABLE], d.records))
            continue
        times = sorted({d.days, horizon_days,
                        *(t for t in (*changes, d.access_until_days) if d.days < t < horizon_days)})
        for part in parts_of(d, orders, draws_of, within):
            states = states_at(times[:-1], part, d, orders)
            for a, b, state in zip(times, times[1:], states):
                if state == USABLE:
                    record_days[d.viewed] += part.records * (b - a)
                segments.append((a, b if b < horizon_days else math.inf, STATE_INDEX[state],
                                 part.records))
            at_horizon[horizon_measure(states[-1], d.viewed)] += part.records
    return AfterDisclosure(at_horizon, record_days[False], segments, record_days[True])


def daily_counts(rows: np.ndarray, segments: np.ndarray, replications: int, days: int,
                 horizon_days: float) -> np.ndarray:
    """(replications, states, days) records in each state at the end of each day, from
    segments (from, to, state, records) and the replication row of each."""
    ends = np.minimum(np.arange(1, days + 1, dtype=float), horizon_days) - 1e-9
    cells = replications * len(AFTER_STATES) * (days + 1)
    if not len(segments):
        return np.zeros((replications, len(AFTER_STATES), days))
    first = np.searchsorted(ends, segments[:, 0], side="left")
    last = np.searchsorted(ends, segments[:, 1], side="left")
    row = (rows * len(AFTER_STATES) + segments[:, 2].astype(np.int64)) * (days + 1)
    # Records are whole numbers: their sums are exact in any order, so one count of the
    # segments' starts (+) and ends (-) serves.
    diff = np.bincount(np.concatenate([row + first, row + last]),
                       weights=np.concatenate([segments[:, 3], -segments[:, 3]]),
                       minlength=cells)
    return np.cumsum(diff.reshape(replications, len(AFTER_STATES), days + 1), axis=2)[:, :, :days]


def timeline(s: Any) -> list[tuple[Any, str]]:
    """The dated sentences of access grants and orders after disclosure, for `explain`."""
    items = []
    for a in s.access:
        until = f" until {a.until:%Y-%m-%d}" if a.until else ""
        items.append((a.start, f"access {a.name!r}{until}: {about(a.records)} records may be "
                               "viewed, not sent"))
    for o in s.use_orders:
        until = f" until {o.until:%Y-%m-%d}" if o.until else ""
        share = o.share.mean
        scope = " ".join(filter(None, [
            f"{share:.0%} of" if share < 1 else "", COVERS_TEXT[o.covers],
            f"of {o.of!r}" if o.of else "", f"within {o.within!r}" if o.within else ""]))
        what = {"bar_use": "use barred", "dispose": "disposed of",
                "allow_use": "use allowed again"}[o.effect]
        items.append((o.start, f"order {o.name!r}{until}: {scope} {what}"))
    return items
