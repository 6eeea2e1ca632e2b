"""A scenario compiled to what the simulation needs: times in days from clock zero.

Compiling once per run keeps date arithmetic out of the per-replication loop.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields, replace

from ..scenario.distributions import Distribution, Fixed, Kind, PerReplication, draw
from ..scenario import Scenario
from .seeding import Stage, entity_key, generator

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
    uncertain: bool = False  # some input is drawn once per replication

    def for_replication(self, seed: int, replication: int) -> "Plan":
        """This plan with every uncertain input drawn for `replication`.

        Each draw is keyed by the scenario key it fills (a request by its name), so two
        scenarios that share an uncertain input draw the same value for it.
        """
        if not self.uncertain:
            return self

        def fix(dist: Distribution | None, kind: Kind, key: str) -> Distribution | None:
            if not isinstance(dist, PerReplication):
                return dist
            rng = generator(seed, replication, Stage.UNCERTAIN, entity_key(key))
            return Fixed(draw(dist.inner, kind, rng))

        return replace(
            self,
            uncertain=False,
            requests=tuple(replace(r, records=fix(r.records, "count", f"requests.{r.name}.records"),
                                   accept=fix(r.accept, "rate", f"requests.{r.name}.accept"))
                           for r in self.requests),
            streams=tuple(replace(
                s, interval_days=fix(s.interval_days, "positive",
                                     f"request_streams.{s.name}.interval_days"),
                records=fix(s.records, "count", f"request_streams.{s.name}.records"),
                accept=fix(s.accept, "rate", f"request_streams.{s.name}.accept"))
                for s in self.streams),
            notices=tuple(replace(n, hours=fix(n.hours, "duration", f"notice.{i}.hours"),
                                  relief=fix(n.relief, "rate", f"notice.{i}.relief"))
                          for i, n in enumerate(self.notices)),
            **{name: fix(getattr(self, name), kind, key)
               for name, (kind, key) in PLAN_KEYS.items()},
        )

    @property
    def days(self) -> int:
        """Whole days in the horizon (the rows of a daily table)."""
        return math.ceil(self.horizon_days)


# Plan fields that hold a scenario parameter: their kind and their scenario key.
PLAN_KEYS: dict[str, tuple[Kind, str]] = {
    "review_days": ("duration", "review.days"),
    "setup_days": ("duration", "matching.setup_days"),
    "records_per_day": ("positive", "matching.records_per_day"),
    "tin_rate": ("rate", "matching.tin_rate"),
    "name_address_rate": ("rate", "matching.name_address_rate"),
    "incomplete_address_rate": ("rate", "matching.incomplete_address_rate"),
    "approval_days": ("duration", "approval.days"),
    "persons_per_address": ("amount", "impact.persons_per_address"),
    "mixed_status_share": ("rate", "impact.mixed_status_share"),
}


def _has_uncertain(plan: Plan) -> bool:
    def walk(value: object) -> bool:
        if isinstance(value, PerReplication):
            return True
        if isinstance(value, tuple):
            return any(walk(v) for v in value)
        if hasattr(value, "__dataclass_fields__") and not isinstance(value, Distribution):
            return any(walk(getattr(value, f.name)) for f in fields(value))
        return False

    return walk(plan)


def compile_plan(s: Scenario) -> Plan:
    start = s.scenario.start
    horizon = days_between(start, horizon_of(s))

    def at(moment: dt.datetime | None, default: float = math.inf) -> float:
        return default if moment is None else days_between(start, moment)

    inj = s.injunction
    plan = Plan(
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
    return replace(plan, uncertain=_has_uncertain(plan))
