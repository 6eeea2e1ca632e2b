"""The court's rules at the transfer gate, each a small object: the injunction and the
notice rules. A new rule is one class here (with its table in `scenario.parameters`)
added to `GATE_RULES`.

A rule's `at_gate` runs when a file is ready to go and returns True when the file may
go on to the next rule (and, after the last, be disclosed). A rule may also close the
gate from a time on (`closes_days`) or halt the work upstream of it (`halts_days`);
the replication asks every rule for both.

Beside its step a rule says what a reader is shown of it, from a scenario's values:
its dated sentences (`timeline`, which `explain` prints) and its lines on a chart
(`markers`). Nothing outside this module names a rule.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator

import simpy

from ..scenario import Scenario, TableSpec
from ..scenario.parameters import COVERS_TEXT, GATE_ORDERS, INJUNCTION, NOTICE
from .outcomes import Event
from .seeding import Stream, entity_key

if TYPE_CHECKING:
    from .context import Context
    from .stages import Block

Step = Generator[simpy.Event, object, bool]
Dated = tuple[dt.datetime, str]


@dataclass(frozen=True)
class Marker:
    """A rule's date drawn on a chart: a vertical line and its label."""

    when: dt.datetime
    label: str
    line: str = "-"  # matplotlib's line style: "-" solid, ":" dotted


def covered(draws: Any, block: "Block", covers: str, share: float) -> tuple[float, float, float]:
    """The records of a file that a scoped rule covers, with the TIN-path and incomplete-
    address records among them: `share` of the part `covers` names, one binomial draw per
    part (so a larger share never covers fewer)."""
    def incomplete_of(tin: float) -> float:
        # The incomplete addresses are TIN-path records: covered as those are.
        return draws.binomial("covered with an incomplete address", block.incomplete,
                              tin / block.tin_path) if block.tin_path else 0

    if covers == "incomplete_address":
        incomplete = draws.binomial("covered with an incomplete address", block.incomplete,
                                    share)
        return incomplete, incomplete, incomplete
    tin = draws.binomial("covered on the TIN path", block.tin_path, share)
    rest = (0 if covers == "tin_path" else
            draws.binomial("covered off the TIN path", block.records - block.tin_path, share))
    return tin + rest, tin, incomplete_of(tin)


def scope_text(covers: str, share: float) -> str:
    """What a scoped rule covers, in words ("" when it is every record)."""
    if covers == "all":
        return "" if share >= 1 else f" (for {share:.0%} of each file's records)"
    part = COVERS_TEXT[covers] if share >= 1 else f"{share:.0%} of {COVERS_TEXT[covers]}"
    return f" (for {part} of each file)"


class GateRule:
    spec: TableSpec
    outcomes: tuple[str, ...] = ()

    def __init__(self, rep: "Context") -> None:
        self.values = rep.plan[self.spec.key]

    @classmethod
    def timeline(cls, s: Scenario) -> list[Dated]:
        """The rule's dated sentences in `s`, for `explain`."""
        raise NotImplementedError

    @classmethod
    def markers(cls, s: Scenario) -> list[Marker]:
        """The rule's dates in `s`, for the charts."""
        raise NotImplementedError

    def closes_days(self) -> float | None:
        """From when no file may pass the gate, if ever."""
        return None

    def halts_days(self) -> float | None:
        """From when work upstream of the gate stops, if ever."""
        return None

    def _holds(self, t: float) -> bool:
        """Whether a file at the gate at t waits: an order that holds is in force, and none
        that blocks every record for good."""
        in_force = [o for o in self.orders if o.in_force(t)]
        return (any(o.values.holds for o in in_force)
                and not any(o.whole and not o.values.holds for o in in_force))

    def at_gate(self, rep: "Context", block: "Block") -> Step:
        raise NotImplementedError


@dataclass(frozen=True)
class GateOrder:
    """One order at the gate, with what tells it apart from the others: its name in
    sentences and the random entity its scoped draws are keyed by."""

    values: Any
    name: str          # "" for `[injunction]`
    number: int        # from 1, in the order a scenario lists them

    @property
    def whole(self) -> bool:
        v = self.values
        return v.until is None and v.share.mean >= 1 and v.covers == "all"

    def in_force(self, t: float) -> bool:
        v = self.values
        return (v.enabled and v.at is not None and v.at <= t
                and (v.until is None or t < v.until))

    def closes_days(self) -> float | None:
        v = self.values
        return v.at if v.enabled and v.at is not None and self.whole else None

    def halts_days(self) -> float | None:
        return self.closes_days() if self.values.halts_upstream else None


