"""The ledger of record states: where every requested record is, and the event log.

Records are counted in blocks. Each request's records still in the pipeline are held
in `in_flight` under the request; each terminal event moves records out of it into one
of the end states. At the horizon whatever is still in flight is `pending`, and the
ledger checks that every requested record is in exactly one state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


from ..errors import ConservationError
from .after import AfterDisclosure, Disclosure, Segment
from .filing import Season
from .outcomes import COUNTS, LEFT_IN_PIPELINE, STATES, TERMINAL_EVENTS, Event


# An event as logged: time in days, request name, file number (0: none), event, records.
LoggedEvent = tuple[float, str, int, Event, int]


@dataclass
class ReplicationResult:
    replication: int
    counts: dict[str, int]
    first_transfer_days: float
    last_transfer_days: float
    events: list[LoggedEvent]
    # The stretches of time the records after disclosure spent in each state.
    after_segments: list[Segment] = field(default_factory=list)
    # Each filing season's returns not filed and tax not paid ([filing]).
    seasons: list[Season] = field(default_factory=list)


@dataclass
class Ledger:
    # Whole records in a simulation; expected (fractional) ones when `explain` runs the
    # flow with mean draws, where conservation holds to rounding.
    exact: bool = True
    events: list[LoggedEvent] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    first_transfer_days: float = math.nan
    last_transfer_days: float = math.nan
    disclosures: list[Disclosure] = field(default_factory=list)

    def log(self, t: float, request: str, file: int, event: Event, records: int) -> None:
        self.events.append((t, request, file, event, records))

    def arrive(self, t: float, request: str, records: int) -> None:
        if request in self.in_flight:
            raise ConservationError(f"request {request!r} arrived twice")
        self.in_flight[request] = records
        self.totals["requested"] += records
        self.log(t, request, 0, Event.ARRIVED, records)

    def settle(self, t: float, request: str, file: int, event: Event, records: int) -> None:
        """Move `records` of `request` out of the pipeline into the end state of `event`."""
        left = self.in_flight[request] - records
        if not self.exact and -1e-6 * max(1.0, records) < left < 0:
            left = 0.0
        if records < 0 or left < 0:
            raise ConservationError(
                f"request {request!r}: {event.label} of {records} records, "
                f"but only {self.in_flight[request]} in the pipeline"
            )
        self.in_flight[request] = left
        self.totals[TERMINAL_EVENTS[event]] += records
        self.log(t, request, file, event, records)

    def transfer(self, t: float, request: str, file: int, records: int, *, tin_path_records: int,
                 incomplete_address_records: int, people: int = 0,
                 mixed_status_people: int = 0, citizen_children: int = 0,
                 target_records: int | None = None) -> None:
        self.settle(t, request, file, Event.TRANSFERRED, records)
        self.totals["transferred_tin_path"] += tin_path_records
        self.totals["transferred_incomplete_address"] += incomplete_address_records
        targets = records if target_records is None else target_records
        self.totals["transferred_targets"] += targets
        self.totals["transferred_non_targets"] += records - targets
        self.totals["people_at_disclosed_addresses"] += people
        self.totals["people_in_mixed_status_households"] += mixed_status_people
        self.totals["citizen_children_in_mixed_status_households"] += citizen_children
        self.totals["files_transferred"] += 1
        self.disclosures.append(Disclosure(t, request, file, records, tin_path_records,
                                           incomplete_address_records))
        if math.isnan(self.first_transfer_days):
            self.first_transfer_days = t
        self.last_transfer_days = t

    def close(self, replication: int, after: AfterDisclosure | None = None,
              seasons: list[Season] | None = None) -> ReplicationResult:
        """The replication's result, after checking that no record was made or lost,
        before disclosure or after it."""
        totals = dict(self.totals)
        totals[LEFT_IN_PIPELINE] = sum(self.in_flight.values())
        accounted = sum(totals[s] for s in STATES)
        off = accounted - totals["requested"]
        if off != 0 and (self.exact or abs(off) > 1e-6 * max(1.0, totals["requested"])):
            raise ConservationError(
                f"replication {replication}: {totals['requested']} records requested but "
                f"{accounted} accounted for ({', '.join(f'{s}={totals[s]}' for s in STATES)})"
            )
        segments: list[Segment] = []
        if after is not None:
            held = totals["transferred"] + totals["accessed"]
            whole = (lambda x: int(round(x))) if self.exact else float
            for name, records in after.at_horizon.items():
                totals[name] = whole(records)
            totals["usable_record_days"] = whole(after.usable_record_days)
            totals["viewable_record_days"] = whole(after.viewable_record_days)
            after_total = sum(after.at_horizon.values())
            if abs(after_total - held) > (0 if self.exact else 1e-6 * max(1.0, held)):
                raise ConservationError(
                    f"replication {replication}: {held} records disclosed or viewable but "
                    f"{after_total} accounted for after disclosure")
            segments = after.segments
        return ReplicationResult(replication, totals, self.first_transfer_days,
                                 self.last_transfer_days, self.events, segments,
                                 list(seasons or ()))
