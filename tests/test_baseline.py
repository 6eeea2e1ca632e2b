"""The shipped baseline reproduces the public record (record/record.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import flowsim
from flowsim.model.plan import days_between

ROOT = Path(__file__).parents[1]
DISCLOSED = 47_289            # FACTS: timeline, 2025-08-07
TIN_PATH = 42_695             # FACTS: timeline, 2026-02-26
DISCLOSURE = dt.datetime(2025, 8, 7)
NOTICE_ORDER = dt.datetime(2025, 9, 5)


@pytest.fixture(scope="module")
def result():
    return flowsim.run(flowsim.load(ROOT / "scenarios" / "baseline.toml"))


def test_runs_200_replications_by_default(result):
    assert result.replications == 200


def test_mean_disclosed_is_within_one_percent_of_the_record(result):
    assert result.metrics["transferred"].mean() == pytest.approx(DISCLOSED, rel=0.01)


def test_tin_path_disclosures_are_within_one_percent_of_the_record(result):
    assert result.metrics["transferred_tin_path"].mean() == pytest.approx(TIN_PATH, rel=0.01)


def test_disclosure_date_matches_the_record(result):
    start = result.scenario.scenario.start
    target = days_between(start, DISCLOSURE)
    first = result.metrics["first_transfer_days"]
    assert abs(np.median(first) - target) <= 3
    p05, p95 = np.percentile(first, [5, 95])
    assert p05 <= target + 1 and p95 >= target


def test_one_file_and_nothing_after_the_notice_orders(result):
    start = result.scenario.scenario.start
    assert (result.metrics["files_transferred"] == 1).all()
    assert (result.metrics["last_transfer_days"] < days_between(start, NOTICE_ORDER)).all()


def test_rejected_is_the_first_two_requests_in_every_replication(result):
    assert (result.metrics["rejected"] == 14_900_000).all()


def test_each_request_comes_after_the_previous_one_is_rejected_and_on_its_own_date(result):
    """The record's order holds in every history: the second and third requests answer a
    rejection, and review is short enough that each still comes on its reported date."""
    events = result.events

    def when(event: str):
        return events[events["event"] == event].pivot(index="replication", columns="request",
                                                       values="time")

    arrived, rejected = when("arrived"), when("rejected")
    assert (arrived["June 24 request"] == "2025-06-24T00:00:00").all()
    assert (arrived["June 27 request"] == "2025-06-27T00:00:00").all()
    assert (rejected["June 5 request"] <= arrived["June 24 request"]).all()
    assert (rejected["June 24 request"] <= arrived["June 27 request"]).all()
