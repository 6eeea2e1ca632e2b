"""The scenario schema, built from the parameter declarations (`parameters.py`).

Each table of `parameters.TABLES` becomes a frozen pydantic model that forbids unknown
keys; `Scenario` composes them. `check_consistency` holds the checks across keys that
no single field can express, and the bounds on the work a scenario may ask for.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator,
                      ValidationInfo, create_model)

from ..errors import ScenarioError
from . import distributions as D
from .parameters import META, REQUIRED, TABLES, Param, TableSpec

# -- value types ---------------------------------------------------------------------


def _param_type(kind: D.Kind, divides: bool = False) -> Any:
    def validate(value: Any, info: ValidationInfo) -> D.Distribution:
        inputs = (info.context or {}).get(INPUTS_KEY)
        checked = D.check_kind(D.parse(value, inputs), kind)
        return D.check_reciprocal(checked) if divides else checked

    return Annotated[
        D.Distribution,
        PlainValidator(validate),
        PlainSerializer(lambda d: d.as_toml()),
    ]


def _moment(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise D.ParamError(f"must be a date such as 2025-06-27 (got {value!r})") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise D.ParamError("must be a local date or date-time, without a time-zone offset")
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raise D.ParamError(f"must be a date such as 2025-06-27 (got {value!r})")


def _moment_toml(value: dt.datetime) -> dt.date | dt.datetime:
    return value.date() if value.time() == dt.time() else value


Moment = Annotated[dt.datetime, PlainValidator(_moment), PlainSerializer(_moment_toml)]
Flag = Annotated[bool, Field(strict=True)]

# Bounds on the work a scenario may ask for, so that no valid file runs without end.
MAX_REPLICATIONS = int(META.param("replications").high)
MAX_HORIZON_DAYS = 3653  # ten years
MAX_REQUESTS = 100_000  # listed, plus those streams are expected to make, per replication
MAX_EXTENDS = 32  # files in one extends chain
MAX_DEPTH = 32  # nesting of tables and lists in one file
MAX_FILE_BYTES = 64 * 2**20
# Each order after disclosure may split every part of a file in two.
MAX_USE_ORDERS = 8


class Table(BaseModel):
    """A scenario table: frozen, and no key it does not declare."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _value_type(param: Param) -> Any:
    if param.random:
        kind = _param_type(param.kind, param.divides)  # type: ignore[arg-type]
        return kind if param.default is not None else kind | None
    if param.kind == "date":
        return Moment if param.required or param.default is not None else Moment | None
    if param.kind == "whole":
        return Annotated[int, Field(ge=param.low, le=param.high, strict=True)]
    if param.kind == "flag":
        return Flag
    if param.kind == "slug":
        return Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    if param.kind == "name":
        return Annotated[str, Field(min_length=1)]
    if param.kind == "choice":
        return Literal[param.choices]  # type: ignore[valid-type]
    return str


def _model(spec: TableSpec) -> type[Table]:
    fields: dict[str, Any] = {}
    for param in spec.params:
        default = ... if param.required else param.default
        alias = {"alias": param.key} if param.field else {}
        fields[param.name] = (_value_type(param), Field(default, **alias))
    return create_model(spec.model, __base__=Table, __doc__=spec.label, __module__=__name__,
                        **fields)


MODELS: dict[str, type[Table]] = {spec.key: _model(spec) for spec in TABLES}
# Each table's class under its own name here, where pickle looks for it.
globals().update({spec.model: MODELS[spec.key] for spec in TABLES})


def _table_field(spec: TableSpec) -> tuple[Any, Any]:
    model = MODELS[spec.key]
    if spec.many:
        return list[model], []  # type: ignore[valid-type]
    if spec.absent is REQUIRED:
        return model, ...
    if spec.absent is None:
        return model | None, None
    return model, model(**spec.absent)


class _Scenario(Table):
    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def acts_after_disclosure(self) -> bool:
        """Whether anything happens to records after disclosure: court orders on their
        use, or access to view records without transfer."""
        return bool(self.use_orders or self.access)

    def to_toml_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain TOML-like data (dates kept as dates)."""
        return self.model_dump(by_alias=True)


def jsonable(value: Any) -> Any:
    """Scenario data as JSON data: dates and times in ISO 8601."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# Named uncertain inputs: `[inputs]` declares each once (a number or a distribution), and a
# value anywhere refers to one as `{ input = "name" }`, drawn once per replication and the
# same draw wherever it is referred to.
INPUTS_KEY = "inputs"
INPUT_NAME = r"^[a-z][a-z0-9_]*$"


