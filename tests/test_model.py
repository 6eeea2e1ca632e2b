"""The model on small scenarios whose outcomes are worked out by hand."""

from __future__ import annotations

import math

import pytest

from flowsim.errors import ConservationError
from flowsim.model import compile_plan, simulate
from flowsim.model.ledger import Event, Ledger
from helpers import GATE_DAY, day, request, scenario


def one(s, replication: int = 0):
    return simulate(compile_plan(s), s.scenario.seed, replication)


def times(result, event: Event, request_name: str | None = None) -> list[float]:
    return [t for t, name, _, e, _ in result.events
            if e == event and (request_name is None or name == request_name)]


def test_plain_flow_reaches_gate_on_the_hand_computed_day():
    """Review, matching (setup + records / throughput) and sign-off add up exactly."""
    r = one(scenario())
    assert r.counts["transferred"] == 1000
    assert r.first_transfer_days == pytest.approx(GATE_DAY)


def test_notice_delays_a_file_by_exactly_its_hours():
    """A file under a notice rule waits `hours` and is then sent."""
    r = one(scenario(notice=[{"from": day(0), "hours": 36, "grant": 0.0}]))
    assert times(r, Event.NOTICE_FILED) == [pytest.approx(GATE_DAY)]
    assert r.first_transfer_days == pytest.approx(GATE_DAY + 1.5)


def test_notice_rule_outside_its_dates_does_not_apply():
    """A rule whose window ended before the file is ready leaves it alone."""
    r = one(scenario(notice=[{"from": day(0), "until": day(GATE_DAY - 1), "hours": 36,
                             "grant": 0.0}]))
    assert r.first_transfer_days == pytest.approx(GATE_DAY)


def test_relief_one_blocks_every_noticed_file():
    r = one(scenario(notice=[{"from": day(0), "hours": 24, "relief": 1.0}]))
    assert r.counts["blocked_notice"] == 1000
    assert r.counts["transferred"] == 0
    assert times(r, Event.BLOCKED_NOTICE) == [pytest.approx(GATE_DAY + 1)]


def test_min_records_exempts_smaller_files():
    """Files below the threshold go at once; files at or above it wait."""
    s = scenario(
        requests=[request("small", 10, 500), request("large", 10, 1000)],
        review={"capacity": 2},
        matching={"capacity": 2},
        notice=[{"from": day(0), "hours": 24, "min_records": 1000, "grant": 0.0}],
    )
    r = one(s)
    # small: 2 + 3 + 5 + 1 = 11 days after arrival; large: 2 + 3 + 10 + 1 = 16.
    assert times(r, Event.TRANSFERRED, "small") == [pytest.approx(10 + 11)]
    assert times(r, Event.TRANSFERRED, "large") == [pytest.approx(10 + 16 + 1)]
    assert times(r, Event.NOTICE_FILED, "small") == []


def test_first_listed_rule_applies_when_several_are_in_force():
    s = scenario(notice=[{"from": day(0), "hours": 12, "grant": 0.0},
                         {"from": day(0), "hours": 72, "grant": 0.0}])
    assert one(s).first_transfer_days == pytest.approx(GATE_DAY + 0.5)


def test_injunction_inside_notice_window_blocks_the_waiting_file():
    s = scenario(notice=[{"from": day(0), "hours": 48, "grant": 0.0}], injunction={"at": day(GATE_DAY + 1)})
    r = one(s)
    assert r.counts["blocked_injunction"] == 1000
    assert r.counts["transferred"] == 0
    assert times(r, Event.BLOCKED_INJUNCTION) == [pytest.approx(GATE_DAY + 1)]


def test_injunction_at_the_end_of_a_notice_window_blocks_the_file():
    """From its date no file is sent, not even one whose window ends that instant."""
    s = scenario(notice=[{"from": day(0), "hours": 24, "grant": 0.0}], injunction={"at": day(GATE_DAY + 1)})
    assert one(s).counts["blocked_injunction"] == 1000


def test_injunction_before_the_gate_blocks_later_files_and_keeps_earlier_ones():
    """An earlier disclosure stays disclosed; a file reaching the gate later is blocked."""
    s = scenario(
        requests=[request("early", 10, 1000), request("late", 40, 1000)],
        injunction={"at": day(50), "halts_upstream": False},
    )
    r = one(s)
    assert times(r, Event.TRANSFERRED, "early") == [pytest.approx(GATE_DAY)]
    assert times(r, Event.BLOCKED_INJUNCTION, "late") == [pytest.approx(40 + 16)]
    assert r.counts["transferred"] == 1000
    assert r.counts["blocked_injunction"] == 1000


