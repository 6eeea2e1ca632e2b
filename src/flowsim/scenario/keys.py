"""Dotted scenario keys and the `key=...` text of the command line, parsed in one place.

`--set key=value`, `--vary key=v1,v2` or `key=low:high:count`, `--free key[=low:high]`
and `--param key=low:high` all split on the first `=` with `split_assignment`, and read
numbers with the one grammar of `NUMBER` (digits with `_` separators, an optional
fraction and exponent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ScenarioError
from .parameters import is_whole

NUMBER = r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
_RANGE = re.compile(rf"^\s*({NUMBER})\s*:\s*({NUMBER})\s*(?::\s*([0-9]+)\s*)?$")

__all__ = ["NUMBER", "NumberRange", "is_whole", "lookup", "parse_bounds", "parse_range",
           "split_assignment"]


def split_assignment(text: str, *, source: str, form: str = "key.path=value",
                     value_required: bool = True) -> tuple[str, str]:
    """`key=value` as (key, value text); the key without spaces around it."""
    key, eq, value = text.partition("=")
    key = key.strip()
    if not key or (value_required and (not eq or not value.strip())):
        raise ScenarioError(f"expected {form}, got {text!r}", source=source)
    return key, value


def number(text: str) -> float:
    return float(text.replace("_", ""))


@dataclass(frozen=True)
class NumberRange:
    """`low:high` or `low:high:count` as written on the command line."""

    low: float
    high: float
    count: int | None
    whole: bool  # both ends written as whole numbers


def parse_range(text: str, key: str, *, source: str, count: bool = False) -> NumberRange | None:
    """`low:high` with low < high, or `low:high:count` when `count`; None when the text is
    not of that form at all (so that a caller may read it as a list of values)."""
    m = _RANGE.match(text)
    if not m or (m.group(3) is None) == count:
        return None
    low, high = number(m.group(1)), number(m.group(2))
    whole = all(re.fullmatch(r"[-+]?[0-9_]+", g) for g in (m.group(1), m.group(2)))
    if count:
        n = int(m.group(3))
        if n < 1:
            raise ScenarioError("a range needs a count of at least 1", key=key, source=source)
        return NumberRange(low, high, n, whole)
    if not low < high:
        raise ScenarioError(f"needs low < high (got {low:g}, {high:g})", key=key, source=source)
    return NumberRange(low, high, None, whole)


def parse_bounds(text: str, key: str, *, source: str) -> tuple[float, float]:
    """`low:high` as two numbers with low < high."""
    bounds = parse_range(text, key, source=source)
    if bounds is None:
        raise ScenarioError(f"expected {key}=low:high, got {key}={text}", key=key, source=source)
    return bounds.low, bounds.high


def lookup(tree: Any, key: str, *, source: str) -> Any:
    """The value at dotted `key` (list items by index) of a scenario table."""
    node = tree
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise ScenarioError("the scenario has no such key", key=key, source=source)
    return node