def gate_orders(tables: Any) -> list[GateOrder]:
    """`[injunction]` and each of `[[gate_orders]]`, numbered from 1 in that order."""
    first = tables[INJUNCTION.key]
    named = [(first, "")] if first is not None else []
    named += [(v, v.name) for v in tables[GATE_ORDERS.key]]
    return [GateOrder(v, name, number) for number, (v, name) in enumerate(named, start=1)]


class Injunction(GateRule):
    """The orders at the gate (`[injunction]` and `[[gate_orders]]`). From an order's date
    no file is sent; files at the gate or in a notice window are blocked. With
    `halts_upstream`, review, matching and sign-off stop too; with several orders, from
    the first date of one that does.

    A scoped order covers only `share` of each file's records (the plaintiff states'
    enrollees, say): that part is blocked, one binomial draw per file and order on its own
    stream, and the rest goes on to the next order. One that is lifted (`until`) blocks
    nothing after that date. A scoped or lifted order stops at the gate only. One that
    `holds` does not block: a file that reaches the gate while it is in force waits there
    and goes on once it is lifted."""

    spec = INJUNCTION
    stream = Stream.INJUNCTION
    outcomes = ("blocked_injunction",)

    def __init__(self, rep: "Context") -> None:
        self.orders = gate_orders(rep.plan)

    @classmethod
    def timeline(cls, s: Scenario) -> list[Dated]:
        items = []
        orders = [(s.injunction, "injunction")] + [
            (o, f"gate order {o.name!r}") for o in s.gate_orders]
        for inj, name in orders:
            if not inj.enabled or inj.at is None:
                continue
            upstream = ("files that reach the gate wait there" if inj.holds else
                        "all work stops" if inj.halts_upstream else "the gate closes")
            scope = scope_text(inj.covers, inj.share.mean)
            items.append((inj.at, f"{name}: no file is sent{scope} from now on; {upstream}"))
            if inj.until is not None:
                waiting = " (those waiting at the gate first)" if inj.holds else ""
                items.append((inj.until, f"{name} lifted: files are sent again{waiting}"))
        return items

    @classmethod
    def markers(cls, s: Scenario) -> list[Marker]:
        orders = [(s.injunction, "injunction")] + [(o, o.name) for o in s.gate_orders]
        return [Marker(o.at, label) for o, label in orders if o.enabled and o.at is not None]

    def closes_days(self) -> float | None:
        return min((d for o in self.orders if (d := o.closes_days()) is not None), default=None)

    def halts_days(self) -> float | None:
        return min((d for o in self.orders if (d := o.halts_days()) is not None), default=None)

    def at_gate(self, rep: "Context", block: "Block") -> Step:
        # A file held by an order waits at the gate until the order is lifted, or until
        # another order comes into force, then is judged again; if neither comes before the
        # horizon it is still waiting there (in the pipeline) at the end.
        while self._holds(rep.env.now):
            now = rep.env.now
            changes = [t for o in self.orders for t in (o.values.at, o.values.until)
                       if o.values.enabled and t is not None and t > now]
            yield rep.env.timeout(min(changes, default=rep.plan.horizon_days + 1) - now)
        for order in self.orders:
            if not order.in_force(rep.env.now):
                continue
            if order.whole:
                return rep.block_at_gate(block)
            # `[injunction]` draws as it always has; a listed order on an entity of its own.
            key = block.key if not order.name else entity_key(f"{order.name}|{block.request}")
            draws = rep.draws(self.stream, key)
            share = draws.value("share", order.values.share, "rate")
            records, tin, incomplete = covered(draws, block, order.values.covers, share)
            if records:
                rep.settle(block, Event.BLOCKED_INJUNCTION, records)
                block.remove(records, tin_path=tin, incomplete=incomplete)
            if block.records <= 0:
                return False
        return True


