"""The stages of the pipeline, each a small object: review, matching, sign-off and the
transfer gate.

Each stage declares its scenario table (and so its parameters and random quantities),
the stream it draws from, the end states it can send records to and its milestones (the
events whose times `explain` shows); its `step` moves one block of records through it,
written against the "draws" interface (`seeding`) and the replication's context
(`context.Context`). A step returns True when records go on to the next stage, False
when the block is finished.

Records move in blocks: a request is one block, and the outcome of a stage for the
whole block is one draw, so the cost of a replication does not depend on how many
records a request holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator

import simpy

from ..scenario import TableSpec
from ..scenario.distributions import Distribution
from ..scenario.parameters import APPROVAL, IMPACT, MATCHING, REVIEW, Param
from .outcomes import Event
from .rules import GATE_RULES, GateRule
from .seeding import Stream

if TYPE_CHECKING:
    from .context import Context

Step = Generator[simpy.Event, object, bool]


@dataclass
class Block:
    """A request's records on their way through the pipeline, with the sub-counts it
    carries beside them (`ATTRIBUTES`): how many came through the TIN path, and how many
    of those had an incomplete address."""

    request: str
    key: int                    # the request's entity key: its random streams
    records: float              # whole records in a simulation; expected ones in `explain`
    accept: Distribution
    targets_share: Distribution  # the share of its records that are the investigation's targets
    file: int = 0               # the file number once matching made one
    tin_path: float = 0
    incomplete: float = 0

    # Each sub-count counts a part of the one before it: the incomplete addresses are
    # TIN-path records.
    ATTRIBUTES = ("tin_path", "incomplete")

    def remove(self, records: float, **taken: float) -> None:
        """Take `records` out of the block. A sub-count named in `taken` loses that many;
        one not named loses its share in proportion. No sub-count exceeds the one it is
        a part of."""
        left = self.records - records
        bound = left
        for name in self.ATTRIBUTES:
            have = getattr(self, name)
            out = taken.get(name, have * records / self.records if self.records else have)
            bound = max(0, min(have - out, bound))
            setattr(self, name, bound)
        self.records = left


@dataclass(frozen=True)
class Milestone:
    """A time `explain` shows for each request: when the first of `events` happened."""

    name: str                   # an attribute of the expected flow's request, in days
    phrase: str                 # what the date is, in explain's line
    events: tuple[Event, ...]


class Stage:
    """A step of the pipeline: its table, its stream and the states it can settle."""

    spec: TableSpec | None = None
    stream: Stream
    outcomes: tuple[str, ...] = ()
    milestones: tuple[Milestone, ...] = ()

    @classmethod
    def quantities(cls) -> tuple[Param, ...]:
        """The parameters of its table that can be drawn."""
        return tuple(p for p in cls.spec.params if p.random) if cls.spec else ()

    def __init__(self, rep: "Context") -> None:
        self.values = rep.plan[self.spec.key] if self.spec else None

    def step(self, rep: "Context", block: Block) -> Step:
        raise NotImplementedError


class Queued(Stage):
    """A stage of `capacity` servers: a block queues for one, holds it for its time, and
    the injunction may halt it while it waits or works."""

    started: Event

    def __init__(self, rep: "Context") -> None:
        super().__init__(rep)
        self.servers = simpy.Resource(rep.env, self.values.capacity)

    def duration_days(self, draws: Any, block: Block) -> float:
        raise NotImplementedError

    def served(self, rep: "Context", block: Block) -> Generator[simpy.Event, object, Any]:
        """The block's draws once it has been served; None if upstream work was halted."""
        with self.servers.request() as slot:
            if (yield from rep.wait(slot)):
                return None
            rep.log(block, self.started)
            draws = rep.draws(self.stream, block.key)
            if (yield from rep.pause(self.duration_days(draws, block))):
                return None
        return draws


class Review(Queued):
    """IRS legal review: a queue for `capacity` reviewers; accepts or rejects the request."""

    spec = REVIEW
    stream = Stream.REVIEW
    outcomes = ("rejected", "halted_upstream")
    started = Event.REVIEW_STARTED
    milestones = (Milestone("review_done_days", "reviewed", (Event.ACCEPTED, Event.REJECTED)),)

    def duration_days(self, draws: Any, block: Block) -> float:
        return draws.value("days", self.values.days, "duration")

    def step(self, rep: "Context", block: Block) -> Step:
        draws = yield from self.served(rep, block)
        if draws is None:
            return rep.halt_upstream(block)
        accepted = draws.portion("accepted", block.records,
                                 draws.value("accept", block.accept, "rate"))
        rep.reviewed(block, 1 - accepted / block.records if block.records else 0.0)
        if block.records > accepted:
            rep.settle(block, Event.REJECTED, block.records - accepted)
        if not accepted:
            return False
        block.records = accepted
        rep.log(block, Event.ACCEPTED)
        return True


