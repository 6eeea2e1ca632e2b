"""Every scenario parameter, declared once: its table, key, kind, unit, label, default
and bounds.

The schema (`schema.py`), the compiled plan and its per-replication draws (`model/`),
`explain`'s rows and the controls of a page all derive from these declarations. A new
parameter is one `Param` in its table; a new table (a court rule, a stage) is one
`TableSpec` added to `TABLES`.

Kinds: the six distribution kinds of `distributions` (`duration`, `amount`,
`positive`, `count`, `rate`, `money`: a number or a `{ dist = ... }` table), and `date`,
`whole` (a whole number within `low`..`high`), `flag`, `text`, `name` (a non-empty
string), `slug` (a-z, 0-9, `_` and `-`) and `choice` (one of `choices`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..errors import ScenarioError
from . import distributions as D

REQUIRED = object()  # the default of a parameter that must be given
DISTRIBUTION_KINDS = ("duration", "amount", "positive", "count", "rate", "money")
# Kinds that say which item a value is (a request's name) rather than how it behaves.
IDENTITY_KINDS = ("name", "slug", "text")


@dataclass(frozen=True)
class Param:
    """One value of a scenario table."""

    key: str                      # its key in the TOML table
    kind: str
    unit: str
    label: str
    default: Any = REQUIRED
    low: float | None = None      # bounds of a whole number
    high: float | None = None
    field: str = ""               # the attribute name, where the key is a Python keyword
    divides: bool = False         # the model divides by it: its reciprocal needs a mean
    choices: tuple[str, ...] = ()  # the words a `choice` may be

    @property
    def name(self) -> str:
        return self.field or self.key

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def random(self) -> bool:
        """A number-or-distribution parameter (one that can be drawn)."""
        return self.kind in DISTRIBUTION_KINDS

    @property
    def lever(self) -> bool:
        """A value that changes what happens (a page control), not one that names an item."""
        return self.kind not in IDENTITY_KINDS

    @property
    def numeric(self) -> bool:
        """A value given as a number (or a distribution of numbers)."""
        return self.random or self.kind == "whole"


# The groups a page shows a scenario's values in, in order: the court's rules first.
GROUPS = ("the court's rules", "ICE's requests", "the IRS's work", "people")
UNTIL_AFTER_FROM = (("until", "from"),)


@dataclass(frozen=True)
class TableSpec:
    """A scenario table: `[key]`, or a list of tables `[[key]]` when `many`."""

    key: str
    model: str                    # the name of its schema class
    label: str
    params: tuple[Param, ...]
    many: bool = False
    # How a list item is named in random streams: by its `name`, or by its index.
    item_key: str = "index"
    # A single table that may be left out: None, or the value it takes when left out.
    absent: Any = REQUIRED
    # Which of `GROUPS` a page shows its values in as controls ("": not a control).
    group: str = ""
    # Dates that must come in order in each item: (later key, earlier key) pairs.
    ordered: tuple[tuple[str, str], ...] = ()
    # Checks across an item's values (and the scenario's horizon): each gets the item, its
    # dotted key and the whole scenario, and raises a ScenarioError naming the key at fault.
    checks: tuple[Callable[[Any, str, Any], None], ...] = ()

    def param(self, key: str) -> Param:
        return next(p for p in self.params if p.key == key)


META = TableSpec("scenario", "Meta", "the scenario", (
    Param("name", "slug", "", "name, which names the output folder"),
    Param("title", "text", "", "title", default=""),
    Param("question", "text", "", "the question it answers", default=""),
    Param("headline", "text", "", "the metric its question is about, which every summary "
          "leads with (default transferred: records disclosed)", default="transferred"),
    Param("start", "date", "", "clock zero"),
    Param("end", "date", "", "the end of the horizon"),
    Param("replications", "whole", "replications", "replications", default=200, low=1,
          high=1_000_000),
    Param("seed", "whole", "", "seed", default=0, low=0, high=2**63 - 1),
))

NAME = Param("name", "name", "", "name")

def _within_the_horizon(request: Any, key: str, s: Any) -> None:
    meta = s.scenario
    if not meta.start <= request.at <= meta.end:
        raise ScenarioError(f"must fall between scenario.start and scenario.end "
                            f"({meta.start.date()} to {meta.end.date()})", key=f"{key}.at")


def _not_before_the_start(stream: Any, key: str, s: Any) -> None:
    start = s.scenario.start
    if stream.start < start:
        raise ScenarioError(f"must not be before scenario.start ({start.date()})",
                            key=f"{key}.from")


def _answers_an_earlier_request(request: Any, key: str, s: Any) -> None:
    index = int(key.rsplit(".", 1)[1])
    if not request.after:
        if "lag_days" in request.model_fields_set:
            raise ScenarioError("lag_days is the time from a rejection to this request: "
                                "name the rejected request in after", key=f"{key}.lag_days")
        return
    earlier = [r.name for r in s.requests[:index]]
    if request.after not in earlier:
        raise ScenarioError(f"names no request listed before this one ({request.after!r}); "
                            + ("one of: " + ", ".join(earlier) if earlier else
                               "a request can only answer one listed before it"),
                            key=f"{key}.after")


REQUESTS = TableSpec("requests", "Request", "a request", (
    NAME,
    Param("at", "date", "", "arrives (at the earliest, when it answers a rejection)"),
    Param("records", "count", "records", "records requested"),
    Param("accept", "rate", "probability", "chance that review accepts it",
          default=D.Fixed(1.0)),
    Param("targets_share", "rate", "share", "share of its records that are the investigation's "
          "targets (default 1: ICE's claim that all are, which the court doubted)",
          default=D.Fixed(1.0)),
    Param("after", "text", "", "sent only if this earlier request (its name) is rejected, "
          "and not before its rejection", default=""),
    Param("lag_days", "duration", "days", "days from that rejection to this request",
          default=D.Fixed(0.0)),
), many=True, item_key="name", group="ICE's requests",
   checks=(_within_the_horizon, _answers_an_earlier_request))

REQUEST_STREAMS = TableSpec("request_streams", "RequestStream", "a stream of recurring requests", (
    NAME,
    Param("from", "date", "", "first request", field="start"),
    Param("until", "date", "", "no request after", default=None),
    Param("interval_days", "positive", "days", "days between requests"),
    Param("records", "count", "records", "records per request"),
    Param("accept", "rate", "probability", "chance that review accepts each",
          default=D.Fixed(1.0)),
    Param("targets_share", "rate", "share", "share of its records that are the investigation's "
          "targets (default 1: ICE's claim that all are, which the court doubted)",
          default=D.Fixed(1.0)),
), many=True, item_key="name", group="ICE's requests", ordered=UNTIL_AFTER_FROM,
   checks=(_not_before_the_start,))

REVIEW = TableSpec("review", "Review", "IRS legal review", (
    Param("days", "duration", "days", "review time"),
    Param("capacity", "whole", "reviews at once", "reviewers", default=1, low=1, high=10**6),
), group="the IRS's work")

def _matching_rates_given(m: Any, key: str, s: Any) -> None:
    if m.enabled:
        for name in ("records_per_day", "tin_rate", "name_address_rate"):
            if getattr(m, name) is None:
                raise ScenarioError("is required while matching is enabled (or set "
                                    "matching.enabled = false to hand records over whole)",
                                    key=f"{key}.{name}")


MATCHING = TableSpec("matching", "Matching", "the IRS matching run", (
    Param("enabled", "flag", "", "records are matched (false: a dataset is handed over "
          "whole, as one file)", default=True),
    Param("capacity", "whole", "runs at once", "matching runs at once", default=1, low=1,
          high=10**6),
    Param("setup_days", "duration", "days", "set-up time of a run", default=D.Fixed(0.0)),
    Param("records_per_day", "positive", "records a day", "throughput", divides=True,
          default=None),
    Param("tin_rate", "rate", "share", "share matched through an SSN/ITIN", default=None),
    Param("name_address_rate", "rate", "share", "share of the rest matched by name and address",
          default=None),
    Param("incomplete_address_rate", "rate", "share", "share of TIN-path matches with an "
          "incomplete address (the TIN path did not check it)", default=D.Fixed(0.0)),
), group="the IRS's work", checks=(_matching_rates_given,))

APPROVAL = TableSpec("approval", "Approval", "sign-off", (
    Param("days", "duration", "days", "sign-off time", default=D.Fixed(0.0)),
), absent={}, group="the IRS's work")

# What a court order after disclosure does to the records it covers.
ORDER_EFFECTS = ("bar_use", "dispose", "allow_use")
# The records an order or a gate rule may cover, and how a sentence names them.
ORDER_COVERS = ("all", "tin_path", "incomplete_address")
COVERS_TEXT = {"all": "the records", "tin_path": "the TIN-path records",
               "incomplete_address": "the incomplete-address records"}

def _relief_or_grant(rule: Any, key: str, s: Any) -> None:
    given = rule.model_fields_set
    if "relief" in given and "grant" in given:
        raise ScenarioError("give relief (the older form: a ruling always in time) or "
                            "grant with ruling_days, not both", key=f"{key}.grant")
    if "ruling_days" in given and "grant" not in given:
        raise ScenarioError("ruling_days needs grant (relief assumes a ruling always in "
                            "time)", key=f"{key}.ruling_days")
    if "relief" not in given and "grant" not in given:
        # Without either a rule could only delay, which a reader would not guess.
        raise ScenarioError("say what a ruling can do: give grant (the chance that a ruling "
                            "within the window blocks the file, with ruling_days) or relief; "
                            "grant = 0 makes the rule a delay only", key=f"{key}.grant")


NOTICE = TableSpec("notice", "Notice", "a notice rule", (
    Param("from", "date", "", "in force from", field="start"),
    Param("until", "date", "", "in force until", default=None),
    Param("hours", "duration", "hours", "notice window"),
    Param("min_records", "whole", "records", "smallest file that needs notice", default=1,
          low=0, high=D.MAX_RECORDS),
    Param("relief", "rate", "probability", "chance that the court blocks the file (the older "
          "form of grant, with a ruling always in time)", default=D.Fixed(0.0)),
    Param("ruling_days", "duration", "days", "notice to the court's ruling on relief",
          default=D.Fixed(0.0)),
    Param("grant", "rate", "probability", "chance that a ruling in time blocks the file",
          default=None),
    Param("covers", "choice", "", "the records of each file it covers", default="all",
          choices=ORDER_COVERS),
    Param("share", "rate", "share", "share of those records it covers", default=D.Fixed(1.0)),
), many=True, group="the court's rules", ordered=UNTIL_AFTER_FROM, checks=(_relief_or_grant,))

def _injunction_dated(inj: Any, key: str, s: Any) -> None:
    if inj.enabled and inj.at is None:
        raise ScenarioError(f"is required while the order is enabled (or set "
                            f"{key}.enabled = false)", key=f"{key}.at")
    start = s.scenario.start
    if inj.enabled and inj.at < start:
        raise ScenarioError(f"must not be before scenario.start ({start.date()}); an "
                            "order in force from the start is at = scenario.start",
                            key=f"{key}.at")


def _scoped_stops_at_the_gate(inj: Any, key: str, s: Any) -> None:
    scoped = inj.until is not None or inj.share.mean < 1 or inj.covers != "all"
    if inj.enabled and inj.halts_upstream and scoped:
        raise ScenarioError("an order that covers a share of the records, or is lifted, "
                            f"stops at the gate only: set {key}.halts_upstream = false",
                            key=f"{key}.halts_upstream")


# An order at the transfer gate (an injunction): the one declaration of its values, for
# the single `[injunction]` and for each of `[[gate_orders]]`.
GATE_ORDER_PARAMS = (
    Param("enabled", "flag", "", "in force", default=True),
    Param("at", "date", "", "from", default=None),
    Param("until", "date", "", "lifted on", default=None),
    Param("covers", "choice", "", "the records of each file it covers", default="all",
          choices=ORDER_COVERS),
    Param("share", "rate", "share", "share of each file's records it covers (the plaintiffs' "
          "share, say)", default=D.Fixed(1.0)),
    Param("halts_upstream", "flag", "", "stops review and matching too", default=True),
    Param("holds", "flag", "", "files that reach the gate while it is in force wait there "
          "and go on once it is lifted (false: they are blocked for good)", default=False),
)


def _holds_at_the_gate(inj: Any, key: str, s: Any) -> None:
    if not (inj.enabled and inj.holds):
        return
    if inj.halts_upstream:
        raise ScenarioError("an order that holds files at the gate lets the work before it "
                            f"go on: set {key}.halts_upstream = false", key=f"{key}.holds")
    if inj.covers != "all" or inj.share.mean < 1:
        raise ScenarioError("only an order that covers every record can hold files at the "
                            "gate", key=f"{key}.holds")


GATE_ORDER_CHECKS = (_scoped_stops_at_the_gate, _injunction_dated, _holds_at_the_gate)

INJUNCTION = TableSpec("injunction", "Injunction", "the injunction", GATE_ORDER_PARAMS,
                       absent={"enabled": False}, group="the court's rules",
                       ordered=(("until", "at"),), checks=GATE_ORDER_CHECKS)

# More orders at the gate, beside `[injunction]`: each stops transfers from its date on.
GATE_ORDERS = TableSpec("gate_orders", "GateOrder", "a further order at the gate",
                        (NAME, *GATE_ORDER_PARAMS), many=True, item_key="name",
                        group="the court's rules", ordered=(("until", "at"),),
                        checks=GATE_ORDER_CHECKS)

ACCESS = TableSpec("access", "Access", "access without transfer", (
    NAME,
    Param("from", "date", "", "access from", field="start"),
    Param("until", "date", "", "access until", default=None),
    Param("records", "count", "records", "records the receiving agency may view"),
), many=True, item_key="name", group="the court's rules", ordered=UNTIL_AFTER_FROM)

USE_ORDERS = TableSpec("use_orders", "UseOrder", "a court order on records already disclosed", (
    NAME,
    Param("from", "date", "", "in force from", field="start"),
    Param("until", "date", "", "in force until", default=None),
    Param("effect", "choice", "", "what it does to the records it covers (bar_use: may not "
          "be used; dispose: destroyed, for good; allow_use: a bar lifted for them)",
          choices=ORDER_EFFECTS),
    Param("covers", "choice", "", "the disclosed records it covers", default="all",
          choices=ORDER_COVERS),
    Param("of", "text", "", "only the records of this request, stream or access (its name)",
          default=""),
    Param("within", "text", "", "only the records an earlier order covers (its name)",
          default=""),
    Param("share", "rate", "share", "share of those records it covers", default=D.Fixed(1.0)),
), many=True, item_key="name", group="the court's rules", ordered=UNTIL_AFTER_FROM)

IMPACT = TableSpec("impact", "Impact", "people at disclosed addresses (workshop figures)", (
    Param("persons_per_address", "amount", "people", "people per disclosed address"),
    Param("mixed_status_share", "rate", "share", "share of them in mixed-status households"),
    Param("citizen_children_share", "rate", "share", "share of the people in mixed-status "
          "households who are US-citizen children (unknown when not given)", default=None),
), absent=None, group="people")

# How a filing response recovers once the sharing stops (`model/filing.py`).
RECOVERY_SHAPES = ("none", "linear", "exponential")


def _seasons_in_order(f: Any, key: str, s: Any) -> None:
    if f.last_season < f.first_season:
        raise ScenarioError(f"must not come before first_season ({f.first_season})",
                            key=f"{key}.last_season")
    if f.recovery != "none" and f.recovery_days is None:
        raise ScenarioError(f"is required when recovery is {f.recovery!r} (the days over "
                            "which the response recovers, or its half-life when "
                            "exponential); or set recovery = \"none\"",
                            key=f"{key}.recovery_days")


FILING = TableSpec("filing", "Filing", "filers and their response to the sharing", (
    Param("filers", "count", "filers", "filers who file a return each season"),
    Param("income_tax_dollars", "money", "dollars a season", "income tax their returns "
          "pay each season, all of them together"),
    Param("payroll_tax_dollars", "money", "dollars a season", "payroll tax withheld from "
          "their pay each season, all of them together", default=D.Fixed(0.0)),
    Param("response", "rate", "share", "share of the filers who stop filing while the "
          "sharing is carried out (the full response)"),
    Param("payroll_share", "rate", "share", "share of those who stop filing who also leave "
          "pay that is withheld (and stop paying payroll tax)", default=D.Fixed(0.0)),
    Param("announced", "date", "", "the sharing announced (none: only disclosures are "
          "perceived)", default=None),
    Param("announced_level", "rate", "share", "share of the full response once the "
          "sharing is announced, before any record is disclosed", default=D.Fixed(0.0)),
    Param("recovery", "choice", "", "how the response fades once the sharing stops "
          "(none: it stays)", default="none", choices=RECOVERY_SHAPES),
    Param("recovery_days", "duration", "days", "days for the response to fade (linear), "
          "or its half-life (exponential)", default=None),
    Param("first_season", "whole", "year", "the first filing season counted (its returns "
          "due on 15 April)", low=1900, high=2200),
    Param("last_season", "whole", "year", "the last filing season counted", low=1900,
          high=2200),
), absent=None, group="people", checks=(_seasons_in_order,))

# Every table, in the order of a resolved scenario.
TABLES: tuple[TableSpec, ...] = (META, REQUESTS, REQUEST_STREAMS, REVIEW, MATCHING, APPROVAL,
                                 NOTICE, INJUNCTION, GATE_ORDERS, IMPACT, FILING, ACCESS,
                                 USE_ORDERS)


# The tables a page offers as controls, group by group.
CONTROL_TABLES: tuple[TableSpec, ...] = tuple(
    t for g in GROUPS for t in TABLES if t.group == g)


def spec_of(table_key: str) -> TableSpec:
    return next(t for t in TABLES if t.key == table_key)


def param_of(key: str) -> Param | None:
    """The declaration behind a dotted scenario key (`notice.0.hours`), or None."""
    parts = [p for p in key.split(".") if not p.isdigit()]
    if len(parts) < 2:
        return None
    table = next((t for t in TABLES if t.key == parts[0]), None)
    if table is None:
        return None
    return next((p for p in table.params if p.key == parts[1]), None)


def is_whole(key: str) -> bool:
    """A key that counts things: a value given or fitted for it is a whole number."""
    param = param_of(key)
    return param is not None and param.kind in ("whole", "count")