def test_halting_injunction_stops_work_upstream_at_its_date():
    """With halts_upstream, records still in matching end halted upstream at the injunction:
    they never reached the gate, so they are not counted as blocked there."""
    s = scenario(injunction={"at": day(20), "halts_upstream": True})
    r = one(s)
    assert times(r, Event.HALTED_UPSTREAM) == [pytest.approx(20)]
    assert r.counts["halted_upstream"] == 1000 and r.counts["blocked_injunction"] == 0
    assert times(r, Event.MATCHED) == []


def test_a_file_ready_at_the_gate_is_blocked_not_halted():
    """Matching ends on day 25, sign-off on 26: an injunction on day 25.5 finds the file in
    sign-off (halted upstream); without halts_upstream it meets the file at the gate."""
    halting = one(scenario(injunction={"at": day(25.5), "halts_upstream": True}))
    assert halting.counts["halted_upstream"] == 1000
    gate_only = one(scenario(injunction={"at": day(25.5), "halts_upstream": False}))
    assert times(gate_only, Event.BLOCKED_INJUNCTION) == [pytest.approx(GATE_DAY)]
    assert gate_only.counts["blocked_injunction"] == 1000


def test_halting_injunction_blocks_requests_that_arrive_after_it():
    s = scenario(requests=[request("after", 30, 1000)], injunction={"at": day(20)})
    r = one(s)
    assert times(r, Event.HALTED_UPSTREAM) == [pytest.approx(30)]
    assert times(r, Event.REVIEW_STARTED) == []


def test_capacity_one_queues_the_second_matching_run():
    s = scenario(requests=[request("A", 10, 1000), request("B", 10, 1000)],
                 review={"capacity": 2})
    r = one(s)
    starts = {name: t for t, name, _, e, _ in r.events if e == Event.MATCHING_STARTED}
    assert starts == {"A": pytest.approx(12), "B": pytest.approx(12 + 13)} or starts == {
        "B": pytest.approx(12), "A": pytest.approx(12 + 13)}


def test_halt_stops_the_run_in_service_and_the_one_queued_behind_it():
    """A and B are reviewed by day 12; one matching run serves A or B from day 12 (to 25)
    while the other waits for it: a halt on day 20 ends both there, in service and in
    the queue, and the waiting one never starts."""
    s = scenario(requests=[request("A", 10, 1000), request("B", 10, 1000)],
                 review={"capacity": 2}, injunction={"at": day(20), "halts_upstream": True})
    r = one(s)
    assert times(r, Event.MATCHING_STARTED) == [pytest.approx(12)]
    assert times(r, Event.HALTED_UPSTREAM) == [pytest.approx(20)] * 2
    assert r.counts["halted_upstream"] == 2000 and r.counts["transferred"] == 0


def test_capacity_two_runs_both_matches_at_once():
    s = scenario(requests=[request("A", 10, 1000), request("B", 10, 1000)],
                 review={"capacity": 2}, matching={"capacity": 2})
    assert times(one(s), Event.MATCHING_STARTED) == [pytest.approx(12)] * 2


def test_review_capacity_one_queues_reviews():
    s = scenario(requests=[request("A", 10, 10), request("B", 10, 10)])
    assert sorted(times(one(s), Event.REVIEW_STARTED)) == [pytest.approx(10), pytest.approx(12)]


def test_accept_zero_rejects_every_record():
    r = one(scenario(requests=[request("R1", 10, 1000, accept=0.0)]))
    assert r.counts["rejected"] == 1000
    assert times(r, Event.REJECTED) == [pytest.approx(12)]
    assert times(r, Event.MATCHING_STARTED) == []


def test_rate_one_matches_every_record_on_the_tin_path():
    r = one(scenario())
    assert r.counts["transferred_tin_path"] == 1000
    assert r.counts["unmatched"] == 0


def test_name_address_rate_one_matches_the_rest():
    r = one(scenario(matching={"tin_rate": 0.0, "name_address_rate": 1.0}))
    assert r.counts["transferred"] == 1000
    assert r.counts["transferred_tin_path"] == 0


def test_rates_zero_match_nothing_and_make_no_file():
    r = one(scenario(matching={"tin_rate": 0.0, "name_address_rate": 0.0}))
    assert r.counts["unmatched"] == 1000
    assert r.counts["files_transferred"] == 0
    assert math.isnan(r.first_transfer_days)


