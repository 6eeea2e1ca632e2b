"""Scenario files flowsim writes: a calibrated scenario that extends the one it fitted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..experiments.calibrate import FREE_SOURCE, Calibration
from ..scenario import lookup

# The first words of a scenario file that `calibrate --write-scenario` wrote, which it
# may therefore replace.
SCENARIO_MARK = "# Written by flowsim calibrate"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def scenario_text(calibration: Calibration, command: str, target_path: Path,
                  out_path: Path) -> str:
    """A scenario file that extends the calibrated one and sets the fitted values."""
    loaded = calibration.loaded
    source = loaded.path.resolve()
    try:
        extends = source.relative_to(out_path.resolve().parent).as_posix()
    except ValueError:
        extends = str(source)
    lines = [
        f"{SCENARIO_MARK}: calibrated to {target_path} by",
        f"#   {command}",
        f"# {calibration.replications} replications, seed {calibration.seed}; objective (sum of "
        f"squared residuals in tolerance units) {calibration.objective_before:.4g} before, "
        f"{calibration.objective_after:.4g} after.",
        f'extends = "{extends}"',
        "",
        "[scenario]",
        f'name = "{loaded.scenario.name}_calibrated"',
    ]
    tables: dict[str, list[str]] = {}
    lists: set[str] = set()
    note = f"calibrated to {target_path.name} (see the command above)"
    for key, value in calibration.fitted.items():
        parts = key.split(".")
        index = next((i for i, p in enumerate(parts) if p.isdigit()), None)
        if index is not None:
            lists.add(".".join(parts[:index]))
            continue
        table, leaf = ".".join(parts[:-1]), parts[-1]
        tables.setdefault(table, []).append(f"{leaf} = {_toml_value(value)}  # {note}")
    for table, entries in tables.items():
        lines += ["", f"[{table}]", *entries]
    for name in sorted(lists):
        # A list replaces the inherited one whole, so it is written out whole.
        for item in lookup(loaded.raw, name, source=FREE_SOURCE):
            lines += ["", f"[[{name}]]  # {note}"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"
