"""After disclosure: use bars, disposal, scoped and partly lifted orders, view access,
a scoped injunction at the gate and a pipeline without matching, each worked out by hand.

The hand scenario (helpers.BASE) discloses one file of 1,000 records on day 26; its
horizon ends with 2025-12-31, day 365.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsim.experiments.run import run
from flowsim.model import compile_plan, simulate
from flowsim.model.after import daily_counts
from flowsim.model.outcomes import AFTER_STATES
from flowsim.model.seeding import MeanDraws
from flowsim.errors import ScenarioError

from helpers import GATE_DAY, day, request, scenario

HORIZON = 365.0


def order(name: str, at_day: float, effect: str, **extra) -> dict:
    return {"name": name, "from": day(at_day), "effect": effect, **extra}


class Replication:
    """A replication's result with its daily records after disclosure, as run.py builds
    them for the daily tables."""

    def __init__(self, s, r: int) -> None:
        plan = compile_plan(s)
        result = simulate(plan, 7, r)
        self.counts, self.first_transfer_days = result.counts, result.first_transfer_days
        segments = np.array(result.after_segments, dtype=float).reshape(-1, 4)
        daily = daily_counts(np.zeros(len(segments), dtype=np.int64), segments, 1, plan.days,
                             plan.horizon_days)[0]
        self.after_daily = {h.name: daily[i] for i, h in enumerate(AFTER_STATES)}


def replication(s, r: int = 0) -> Replication:
    return Replication(s, r)


def test_without_orders_every_disclosed_record_stays_usable():
    r = replication(scenario())
    c = r.counts
    assert c["usable_at_horizon"] == c["transferred"] == 1000
    assert c["usable_record_days"] == round(1000 * (HORIZON - GATE_DAY))
    assert r.after_daily["usable"][GATE_DAY - 1] == 0 and r.after_daily["usable"][GATE_DAY] == 1000


def test_a_use_bar_turns_exactly_the_covered_records_barred_on_its_date():
    r = replication(scenario(use_orders=[order("bar", 100, "bar_use")]))
    c = r.counts
    assert (c["usable_at_horizon"], c["use_barred_at_horizon"]) == (0, 1000)
    assert c["usable_record_days"] == 1000 * (100 - GATE_DAY)
    daily = r.after_daily
    assert daily["usable"][99] == 1000 and daily["use_barred"][99] == 0   # day 99 ends before
    assert daily["usable"][100] == 0 and daily["use_barred"][100] == 1000


def test_a_bar_that_ends_makes_the_records_usable_again():
    r = replication(scenario(use_orders=[order("bar", 100, "bar_use", until=day(200))]))
    assert r.counts["usable_at_horizon"] == 1000
    assert r.counts["usable_record_days"] == round(1000 * ((100 - GATE_DAY) + (HORIZON - 200)))


def test_disposal_of_incomplete_addresses_removes_exactly_those():
    s = scenario(matching={"incomplete_address_rate": 0.25},
                 use_orders=[order("dispose", 50, "dispose", covers="incomplete_address")])
    r = replication(s)
    c = r.counts
    assert c["disposed_at_horizon"] == c["transferred_incomplete_address"] > 0
    assert c["usable_at_horizon"] == 1000 - c["transferred_incomplete_address"]


def test_a_bar_on_the_tin_path_covers_exactly_those_records():
    s = scenario(matching={"tin_rate": 0.6, "name_address_rate": 1.0},
                 use_orders=[order("bar", 50, "bar_use", covers="tin_path")])
    c = replication(s).counts
    assert c["use_barred_at_horizon"] == c["transferred_tin_path"]
    assert c["usable_at_horizon"] == 1000 - c["transferred_tin_path"]


@pytest.mark.parametrize("effect", ["bar_use", "dispose"])
def test_a_scope_of_0_is_no_rule_and_of_1_the_whole_rule(effect):
    plain = replication(scenario())
    none = replication(scenario(use_orders=[order("o", 100, effect, share=0.0)]))
    whole = replication(scenario(use_orders=[order("o", 100, effect, share=1.0)]))
    unscoped = replication(scenario(use_orders=[order("o", 100, effect)]))
    assert none.counts == plain.counts
    assert whole.counts == unscoped.counts
    np.testing.assert_array_equal(whole.after_daily["usable"], unscoped.after_daily["usable"])


def test_a_scoped_bar_covers_its_share_drawn_once_per_file():
    s = scenario(use_orders=[order("bar", 100, "bar_use", share=0.4)])
    barred = [replication(s, r).counts["use_barred_at_horizon"] for r in range(60)]
    assert all(0 < b < 1000 for b in barred)
    assert np.mean(barred) == pytest.approx(400, abs=25)  # binomial(1000, 0.4): sd 15.5 / sqrt(60)


def test_a_partly_lifted_order_allows_exactly_the_allowed_share():
    s = scenario(use_orders=[order("bar", 100, "bar_use"),
                             order("lift", 200, "allow_use", within="bar", share=0.25)])
    for r in range(5):
        result = replication(s, r)
        c = result.counts
        allowed = c["usable_at_horizon"]
        assert allowed + c["use_barred_at_horizon"] == 1000
        assert result.after_daily["usable"][199] == 0 and result.after_daily["usable"][200] == allowed
        assert c["usable_record_days"] == round(1000 * (100 - GATE_DAY) + allowed * (HORIZON - 200))
    everything = replication(scenario(use_orders=[
        order("bar", 100, "bar_use"), order("lift", 200, "allow_use", within="bar", share=1.0)]))
    assert everything.counts["usable_at_horizon"] == 1000


def test_an_order_of_one_request_leaves_the_others_alone():
    s = scenario(requests=[request("R1", 10, 1000), request("R2", 10, 500)],
                 use_orders=[order("bar", 100, "bar_use", of="R2")])
    c = replication(s).counts
    assert c["transferred"] == 1500 and c["use_barred_at_horizon"] == 500


def test_view_access_is_usable_while_it_lasts():
    s = scenario(access=[{"name": "view", "from": day(50), "until": day(80), "records": 10_000}],
                 use_orders=[order("bar", 60, "bar_use", of="view", share=1.0)])
    c = replication(s).counts
    assert c["accessed"] == 10_000 and c["viewed_access_ended_at_horizon"] == 10_000
    # Records sent and records it could only view are counted apart.
    assert c["usable_at_horizon"] == 1000 and c["viewed_usable_at_horizon"] == 0
    assert c["usable_record_days"] == round(1000 * (HORIZON - GATE_DAY))
    assert c["viewable_record_days"] == 10_000 * (60 - 50)


def test_records_after_disclosure_are_conserved_in_every_replication():
    s = scenario(matching={"incomplete_address_rate": 0.3, "tin_rate": 0.5,
                           "name_address_rate": 1.0},
                 access=[{"name": "view", "from": day(20), "until": day(300), "records": 777}],
                 use_orders=[order("d", 40, "dispose", covers="incomplete_address", share=0.5),
                             order("b", 90, "bar_use", share=0.7),
                             order("l", 150, "allow_use", within="b", share=0.3)])
    for r in range(30):
        c = replication(s, r).counts
        sent = sum(c[f"{state}_at_horizon"] for state in ("usable", "use_barred", "disposed"))
        viewed = sum(c[f"viewed_{state}_at_horizon"] for state in
                     ("usable", "use_barred", "disposed", "access_ended"))
        assert (sent, viewed) == (c["transferred"], c["accessed"]) == (1000, 777)


def test_a_scoped_injunction_at_the_gate_blocks_its_share_and_sends_the_rest():
    s = scenario(injunction={"at": day(20), "share": 0.3, "halts_upstream": False})
    counts = [replication(s, r).counts for r in range(40)]
    for c in counts:
        assert c["blocked_injunction"] + c["transferred"] == 1000
        assert 0 < c["blocked_injunction"] < 1000
    assert np.mean([c["blocked_injunction"] for c in counts]) == pytest.approx(300, abs=25)


def test_a_lifted_injunction_blocks_nothing_after_its_end():
    lifted = replication(scenario(injunction={"at": day(5), "until": day(20),
                                              "halts_upstream": False})).counts
    assert lifted["transferred"] == 1000 and lifted["blocked_injunction"] == 0
    held = replication(scenario(injunction={"at": day(5), "until": day(40),
                                            "halts_upstream": False})).counts
    assert held["blocked_injunction"] == 1000


def test_a_scoped_injunction_must_stop_at_the_gate():
    with pytest.raises(ScenarioError, match="halts_upstream"):
        scenario(injunction={"at": day(20), "share": 0.3})


def test_without_matching_the_dataset_goes_whole_as_one_file():
    s = scenario(matching={"enabled": False})
    r = replication(s)
    assert r.counts["transferred"] == 1000 and r.counts["files_transferred"] == 1
    # Review 2 days from day 10, sign-off 1 day: the gate on day 13.
    assert r.first_transfer_days == pytest.approx(13)


@pytest.mark.parametrize("orders, key, words", [
    ([order("a", 10, "allow_use")], "use_orders.0.within", "name the bar in within"),
    ([order("a", 10, "bar_use", within="b")], "use_orders.0.within", "names no earlier order"),
    ([order("a", 10, "bar_use", of="nobody")], "use_orders.0.of", "names no request"),
    ([order("a", 10, "ban")], "use_orders.0.effect", "bar_use"),
])
def test_bad_orders_are_one_line_naming_the_key(orders, key, words):
    with pytest.raises(ScenarioError) as caught:
        scenario(use_orders=orders)
    assert key in str(caught.value) and words in str(caught.value)


def test_explain_follows_the_same_orders_with_mean_draws():
    s = scenario(use_orders=[order("bar", 100, "bar_use", share=0.4)])
    expected = simulate(compile_plan(s), 7, 0, MeanDraws).counts
    assert expected["use_barred_at_horizon"] == pytest.approx(400)
    assert expected["usable_at_horizon"] == pytest.approx(600)


def test_the_daily_tables_hold_the_states_after_disclosure():
    s = scenario(use_orders=[order("bar", 100, "bar_use")])
    result = run(s, replications=3)
    stats = result.daily_stats
    barred = stats[stats["state"] == "use_barred"].set_index("date")["mean"]
    assert barred.loc["2025-04-10"] == 0 and barred.loc["2025-04-11"] == 1000  # day 100


@settings(max_examples=40, deadline=None)
@given(shares=st.lists(st.floats(0, 1), min_size=1, max_size=4),
       starts=st.lists(st.integers(0, 364), min_size=4, max_size=4),
       effects=st.lists(st.sampled_from(["bar_use", "dispose"]), min_size=4, max_size=4),
       covers=st.lists(st.sampled_from(["all", "tin_path", "incomplete_address"]),
                       min_size=4, max_size=4),
       lift=st.floats(0, 1), rep=st.integers(0, 50))
def test_property_after_disclosure_conserves_and_stays_within_bounds(shares, starts, effects,
                                                                     covers, lift, rep):
    orders = [order(f"o{i}", starts[i], effects[i], covers=covers[i], share=share)
              for i, share in enumerate(shares)]
    if effects[0] == "bar_use":
        orders.append(order("lift", starts[1], "allow_use", within="o0", share=lift))
    s = scenario(matching={"incomplete_address_rate": 0.2, "tin_rate": 0.5,
                           "name_address_rate": 1.0}, use_orders=orders)
    r = replication(s, rep)
    c = r.counts
    held = sum(c[f"{x}_at_horizon"] for x in ("usable", "use_barred", "disposed"))
    assert held == c["transferred"]
    assert 0 <= c["usable_record_days"] <= c["transferred"] * (HORIZON - GATE_DAY) + 1
    for d in range(int(HORIZON)):
        total = sum(r.after_daily[x][d] for x in ("usable", "use_barred", "disposed"))
        assert total == (c["transferred"] if d >= GATE_DAY else 0)
