"""Reading results folders back: what `run` and `compare` wrote, for charts and reports.

A folder is checked before it is read: its manifest must be flowsim's, each table it
reads must be there, match the checksum the manifest gives it and have the columns it
needs. A missing, changed or damaged file is one line that names it, never a traceback.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.compare import COMPARISON_COLUMNS, comparison_table
from ..errors import InputError, ScenarioError
from ..experiments.run import DAILY_STAT_COLUMNS, METRICS
from ..model.outcomes import STATES
from ..model.plan import days_between
from ..scenario import Scenario
from ..scenario.schema import scenario_of
from ..experiments.stats import STAT_COLUMNS
from .manifest import sha256_hex

# The count columns every summary.csv has.
SUMMARY_COUNTS = ("requested", *STATES)


@dataclass(frozen=True)
class RunFolder:
    """One scenario's results as written by `flowsim run` (or inside a compare folder)."""

    folder: Path
    manifest: dict[str, Any]
    scenario: Scenario
    summary: pd.DataFrame
    stats: pd.DataFrame

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    @property
    def replications(self) -> int:
        return int(self.manifest["replications"])

    @cached_property
    def daily_stats(self) -> pd.DataFrame:
        return _read_table(self.folder, self.manifest, "daily_stats.csv",
                           DAILY_STAT_COLUMNS[1:])

    @cached_property
    def metrics(self) -> dict[str, np.ndarray]:
        """Per-replication values of every metric, as `RunResult.metrics` has them."""
        start = self.scenario.scenario.start
        metrics = {m: self.summary[m].to_numpy() for m in METRICS if m in self.summary}
        for column, metric in (("first_transfer", "first_transfer_days"),
                               ("last_transfer", "last_transfer_days")):
            moments = pd.to_datetime(self.summary[column], errors="coerce")
            metrics[metric] = np.array([np.nan if pd.isna(t) else
                                        days_between(start, t.to_pydatetime()) for t in moments])
        return metrics

    @property
    def parameters(self) -> list[dict[str, str]]:
        return list(self.manifest.get("parameters", []))


@dataclass(frozen=True)
class Results:
    """Scenarios to show together: the baseline first, and the comparison between them."""

    runs: list[RunFolder]
    comparison: pd.DataFrame | None
    verdicts: pd.DataFrame | None = None  # from flowsim explore: each answer's layers

    @property
    def baseline(self) -> RunFolder:
        return self.runs[0]


def _text_table(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


# What each manifest key a reader uses must hold: a hand-edited or damaged manifest is one
# line naming the key, not a failure deep inside a chart or the report.
MANIFEST_SHAPES: dict[str, tuple[str, Any]] = {
    "command": ("text", lambda v: isinstance(v, str)),
    "seed": ("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "replications": ("a whole number of at least 1",
                     lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1),
    "scenarios": ("a list of scenario names",
                  lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v)),
    "parameters": ("a list of tables of text", lambda v: isinstance(v, list)
                   and all(_text_table(row) for row in v)),
    "files": ("a table of file names and checksums", _text_table),
    "resolved_scenario": ("a table", lambda v: isinstance(v, dict)),
    "scenario": ("a scenario name or table", lambda v: isinstance(v, (str, dict))),
    "vary": ("a list of [key, values] pairs", lambda v: isinstance(v, list)
             and all(isinstance(i, list) and i and isinstance(i[0], str) for i in v)),
}


def _read_json(path: Path) -> dict[str, Any]:
    folder = str(path.parent)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("not a flowsim results folder (no manifest.json)", source=folder) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"manifest.json cannot be read ({exc})", source=folder) from None
    if not isinstance(doc, dict):
        raise InputError("manifest.json is not a flowsim manifest", source=folder)
    for key, (shape, holds) in MANIFEST_SHAPES.items():
        if key in doc and not holds(doc[key]):
            raise InputError(f"manifest.json: {key} must be {shape}; run the command that "
                             "wrote this folder again", source=folder)
    return doc


def _read_table(folder: Path, manifest: dict[str, Any], name: str,
                columns: tuple[str, ...], **options: Any) -> pd.DataFrame:
    """A CSV file of a results folder, checked against its manifest and its columns."""
    path = folder / name
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("is missing; run the command that wrote this folder again",
                         source=where) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", source=where) from None
    expected = (manifest.get("files") or {}).get(name)
    if expected is not None and sha256_hex(data) != expected:
        raise InputError("has changed since flowsim wrote it (its checksum differs from "
                         "manifest.json); run the command that wrote it again", source=where)
    try:
        table = pd.read_csv(io.BytesIO(data), **options)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"is not a readable table ({str(exc).splitlines()[0]})",
                         source=where) from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"lacks the column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)}", source=where)
    return table


