"""A dry run for a facilitator: what a scenario says, where each value came from, and
the flow its means imply (`model.expected`: the same stages run with mean draws), in
well under a second.
"""

from __future__ import annotations

from typing import Any, Sequence

import datetime as dt
import math

from ..model import TIMELINES
from ..model.expected import expected_flow, expected_result
from ..model.outcomes import HORIZON_MEASURES, LEFT_IN_PIPELINE, STATES
from ..model.stages import MILESTONES
from ..model.plan import DAY
from ..experiments.stats import dollars_text, number_text
from ..scenario import LoadedScenario, Scenario
from ..scenario.provenance import parameter_rows
from .text import FILING_BASIS

# -- timeline ------------------------------------------------------------------------


def timeline(s: Scenario) -> list[tuple[dt.datetime, str]]:
    """The dated events a scenario lists, in order: each from what declares it
    (`model.TIMELINES`: the requests, the court's rules, the orders after disclosure)."""
    items = [(s.scenario.start, "clock zero (scenario.start)")]
    for sentences in TIMELINES:
        items += sentences(s)
    items.append((s.scenario.end, "end of the horizon (scenario.end)"))
    return sorted(items, key=lambda item: item[0])


# -- text ----------------------------------------------------------------------------


def _date(plan_start: dt.datetime, days: float) -> str:
    if math.isnan(days):
        return "-"
    return f"{plan_start + days * DAY:%Y-%m-%d}"


def assumption_rows(loaded: LoadedScenario, shared: Sequence[Any] = (),
                    rows: Sequence[Any] | None = None) -> list[tuple[str, str, str]]:
    """What a scenario assumes, from its declarations alone: each value its files mark
    ASSUMPTION, and each assumption explored for it (`shared` ones where its files give
    the value, and its own), as (key, value or range, reason). `rows` are its parameter
    rows, where the caller has them already."""
    from ..experiments.explore import keys_of

    explored: dict[str, tuple[str, str]] = {}
    for a in [*shared, *loaded.scenario.assumptions]:
        for key in keys_of(loaded, a):
            explored[key] = (f"explored {a.low:g} to {a.high:g}", a.reason)
    found = []
    for r in parameter_rows(loaded) if rows is None else rows:
        if r.key in explored:
            span, reason = explored.pop(r.key)
            found.append((r.key, f"{r.value}; {span}", reason))
        elif "ASSUMPTION" in r.note:
            found.append((r.key, r.value, r.note))
    found += [(key, span, reason) for key, (span, reason) in explored.items()]
    return found


def explain_text(loaded: LoadedScenario, shared: Sequence[Any] = ()) -> str:
    s = loaded.scenario
    meta = s.scenario
    lines = [f"{meta.name}: {meta.title}" if meta.title else meta.name]
    if meta.question:
        lines.append(f"  question: {meta.question}")
    lines.append(f"  horizon {meta.start:%Y-%m-%d} to {meta.end:%Y-%m-%d}; "
                 f"{meta.replications} replications, seed {meta.seed}")
    rows = parameter_rows(loaded)
    lines += ["", "What this assumes (values the record does not give, and the ranges "
              "flowsim explore tries):"]
    lines += [f"  {key}  {value}  # {reason}" for key, value, reason in
              assumption_rows(loaded, shared, rows)] or ["  nothing beyond the record"]
    width = max(len(r.key) for r in rows)
    if len(loaded.files) > 1:
        own = [r for r in rows if not r.source.endswith("(inherited)") and r.source != "default"
               and not r.key.startswith("scenario.")]
        lines += ["", f"What this scenario changes from {loaded.files[1].name}:"]
        lines += [f"  {r.key:<{width}}  {r.value}  [{r.source}]" + (f"  # {r.note}" if r.note else "")
                  for r in own] or ["  nothing: it sets no value of its own"]
    lines += ["", "Parameters (value, where it came from, its note):"]
    for r in rows:
        note = f"  # {r.note}" if r.note else ""
        lines.append(f"  {r.key:<{width}}  {r.value}  [{r.source}]{note}")
    lines += ["", "Timeline:"]
    lines += [f"  {when:%Y-%m-%d}  {what}" for when, what in timeline(s)]
    expected = expected_result(s)
    flows = expected_flow(s, expected)
    lines += ["", "Expected flow, from the means alone (no randomness; queues first come, "
              "first served):"]
    start = meta.start
    for e in flows:
        path = ", ".join(f"{m.phrase} {_date(start, e.days[m.name])}" for m in MILESTONES)
        ended = f"{e.outcome} {_date(start, e.outcome_days) if e.outcome != LEFT_IN_PIPELINE else ''}"
        lines.append(f"  {e.name}: {path}; {ended}".rstrip())
    totals = {"requested": sum(e.records for e in flows),
              **{state: sum(e.settled[state] for e in flows) for state in STATES}}
    lines.append("  expected records: " + ", ".join(f"{k} {number_text(v)}" for k, v in totals.items()))
    if s.acts_after_disclosure:
        counts = expected.counts
        # Records it could only view are counted apart from those sent.
        def held(viewed: bool) -> str:
            return ", ".join(f"{h.name} {number_text(counts[name])}"
                             for name, h, of_viewed in HORIZON_MEASURES if of_viewed == viewed)

        lines.append(f"  after disclosure, at the horizon: of records sent, {held(False)}; "
                     f"usable record-days {number_text(counts['usable_record_days'])}")
        if counts["accessed"]:
            lines.append(f"  of records it could only view, {held(True)}; viewable "
                         f"record-days {number_text(counts['viewable_record_days'])}")
    if s.filing is not None:
        counts = expected.counts
        lines.append(f"  the filers' response, seasons {s.filing.first_season} to "
                     f"{s.filing.last_season}: returns not filed "
                     f"{number_text(counts['returns_not_filed'])}, income tax not paid "
                     f"{dollars_text(counts['income_tax_not_paid'])}, payroll tax not paid "
                     f"{dollars_text(counts['payroll_tax_not_paid'])}")
        lines.append(f"  {FILING_BASIS}")
    lines.append("  (run `flowsim run` for the distribution and intervals)")
    return "\n".join(lines)
