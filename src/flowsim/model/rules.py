"""The court's rules at the transfer gate, each a small object: the injunction and the
notice rules. A new rule is one class here (with its table in `scenario.parameters`)
added to `GATE_RULES`.

A rule's `at_gate` runs when a file is ready to go and returns True when the file may
go on to the next rule (and, after the last, be disclosed). A rule may also close the
gate from a time on (`closes_days`) or halt the work upstream of it (`halts_days`);
the replication asks every rule for both.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Generator

import simpy

from ..scenario import TableSpec
from ..scenario.parameters import INJUNCTION, NOTICE
from .outcomes import Event
from .seeding import Stream

if TYPE_CHECKING:
    from .flow import Replication
    from .stages import Block

Step = Generator[simpy.Event, object, bool]


class GateRule:
    spec: TableSpec
    outcomes: tuple[str, ...] = ()

    def __init__(self, rep: "Replication") -> None:
        self.values = rep.plan[self.spec.key]

    def closes_days(self) -> float | None:
        """From when no file may pass the gate, if ever."""
        return None

    def halts_days(self) -> float | None:
        """From when work upstream of the gate stops, if ever."""
        return None

    def at_gate(self, rep: "Replication", block: "Block") -> Step:
        raise NotImplementedError


class Injunction(GateRule):
    """From its date no file is sent; files at the gate or in a notice window are blocked.
    With `halts_upstream`, review, matching and sign-off stop too."""

    spec = INJUNCTION
    outcomes = ("blocked_injunction",)

    def closes_days(self) -> float | None:
        v = self.values
        return v.at if v.enabled and v.at is not None else None

    def halts_days(self) -> float | None:
        return self.closes_days() if self.values.halts_upstream else None

    def at_gate(self, rep: "Replication", block: "Block") -> Step:
        closes = self.closes_days()
        if closes is not None and rep.env.now >= closes:
            return rep.halt(block)
        return True
        yield  # a generator, like every rule


class Notices(GateRule):
    """While a notice rule is in force (`from` <= t < `until`), a file of `min_records` or
    more waits `hours` after notice, and the court blocks it with probability `relief`
    at the end of the window. The first rule in force applies."""

    spec = NOTICE
    stream = Stream.NOTICE
    outcomes = ("blocked_notice",)

    def __init__(self, rep: "Replication") -> None:
        self.rules = rep.plan[self.spec.key]

    def applying(self, t_days: float, records: float):
        until = (lambda r: math.inf if r.until is None else r.until)
        return next((r for r in self.rules
                     if r.start <= t_days < until(r) and records >= r.min_records), None)

    def at_gate(self, rep: "Replication", block: "Block") -> Step:
        env = rep.env
        rule = self.applying(env.now, block.records)
        if rule is None:
            return True
        draws = rep.draws(self.stream, block.key)
        window_days = draws.value(rule.hours, "duration") / 24
        blocked = draws.portion(block.records, draws.value(rule.relief, "rate"))
        rep.log(block, Event.NOTICE_FILED)
        closes = rep.closes_days
        if closes is not None and closes <= env.now + window_days:
            yield env.timeout(closes - env.now)
            return rep.halt(block)
        yield env.timeout(window_days)
        if blocked:
            rep.settle(block, Event.BLOCKED_NOTICE, blocked)
            block.records -= blocked
        return block.records > 0


# The rules at the gate, in the order they apply.
GATE_RULES: tuple[type[GateRule], ...] = (Injunction, Notices)