class Matching(Queued):
    """The IRS matching run: `capacity` runs at once, each taking setup plus records /
    throughput; the TIN path first, then name and address; the rest end unmatched. A
    share of the TIN-path matches went out on an incomplete address."""

    spec = MATCHING
    stream = Stream.MATCHING
    outcomes = ("unmatched", "halted_upstream")
    started = Event.MATCHING_STARTED
    milestones = (Milestone("matching_start_days", "matching starts", (Event.MATCHING_STARTED,)),
                  Milestone("matching_done_days", "matched", (Event.MATCHED, Event.UNMATCHED)))

    def duration_days(self, draws: Any, block: Block) -> float:
        v = self.values
        return draws.value("setup_days", v.setup_days, "duration") + block.records / draws.value(
            "records_per_day", v.records_per_day, "positive")

    def step(self, rep: "Context", block: Block) -> Step:
        if not self.values.enabled:
            # A dataset handed over whole: one file of every accepted record.
            block.file = rep.new_file()
            rep.log(block, Event.MATCHED)
            return True
        draws = yield from self.served(rep, block)
        if draws is None:
            return rep.halt_upstream(block)
        v, records = self.values, block.records
        tin_path = draws.binomial("tin_path", records,
                                  draws.value("tin_rate", v.tin_rate, "rate"))
        name_address = draws.binomial("name_address", records - tin_path,
                                      draws.value("name_address_rate", v.name_address_rate, "rate"))
        matched = tin_path + name_address
        # Only the TIN path went out without an address check (FACTS: 2026-02-11): the
        # name-and-address path matched on the address, so none of it is incomplete.
        incomplete = draws.binomial("incomplete", tin_path, draws.value(
            "incomplete_address_rate", v.incomplete_address_rate, "rate"))
        if records > matched:
            rep.settle(block, Event.UNMATCHED, records - matched)
        if matched == 0:
            return False
        block.records, block.tin_path, block.incomplete = matched, tin_path, incomplete
        block.file = rep.new_file()
        rep.log(block, Event.MATCHED)
        return True


class SignOff(Stage):
    """The delay between matching results and a file ready to disclose."""

    spec = APPROVAL
    stream = Stream.APPROVAL
    outcomes = ("halted_upstream",)
    milestones = (Milestone("ready_days", "ready", (Event.SIGNED_OFF,)),)

    def step(self, rep: "Context", block: Block) -> Step:
        days = rep.draws(self.stream, block.key).value("days", self.values.days, "duration")
        if (yield from rep.pause(days)):
            return rep.halt_upstream(block)
        rep.log(block, Event.SIGNED_OFF)
        return True


class Gate(Stage):
    """The court's rules, applied in order when a file is ready; what passes them all is
    disclosed, with the people living at its addresses counted where the scenario says."""

    spec = IMPACT
    stream = Stream.IMPACT
    outcomes = ("transferred",)

    def __init__(self, rep: "Context") -> None:
        super().__init__(rep)
        self.rules: tuple[GateRule, ...] = tuple(rule(rep) for rule in GATE_RULES)

    def step(self, rep: "Context", block: Block) -> Step:
        for rule in self.rules:
            if not (yield from rule.at_gate(rep, block)):
                return False
        # One file's draws at the gate: who the records are about, and who lives there.
        draws = rep.draws(self.stream, block.key)
        rep.transfer(block, self.impact(draws, block), self.targets(draws, block))
        return False

    def targets(self, draws: Any, block: Block) -> float:
        """How many of a disclosed file's records are the investigation's targets: one
        split per file, monotone in the share."""
        return draws.binomial("targets", block.records,
                              draws.value("targets_share", block.targets_share, "rate"))

    def impact(self, draws: Any, block: Block) -> tuple[float, float, float]:
        """People living at a disclosed file's addresses, of them those in mixed-status
        homes, and of those the US-citizen children: each a split of the one before."""
        v = self.values
        if v is None:
            return 0, 0, 0
        people = draws.scaled(block.records, draws.value("persons_per_address",
                                                         v.persons_per_address, "amount"))
        mixed = draws.binomial("mixed_status", people, draws.value(
            "mixed_status_share", v.mixed_status_share, "rate"))
        children = (0 if v.citizen_children_share is None else draws.binomial(
            "citizen_children", mixed, draws.value("citizen_children_share",
                                                   v.citizen_children_share, "rate")))
        return people, mixed, children


# The pipeline, in order: every request's records pass through these.
PIPELINE: tuple[type[Stage], ...] = (Review, Matching, SignOff, Gate)
# Every request's first milestone, before any stage: its arrival.
ARRIVAL = Milestone("arrival_days", "arrives", (Event.ARRIVED,))
MILESTONES: tuple[Milestone, ...] = (ARRIVAL, *(m for stage in PIPELINE for m in stage.milestones))
