"""A scenario compiled to what the simulation needs: each table's values, with dates as
days from clock zero, built from the parameter declarations.

Compiling once per run keeps date arithmetic out of the per-replication loop. Nothing
here names a scenario key: tables and parameters come from `scenario.parameters`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from ..scenario import TABLES, Scenario, TableSpec
from ..scenario.distributions import Fixed, PerReplication, draw
from .seeding import Stream, entity_key, uniform

DAY = dt.timedelta(days=1)


def days_between(start: dt.datetime, moment: dt.datetime) -> float:
    return (moment - start) / DAY


def horizon_of(scenario: Scenario) -> dt.datetime:
    """The end of the horizon: a plain date means the end of that day."""
    end = scenario.scenario.end
    return end + DAY if end.time() == dt.time() else end


class Values(SimpleNamespace):
    """One table's values for the model: numbers and distributions as they are, dates as
    days since clock zero (None where the scenario gives none). Attribute access is a
    plain attribute lookup: stages read these in every replication."""

    def changed(self, **values: Any) -> "Values":
        return Values(**{**vars(self), **values})


@dataclass(frozen=True)
class UncertainInput:
    """An input drawn once per replication, where it sits and what its draw is keyed by:
    the scenario key it fills (a list item by its name, or its index), or the name of the
    input it refers to, so that every key referring to one input draws alike."""

    table: str
    index: int | None          # the list item, or None for a single table
    field: str                 # the attribute it fills
    kind: str
    dist: Any                  # the distribution drawn from
    entity: int                # its key in the UNCERTAIN stream


@dataclass(frozen=True)
class Plan:
    start: dt.datetime
    horizon_days: float
    tables: dict[str, Any]  # a Values, a tuple of them for a list table, or None
    uncertain_inputs: tuple[UncertainInput, ...] = ()  # found once, by compile_plan

    def __getitem__(self, table: str) -> Any:
        return self.tables[table]

    @property
    def days(self) -> int:
        """Whole days in the horizon (the rows of a daily table)."""
        return math.ceil(self.horizon_days)

    @cached_property
    def _uncertain_items(self) -> tuple[tuple[str, int | None, tuple[UncertainInput, ...]], ...]:
        """The uncertain inputs grouped by the table (or list item) they fill."""
        groups: dict[tuple[str, int | None], list[UncertainInput]] = {}
        for u in self.uncertain_inputs:
            groups.setdefault((u.table, u.index), []).append(u)
        return tuple((table, index, tuple(inputs)) for (table, index), inputs in groups.items())

    def for_replication(self, seed: int, replication: int) -> "Plan":
        """This plan with every uncertain input drawn for `replication`.

        Each draw is keyed by the scenario key it fills (a list item by its name, or its
        index), so two scenarios that share an uncertain input draw the same value for it.
        """
        if not self.uncertain_inputs:
            return self
        tables = dict(self.tables)
        for key, index, inputs in self._uncertain_items:
            drawn = {u.field: Fixed(draw(u.dist, u.kind, uniform(seed, replication,
                                                                 Stream.UNCERTAIN, u.entity, 0)))
                     for u in inputs}
            if index is None:
                tables[key] = tables[key].changed(**drawn)
            else:
                items = list(tables[key])
                items[index] = items[index].changed(**drawn)
                tables[key] = tuple(items)
        return Plan(self.start, self.horizon_days, tables)


def _uncertain_inputs(tables: dict[str, Any]):
    for spec in TABLES:
        table = tables[spec.key]
        if table is None:
            continue
        items = list(enumerate(table)) if spec.many else [(None, table)]
        for index, item in items:
            prefix = (spec.key if index is None
                      else f"{spec.key}.{_item_id(spec, item, index)}")
            for param in spec.params:
                given = getattr(item, param.name)
                if param.random and isinstance(given, PerReplication):
                    keyed = f"inputs.{given.input}" if given.input else f"{prefix}.{param.key}"
                    yield UncertainInput(spec.key, index, param.name, param.kind, given.inner,
                                         entity_key(keyed))


def _item_id(spec: TableSpec, item: Values, index: int) -> str:
    return str(getattr(item, spec.item_key)) if spec.item_key != "index" else str(index)


def _compiled(spec: TableSpec, table: Any, start: dt.datetime) -> Values:
    values = {}
    for param in spec.params:
        value = getattr(table, param.name)
        if param.kind == "date" and value is not None:
            value = days_between(start, value)
        values[param.name] = value
    return Values(**values)


def compile_plan(s: Scenario) -> Plan:
    start = s.scenario.start
    tables: dict[str, Any] = {}
    for spec in TABLES:
        table = getattr(s, spec.key)
        if spec.many:
            tables[spec.key] = tuple(_compiled(spec, item, start) for item in table)
        else:
            tables[spec.key] = None if table is None else _compiled(spec, table, start)
    return Plan(start=start, horizon_days=days_between(start, horizon_of(s)), tables=tables,
                uncertain_inputs=tuple(_uncertain_inputs(tables)))
