"""Uncertain inputs: drawn once per replication, shared by every request, held on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowsim
from flowsim.scenario import distributions as D
from flowsim.model import compile_plan, simulate
from flowsim.model.ledger import Event
from helpers import request, scenario

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"
RATE = {"dist": "uniform", "low": 0.0, "high": 1.0}


def matched_shares(s, replication):
    result = simulate(compile_plan(s), s.scenario.seed, replication)
    return [n / 1_000_000 for _, _, _, e, n in result.events if e == Event.MATCHED]


def two_requests(tin_rate):
    return scenario(requests=[request("A", 10, 1_000_000), request("B", 10, 1_000_000)],
                    review={"capacity": 2}, matching={"capacity": 2, "records_per_day": 10**6,
                                                      "tin_rate": tin_rate})


def test_per_replication_value_is_shared_by_every_request():
    s = two_requests({**RATE, "per": "replication"})
    a, b = matched_shares(s, 0)
    assert a == pytest.approx(b, abs=0.005)  # one rate, two binomial draws
    assert matched_shares(s, 1)[0] != pytest.approx(a, abs=0.01)


def test_per_entity_value_is_drawn_for_each_request():
    shares = [matched_shares(two_requests(RATE), r) for r in range(5)]
    assert any(abs(a - b) > 0.05 for a, b in shares)


def test_uncertain_input_is_common_to_scenarios_that_share_it():
    """Keyed by the parameter, the draw survives changes elsewhere in the scenario."""
    s1 = two_requests({**RATE, "per": "replication"})
    s2 = scenario(requests=[request("A", 10, 1_000_000)], review={"capacity": 2},
                  matching={"capacity": 2, "records_per_day": 10**6,
                            "tin_rate": {**RATE, "per": "replication"}},
                  approval={"days": 5})
    for r in range(3):
        assert matched_shares(s1, r)[0] == pytest.approx(matched_shares(s2, r)[0], abs=0.005)


def test_per_must_be_entity_or_replication():
    with pytest.raises(D.ParamError, match="per must be"):
        D.parse({**RATE, "per": "run"})
    assert repr(D.parse({**RATE, "per": "replication"})) == \
        "Uniform(low=0, high=1) per replication"


def test_holding_uncertain_inputs_at_their_means_narrows_the_spread():
    loaded = flowsim.load(BASELINE)
    held = loaded.held_at_means().scenario
    assert held.requests[2].records == D.Fixed(1_283_333)
    rate = held.matching.incomplete_address_rate  # uniform from 0.052 to 0.0553, held
    assert isinstance(rate, D.Fixed) and rate.mean == pytest.approx(0.05365)
    uncertain = flowsim.run(loaded, replications=60).summary
    chance = flowsim.run(held, replications=60).summary
    for column in ("transferred", "people_at_disclosed_addresses"):
        assert chance[column].std() < uncertain[column].std()


def test_hold_uncertain_leaves_a_scenario_without_uncertainty_alone():
    loaded = flowsim.load(BASELINE, ["requests.2.records=1280000",
                                     "matching.incomplete_address_rate=0.02",
                                     "impact.persons_per_address=3",
                                     "impact.mixed_status_share=0.4",
                                     "impact.citizen_children_share=0.3",
                                     "filing.filers=4000000",
                                     "filing.income_tax_dollars=22e9",
                                     "filing.payroll_tax_dollars=43e9",
                                     "filing.response=0.2", "filing.payroll_share=1",
                                     "filing.announced_level=0.5",
                                     "filing.recovery_days=700"])
    assert loaded.held_at_means().scenario == loaded.scenario


def test_held_values_say_where_they_came_from(tmp_path, capsys):
    """The manifest's parameters agree with its resolved scenario."""
    import json

    from flowsim import cli

    assert cli.main(["run", str(BASELINE), "-n", "2", "--no-charts", "--hold-uncertain",
                     "--out", str(tmp_path / "r")]) == 0
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    rows = {row["key"]: row for row in manifest["parameters"]}
    assert manifest["resolved_scenario"]["requests"][2]["records"] == 1_283_333
    assert rows["requests.2.records"]["value"] == "1,283,333"
    assert rows["requests.2.records"]["source"] == "--hold-uncertain"
    assert "held at its mean" in rows["requests.2.records"]["note"]
    assert manifest["overrides"] == ["--hold-uncertain"]


