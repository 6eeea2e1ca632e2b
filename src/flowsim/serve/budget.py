"""The work one answer may ask for, and how a room's answers share the workers.

A page answer is estimated before it runs, from what a replication costs: a fixed part
and a part per request the scenario is expected to make (listed requests and those its
streams make within the horizon). `benchmarks/bench_serve.py` measures both costs on this
machine; the constants below are rounded up from it. An answer over `ANSWER_SECONDS` is
refused with one line that says how many replications would fit.

Workers are shared fairly: a free worker goes first to a chart a page waits for, before
a verdict (its small exploration); among those, to the waiting address that has the
fewest answers running, so one participant's queue never holds the others back; each
address may have only a few answers running or waiting at once.

A room that changes values together asks for more than the workers can answer at once.
While other computers' charts fill the workers, a changed chart comes from a quarter of
the histories (`quick_replications`): an answer in time, said to be quick, and the page asks
again for the whole one once its participant pauses.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Callable, NamedTuple

from ..errors import InputError
from ..scenario import Scenario
from ..scenario.schema import expected_requests

# Seconds of one replication: a fixed part, and a part per request (measured by
# benchmarks/bench_serve.py: 0.2-0.3 ms and 0.04-0.19 ms on a 2-core machine).
REPLICATION_SECONDS = 0.3e-3
REQUEST_SECONDS = 0.2e-3
# The most one answer may cost, the scenario and its baseline together.
ANSWER_SECONDS = 3.0
# An answer still running after this long is stopped (at the next chunk of replications).
TIMEOUT_SECONDS = 20.0
# Answers one address may have running or waiting at once.
ANSWERS_PER_ADDRESS = 3
# A quick answer's share of the histories asked for, and the fewest it runs.
QUICK_SHARE = 0.25
QUICK_MIN_REPLICATIONS = 20


class Priority(IntEnum):
    """Which answers a free worker takes first: a chart before a verdict."""

    RUN = 0
    VERDICT = 1


def quick_replications(replications: int) -> int:
    """The histories of a quick answer to a page that asked for `replications`."""
    return max(min(replications, QUICK_MIN_REPLICATIONS), int(replications * QUICK_SHARE))


def replication_seconds(scenario: Scenario) -> float:
    return REPLICATION_SECONDS + REQUEST_SECONDS * expected_requests(scenario)


def check_answer_work(scenarios: list[Scenario], replications: int) -> float:
    """The estimated seconds of an answer that runs `scenarios` (the page's scenario
    and its baseline); over `ANSWER_SECONDS`, one line that says what would fit."""
    each = sum(replication_seconds(s) for s in scenarios)
    seconds = each * replications
    if seconds > ANSWER_SECONDS:
        fits = int(ANSWER_SECONDS // each)
        advice = (f"use at most {fits:,} replications on the page" if fits >= 1 else
                  "its requests are too many for the page")
        raise InputError(
            f"this answer would take about {seconds:,.0f} s of computing ({replications:,} "
            f"histories of about {expected_requests(scenarios[0]):,.0f} requests each), more "
            f"than the {ANSWER_SECONDS:g} s a page answer may; {advice}, or run it with "
            "flowsim run", source="work")
    return seconds


class Busy(Exception):
    """An address has as many answers on the way as it may."""


class Waiting(NamedTuple):
    """An answer waiting for a slot."""

    priority: Priority
    order: int                       # when it asked
    address: str
    future: Any                      # its asyncio future: True when granted, False if let go
    superseded: Callable[[], bool]


@dataclass
class FairSlots:
    """`workers` slots, handed to waiting answers in turn: a chart before a verdict
    (`Priority`); then the address with the fewest answers running, then the one served
    longest ago (or never), then the answer that has waited longest. So a computer that
    keeps asking is served once for each round of the others."""

    workers: int
    running: collections.Counter = field(default_factory=collections.Counter)
    held: collections.Counter = field(default_factory=collections.Counter)  # running + waiting
    waiting: list[Waiting] = field(default_factory=list)
    order: itertools.count = field(default_factory=itertools.count)
    served: dict = field(default_factory=dict)  # address -> when it was last handed a slot
    grants: itertools.count = field(default_factory=itertools.count)
    charts: collections.Counter = field(default_factory=collections.Counter)  # running, by address

    def claim(self, address: str) -> None:
        """Count an answer against `address`; Busy when it has too many on the way."""
        if self.held[address] >= ANSWERS_PER_ADDRESS:
            raise Busy(address)
        self.held[address] += 1

    def unclaim(self, address: str) -> None:
        self.held[address] -= 1
        if self.held[address] <= 0:
            del self.held[address]

    def crowded(self, address: str) -> bool:
        """Whether the charts other computers asked for, running or waiting, fill every
        worker: a chart for `address` would wait for them (its own do not count, so one
        participant's side-by-side never makes its answers quick)."""
        others = sum(n for a, n in self.charts.items() if a != address)
        others += sum(1 for w in self.waiting
                      if w.priority == Priority.RUN and w.address != address)
        return others >= self.workers

    async def acquire(self, address: str, priority: Priority = Priority.RUN,
                      superseded: Callable[[], bool] = lambda: False) -> bool:
        """Wait for a slot; False (and no slot) if `superseded` while it waited."""
        if sum(self.running.values()) < self.workers and not self.waiting:
            self._grant(address, priority)
            return True
        future = asyncio.get_running_loop().create_future()
        entry = Waiting(priority, next(self.order), address, future, superseded)
        self.waiting.append(entry)
        try:
            return await future
        except BaseException:
            if entry in self.waiting:
                self.waiting.remove(entry)
            elif future.done() and not future.cancelled() and future.result():
                self.release(address, priority)  # handed a slot as it was cancelled: pass it on
            raise

    def drop_superseded(self) -> None:
        """Let every waiting answer that a newer change has superseded go without a slot:
        a page waits only for its newest change."""
        for entry in [w for w in self.waiting if w.superseded()]:
            self.waiting.remove(entry)
            if not entry.future.done():
                entry.future.set_result(False)

    def release(self, address: str, priority: Priority = Priority.RUN) -> None:
        self.running[address] -= 1
        if self.running[address] <= 0:
            del self.running[address]
        if priority == Priority.RUN:
            self.charts[address] -= 1
            if self.charts[address] <= 0:
                del self.charts[address]
        self._hand_on()

    def _hand_on(self) -> None:
        while self.waiting and sum(self.running.values()) < self.workers:
            entry = min(self.waiting, key=lambda w: (w.priority, self.running[w.address],
                                                     self.served.get(w.address, -1), w.order))
            self.waiting.remove(entry)
            if entry.future.done():
                continue
            self._grant(entry.address, entry.priority)
            entry.future.set_result(True)

    def _grant(self, address: str, priority: Priority) -> None:
        self.running[address] += 1
        if priority == Priority.RUN:
            self.charts[address] += 1
        self.served[address] = next(self.grants)
        while len(self.served) > 10_000:
            self.served.pop(next(iter(self.served)))
