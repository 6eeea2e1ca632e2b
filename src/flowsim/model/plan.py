"""A scenario compiled to what the simulation needs: times in days from clock zero.

Compiling once per run keeps date arithmetic out of the per-replication loop.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..distributions import Distribution
from ..scenario import Scenario
from .seeding import entity_key

DAY = dt.timedelta(days=1)


def days_between(start: dt.datetime, moment: dt.datetime) -> float:
    return (moment - start) / DAY


def horizon_of(scenario: Scenario) -> dt.datetime:
    """The end of the horizon: a plain date means the end of that day."""
    end = scenario.scenario.end
    return end + DAY if end.time() == dt.time() else end


@dataclass(frozen=True)
class RequestPlan:
    name: str
    key: int
    at_days: float
    records: Distribution
    accept: Distribution


@dataclass(frozen=True)
class StreamPlan:
    name: str
    from_days: float
    until_days: float
    interval_days: Distribution
    records: Distribution
    accept: Distribution


@dataclass(frozen=True)
class NoticePlan:
    from_days: float
    until_days: float
    hours: Distribution
    min_records: int
    relief: Distribution

    def applies(self, t_days: float, records: int) -> bool:
        return self.from_days <= t_days < self.until_days and records >= self.min_records


@dataclass(frozen=True)
class Plan:
    start: dt.datetime
    horizon_days: float
    requests: tuple[RequestPlan, ...]
    streams: tuple[StreamPlan, ...]
    review_days: Distribution
    review_capacity: int
    matching_capacity: int
    setup_days: Distribution
    records_per_day: Distribution
    tin_rate: Distribution
    name_address_rate: Distribution
    incomplete_address_rate: Distribution
    approval_days: Distribution
    notices: tuple[NoticePlan, ...]
    injunction_days: float | None
    halts_upstream: bool
    persons_per_address: Distribution | None
    mixed_status_share: Distribution | None

    @property
    def days(self) -> int:
        """Whole days in the horizon (the rows of a daily table)."""
        return math.ceil(self.horizon_days)


def compile_plan(s: Scenario) -> Plan:
    start = s.scenario.start
    horizon = days_between(start, horizon_of(s))

    def at(moment: dt.datetime | None, default: float = math.inf) -> float:
        return default if moment is None else days_between(start, moment)

    inj = s.injunction
    return Plan(
        start=start,
        horizon_days=horizon,
        requests=tuple(
            RequestPlan(r.name, entity_key(r.name), at(r.at), r.records, r.accept)
            for r in s.requests
        ),
        streams=tuple(
            StreamPlan(st.name, at(st.start), at(st.until), st.interval_days, st.records, st.accept)
            for st in s.request_streams
        ),
        review_days=s.review.days,
        review_capacity=s.review.capacity,
        matching_capacity=s.matching.capacity,
        setup_days=s.matching.setup_days,
        records_per_day=s.matching.records_per_day,
        tin_rate=s.matching.tin_rate,
        name_address_rate=s.matching.name_address_rate,
        incomplete_address_rate=s.matching.incomplete_address_rate,
        approval_days=s.approval.days,
        notices=tuple(
            NoticePlan(at(n.start), at(n.until), n.hours, n.min_records, n.relief)
            for n in s.notice
        ),
        injunction_days=at(inj.at) if inj.enabled and inj.at is not None else None,
        halts_upstream=inj.halts_upstream,
        persons_per_address=s.impact.persons_per_address if s.impact else None,
        mixed_status_share=s.impact.mixed_status_share if s.impact else None,
    )
