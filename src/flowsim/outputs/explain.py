"""A dry run for a facilitator: what a scenario says, where each value came from, and
the flow its means imply, in well under a second and without simulating.

The expected flow pushes each request through the pipeline once, with every duration at
its mean, queues served first come first served, and record counts at their expected
values (requests x acceptance x match rates). With no randomness in a scenario it is
exactly what the simulation does; with randomness it is a quick guide, not an answer.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.plan import DAY, Plan, compile_plan
from ..scenario import LoadedScenario, Scenario
from ..scenario.distributions import Distribution, Fixed
from ..scenario.provenance import parameter_rows

# -- timeline ------------------------------------------------------------------------


def timeline(s: Scenario) -> list[tuple[dt.datetime, str]]:
    """The dated events a scenario lists, in order."""
    items = [(s.scenario.start, "clock zero (scenario.start)")]
    for r in s.requests:
        items.append((r.at, f"request {r.name!r}: {_records(r.records)} records, "
                            f"accepted with probability {_mean(r.accept):g}"))
    for st in s.request_streams:
        until = f" until {st.until:%Y-%m-%d}" if st.until else ""
        items.append((st.start, f"stream {st.name!r} starts{until}: a request every "
                                f"{_mean(st.interval_days):g} days on average of "
                                f"{_records(st.records)} records"))
    for i, rule in enumerate(s.notice):
        until = f" until {rule.until:%Y-%m-%d}" if rule.until else ""
        items.append((rule.start, f"notice rule {i} in force{until}: files of "
                                  f"{rule.min_records:,}+ records wait {_mean(rule.hours):g} h; "
                                  f"relief probability {_mean(rule.relief):g}"))
    if s.injunction.enabled and s.injunction.at is not None:
        upstream = "all work stops" if s.injunction.halts_upstream else "the gate closes"
        items.append((s.injunction.at, f"injunction: no file is sent from now on; {upstream}"))
    items.append((s.scenario.end, "end of the horizon (scenario.end)"))
    return sorted(items, key=lambda item: item[0])


def _mean(d: Distribution) -> float:
    return d.mean


def _records(d: Distribution) -> str:
    return f"{d.mean:,.0f}" if isinstance(d, Fixed) else f"about {d.mean:,.0f}"


# -- expected flow -------------------------------------------------------------------


@dataclass
class ExpectedRequest:
    name: str
    arrival_days: float
    records: float
    outcome: str = "pending"        # the state the request's matched file ends in
    outcome_days: float = math.nan
    rejected: float = 0.0
    unmatched: float = 0.0
    transferred: float = 0.0
    blocked_notice: float = 0.0
    blocked_injunction: float = 0.0
    review_done_days: float = math.nan
    matching_start_days: float = math.nan
    matching_done_days: float = math.nan
    ready_days: float = math.nan

    @property
    def pending(self) -> float:
        return self.records - (self.rejected + self.unmatched + self.transferred
                               + self.blocked_notice + self.blocked_injunction)


class _Servers:
    """`capacity` servers, each free from some time on: first come, first served."""

    def __init__(self, capacity: int) -> None:
        self.free = [0.0] * capacity

    def serve(self, ready: float, duration: float) -> tuple[float, float]:
        start = max(ready, heapq.heappop(self.free))
        heapq.heappush(self.free, start + duration)
        return start, start + duration


def _arrivals(plan: Plan) -> list[tuple[float, str, Distribution, Distribution]]:
    arrivals = [(r.at_days, r.name, r.records, r.accept) for r in plan.requests]
    for st in plan.streams:
        t, n = st.from_days, 0
        end = min(st.until_days, plan.horizon_days)
        while t < end:
            n += 1
            arrivals.append((t, f"{st.name} #{n}", st.records, st.accept))
            t += st.interval_days.mean
    return sorted(arrivals, key=lambda a: a[0])


def expected_flow(s: Scenario) -> list[ExpectedRequest]:
    """Each request's path with mean durations, queues and expected record counts."""
    plan = compile_plan(s)
    horizon, injunction = plan.horizon_days, plan.injunction_days
    halt = injunction if plan.halts_upstream else None
    reviewers, matchers = _Servers(plan.review_capacity), _Servers(plan.matching_capacity)
    flows = []
    reviewed = []
    for at, name, records_dist, accept_dist in _arrivals(plan):
        e = ExpectedRequest(name, at, max(0.0, round(records_dist.mean)))
        flows.append(e)
        if halt is not None and at >= halt:
            e.blocked_injunction, e.outcome, e.outcome_days = e.records, "blocked_injunction", at
            continue
        _, e.review_done_days = reviewers.serve(at, max(0.0, plan.review_days.mean))
        reviewed.append((e.review_done_days, e, accept_dist.mean))
    for done, e, accept in sorted(reviewed, key=lambda x: x[0]):
        if _halted(e, done, halt, horizon):
            continue
        e.rejected = e.records * (1 - accept)
        if accept == 0:
            e.outcome, e.outcome_days = "rejected", done
            continue
        n = e.records * accept
        run_days = max(0.0, plan.setup_days.mean) + e.records / plan.records_per_day.mean
        e.matching_start_days, e.matching_done_days = matchers.serve(done, run_days)
        if _halted(e, e.matching_done_days, halt, horizon, n):
            continue
        tin, na = plan.tin_rate.mean, plan.name_address_rate.mean
        matched = n * (tin + (1 - tin) * na)
        e.unmatched = n - matched
        e.ready_days = e.matching_done_days + max(0.0, plan.approval_days.mean)
        if matched == 0:
            e.outcome, e.outcome_days = "unmatched", e.matching_done_days
            continue
        if _halted(e, e.ready_days, halt, horizon, matched):
            continue
        _gate(e, plan, matched)
    return flows