def _input_value(value: Any) -> D.Distribution:
    dist = D.parse(value)
    return dist.inner if isinstance(dist, D.PerReplication) else dist


InputValue = Annotated[D.Distribution, PlainValidator(_input_value),
                       PlainSerializer(lambda d: d.as_toml())]

# What the record cannot test, in the groups a reader thinks of them by.
ASSUMPTION_GROUPS = ("court", "ICE", "IRS", "households", "filers")


class Assumption(Table):
    """An input the record cannot test, with every reading it allows: explored across
    its range (`flowsim explore`), never presented as known. `key` may name every item of
    a list with `*` (`notice.*.grant`): one value for all of them."""

    key: Annotated[str, Field(pattern=r"^[a-z_]+(\.([a-z_]+|[0-9]+|\*))+$")]
    low: float
    high: float
    group: Literal[ASSUMPTION_GROUPS]  # type: ignore[valid-type]
    reason: Annotated[str, Field(min_length=1)]
    # "log": sampled evenly in its logarithm, for a range spanning orders of magnitude.
    scale: Literal["linear", "log"] = "linear"


Scenario = create_model("Scenario", __base__=_Scenario, __module__=__name__,
                        __doc__="A whole scenario: every table, validated.",
                        **{spec.key: _table_field(spec) for spec in TABLES},
                        **{INPUTS_KEY: (dict[Annotated[str, Field(pattern=INPUT_NAME)],
                                             InputValue], {}),
                           # The assumptions a scenario's own question rests on.
                           "assumptions": (list[Assumption], [])})


def check_range(a: Any, key: str) -> None:
    """A range that can be sampled (an assumption's, or a calibrated unknown's): low below
    high, above zero on a log scale."""
    if not a.low < a.high:
        raise ScenarioError(f"needs low < high (got {a.low:g}, {a.high:g})", key=f"{key}.high")
    if a.scale == "log" and a.low <= 0:
        raise ScenarioError("a log scale needs low > 0", key=f"{key}.low")


def parse_inputs(raw: dict[str, Any]) -> dict[str, D.Distribution]:
    """A raw scenario's named inputs, checked, for the references to them; a bad one is a
    ScenarioError naming its key."""
    table = raw.get(INPUTS_KEY, {})
    if not isinstance(table, dict):
        raise ScenarioError("must be a table of named inputs ([inputs]), not a value",
                            key=INPUTS_KEY)
    parsed = {}
    for name, value in table.items():
        key = f"{INPUTS_KEY}.{name}"
        if not re.fullmatch(INPUT_NAME, name):
            raise ScenarioError("an input's name uses a-z, 0-9 and '_', starting with a "
                                "letter", key=key)
        try:
            parsed[name] = _input_value(value)
        except D.ParamError as exc:
            raise ScenarioError(exc.reason, key=f"{key}.{exc.subkey}" if exc.subkey else key
                                ) from None
    return parsed


def scenario_of(raw: dict[str, Any]) -> Scenario:
    """A raw scenario table validated, its references to named inputs resolved (pydantic's
    ValidationError or a ScenarioError when it is not valid)."""
    return Scenario.model_validate(raw, context={INPUTS_KEY: parse_inputs(raw)})


def _check_tables(s: Scenario) -> None:
    """What each table declares of its own items: dates in order (`ordered`) and its
    checks across its values (`checks`)."""
    for spec in TABLES:
        value = getattr(s, spec.key)
        items = ([(f"{spec.key}.{i}", item) for i, item in enumerate(value)] if spec.many
                 else [] if value is None else [(spec.key, value)])
        for where, item in items:
            for later, earlier in spec.ordered:
                after = getattr(item, spec.param(later).name)
                before = getattr(item, spec.param(earlier).name)
                if after is not None and before is not None and after <= before:
                    # A list item's own key reads plainly; a table's is named whole.
                    name = earlier if spec.many else f"{where}.{earlier}"
                    raise ScenarioError(f"must be after {name}", key=f"{where}.{later}")
            for check in spec.checks:
                check(item, where, s)