def test_incomplete_address_rate_one_marks_every_disclosed_record():
    r = one(scenario(matching={"incomplete_address_rate": 1.0}))
    assert r.counts["transferred_incomplete_address"] == 1000


def test_records_still_in_the_pipeline_at_the_horizon_are_pending():
    s = scenario(scenario={"end": day(20)})
    r = one(s)
    assert r.counts["pending"] == 1000
    assert r.counts["transferred"] == 0


def test_request_stream_arrives_at_every_interval_until_its_end():
    s = scenario(
        requests=[],
        request_streams=[{"name": "S", "from": day(0), "until": day(35),
                          "interval_days": 10, "records": 10}],
        review={"days": 0},
    )
    r = one(s)
    assert times(r, Event.ARRIVED) == [pytest.approx(d) for d in (0, 10, 20, 30)]
    assert r.counts["requested"] == 40


def test_block_of_millions_costs_no_more_events_than_a_small_one():
    """Records move in blocks: the event log does not grow with the records."""
    small = one(scenario(requests=[request("R1", 10, 1000)]))
    huge = one(scenario(requests=[request("R1", 10, 7_300_000)],
                        matching={"records_per_day": 730_000}))
    assert len(huge.events) == len(small.events)


def test_ledger_refuses_to_settle_more_records_than_are_in_flight():
    ledger = Ledger()
    ledger.arrive(0.0, "R", 10)
    ledger.settle(1.0, "R", 0, Event.UNMATCHED, 6)
    with pytest.raises(ConservationError):
        ledger.settle(2.0, "R", 0, Event.REJECTED, 5)


def test_ledger_close_reports_a_breach():
    ledger = Ledger()
    ledger.arrive(0.0, "R", 10)
    ledger.totals["transferred"] += 3  # records appearing from nowhere
    with pytest.raises(ConservationError, match="requested"):
        ledger.close(0)


def test_impact_counts_people_at_disclosed_addresses():
    r = one(scenario(impact={"persons_per_address": 3, "mixed_status_share": 1.0}))
    assert r.counts["people_at_disclosed_addresses"] == 3000
    assert r.counts["people_in_mixed_status_households"] == 3000


def test_impact_counts_only_disclosed_files():
    s = scenario(impact={"persons_per_address": 3, "mixed_status_share": 0.5},
                 notice=[{"from": day(0), "hours": 24, "relief": 1.0}])
    assert one(s).counts["people_at_disclosed_addresses"] == 0


def test_only_the_tin_path_goes_out_on_incomplete_addresses():
    """The name-and-address path matched on the address: with no TIN path, no disclosure
    is on an incomplete address, whatever the rate; with only the TIN path, the rate's
    share of them are."""
    none = one(scenario(matching={"tin_rate": 0.0, "name_address_rate": 1.0,
                                  "incomplete_address_rate": 1.0}))
    assert none.counts["transferred"] == 1000
    assert none.counts["transferred_incomplete_address"] == 0
    every = one(scenario(matching={"tin_rate": 1.0, "incomplete_address_rate": 1.0}))
    assert every.counts["transferred_incomplete_address"] == 1000


def test_targets_split_the_disclosed_records_by_the_requests_share():
    """targets_share 0 and 1 give none and all; in between, targets and non-targets add up
    to what was disclosed, and a larger share never gives fewer targets (one split)."""
    def targets(share: float) -> tuple[int, int, int]:
        r = one(scenario(requests=[{**request("R1", 10, 1000), "targets_share": share}]))
        return (r.counts["transferred"], r.counts["transferred_targets"],
                r.counts["transferred_non_targets"])

    assert targets(0.0) == (1000, 0, 1000)
    assert targets(1.0) == (1000, 1000, 0)
    counts = [targets(share) for share in (0.1, 0.3, 0.6, 0.9)]
    assert all(sent == t + n for sent, t, n in counts)
    assert [t for _, t, _ in counts] == sorted(t for _, t, _ in counts)


def test_the_expected_flow_counts_targets_at_their_share():
    from flowsim.model.expected import expected_result

    s = scenario(requests=[{**request("R1", 10, 1000), "targets_share": 0.25}])
    counts = expected_result(s).counts
    assert counts["transferred_targets"] == pytest.approx(250)
    assert counts["transferred_non_targets"] == pytest.approx(750)


HALF_TIN = {"tin_rate": 0.5, "name_address_rate": 1.0}  # about half on each path


def tin_path_of_half_tin() -> int:
    """The TIN-path records of HALF_TIN's history without a rule: the same draws."""
    tin = one(scenario(matching=HALF_TIN)).counts["transferred_tin_path"]
    assert 0 < tin < 1000
    return tin


