"""Where a requested record can end, and the other counts a replication keeps: each
declared once.

The ledger's states, the columns of summary.csv and daily.csv, the chart styles, the
report's and the terminal's labels, `explain`'s totals and the tests' helpers all derive
from `OUTCOMES` and `MEASURES`. Adding an end state is one `Outcome` here (and the event
that settles records in it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, unique


@unique
class Event(IntEnum):
    """What can happen to a block of records, as logged in events.csv.

    Each code is how a replication records the event (the ledger's arrays hold codes):
    a new event takes a new code, and no code is ever changed or reused
    (`tests/test_codes.py` holds them)."""

    ARRIVED = 0
    REVIEW_STARTED = 1
    ACCEPTED = 2
    REJECTED = 3
    MATCHING_STARTED = 4
    MATCHED = 5
    UNMATCHED = 6
    SIGNED_OFF = 7
    NOTICE_FILED = 8
    TRANSFERRED = 9
    BLOCKED_NOTICE = 10
    BLOCKED_INJUNCTION = 11
    HALTED_UPSTREAM = 12

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Outcome:
    """An end state of a record."""

    name: str                 # its column in summary.csv and daily.csv
    event: Event | None       # the event that settles records in it; None: what is left
    label: str                # in charts, tables and the terminal
    description: str          # what it means, for the README and data dictionaries
    colour: str               # Okabe-Ito, with a hatch that survives greyscale
    hatch: str


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("rejected", Event.REJECTED, "rejected by IRS review",
            "IRS legal review found the request insufficient", "#999999", "//"),
    Outcome("unmatched", Event.UNMATCHED, "not matched",
            "neither the TIN path nor the name-and-address path matched it", "#56B4E9", ".."),
    Outcome("transferred", Event.TRANSFERRED, "disclosed to ICE",
            "disclosed to ICE", "#D55E00", ""),
    Outcome("blocked_notice", Event.BLOCKED_NOTICE, "blocked during a notice window",
            "the court granted relief while the file waited out a notice window",
            "#009E73", "xx"),
    Outcome("blocked_injunction", Event.BLOCKED_INJUNCTION, "blocked by an order at the gate",
            "a file that was ready (at the gate or in a notice window) when an injunction or "
            "another order at the gate came", "#0072B2", "\\\\"),
    Outcome("halted_upstream", Event.HALTED_UPSTREAM, "halted upstream by an order",
            "records still waiting for or in review, matching or sign-off when an order at "
            "the gate that halts upstream work came (or arriving after it)", "#CC79A7", "++"),
    Outcome("pending", None, "still in the pipeline at the horizon",
            "still in the pipeline at the end of the horizon", "#F0E442", "--"),
)


@dataclass(frozen=True)
class Holding:
    """What the receiving agency may do with records it was sent or may view, at a time:
    the states after disclosure (`after.py`)."""

    name: str
    label: str
    description: str
    colour: str
    hatch: str
    sent: bool = True         # records sent can be in it
    viewed: bool = True       # records it could only view can be in it


AFTER_STATES: tuple[Holding, ...] = (
    Holding("usable", "usable by the receiving agency",
            "records the receiving agency may use", "#D55E00", ""),
    Holding("use_barred", "held, use barred by a court",
            "records it holds but a court order bars it from using", "#0072B2", "\\\\"),
    Holding("disposed", "disposed of", "records an order had it destroy or return",
            "#999999", "//"),
    Holding("access_ended", "out of reach: view access ended",
            "records it could only view, after its access ended", "#F0E442", "..",
            sent=False),
)


def horizon_measure(state: str, viewed: bool) -> str:
    """The count of records in `state` at the horizon: of records sent, or (`viewed`) of
    records the receiving agency could only view, kept apart."""
    return f"viewed_{state}_at_horizon" if viewed else f"{state}_at_horizon"


# Each state at the horizon, for records sent and for records viewed: (measure, state, viewed).
HORIZON_MEASURES: tuple[tuple[str, Holding, bool], ...] = (
    *((horizon_measure(h.name, False), h, False) for h in AFTER_STATES if h.sent),
    *((horizon_measure(h.name, True), h, True) for h in AFTER_STATES if h.viewed),
)


@dataclass(frozen=True)
class Measure:
    """A count a replication keeps beside the end states."""

    name: str
    label: str
    part_of: str = ""         # the state it counts a part of, shown under it
    unit: str = "records"
    description: str = ""     # for the data dictionary; the label when empty
    needs: str = ""           # the scenario table without which it is unknown, not zero


MEASURES: tuple[Measure, ...] = (
    Measure("transferred_tin_path", "…of them matched on SSN/ITIN alone (found deficient)",
            "transferred", description="disclosed records matched on the SSN/ITIN alone, "
            "the path the IRS later found deficient"),
    Measure("transferred_incomplete_address", "…of them with an incomplete address",
            "transferred", description="disclosed records whose address was incomplete"),
    Measure("transferred_targets", "…of them about the investigation's targets",
            "transferred", description="disclosed records about people who were the "
            "investigation's targets (the request's targets_share; 1 unless it says)"),
    Measure("transferred_non_targets", "…of them about people who were not targets",
            "transferred", description="disclosed records about people who were not the "
            "investigation's targets"),
    Measure("files_transferred", "files disclosed", unit="files",
            description="files (batches of matched records) disclosed to ICE"),
    Measure("people_at_disclosed_addresses", "people living at disclosed addresses",
            unit="people", description="people living at the disclosed addresses ([impact])",
            needs="impact"),
    Measure("people_in_mixed_status_households", "…of them in mixed-status households",
            unit="people", description="of those people, those in mixed-status households "
            "([impact])", needs="impact"),
    Measure("citizen_children_in_mixed_status_households", "…of them US-citizen children",
            unit="people", description="of the people in mixed-status households, the "
            "US-citizen children ([impact] citizen_children_share)", needs="impact"),
    Measure("returns_not_filed", "returns not filed (the filers' response to the sharing)",
            unit="returns", description="returns the filers of [filing] did not file over its "
            "seasons, in response to the sharing as they perceived it", needs="filing"),
    Measure("income_tax_not_paid", "income tax not paid", unit="dollars",
            description="income tax those returns would have paid, over the seasons of "
            "[filing]", needs="filing"),
    Measure("payroll_tax_not_paid", "payroll tax not paid", unit="dollars",
            description="payroll tax not withheld from those who stopped filing and left pay "
            "that is withheld, over the seasons of [filing]", needs="filing"),
    Measure("revenue_not_paid", "federal revenue not paid (income and payroll tax)",
            unit="dollars", description="income and payroll tax not paid, over the seasons "
            "of [filing]", needs="filing"),
    Measure("requests_sent_late", "requests sent after their date (the rejection they "
            "answer came later)", unit="requests", description="listed requests that answer "
            "another's rejection (after) and were sent later than their own date, because "
            "that rejection came after it: 0 when the record's order of requests holds"),
    Measure("accessed", "records it could view without transfer ([[access]])",
            description="records the receiving agency was given access to view, not sent"),
    *(Measure(name, f"{h.label} at the horizon "
              f"({'records it could only view' if viewed else 'records sent'})", description=f"at the end of the horizon, of the records "
              f"{'it could only view ([[access]]), kept apart' if viewed else 'sent'}: "
              f"{h.description}")
      for name, h, viewed in HORIZON_MEASURES),
    Measure("usable_record_days", "record-days usable (how long the data could be acted on)",
            unit="record-days", description="records sent to the receiving agency and usable "
            "by it, times the days they were usable, summed from each disclosure to the "
            "horizon"),
    Measure("viewable_record_days", "record-days it could view without transfer",
            unit="record-days", description="records the receiving agency could only view "
            "([[access]]) and use, times the days it could, summed to the horizon: kept apart "
            "from the records sent"),
)

REQUESTED_LABEL = "records requested"
STATES = tuple(o.name for o in OUTCOMES)
# The state of records no event settled: still in the pipeline at the horizon.
LEFT_IN_PIPELINE = next(o.name for o in OUTCOMES if o.event is None)
TERMINAL_EVENTS = {o.event: o.name for o in OUTCOMES if o.event is not None}
# Per-replication counts in summary.csv, in column order.
COUNTS = ("requested", *STATES, *(m.name for m in MEASURES))
LABELS = {"requested": REQUESTED_LABEL, **{o.name: o.label for o in OUTCOMES},
          **{m.name: m.label for m in MEASURES}}
# What each count counts, and what it means, for data dictionaries.
UNITS = {"requested": "records", **{o.name: "records" for o in OUTCOMES},
         **{m.name: m.unit for m in MEASURES}}
DESCRIPTIONS = {"requested": "records ICE asked for",
                **{o.name: o.description for o in OUTCOMES},
                **{m.name: m.description or m.label for m in MEASURES}}


def outcome(name: str) -> Outcome:
    return next(o for o in OUTCOMES if o.name == name)


# Counts kept for checks and files, not for the tables a reader sees first.
QUIET = ("files_transferred", "requests_sent_late")


def display_order(skip: tuple[str, ...] = QUIET) -> tuple[str, ...]:
    """The counts as a table shows them: requested, each state with its parts under it,
    then the other measures."""
    order = ["requested"]
    for state in STATES:
        order.append(state)
        order += [m.name for m in MEASURES if m.part_of == state]
    order += [m.name for m in MEASURES if not m.part_of]
    return tuple(name for name in order if name not in skip)