def check_consistency(s: Scenario) -> None:
    """Checks across keys that the schema cannot express field by field."""
    meta = s.scenario
    if meta.end <= meta.start:
        raise ScenarioError(f"must be after scenario.start ({meta.start.date()})", key="scenario.end")
    if (meta.end - meta.start).days > MAX_HORIZON_DAYS:
        raise ScenarioError(f"the horizon may be at most {MAX_HORIZON_DAYS:,} days (ten years) "
                            f"after scenario.start ({meta.start.date()})", key="scenario.end")
    _check_tables(s)
    for i, a in enumerate(s.assumptions):
        check_range(a, f"assumptions.{i}")
    for i, st in enumerate(s.request_streams):
        made = re.compile(rf"{re.escape(st.name)} #[0-9]+")
        for j, r in enumerate(s.requests):
            if made.fullmatch(r.name):
                raise ScenarioError(
                    f"name {r.name!r} is one that request_streams.{i} ({st.name!r}) gives its "
                    "requests; rename one of them", key=f"requests.{j}.name")
    names: dict[str, str] = {}
    for group, items in (("requests", s.requests), ("request_streams", s.request_streams)):
        for i, item in enumerate(items):
            key = f"{group}.{i}"
            if item.name in names:
                raise ScenarioError(
                    f"name {item.name!r} is already used by {names[item.name]}; names must be unique",
                    key=f"{key}.name",
                )
            names[item.name] = key
    seen: set[str] = set()
    for i, order in enumerate(s.gate_orders):
        if order.name in seen:
            raise ScenarioError(f"name {order.name!r} is already used; names must be unique",
                                key=f"gate_orders.{i}.name")
        seen.add(order.name)
    _check_access_and_orders(s)
    _check_request_count(s)


def _check_access_and_orders(s: Scenario) -> None:
    if len(s.use_orders) > MAX_USE_ORDERS:
        raise ScenarioError(f"at most {MAX_USE_ORDERS} orders after disclosure, got "
                            f"{len(s.use_orders)}", key="use_orders")
    disclosures = {r.name for r in s.requests} | {st.name for st in s.request_streams}
    names = set(disclosures)
    for i, a in enumerate(s.access):
        if a.name in names:
            raise ScenarioError(f"name {a.name!r} is already used; names must be unique",
                                key=f"access.{i}.name")
        names.add(a.name)
    earlier: dict[str, str] = {}
    for i, order in enumerate(s.use_orders):
        key = f"use_orders.{i}"
        if order.name in earlier or order.name in names:
            raise ScenarioError(f"name {order.name!r} is already used; names must be unique",
                                key=f"{key}.name")
        if order.of and order.of not in names:
            raise ScenarioError(f"names no request, stream or access ({order.of!r}); one of: "
                                + ", ".join(sorted(names)), key=f"{key}.of")
        if order.within and order.within not in earlier:
            raise ScenarioError(f"names no earlier order ({order.within!r}); "
                                + ("one of: " + ", ".join(earlier) if earlier else
                                   "an order can only narrow one listed before it"),
                                key=f"{key}.within")
        if order.effect == "allow_use" and not order.within:
            raise ScenarioError("lifts a bar for part of its records: name the bar in within",
                                key=f"{key}.within")
        if order.within and earlier[order.within] != "bar_use" and order.effect == "allow_use":
            raise ScenarioError(f"lifts a bar, but {order.within!r} is not one (its effect is "
                                f"{earlier[order.within]})", key=f"{key}.within")
        earlier[order.name] = order.effect


def expected_stream_requests(s: Scenario, index: int) -> float:
    """How many requests stream `index` is expected to make within the horizon."""
    stream = s.request_streams[index]
    end = min(stream.until or s.scenario.end, s.scenario.end + dt.timedelta(days=1))
    span_days = max(0.0, (end - stream.start) / dt.timedelta(days=1))
    mean = stream.interval_days.mean
    return math.inf if mean <= 0 else math.ceil(span_days / mean)


def expected_requests(s: Scenario) -> float:
    """Requests one replication is expected to make: listed ones and streams' ones."""
    return len(s.requests) + sum(expected_stream_requests(s, i)
                                 for i in range(len(s.request_streams)))


def _check_request_count(s: Scenario) -> None:
    total = len(s.requests)
    for i in range(len(s.request_streams)):
        made = expected_stream_requests(s, i)
        total += made
        if total > MAX_REQUESTS:
            about = f"{made:,.0f}" if made < 1e9 else f"{made:.2g}"
            raise ScenarioError(
                f"would make about {about} requests in one replication, more than the "
                f"{MAX_REQUESTS:,} a scenario may have; lengthen interval_days or shorten "
                "the stream", key=f"request_streams.{i}.interval_days")
    if total > MAX_REQUESTS:
        raise ScenarioError(f"lists {len(s.requests):,} requests, more than the "
                            f"{MAX_REQUESTS:,} a scenario may have", key="requests")

