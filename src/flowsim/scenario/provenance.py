"""Provenance: every resolved value of a loaded scenario, with the file (or `--set`)
that gave it and the comment beside it there (its citation or assumption)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .distributions import parse
from .loading import SOURCE_NOTES, LoadedScenario

@dataclass(frozen=True)
class ParameterRow:
    key: str
    value: str
    source: str
    note: str


def flatten(tree: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Leaf keys of a resolved scenario; a distribution table counts as one leaf."""
    if isinstance(tree, dict) and "dist" not in tree and "input" not in tree and tree:
        return [kv for k, v in tree.items() for kv in flatten(v, f"{prefix}{k}.")]
    if isinstance(tree, list) and tree:
        return [kv for i, v in enumerate(tree) for kv in flatten(v, f"{prefix}{i}.")]
    return [(prefix.rstrip("."), tree)]


def format_value(value: Any, key: str = "", inputs: dict[str, Any] | None = None) -> str:
    if isinstance(value, dict):
        dist = parse(value, inputs)
        return f"{dist!r}, mean {dist.mean:,.4g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 and not key.endswith("seed") else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "(none)"
    if value == []:
        return "[] (none)"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def parameter_rows(loaded: LoadedScenario) -> list[ParameterRow]:
    """Every resolved value with the file it came from and its citation."""
    named = str(loaded.path)
    rows = []
    inputs = loaded.scenario.inputs
    for key, value in flatten(loaded.scenario.to_toml_dict()):
        if value == {}:
            continue  # a scenario without named inputs
        source = loaded.source_of(key)
        if source not in (named, *SOURCE_NOTES, "default"):
            source = f"{Path(source).name} (inherited)"
        elif source == named:
            source = Path(source).name
        rows.append(ParameterRow(key, format_value(value, key, inputs), source,
                                loaded.note_of(key)))
    return rows
