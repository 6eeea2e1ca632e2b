"""Levers that mean what users think: the notice window matters, and each random
quantity has its own stream, so changing one parameter moves nothing else."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

import flowsim
from flowsim.experiments.sweep import parse_vary, sweep
from flowsim.model import Event, compile_plan, simulate

SCENARIOS = Path(__file__).parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
NOTICE = SCENARIOS / "notice_from_mou.toml"


def test_a_longer_notice_window_never_blocks_a_smaller_share():
    """The court rules on relief a while after notice: a longer window lets more rulings
    come in time, so the share of files blocked never falls, and no window blocks none."""
    hours = "0,12,24,48,72,168"
    result = sweep(flowsim.load(NOTICE), [parse_vary(f"notice.0.hours={hours}")],
                   replications=60)
    means = result.stats.set_index(["notice.0.hours", "metric"])["mean"]
    shares = []
    for h in hours.split(","):
        blocked, sent = means[(h, "blocked_notice")], means[(h, "transferred")]
        shares.append(blocked / (blocked + sent))
    assert shares[0] == 0
    assert all(b >= a for a, b in zip(shares, shares[1:]))
    assert shares[-1] > shares[2] > 0


def per_request(scenario, replications=30):
    """For each replication: each request's matched records, review and sign-off days."""
    plan = compile_plan(scenario)
    rows = []
    for r in range(replications):
        result = simulate(plan, scenario.scenario.seed, r)
        at = defaultdict(dict)
        matched = {}
        for t, name, _, event, records in result.events:
            at[name][event] = t
            if event == Event.MATCHED:
                matched[name] = records
        # Durations as differences of clock times: equal to 1e-9 days, not to the bit.
        rows.append({name: (matched.get(name),
                            round(e.get(Event.ACCEPTED, 0) - e.get(Event.REVIEW_STARTED, 0), 9),
                            round(e.get(Event.SIGNED_OFF, 0) - e.get(Event.MATCHED, 0), 9))
                     for name, e in at.items()})
    return rows


def test_making_setup_random_changes_no_other_quantity():
    base = flowsim.load(BASELINE).scenario
    random_setup = flowsim.load(BASELINE, [
        'matching.setup_days={dist="uniform", low=20, high=20.23}']).scenario
    assert per_request(random_setup) == per_request(base)


def test_making_the_window_random_leaves_the_relief_decisions_alone():
    fixed = flowsim.load(NOTICE, ["notice.0.ruling_days=0"])
    random_window = fixed.with_overrides(['notice.0.hours={dist="uniform", low=20, high=28}'])
    a = flowsim.run(fixed, replications=100).metrics["blocked_notice"]
    b = flowsim.run(random_window, replications=100).metrics["blocked_notice"]
    assert 0 < (a > 0).sum() < 100
    assert (a == b).all()


def test_a_higher_tin_rate_never_matches_fewer_records_in_a_replication():
    counts = [flowsim.run(flowsim.load(BASELINE, [f"matching.tin_rate={rate}"]),
                          replications=60).metrics["transferred_tin_path"]
              for rate in (0.02, 0.0332812, 0.0333, 0.05)]
    for low, high in zip(counts, counts[1:]):
        assert (high >= low).all()
    assert (counts[-1] > counts[0]).all()


def test_paired_differences_of_a_narrow_change_are_narrow():
    """A what-if that moves one quantity a little differs from the baseline, replication
    by replication, by about that little: the pairing holds."""
    base = flowsim.load(BASELINE)
    nudged = base.with_overrides(["matching.tin_rate=0.0333"])
    a = flowsim.run(base, replications=100).metrics["transferred"]
    b = flowsim.run(nudged, replications=100).metrics["transferred"]
    diff = b - a
    assert diff.min() >= 0
    assert np.std(diff) < 0.1 * np.std(a)