def read_run(folder: Path) -> RunFolder:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such results folder", source=str(folder))
    manifest = _read_json(folder / "manifest.json")
    if "resolved_scenario" not in manifest:
        raise InputError("not a run's results folder (its manifest has no scenario)",
                         source=str(folder))
    try:
        scenario = scenario_of(manifest["resolved_scenario"])
    except (ValueError, TypeError, ScenarioError) as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(f"manifest.json holds a scenario flowsim cannot read ({reason})",
                         source=str(folder)) from None
    summary = _read_table(folder, manifest, "summary.csv",
                          ("replication", *(m for m in METRICS if m in SUMMARY_COUNTS),
                           "first_transfer", "last_transfer"),
                          keep_default_na=False, na_values={m: [""] for m in METRICS})
    stats = _read_table(folder, manifest, "stats.csv", ("metric", *STAT_COLUMNS))
    known = set(stats["metric"])
    absent = [m for m in METRICS if m not in known]
    if absent:
        raise InputError(f"has no row for {', '.join(absent)}", source=str(folder / "stats.csv"))
    return RunFolder(folder, manifest, scenario, summary, stats)


def read_results(folders: list[Path]) -> Results:
    """Run folders and compare folders, in the order given; the baseline comes first.

    A compare folder brings its scenarios and its comparison table. Without one, runs
    that share a seed and a number of replications are compared here, paired by
    replication as `flowsim compare` would.
    """
    runs: list[RunFolder] = []
    comparison = None
    verdicts = None
    for folder in map(Path, folders):
        if (folder / "comparison.csv").exists():
            manifest = _read_json(folder / "manifest.json")
            names = manifest.get("scenarios")
            if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
                raise InputError("manifest.json lists no scenarios", source=str(folder))
            runs += [read_run(folder / name) for name in names]
            table = _read_table(folder, manifest, "comparison.csv", COMPARISON_COLUMNS)
            comparison = table if comparison is None else comparison
            if (folder / "verdicts.csv").exists():
                verdicts = _read_table(folder, manifest, "verdicts.csv",
                                       ("scenario", "metric", "headline", "low", "high",
                                        "verdict", "depends_on", "condition"),
                                       keep_default_na=False,
                                       na_values={c: [""] for c in ("headline", "low", "high")})
        else:
            runs.append(read_run(folder))
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise InputError("the same scenario name appears twice; give each run its own name",
                            source=", ".join(map(str, folders)))
    if "baseline" in names and comparison is None:
        runs.insert(0, runs.pop(names.index("baseline")))
    if comparison is None and len(runs) > 1 and len({(r.seed, r.replications) for r in runs}) == 1:
        comparison = comparison_table(runs)
    return Results(runs, comparison, verdicts)


@dataclass(frozen=True)
class SweepFolder:
    """A sweep's results as `flowsim sweep` wrote them."""

    folder: Path
    manifest: dict[str, Any]
    keys: list[str]
    stats: pd.DataFrame

    @property
    def scenario(self) -> dict[str, Any]:
        doc = self.manifest.get("scenario")
        return doc.get("scenario", {}) if isinstance(doc, dict) else {}

    @property
    def name(self) -> str:
        return str(self.scenario.get("name", self.folder.name))


def is_sweep(folder: Path) -> bool:
    return (Path(folder) / "sweep_stats.csv").exists()


def read_sweep(folder: Path) -> SweepFolder:
    folder = Path(folder)
    manifest = _read_json(folder / "manifest.json")
    vary = manifest.get("vary")
    if manifest.get("command", "sweep") != "sweep" or not isinstance(vary, list) or not vary:
        raise InputError("not a sweep's results folder (its manifest lists no --vary)",
                         source=str(folder))
    keys = [str(item[0]) for item in vary]
    stats = _read_table(folder, manifest, "sweep_stats.csv", ("point", *keys, "metric",
                                                              *STAT_COLUMNS),
                        dtype={k: str for k in keys}, keep_default_na=False,
                        na_values={c: [""] for c in STAT_COLUMNS})
    return SweepFolder(folder, manifest, keys, stats)
