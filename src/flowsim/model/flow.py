"""The SimPy flow: requests arrive and their records pass through the pipeline's stages
(`stages.PIPELINE`), each request one process carrying one block of records.

`Replication` is the context the stages are written against: the clock, the ledger,
the draws, and the rules that close the gate or halt the work upstream of it. The same
flow runs with random draws (`simulate`) and with expectations (`simulate` with
`MeanDraws`, which is what `explain` shows).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Generator

import simpy

from ..errors import WorkLimitError
from ..scenario import MAX_REQUESTS
from ..scenario.distributions import Distribution, about
from ..scenario.parameters import ACCESS, FILING, REQUEST_STREAMS, REQUESTS, USE_ORDERS
from .after import AfterDisclosure, Disclosure, after_disclosure
from .filing import Season, Signals, seasons
from .ledger import Ledger, ReplicationResult
from .outcomes import Event
from .plan import Plan
from .rules import gate_orders
from .seeding import Draws, MeanDraws, Stream, entity_key
from .stages import PIPELINE, Block, Gate, Stage

if TYPE_CHECKING:
    from ..scenario import Scenario

Process = Generator[simpy.Event, object, None]
# The values of [filing] that are drawn (a number stands as it is), and their stream's key.
FILING_DRAWN = tuple((p.name, p.key, p.kind) for p in FILING.params if p.random)
FILING_KEY = entity_key(FILING.key)


def timeline(s: "Scenario") -> list[tuple[dt.datetime, str]]:
    """The requests' dated sentences, for `explain`: each listed request and stream."""
    items = [(r.at, f"request {r.name!r}: {about(r.records)} records, "
                    f"accepted with probability {r.accept.mean:g}{_answering(r)}")
             for r in s.requests]
    for st in s.request_streams:
        until = f" until {st.until:%Y-%m-%d}" if st.until else ""
        items.append((st.start, f"stream {st.name!r} starts{until}: a request every "
                                f"{st.interval_days.mean:g} days on average of "
                                f"{about(st.records)} records"))
    return items


def _answering(r) -> str:
    if not r.after:
        return ""
    lag = f"{r.lag_days.mean:g} days after" if r.lag_days.mean else "on"
    return (f"; sent only if {r.after!r} is rejected, {lag} its rejection if that is "
            "later than this date")