def test_a_ruling_scoped_to_the_tin_path_blocks_only_those_records():
    r = one(scenario(matching=HALF_TIN, notice=[{"from": day(0), "hours": 24, "relief": 1.0,
                                                 "covers": "tin_path"}]))
    tin = tin_path_of_half_tin()
    assert (r.counts["blocked_notice"], r.counts["transferred"]) == (tin, 1000 - tin)
    assert r.counts["transferred_tin_path"] == 0
    (sent,) = [t for t, _, _, event, _ in r.events if event == Event.TRANSFERRED]
    assert sent == pytest.approx(GATE_DAY + 1)  # the rest goes when the window ends


def test_an_injunction_scoped_to_the_tin_path_stops_only_those_records():
    r = one(scenario(matching=HALF_TIN, injunction={"at": day(GATE_DAY - 1), "covers": "tin_path",
                                                     "halts_upstream": False}))
    tin = tin_path_of_half_tin()
    assert (r.counts["blocked_injunction"], r.counts["transferred"]) == (tin, 1000 - tin)
    assert r.counts["transferred_tin_path"] == 0


def test_a_scoped_injunction_stops_at_the_gate_only():
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match="stops at the gate only"):
        scenario(injunction={"at": day(5), "covers": "tin_path"})


def test_a_second_gate_order_stops_what_the_first_lets_through():
    """Two files: one ready on day 26, one (arriving on day 40) on day 56. An injunction
    lifted on day 30 and a second order from day 50 block the first file and the second."""
    s = scenario(requests=[request("early", 10, 1000), request("late", 40, 1000)],
                 injunction={"at": day(20), "until": day(30), "halts_upstream": False},
                 gate_orders=[{"name": "second", "at": day(50), "halts_upstream": False}])
    r = one(s)
    assert times(r, Event.BLOCKED_INJUNCTION, "early") == [pytest.approx(GATE_DAY)]
    assert times(r, Event.BLOCKED_INJUNCTION, "late") == [pytest.approx(40 + 16)]
    assert r.counts["transferred"] == 0


HOLDING = {"at": day(20), "until": day(40), "halts_upstream": False, "holds": True}


def test_an_order_that_holds_releases_the_file_when_it_is_lifted():
    """Ready on day 26 under an order from day 20 to day 40 that holds files: it waits at
    the gate and is sent on day 40, whole."""
    r = one(scenario(injunction=HOLDING))
    assert [(t, e) for t, _, _, e, _ in r.events if e >= Event.SIGNED_OFF] == [
        (pytest.approx(GATE_DAY), Event.SIGNED_OFF), (pytest.approx(40), Event.TRANSFERRED)]
    assert r.counts["transferred"] == 1000


def test_an_order_that_holds_and_is_never_lifted_leaves_the_file_waiting():
    r = one(scenario(injunction={**HOLDING, "until": None}))
    assert r.counts["pending"] == 1000 and r.counts["blocked_injunction"] == 0


def test_a_held_file_is_blocked_by_an_order_that_comes_while_it_waits():
    """Held from day 26; a second order, from day 30, blocks every file for good."""
    r = one(scenario(injunction=HOLDING,
                     gate_orders=[{"name": "second", "at": day(30), "halts_upstream": False}]))
    assert times(r, Event.BLOCKED_INJUNCTION) == [pytest.approx(30)]


@pytest.mark.parametrize("order, fragment", [
    ({**HOLDING, "until": None, "halts_upstream": True}, "halts_upstream = false"),
    ({**HOLDING, "covers": "tin_path"}, "covers every record"),
])
def test_only_an_order_that_lets_work_on_and_covers_everything_holds(order, fragment):
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=fragment) as err:
        scenario(injunction=order)
    assert err.value.key == "injunction.holds"


def test_a_gate_order_halts_upstream_work_without_the_injunction():
    """With `[injunction]` off, a listed order that halts upstream stops matching at its
    date, as the injunction would."""
    s = scenario(injunction={"enabled": False}, gate_orders=[{"name": "D. Mass.", "at": day(20)}])
    r = one(s)
    assert times(r, Event.HALTED_UPSTREAM) == [pytest.approx(20)]
    assert r.counts["halted_upstream"] == 1000


def test_gate_orders_draw_their_own_scoped_share():
    """Two orders each covering half of the TIN path block, together, about three quarters
    of it: each draws on its own entity, so the second does not repeat the first."""
    two = one(scenario(injunction={"at": day(20), "covers": "tin_path", "share": 0.5,
                                   "halts_upstream": False},
                       gate_orders=[{"name": "second", "at": day(20), "covers": "tin_path",
                                     "share": 0.5, "halts_upstream": False}]))
    assert 750 - 60 <= two.counts["blocked_injunction"] <= 750 + 60


