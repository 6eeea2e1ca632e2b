"""flowsim explain: sources, timeline, and the expected flow from the means."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowsim
from flowsim import cli
from flowsim.outputs.explain import expected_flow, parameter_rows, timeline
from flowsim.model import STATES, Event, compile_plan, simulate
from helpers import GATE_DAY, day, request, scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def totals(flows):
    return {state: sum(e.settled[state] for e in flows) for state in STATES}


def test_expected_flow_of_the_hand_scenario():
    (e,) = expected_flow(scenario(notice=[{"from": day(0), "hours": 36, "grant": 0.0}]))
    assert e.review_done_days == pytest.approx(12)
    assert e.ready_days == pytest.approx(GATE_DAY)
    assert e.outcome == "transferred" and e.outcome_days == pytest.approx(GATE_DAY + 1.5)
    assert e.transferred == 1000


def test_expected_flow_uses_expected_counts():
    s = scenario(requests=[request("R1", 10, 1000, accept=0.5)],
                 matching={"tin_rate": 0.1, "name_address_rate": 0.5},
                 notice=[{"from": day(0), "hours": 24, "relief": 0.25}])
    (e,) = expected_flow(s)
    matched = 500 * (0.1 + 0.9 * 0.5)
    assert e.rejected == 500
    assert e.unmatched == pytest.approx(500 - matched)
    assert e.blocked_notice == pytest.approx(matched * 0.25)
    assert e.transferred == pytest.approx(matched * 0.75)


deterministic = st.fixed_dictionaries({
    "gaps": st.lists(st.floats(0.5, 10), min_size=1, max_size=4),
    "records": st.lists(st.integers(0, 500_000), min_size=4, max_size=4),
    "accept": st.lists(st.sampled_from([0.0, 1.0]), min_size=4, max_size=4),
    "review": st.floats(0, 10), "setup": st.floats(0, 20), "approval": st.floats(0, 10),
    "rpd": st.floats(10_000, 500_000), "capacity": st.integers(1, 2),
    "tin": st.sampled_from([0.0, 1.0]), "hours": st.floats(0, 96),
    "relief": st.sampled_from([0.0, 1.0]), "notice_from": st.floats(0, 200),
    "injunction": st.one_of(st.none(), st.floats(0, 360)), "halts": st.booleans(),
})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deterministic)
def test_without_randomness_the_expected_flow_is_the_simulation(p):
    """Two implementations of the rules agree where no chance is involved."""
    at, reqs = 0.0, []
    for i, gap in enumerate(p["gaps"]):
        at += gap
        reqs.append(request(f"R{i}", at, p["records"][i], p["accept"][i]))
    s = scenario(
        requests=reqs,
        review={"days": p["review"], "capacity": p["capacity"]},
        matching={"setup_days": p["setup"], "records_per_day": p["rpd"], "tin_rate": p["tin"],
                  "capacity": p["capacity"]},
        approval={"days": p["approval"]},
        notice=[{"from": day(p["notice_from"]), "hours": p["hours"], "relief": p["relief"]}],
        injunction=({"enabled": False} if p["injunction"] is None else
                    {"at": day(p["injunction"]), "halts_upstream": p["halts"]}),
    )
    result = simulate(compile_plan(s), 0, 0)
    flows = expected_flow(s)
    assert {k: result.counts[k] for k in STATES} == pytest.approx(totals(flows))
    sent = {name: t for t, name, _, event, _ in result.events if event == Event.TRANSFERRED}
    assert sent == pytest.approx({e.name: e.outcome_days for e in flows
                                  if e.outcome == "transferred"})


def test_parameter_rows_name_the_source_of_each_value():
    loaded = flowsim.load(SCENARIOS / "notice_72h.toml", ["approval.days=3"])
    rows = {r.key: r for r in parameter_rows(loaded)}
    assert rows["notice.0.hours"].source == "notice_72h.toml"
    assert rows["matching.tin_rate"].source == "baseline.toml (inherited)"
    assert rows["approval.days"].source == "--set"
    assert rows["injunction.enabled"].source == "default"
    days = loaded.raw["review"]["days"]
    assert rows["review.days"].value.startswith(
        f"Triangular(low={days['low']}, mode={days['mode']}, high={days['high']})")


def test_timeline_is_in_date_order():
    items = timeline(flowsim.load(SCENARIOS / "baseline.toml").scenario)
    assert [when for when, _ in items] == sorted(when for when, _ in items)
    assert any("injunction" in what for _, what in items)


def test_explain_command_prints_every_section(capsys):
    code = cli.main(["explain", str(SCENARIOS / "baseline.toml")])
    out = capsys.readouterr().out
    assert code == 0
    for heading in ("Parameters", "Timeline:", "Expected flow"):
        assert heading in out
    assert "June 27 request: arrives 2025-06-27" in out
    # The filers' seasons on the timeline, and what their figures rest on.
    assert "2026-04-15  filing season 2026: returns due" in out
    assert "the filers' response, seasons 2025 to 2027" in out
    assert "rest on assumptions, not measurement" in out


def test_expected_flow_queues_behind_a_busy_server():
    a, b = expected_flow(scenario(requests=[request("A", 10, 1000), request("B", 11, 1000)]))
    assert (a.matching_start_days, b.matching_start_days) == (pytest.approx(12), pytest.approx(25))
    assert b.outcome_days == pytest.approx(12 + 13 + 13 + 1)


def test_explain_says_what_a_scenario_changes_from_its_parent(capsys):
    assert cli.main(["explain", str(SCENARIOS / "notice_72h.toml")]) == 0
    out = capsys.readouterr().out
    section = out.split("What this scenario changes from baseline.toml:")[1].split("\n\n")[0]
    assert "notice.0.hours" in section and "72" in section
    assert "matching.tin_rate" not in section


def test_no_figure_prints_as_minus_zero():
    from flowsim.experiments.stats import interval_text, number_text

    assert number_text(-0.4) == "0" and number_text(-0.4, signed=True) == "+0"
    assert interval_text(-0.2, 0.3, signed=True) == "+0 to +0"
    assert number_text(-1234.6) == "-1,235"
