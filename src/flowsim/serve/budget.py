"""The work one answer may ask for, and how a room's answers share the workers.

A page answer is estimated before it runs, from what a replication costs: a fixed part
and a part per request the scenario is expected to make (listed requests and those its
streams make within the horizon). `benchmarks/bench_serve.py` measures both costs on this
machine; the constants below are rounded up from it. An answer over `ANSWER_SECONDS` is
refused with one line that says how many replications would fit.

Workers are shared fairly: a free worker goes to the waiting address that has the fewest
answers running, so one participant's queue never holds the others back; each address
may have only a few answers running or waiting at once.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from dataclasses import dataclass, field

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


@dataclass
class FairSlots:
    """`workers` slots, handed to waiting addresses in turn: the address with the fewest
    answers running goes first, then the one served longest ago (or never), then the
    answer that has waited longest. So a computer that keeps asking is served once for
    each round of the others."""

    workers: int
    running: collections.Counter = field(default_factory=collections.Counter)
    held: collections.Counter = field(default_factory=collections.Counter)  # running + waiting
    waiting: list = field(default_factory=list)  # (order, address, future)
    order: itertools.count = field(default_factory=itertools.count)
    served: dict = field(default_factory=dict)  # address -> when it was last handed a slot
    grants: itertools.count = field(default_factory=itertools.count)

    def claim(self, address: str) -> None:
        """Count an answer against `address`; Busy when it has too many on the way."""
        if self.held[address] >= ANSWERS_PER_ADDRESS:
            raise Busy(address)
        self.held[address] += 1

    def unclaim(self, address: str) -> None:
        self.held[address] -= 1
        if self.held[address] <= 0:
            del self.held[address]

    async def acquire(self, address: str) -> None:
        if sum(self.running.values()) < self.workers and not self.waiting:
            self._grant(address)
            return
        future = asyncio.get_running_loop().create_future()
        entry = (next(self.order), address, future)
        self.waiting.append(entry)
        try:
            await future
        except BaseException:
            if entry in self.waiting:
                self.waiting.remove(entry)
            elif future.done() and not future.cancelled():
                self.release(address)  # handed a slot as it was cancelled: pass it on
            raise

    def release(self, address: str) -> None:
        self.running[address] -= 1
        if self.running[address] <= 0:
            del self.running[address]
        self._hand_on()

    def _hand_on(self) -> None:
        while self.waiting and sum(self.running.values()) < self.workers:
            entry = min(self.waiting, key=lambda e: (self.running[e[1]],
                                                     self.served.get(e[1], -1), e[0]))
            self.waiting.remove(entry)
            _, address, future = entry
            if future.done():
                continue
            self._grant(address)
            future.set_result(None)

    def _grant(self, address: str) -> None:
        self.running[address] += 1
        self.served[address] = next(self.grants)
        while len(self.served) > 10_000:
            self.served.pop(next(iter(self.served)))