def test_gate_order_names_are_unique():
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match="names must be unique") as err:
        scenario(gate_orders=[{"name": "a", "at": day(5)}, {"name": "a", "at": day(9)}])
    assert err.value.key == "gate_orders.1.name"


def answering(name: str, at_day: float, after: str, lag_days: float = 0.0, **more):
    return {**request(name, at_day, 1000), "after": after, "lag_days": lag_days, **more}


def test_a_request_that_answers_a_rejection_comes_one_lag_after_it():
    """A (day 10) is rejected when its 2-day review ends on day 12; B answers it 3 days
    later, on day 15, and is disclosed 2 + 13 + 1 days after that."""
    s = scenario(requests=[request("A", 10, 1000, accept=0.0), answering("B", 10, "A", 3)])
    r = one(s)
    assert times(r, Event.REJECTED, "A") == [pytest.approx(12)]
    assert times(r, Event.ARRIVED, "B") == [pytest.approx(15)]
    assert times(r, Event.TRANSFERRED, "B") == [pytest.approx(15 + 16)]


def test_an_answer_is_not_sent_before_its_own_date():
    s = scenario(requests=[request("A", 10, 1000, accept=0.0), answering("B", 40, "A", 3)])
    assert times(one(s), Event.ARRIVED, "B") == [pytest.approx(40)]


def test_an_answer_to_an_accepted_request_is_never_sent():
    """B is in no event and no count: only A's records were requested."""
    s = scenario(requests=[request("A", 10, 1000), answering("B", 10, "A")])
    r = one(s)
    assert [e for e in r.events if e[1] == "B"] == []
    assert r.counts["requested"] == 1000 and r.counts["transferred"] == 1000


def test_an_answer_to_a_request_halted_before_review_is_never_sent():
    s = scenario(requests=[request("A", 10, 1000, accept=0.0), answering("B", 10, "A")],
                 injunction={"at": day(11)})
    r = one(s)
    assert r.counts["requested"] == 1000 and r.counts["halted_upstream"] == 1000


def test_with_means_an_answer_carries_the_share_rejected():
    """explain's expected flow: A is accepted with probability 0.25, so B is expected to
    be sent with 75% of its records."""
    from flowsim.model.expected import expected_flow

    s = scenario(requests=[request("A", 10, 1000, accept=0.25), answering("B", 10, "A")],
                 review={"capacity": 2}, matching={"capacity": 2})
    flows = {e.name: e for e in expected_flow(s)}
    assert flows["B"].records == pytest.approx(750)
    assert flows["B"].arrival_days == pytest.approx(12)


@pytest.mark.parametrize("requests, key, fragment", [
    ([answering("B", 10, "A"), request("A", 10, 1000)], "requests.0.after",
     "a request can only answer one listed before it"),
    ([request("A", 10, 1000), answering("B", 10, "Z")], "requests.1.after", "one of: A"),
    ([request("A", 10, 1000), {**request("B", 10, 1000), "lag_days": 2}], "requests.1.lag_days",
     "name the rejected request in after"),
])
def test_an_answer_names_a_request_listed_before_it(requests, key, fragment):
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=fragment) as err:
        scenario(requests=requests)
    assert err.value.key == key


def test_people_are_split_person_by_person_into_mixed_status_homes_and_citizen_children():
    """1,000 records at 3 people an address are 3,000 people; with mean draws, half of them
    in mixed-status homes (1,500) and 30 % of those citizen children (450)."""
    from flowsim.model.expected import expected_result

    s = scenario(impact={"persons_per_address": 3, "mixed_status_share": 0.5,
                         "citizen_children_share": 0.3})
    counts = expected_result(s).counts
    assert (counts["people_at_disclosed_addresses"], counts["people_in_mixed_status_households"],
            counts["citizen_children_in_mixed_status_households"]) == pytest.approx((3000, 1500, 450))


def test_without_a_share_the_citizen_children_are_unknown_not_zero():
    import flowsim

    s = scenario(impact={"persons_per_address": 3, "mixed_status_share": 0.5})
    stats = flowsim.run(s, replications=2).stats.set_index("metric")
    assert stats.loc["citizen_children_in_mixed_status_households", "replications"] == 0
    assert stats.loc["people_in_mixed_status_households", "replications"] == 2
