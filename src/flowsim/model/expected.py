"""The expected flow: the pipeline run once with mean draws (`seeding.MeanDraws`).

Durations sit at their means, queues serve first come first served, a decision about a
block passes its expected share, and a split is n·p. It is the same flow and the same
stages as the simulation, so with no randomness in a scenario it is exactly what the
simulation does; with randomness it is a quick guide, not an answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..scenario import Scenario
from .flow import simulate
from .ledger import ReplicationResult
from .outcomes import LEFT_IN_PIPELINE, STATES, TERMINAL_EVENTS, Event
from .plan import compile_plan
from .seeding import MeanDraws
from .stages import MILESTONES

# Each event that marks a milestone, and the milestone it marks (stages declare them).
MARKS = {event: m.name for m in MILESTONES for event in m.events}


@dataclass
class ExpectedRequest:
    """One request's path through the pipeline, from the expected flow's event log: the
    day of each milestone (`e.arrival_days`, `e.ready_days`, ...: `stages.MILESTONES`)
    and the expected records in each end state (`e.transferred`, ...)."""

    name: str
    records: float = 0.0
    settled: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    outcome: str = LEFT_IN_PIPELINE  # the state its last records ended in
    outcome_days: float = math.nan
    days: dict[str, float] = field(
        default_factory=lambda: {m.name: math.nan for m in MILESTONES})

    def __getattr__(self, name: str) -> float:
        for table in ("settled", "days"):
            found = self.__dict__.get(table, {})
            if name in found:
                return found[name]
        raise AttributeError(name)


def expected_result(s: Scenario) -> ReplicationResult:
    """The scenario run once with mean draws: its event log and every count, the states
    after disclosure and the record-days usable included."""
    return simulate(compile_plan(s), s.scenario.seed, 0, draws=MeanDraws)


def expected_flow(s: Scenario, result: ReplicationResult | None = None) -> list[ExpectedRequest]:
    """Each request's path with mean durations, queues and expected record counts, from
    `result` (the expected run) if it has been made already."""
    result = result if result is not None else expected_result(s)
    flows: dict[str, ExpectedRequest] = {}
    for t, name, _, event, records in result.events:
        e = flows.setdefault(name, ExpectedRequest(name))
        if event == Event.ARRIVED:
            e.records = records
        if event in MARKS and math.isnan(e.days[MARKS[event]]):
            e.days[MARKS[event]] = t
        if event in TERMINAL_EVENTS:
            e.settled[TERMINAL_EVENTS[event]] += records
            e.outcome, e.outcome_days = TERMINAL_EVENTS[event], t
    for e in flows.values():
        left = e.records - sum(e.settled.values())
        e.settled[LEFT_IN_PIPELINE] = max(0.0, left) if abs(left) > 1e-9 * max(1, e.records) else 0.0
        if e.settled[LEFT_IN_PIPELINE] > 0:
            e.outcome, e.outcome_days = LEFT_IN_PIPELINE, math.nan
    return sorted(flows.values(), key=lambda e: e.days[MILESTONES[0].name])

