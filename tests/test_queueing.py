"""External truth: IRS legal review fed by a Poisson stream of requests, with exponential
review times, is an M/M/c queue, and its mean time in review is the textbook one."""

from __future__ import annotations

import datetime as dt
import math

import pytest

import flowsim
from helpers import scenario

YEARS_10 = dt.date(2034, 12, 31)


def erlang_c_time_in_system(arrivals_per_day: float, service_days: float, servers: int) -> float:
    """Mean time in an M/M/c queue (waiting and service): Erlang's C formula."""
    a = arrivals_per_day * service_days            # offered load, in servers
    rho = a / servers
    top = a ** servers / math.factorial(servers) / (1 - rho)
    waits = top / (sum(a ** k / math.factorial(k) for k in range(servers)) + top)
    return service_days + waits * service_days / (servers - a)


def mean_days_in_review(interval_days: float, review_days: float, reviewers: int) -> float:
    s = scenario(
        scenario={"end": YEARS_10, "replications": 4},
        requests=[],
        request_streams=[{"name": "poisson", "from": dt.datetime(2025, 1, 1),
                          "interval_days": {"dist": "exponential", "mean": interval_days},
                          "records": 10}],
        review={"days": {"dist": "exponential", "mean": review_days}, "capacity": reviewers},
        matching={"enabled": False},
        approval={"days": 0},
    )
    events = flowsim.run(s, replications=4).events
    times = events.pivot_table(index=["replication", "request"], columns="event",
                               values="time", aggfunc="first")
    done = times.dropna(subset=["arrived", "accepted"])
    waits = done["accepted"].map(dt.datetime.fromisoformat) - done["arrived"].map(
        dt.datetime.fromisoformat)
    assert len(done) > 5_000
    return waits.dt.total_seconds().mean() / 86_400


def test_the_formula_gives_the_m_m_1_textbook_value():
    assert erlang_c_time_in_system(0.5, 1.0, 1) == pytest.approx(1 / (1.0 - 0.5))


@pytest.mark.parametrize("interval_days, reviewers", [(2.0, 1), (2 / 3, 2)])
def test_time_in_review_matches_erlang_c(interval_days, reviewers):
    """Load 0.5 on one reviewer (2 days in review) and 0.75 on two (2.29 days), within 10 %
    over some 7,000 to 22,000 requests: the queue is first come, first served."""
    expected = erlang_c_time_in_system(1 / interval_days, 1.0, reviewers)
    assert mean_days_in_review(interval_days, 1.0, reviewers) == pytest.approx(expected, rel=0.1)
