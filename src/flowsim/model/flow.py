"""The SimPy processes: requests through review, matching, sign-off and the gate.

Each request is one process carrying a count of records; the outcome of a stage for
the whole block is one draw (a binomial, a uniform compared with a rate), so the cost
of a replication does not depend on how many records a request holds.
"""

from __future__ import annotations

from typing import Generator

import simpy

from ..scenario.distributions import Distribution
from ..errors import WorkLimitError
from ..scenario import MAX_REQUESTS
from .ledger import Event, Ledger, ReplicationResult
from .plan import NoticePlan, Plan, StreamPlan
from .seeding import Draws, Stage, entity_key

Process = Generator[simpy.Event, object, None]


class _Replication:
    def __init__(self, plan: Plan, seed: int, replication: int) -> None:
        self.plan = plan
        self.seed = seed
        self.replication = replication
        self.env = simpy.Environment()
        self.reviewers = simpy.Resource(self.env, plan.review_capacity)
        self.matchers = simpy.Resource(self.env, plan.matching_capacity)
        self.ledger = Ledger()
        self.files = 0
        inj = plan.injunction_days
        # With `halts_upstream`, work anywhere in the pipeline stops at the injunction.
        self.halt_days = inj if plan.halts_upstream and inj is not None else None
        self.halt = (
            self.env.timeout(self.halt_days)
            if self.halt_days is not None and self.halt_days < plan.horizon_days
            else None
        )

    def draws(self, stage: Stage, key: int) -> Draws:
        return Draws(self.seed, self.replication, stage, key)

    def halted(self) -> bool:
        return self.halt_days is not None and self.env.now >= self.halt_days

    def wait(self, event: simpy.Event) -> Generator[simpy.Event, object, bool]:
        """Wait for `event`, or for a halting injunction; True if halted."""
        if self.halt is None:
            yield event
            return False
        yield event | self.halt
        return self.halted()

    def block(self, request: str, file: int) -> None:
        records = self.ledger.in_flight[request]
        self.ledger.settle(self.env.now, request, file, Event.BLOCKED_INJUNCTION, records)

    def stream(self, plan: StreamPlan) -> Process:
        env = self.env
        arrivals = self.draws(Stage.ARRIVALS, entity_key(plan.name))
        yield env.timeout(plan.from_days)
        number = 0
        while env.now < plan.until_days:
            number += 1
            if number > MAX_REQUESTS:
                # Validation bounds the expected count; a long run of short draws can
                # still go past it, and must end rather than fill the memory.
                raise WorkLimitError(f"made more than {MAX_REQUESTS:,} requests in one "
                                     "replication; lengthen interval_days",
                                     key=f"request_streams {plan.name!r}")
            name = f"{plan.name} #{number}"
            env.process(self.request(name, entity_key(name), 0.0, plan.records, plan.accept))
            yield env.timeout(arrivals.value(plan.interval_days, "positive"))

    def request(self, name: str, key: int, at_days: float, records_dist: Distribution,
                accept: Distribution) -> Process:
        env, ledger, plan = self.env, self.ledger, self.plan
        if at_days > 0:
            yield env.timeout(at_days)
        records = int(self.draws(Stage.RECORDS, key).value(records_dist, "count"))
        ledger.arrive(env.now, name, records)
        if self.halted():
            return self.block(name, 0)

        with self.reviewers.request() as slot:
            if (yield from self.wait(slot)):
                return self.block(name, 0)
            ledger.log(env.now, name, 0, Event.REVIEW_STARTED, records)
            review = self.draws(Stage.REVIEW, key)
            review_days = review.value(plan.review_days, "duration")
            if (yield from self.wait(env.timeout(review_days))):
                return self.block(name, 0)
        if not review.chance(review.value(accept, "rate")):
            return ledger.settle(env.now, name, 0, Event.REJECTED, records)
        ledger.log(env.now, name, 0, Event.ACCEPTED, records)

        with self.matchers.request() as run:
            if (yield from self.wait(run)):
                return self.block(name, 0)
            ledger.log(env.now, name, 0, Event.MATCHING_STARTED, records)
            matching = self.draws(Stage.MATCHING, key)
            run_days = matching.value(plan.setup_days, "duration") + records / matching.value(
                plan.records_per_day, "positive"
            )
            if (yield from self.wait(env.timeout(run_days))):
                return self.block(name, 0)
        tin_path = matching.binomial(records, matching.value(plan.tin_rate, "rate"))
        name_address = matching.binomial(records - tin_path,
                                         matching.value(plan.name_address_rate, "rate"))
        matched = tin_path + name_address
        incomplete = matching.binomial(matched,
                                       matching.value(plan.incomplete_address_rate, "rate"))
        if records > matched:
            ledger.settle(env.now, name, 0, Event.UNMATCHED, records - matched)
        if matched == 0:
            return None
        self.files += 1
        file = self.files
        ledger.log(env.now, name, file, Event.MATCHED, matched)

        approval_days = self.draws(Stage.APPROVAL, key).value(plan.approval_days, "duration")
        if (yield from self.wait(env.timeout(approval_days))):
            return self.block(name, file)
        ledger.log(env.now, name, file, Event.SIGNED_OFF, matched)
        yield from self.gate(name, key, file, matched, tin_path, incomplete)
        return None

    def gate(self, name: str, key: int, file: int, records: int, tin_path: int,
             incomplete: int) -> Process:
        """The court's rules, applied when a file is ready to go."""
        env, ledger = self.env, self.ledger
        injunction = self.plan.injunction_days
        if injunction is not None and env.now >= injunction:
            return self.block(name, file)
        rule = _rule_for(self.plan.notices, env.now, records)
        if rule is not None:
            notice = self.draws(Stage.NOTICE, key)
            window_days = notice.value(rule.hours, "duration") / 24
            relieved = notice.chance(notice.value(rule.relief, "rate"))
            ledger.log(env.now, name, file, Event.NOTICE_FILED, records)
            if injunction is not None and injunction <= env.now + window_days:
                yield env.timeout(injunction - env.now)
                return self.block(name, file)
            yield env.timeout(window_days)
            if relieved:
                return ledger.settle(env.now, name, file, Event.BLOCKED_NOTICE, records)
        people, mixed = self.impact(key, records)
        ledger.transfer(env.now, name, file, records, tin_path_records=tin_path,
                        incomplete_address_records=incomplete, people=people,
                        mixed_status_people=mixed)
        return None

    def impact(self, key: int, records: int) -> tuple[int, int]:
        """People living at a disclosed file's addresses, and of them in mixed-status homes."""
        plan = self.plan
        if plan.persons_per_address is None or plan.mixed_status_share is None:
            return 0, 0
        impact = self.draws(Stage.IMPACT, key)
        people = round(records * impact.value(plan.persons_per_address, "amount"))
        return people, impact.binomial(people, impact.value(plan.mixed_status_share, "rate"))


def _rule_for(rules: tuple[NoticePlan, ...], t_days: float, records: int) -> NoticePlan | None:
    """The first notice rule in force at `t_days` that covers a file of `records`."""
    return next((r for r in rules if r.applies(t_days, records)), None)


def simulate(plan: Plan, seed: int, replication: int) -> ReplicationResult:
    """Run one replication of `plan` and return its ledger's result."""
    rep = _Replication(plan.for_replication(seed, replication), seed, replication)
    for r in plan.requests:
        rep.env.process(rep.request(r.name, r.key, r.at_days, r.records, r.accept))
    for s in plan.streams:
        rep.env.process(rep.stream(s))
    rep.env.run(until=plan.horizon_days)
    return rep.ledger.close(replication)