def _halted(e: ExpectedRequest, t: float, halt: float | None, horizon: float,
            records: float | None = None) -> bool:
    """Settle the request if the injunction or the horizon comes before `t`."""
    in_flight = e.records if records is None else records
    if halt is not None and t >= halt and halt < horizon:
        e.blocked_injunction += in_flight
        e.outcome, e.outcome_days = "blocked_injunction", halt
        return True
    if t >= horizon:
        e.outcome = "pending"
        return True
    return False


def _gate(e: ExpectedRequest, plan: Plan, matched: float) -> None:
    t, injunction = e.ready_days, plan.injunction_days
    if injunction is not None and t >= injunction:
        e.blocked_injunction, e.outcome, e.outcome_days = matched, "blocked_injunction", t
        return
    rule = next((r for r in plan.notices if r.applies(t, round(matched))), None)
    if rule is not None:
        end = t + max(0.0, rule.hours.mean) / 24
        if injunction is not None and injunction <= end:
            e.blocked_injunction, e.outcome, e.outcome_days = matched, "blocked_injunction", injunction
            return
        if end >= plan.horizon_days:
            return
        relief = rule.relief.mean
        e.blocked_notice = matched * relief
        t = end
        if relief == 1:
            e.outcome, e.outcome_days = "blocked_notice", t
            return
    e.transferred = matched - e.blocked_notice
    e.outcome, e.outcome_days = "transferred", t


# -- text ----------------------------------------------------------------------------


def _date(plan_start: dt.datetime, days: float) -> str:
    if math.isnan(days):
        return "-"
    return f"{plan_start + days * DAY:%Y-%m-%d}"


def explain_text(loaded: LoadedScenario) -> str:
    s = loaded.scenario
    meta = s.scenario
    lines = [f"{meta.name}: {meta.title}" if meta.title else meta.name]
    if meta.question:
        lines.append(f"  question: {meta.question}")
    lines.append(f"  horizon {meta.start:%Y-%m-%d} to {meta.end:%Y-%m-%d}; "
                 f"{meta.replications} replications, seed {meta.seed}")
    lines += ["", "Parameters (value, where it came from, its note):"]
    rows = parameter_rows(loaded)
    width = max(len(r.key) for r in rows)
    for r in rows:
        note = f"  # {r.note}" if r.note else ""
        lines.append(f"  {r.key:<{width}}  {r.value}  [{r.source}]{note}")
    lines += ["", "Timeline:"]
    lines += [f"  {when:%Y-%m-%d}  {what}" for when, what in timeline(s)]
    flows = expected_flow(s)
    lines += ["", "Expected flow, from the means alone (no randomness; queues first come, "
              "first served):"]
    start = meta.start
    for e in flows:
        lines.append(
            f"  {e.name}: arrives {_date(start, e.arrival_days)}, reviewed "
            f"{_date(start, e.review_done_days)}, matched {_date(start, e.matching_start_days)}"
            f" to {_date(start, e.matching_done_days)}, ready {_date(start, e.ready_days)}; "
            f"{e.outcome} {_date(start, e.outcome_days) if e.outcome != 'pending' else ''}".rstrip()
        )
    totals = {k: sum(getattr(e, k) for e in flows) for k in
              ("records", "rejected", "unmatched", "transferred", "blocked_notice",
               "blocked_injunction", "pending")}
    lines.append("  expected records: " + ", ".join(
        f"{'requested' if k == 'records' else k} {v:,.0f}" for k, v in totals.items()))
    lines.append("  (run `flowsim run` for the distribution and intervals)")
    return "\n".join(lines)
