"""Reading results folders back: what `run` and `compare` wrote, for charts and reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .compare import comparison_table
from .errors import ScenarioError
from .experiment import METRICS
from .model.plan import days_between
from .scenario import Scenario


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
    def daily(self) -> pd.DataFrame:
        return pd.read_csv(self.folder / "daily.csv")

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

    @property
    def baseline(self) -> RunFolder:
        return self.runs[0]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError("not a flowsim results folder (no manifest.json)",
                            source=str(path.parent)) from None
    except ValueError as exc:
        raise ScenarioError(f"manifest.json is not valid JSON ({exc})",
                            source=str(path.parent)) from None


def read_run(folder: Path) -> RunFolder:
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError("no such results folder", source=str(folder))
    manifest = _read_json(folder / "manifest.json")
    if "resolved_scenario" not in manifest:
        raise ScenarioError("not a run's results folder (its manifest has no scenario)",
                            source=str(folder))
    try:
        summary = pd.read_csv(folder / "summary.csv", keep_default_na=False,
                              na_values={m: [""] for m in METRICS})
        stats = pd.read_csv(folder / "stats.csv")
    except FileNotFoundError as exc:
        raise ScenarioError(f"missing {Path(exc.filename).name}", source=str(folder)) from None
    return RunFolder(folder, manifest, Scenario.model_validate(manifest["resolved_scenario"]),
                     summary, stats)


def read_results(folders: list[Path]) -> Results:
    """Run folders and compare folders, in the order given; the baseline comes first.

    A compare folder brings its scenarios and its comparison table. Without one, runs
    that share a seed and a number of replications are compared here, paired by
    replication as `flowsim compare` would.
    """
    runs: list[RunFolder] = []
    comparison = None
    for folder in map(Path, folders):
        if (folder / "comparison.csv").exists():
            manifest = _read_json(folder / "manifest.json")
            runs += [read_run(folder / name) for name in manifest["scenarios"]]
            comparison = pd.read_csv(folder / "comparison.csv") if comparison is None else comparison
        else:
            runs.append(read_run(folder))
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ScenarioError("the same scenario name appears twice; give each run its own name",
                            source=", ".join(map(str, folders)))
    if "baseline" in names and comparison is None:
        runs.insert(0, runs.pop(names.index("baseline")))
    if comparison is None and len(runs) > 1 and len({(r.seed, r.replications) for r in runs}) == 1:
        comparison = comparison_table(runs)
    return Results(runs, comparison)