def test_a_streams_uncertain_size_is_one_draw_shared_by_all_its_requests():
    from flowsim.model import Event, compile_plan, simulate

    loaded = flowsim.load(BASELINE, [
        'request_streams=[{name="s", from=2025-07-01, until=2025-09-01, interval_days=10, '
        'records={dist="uniform", low=1000, high=2000, per="replication"}}]'])
    plan = compile_plan(loaded.scenario)
    sizes = []
    for r in range(5):
        events = simulate(plan, 1, r).events
        sizes.append({n for _, name, _, e, n in events
                      if e == Event.ARRIVED and name.startswith("s #")})
    assert all(len(s) == 1 for s in sizes)  # one size within a replication
    assert len(set().union(*sizes)) > 1     # and another in the next


MEDICAID = Path(__file__).parents[1] / "scenarios" / "medicaid" / "baseline.toml"


def shared_input_scenario(**inputs):
    """One named input referred to by the TIN rate and by a scoped injunction's share."""
    return scenario(inputs={"share": RATE, **inputs},
                    matching={"tin_rate": {"input": "share"}},
                    injunction={"at": "2025-12-01", "share": {"input": "share"},
                                "halts_upstream": False})


def test_a_named_input_is_one_draw_wherever_it_is_referred_to():
    plan = compile_plan(shared_input_scenario())
    drawn = [plan.for_replication(7, r) for r in range(5)]
    values = [(p["matching"].tin_rate.mean, p["injunction"].share.mean) for p in drawn]
    assert all(a == b for a, b in values)
    assert len({a for a, _ in values}) == 5  # and a new draw in each replication


def test_a_named_input_draws_alike_in_every_scenario_that_declares_it():
    """Keyed by the input's name: the draw does not depend on which keys refer to it."""
    one_key = compile_plan(scenario(inputs={"share": RATE}, matching={"tin_rate": {"input": "share"}}))
    two_keys = compile_plan(shared_input_scenario())
    for r in range(3):
        assert (one_key.for_replication(7, r)["matching"].tin_rate
                == two_keys.for_replication(7, r)["matching"].tin_rate)


def test_the_medicaid_plaintiff_share_is_one_quantity():
    """The injunction and the bar on the view access cover the same share in each history,
    no lower than the plaintiff states' published enrollment (FACTS:
    medicaid-enrollment-plaintiffs, about 29 %)."""
    s = flowsim.load(MEDICAID).scenario
    plan = compile_plan(s)
    for r in range(20):
        drawn = plan.for_replication(s.scenario.seed, r)
        view_bar = next(o for o in drawn["use_orders"] if o.name == "plaintiff states: view access")
        assert drawn["injunction"].share.mean == view_bar.share.mean >= 0.29


@pytest.mark.parametrize("value, key, fragment", [
    ({"input": "shar"}, "matching.tin_rate.input", "names no input ('shar') (did you mean 'share'?)"),
    ({"input": "share", "per": "replication"}, "matching.tin_rate.per", "takes only input"),
])
def test_a_bad_reference_names_its_key(value, key, fragment):
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError) as err:
        scenario(inputs={"share": RATE}, matching={"tin_rate": value})
    assert err.value.key == key and fragment in str(err.value)


def test_a_named_input_is_checked_where_it_is_used():
    """A share of 0 to 2 is a fine input, but not a rate."""
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match="between 0 and 1") as err:
        scenario(inputs={"share": {"dist": "uniform", "low": 0, "high": 2}},
                 matching={"tin_rate": {"input": "share"}})
    assert err.value.key == "matching.tin_rate"


def test_a_bad_input_names_its_own_key():
    from flowsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match="uniform needs high") as err:
        scenario(inputs={"share": {"dist": "uniform", "low": 0}})
    assert err.value.key == "inputs.share.high"


def test_holding_uncertain_inputs_holds_named_ones_and_reads_back():
    loaded = flowsim.load(MEDICAID)
    held = loaded.held_at_means()
    assert held.scenario.injunction.share.inner == D.Fixed(pytest.approx(0.445))
    assert held.source_of("inputs.plaintiff_share") == "--hold-uncertain"
    from flowsim.scenario.schema import scenario_of

    assert scenario_of(loaded.scenario.to_toml_dict()) == loaded.scenario
