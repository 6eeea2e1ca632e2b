"""The scenario layer: parameter declarations, the schema, TOML loading with `extends`
and `--set`, provenance and the translation of errors into one line."""

from .keys import lookup, parse_bounds, parse_range, split_assignment
from .loading import HOLD_SOURCE, SET_SOURCE, LoadedScenario, apply_set, comment_notes, load, read_toml, \
    translate_error, validate
from .parameters import TABLES, Param, TableSpec, is_whole, param_of
from .schema import MAX_REPLICATIONS, MAX_REQUESTS, Scenario, Table, check_consistency, \
    jsonable

__all__ = ["HOLD_SOURCE", "MAX_REPLICATIONS", "MAX_REQUESTS", "SET_SOURCE", "TABLES", "LoadedScenario",
           "Param", "Scenario", "Table", "TableSpec", "apply_set", "check_consistency",
           "comment_notes", "is_whole", "jsonable", "load", "lookup", "param_of",
           "parse_bounds", "parse_range", "read_toml", "split_assignment", "translate_error",
           "validate"]