class Replication:
    def __init__(self, plan: Plan, seed: int, replication: int,
                 draws: type[Draws] | type[MeanDraws] = Draws) -> None:
        self.plan = plan
        self.seed = seed
        self.replication = replication
        self.env = simpy.Environment()
        self.ledger = Ledger(exact=draws is Draws)
        self._draws = draws
        self.files = 0
        # The review decision of each request another one answers: the share rejected.
        self.rejections: dict[str, simpy.Event] = {}
        self.stages: tuple[Stage, ...] = tuple(stage(self) for stage in PIPELINE)
        rules = [rule for stage in self.stages if isinstance(stage, Gate) for rule in stage.rules]
        self.closes_days = min((d for r in rules if (d := r.closes_days()) is not None),
                               default=None)
        self.halt_days = min((d for r in rules if (d := r.halts_days()) is not None),
                             default=None)
        self.halt_event = (self.env.timeout(self.halt_days)
                           if self.halt_days is not None and self.halt_days < plan.horizon_days
                           else None)

    def draws(self, stream: Stream, key: int) -> Draws | MeanDraws:
        return self._draws(self.seed, self.replication, stream, key)

    def halted(self) -> bool:
        return self.halt_days is not None and self.env.now >= self.halt_days

    def wait(self, event: simpy.Event) -> Generator[simpy.Event, object, bool]:
        """Wait for `event`, or for the halt of upstream work; True if halted."""
        if self.halt_event is None or (self.env.now < self.halt_days and event.triggered
                                       and not isinstance(event, simpy.Timeout)):
            # Nothing can halt it first (an event triggered now, such as a free server's
            # grant, is processed now; a timeout is triggered when made but processed
            # later): no condition event to build and schedule.
            yield event
            return False
        yield event | self.halt_event
        return self.halted()

    def pause(self, days: float) -> Generator[simpy.Event, object, bool]:
        """Wait `days`, or for the halt of upstream work; True if halted."""
        if self.halt_days is None or self.env.now + days < self.halt_days:
            # Nothing can halt it first: no condition event to build and schedule.
            yield self.env.timeout(days)
            return False
        return (yield from self.wait(self.env.timeout(days)))

    def halt_upstream(self, block: Block) -> bool:
        """Settle every record of the request still in the pipeline as halted upstream of
        the gate by the injunction; the block goes no further."""
        return self._stop(block, Event.HALTED_UPSTREAM)

    def block_at_gate(self, block: Block) -> bool:
        """Settle a ready file (at the gate or in a notice window) as blocked by the
        injunction; the block goes no further."""
        return self._stop(block, Event.BLOCKED_INJUNCTION)

    def _stop(self, block: Block, event: Event) -> bool:
        records = self.ledger.in_flight[block.request]
        self.ledger.settle(self.env.now, block.request, block.file, event, records)
        return False

    def log(self, block: Block, event: Event) -> None:
        self.ledger.log(self.env.now, block.request, block.file, event, block.records)

    def settle(self, block: Block, event: Event, records: float) -> None:
        self.ledger.settle(self.env.now, block.request, block.file, event, records)

    def transfer(self, block: Block, people: tuple[float, float, float], targets: float) -> None:
        everyone, mixed, children = people
        self.ledger.transfer(self.env.now, block.request, block.file, block.records,
                             tin_path_records=block.tin_path,
                             incomplete_address_records=block.incomplete, people=everyone,
                             mixed_status_people=mixed, citizen_children=children,
                             target_records=targets)

    def after_disclosure(self) -> AfterDisclosure:
        """What the receiving agency may do with what it got, from each disclosure (and
        each grant of access) to the horizon."""
        held = list(self.ledger.disclosures)
        for grant in self.plan[ACCESS.key]:
            if grant.start >= self.plan.horizon_days:
                continue
            count = self.draws(Stream.RECORDS, entity_key(grant.name)).value(
                "records", grant.records, "count")
            count = int(count) if self.ledger.exact else count
            self.ledger.totals["accessed"] += count
            held.append(Disclosure(grant.start, grant.name, 0, count,
                                   access_until_days=math.inf if grant.until is None
                                   else grant.until, viewed=True))
        return after_disclosure(held, self.plan[USE_ORDERS.key], self.draws,
                                self.plan.horizon_days)

    def signals(self) -> Signals:
        """The sharing as people perceive it, from this history and the scenario's rules:
        what is dated after the horizon is not known to have happened."""
        horizon = self.plan.horizon_days
        f = self.plan[FILING.key]
        carried = [d.days for d in self.ledger.disclosures]
        carried += [g.start for g in self.plan[ACCESS.key] if g.start < horizon]
        # An order is read as a stop from its start, even one lifted later: what brings
        # the response back is a disclosure, not the lifting of an order.
        stopped = [o.values.at for o in gate_orders(self.plan.tables)
                   if o.values.enabled and o.values.at is not None
                   and o.values.covers == "all" and o.values.share.mean >= 1]
        stopped += [o.start for o in self.plan[USE_ORDERS.key]
                    if o.effect in ("bar_use", "dispose") and o.covers == "all"
                    and not o.of and not o.within and o.share.mean >= 1]
        stopped += [g.until for g in self.plan[ACCESS.key] if g.until is not None]
        return Signals(f.announced if f is not None else None, tuple(carried),
                       tuple(t for t in stopped if t < horizon))

    def filing_seasons(self) -> list[Season]:
        """Each season's returns not filed and tax not paid ([filing]; none without it)."""
        f = self.plan[FILING.key]
        if f is None:
            return []
        draws = self.draws(Stream.FILING, FILING_KEY)
        drawn = f.changed(**{name: draws.value(key, value, kind) for name, key, kind in
                             FILING_DRAWN if (value := getattr(f, name)) is not None})
        found = seasons(drawn, self.signals(), self.plan.start)
        whole = (lambda x: int(round(x))) if self.ledger.exact else float
        totals = self.ledger.totals
        totals["returns_not_filed"] = whole(sum(s.returns for s in found))
        totals["income_tax_not_paid"] = whole(sum(s.income_tax_dollars for s in found))
        totals["payroll_tax_not_paid"] = whole(sum(s.payroll_tax_dollars for s in found))
        totals["revenue_not_paid"] = whole(sum(s.revenue_dollars for s in found))
        return found

    def reviewed(self, block: Block, rejected_share: float) -> None:
        """Tell a request that answers this one's rejection what review decided."""
        decided = self.rejections.get(block.request)
        if decided is not None and not decided.triggered:
            decided.succeed(rejected_share)

    def new_file(self) -> int:
        self.files += 1
        return self.files

    def request(self, name: str, at_days: float, records: Distribution,
                accept: Distribution, targets_share: Distribution, after: str = "",
                lag_days: Distribution | None = None) -> Process:
        """One request: it arrives, then its records pass through every stage. One that
        answers another's rejection (`after`) is sent `lag_days` after that rejection,
        not before `at_days`, and never if that request was not rejected."""
        env = self.env
        key = entity_key(name)
        sent_share = 1.0
        if after:
            decided = self.rejections.setdefault(after, env.event())
            sent_share = yield decided
            if not sent_share:
                return
            lag = self.draws(Stream.ARRIVALS, key).value("lag_days", lag_days, "duration")
            if env.now + lag > at_days:
                # The record's order broken: the rejection it answers came after its date.
                self.ledger.totals["requests_sent_late"] += 1 if self.ledger.exact else sent_share
            at_days = max(at_days, env.now + lag)
        if at_days > env.now:
            yield env.timeout(at_days - env.now)
        count = self.draws(Stream.RECORDS, key).value("records", records, "count")
        # With mean draws a rejection is a share of its request: so is the answer to it.
        count = count if sent_share == 1.0 else count * sent_share
        block = Block(name, key, int(count) if self.ledger.exact else count, accept,
                      targets_share)
        self.ledger.arrive(env.now, name, block.records)
        if self.halted():
            self.halt_upstream(block)
            return
        for stage in self.stages:
            if not (yield from stage.step(self, block)):
                return

    def stream(self, stream: object) -> Process:
        """Requests that recur every `interval_days` from `from` until `until`."""
        env = self.env
        arrivals = self.draws(Stream.ARRIVALS, entity_key(stream.name))
        until = math.inf if stream.until is None else stream.until
        yield env.timeout(stream.start)
        number = 0
        while env.now < until:
            number += 1
            if number > MAX_REQUESTS:
                # Validation bounds the expected count; a long run of short draws can
                # still go past it, and must end rather than fill the memory.
                raise WorkLimitError(f"made more than {MAX_REQUESTS:,} requests in one "
                                     "replication; lengthen interval_days",
                                     key=f"request_streams {stream.name!r}")
            env.process(self.request(f"{stream.name} #{number}", 0.0, stream.records,
                                     stream.accept, stream.targets_share))
            yield env.timeout(arrivals.value("interval_days", stream.interval_days, "positive"))


def simulate(plan: Plan, seed: int, replication: int,
             draws: type[Draws] | type[MeanDraws] = Draws) -> ReplicationResult:
    """Run one replication of `plan` and return its ledger's result."""
    # With mean draws an uncertain input stands at its mean, as every other value does.
    drawn = plan if draws is MeanDraws else plan.for_replication(seed, replication)
    rep = Replication(drawn, seed, replication, draws)
    # An uncertain input of a request or a stream is the replication's one draw, shared by
    # every request a stream makes.
    for r in drawn[REQUESTS.key]:
        rep.env.process(rep.request(r.name, r.at, r.records, r.accept, r.targets_share,
                                    r.after, r.lag_days))
    for s in drawn[REQUEST_STREAMS.key]:
        rep.env.process(rep.stream(s))
    rep.env.run(until=plan.horizon_days)
    found = rep.filing_seasons()
    return rep.ledger.close(replication, rep.after_disclosure(), found)
