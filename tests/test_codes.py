"""The codes of events and random streams are part of every history and of the ledger's
arrays: each stays what it is, and none is reused. A new event or stream takes a new code
(and a line here)."""

from __future__ import annotations

import pytest

from flowsim.model.outcomes import Event
from flowsim.model.seeding import Stream

EVENT_CODES = {"ARRIVED": 0, "REVIEW_STARTED": 1, "ACCEPTED": 2, "REJECTED": 3,
               "MATCHING_STARTED": 4, "MATCHED": 5, "UNMATCHED": 6, "SIGNED_OFF": 7,
               "NOTICE_FILED": 8, "TRANSFERRED": 9, "BLOCKED_NOTICE": 10,
               "BLOCKED_INJUNCTION": 11, "HALTED_UPSTREAM": 12}
STREAM_CODES = {"RECORDS": 1, "REVIEW": 2, "MATCHING": 3, "APPROVAL": 4, "NOTICE": 5,
                "ARRIVALS": 6, "IMPACT": 7, "UNCERTAIN": 8, "USE_ORDERS": 9, "INJUNCTION": 10,
                "FILING": 11}


@pytest.mark.parametrize("codes, enumeration", [(EVENT_CODES, Event), (STREAM_CODES, Stream)])
def test_every_code_stays_what_it_was(codes, enumeration):
    now = {member.name: int(member) for member in enumeration}
    assert {name: now.get(name) for name in codes} == codes
    added = set(now) - set(codes)
    assert not {now[name] for name in added} & set(codes.values()), \
        f"a new member reuses a retired or taken code: {sorted(added)}"


@pytest.mark.parametrize("enumeration", [Event, Stream])
def test_no_two_names_share_a_code(enumeration):
    codes = [int(member) for member in enumeration.__members__.values()]
    assert len(codes) == len(set(codes))


def test_events_are_labelled_by_their_code():
    from flowsim.experiments.run import EVENT_LABELS

    assert all(EVENT_LABELS[int(e)] == e.label for e in Event)