class Notices(GateRule):
    """While a notice rule is in force (`from` <= t < `until`), a file of `min_records` or
    more waits `hours` after notice, and the court rules on relief `ruling_days` after
    notice. A ruling that comes within the window grants relief with probability `grant`,
    and the file ends blocked at the ruling; otherwise it is sent when the window ends. So
    a longer window gives the court more time. The older `relief = p` is `grant = p` with
    a ruling always in time. The first rule in force applies."""

    spec = NOTICE
    stream = Stream.NOTICE
    outcomes = ("blocked_notice",)

    def __init__(self, rep: "Context") -> None:
        self.rules = rep.plan[self.spec.key]

    @classmethod
    def timeline(cls, s: Scenario) -> list[Dated]:
        """Each rule, numbered from 1 as the page numbers it, with what its court does."""
        items = []
        for number, rule in enumerate(s.notice, start=1):
            until = f" until {rule.until:%Y-%m-%d}" if rule.until else ""
            if rule.grant is None:
                court = (f"relief with probability {rule.relief.mean:g} (the older form: a "
                         "ruling always in time, at the window's end)")
            elif rule.grant.mean == 0:
                court = "a delay only (grant 0: no ruling blocks a file)"
            else:
                court = (f"the court rules {rule.ruling_days.mean:.3g} days after notice on "
                         f"average and, when that is within the window, grants relief with "
                         f"probability {rule.grant.mean:g}")
            scope = scope_text(rule.covers, rule.share.mean)
            items.append((rule.start, f"notice rule {number} in force{until}: files of "
                                      f"{rule.min_records:,}+ records wait "
                                      f"{rule.hours.mean:g} h; {court}{scope}"))
        return items

    @classmethod
    def markers(cls, s: Scenario) -> list[Marker]:
        return [Marker(rule.start, f"{rule.hours.mean:g} h notice", ":") for rule in s.notice]

    def applying(self, t_days: float, records: float):
        until = (lambda r: math.inf if r.until is None else r.until)
        return next((r for r in self.rules
                     if r.start <= t_days < until(r) and records >= r.min_records), None)

    def at_gate(self, rep: "Context", block: "Block") -> Step:
        env = rep.env
        rule = self.applying(env.now, block.records)
        if rule is None:
            return True
        draws = rep.draws(self.stream, block.key)
        window_days = draws.value("hours", rule.hours, "duration") / 24
        grant = rule.relief if rule.grant is None else rule.grant
        ruling_days = (0.0 if rule.grant is None
                       else draws.value("ruling_days", rule.ruling_days, "duration"))
        granted = draws.portion("granted", block.records, draws.value("grant", grant, "rate"))
        in_time = ruling_days < window_days if rule.grant is not None else window_days > 0
        rep.log(block, Event.NOTICE_FILED)
        # Relief comes at the ruling (the older form: at the end of the window).
        relief_days = ruling_days if rule.grant is not None else window_days
        closes = rep.closes_days
        if in_time and granted:
            if closes is not None and closes <= env.now + relief_days:
                yield env.timeout(closes - env.now)
                return rep.block_at_gate(block)
            yield env.timeout(relief_days)
            taken: dict[str, float] = {}
            if rule.covers != "all" or rule.share.mean < 1:
                # Relief for the part the rule covers; the rest is sent when the window ends.
                # `granted` is the whole file in a history, its expected share with means.
                share = draws.value("share", rule.share, "rate")
                part = covered(draws, block, rule.covers, share)
                if granted != block.records:
                    part = tuple(x * granted / block.records for x in part)
                granted, taken = part[0], {"tin_path": part[1], "incomplete": part[2]}
            if granted:
                rep.settle(block, Event.BLOCKED_NOTICE, granted)
                block.remove(granted, **taken)
            if block.records <= 0:
                return False
            yield env.timeout(window_days - relief_days)
        elif closes is not None and closes <= env.now + window_days:
            yield env.timeout(closes - env.now)
            return rep.block_at_gate(block)
        else:
            yield env.timeout(window_days)
        return block.records > 0


# The rules at the gate, in the order they apply.
GATE_RULES: tuple[type[GateRule], ...] = (Injunction, Notices)
