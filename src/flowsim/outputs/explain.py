"""A dry run for a facilitator: what a scenario says, where each value came from, and
the flow its means imply (`model.expected`: the same stages run with mean draws), in
well under a second.
"""

from __future__ import annotations

import datetime as dt
import math

from ..model.expected import expected_flow, expected_result
from ..model.outcomes import AFTER_STATES, STATES
from ..model.plan import DAY
from ..experiments.stats import number_text
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
    inj = s.injunction
    if inj.enabled and inj.at is not None:
        upstream = "all work stops" if inj.halts_upstream else "the gate closes"
        scope = "" if _mean(inj.share) >= 1 else f" (for {_mean(inj.share):.0%} of each file's records)"
        items.append((inj.at, f"injunction: no file is sent{scope} from now on; {upstream}"))
        if inj.until is not None:
            items.append((inj.until, "injunction lifted: files are sent again"))
    for a in s.access:
        until = f" until {a.until:%Y-%m-%d}" if a.until else ""
        items.append((a.start, f"access {a.name!r}{until}: {_records(a.records)} records "
                               "may be viewed, not sent"))
    for o in s.use_orders:
        until = f" until {o.until:%Y-%m-%d}" if o.until else ""
        scope = " ".join(filter(None, [
            f"{_mean(o.share):.0%} of" if _mean(o.share) < 1 else "",
            {"all": "the", "tin_path": "the TIN-path", "incomplete_address":
             "the incomplete-address"}[o.covers],
            "records", f"of {o.of!r}" if o.of else "", f"within {o.within!r}" if o.within else ""]))
        what = {"bar_use": "use barred", "dispose": "disposed of",
                "allow_use": "use allowed again"}[o.effect]
        items.append((o.start, f"order {o.name!r}{until}: {scope} {what}"))
    items.append((s.scenario.end, "end of the horizon (scenario.end)"))
    return sorted(items, key=lambda item: item[0])


def _mean(d: Distribution) -> float:
    return d.mean


def _records(d: Distribution) -> str:
    return f"{d.mean:,.0f}" if isinstance(d, Fixed) else f"about {d.mean:,.0f}"


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
    rows = parameter_rows(loaded)
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
        lines.append(
            f"  {e.name}: arrives {_date(start, e.arrival_days)}, reviewed "
            f"{_date(start, e.review_done_days)}, matched {_date(start, e.matching_start_days)}"
            f" to {_date(start, e.matching_done_days)}, ready {_date(start, e.ready_days)}; "
            f"{e.outcome} {_date(start, e.outcome_days) if e.outcome != 'pending' else ''}".rstrip()
        )
    totals = {"requested": sum(e.records for e in flows),
              **{state: sum(e.settled[state] for e in flows) for state in STATES}}
    lines.append("  expected records: " + ", ".join(f"{k} {number_text(v)}" for k, v in totals.items()))
    if s.acts_after_disclosure:
        counts = expected.counts
        lines.append("  after disclosure, at the horizon: " + ", ".join(
            f"{h.name} {number_text(counts[f'{h.name}_at_horizon'])}" for h in AFTER_STATES)
            + f"; usable record-days {number_text(counts['usable_record_days'])}")
    lines.append("  (run `flowsim run` for the distribution and intervals)")
    return "\n".join(lines)
