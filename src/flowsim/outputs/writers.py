"""Writing a run's results: CSV tables and a manifest, whole or not at all.

Every writer takes its folder as a path or as an `OutputFolder` already claimed by the
command line; either way the folder is checked and replaced whole (see `folders`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import pandas as pd

from ..experiments.compare import Comparison
from ..errors import InputError
from ..experiments.run import RunResult
from .explain import parameter_rows
from ..spreadsheet import spreadsheet_safe
from .folders import OutputFolder, check_file, starts_with, write_file
from .manifest import build_manifest, sha256_of, write_json
from ..scenario import LoadedScenario, jsonable

if TYPE_CHECKING:
    from ..experiments.calibrate import Calibration
    from ..experiments.ensemble import Ensemble
    from ..experiments.sensitivity import Sensitivity

TABLES = ("summary", "stats", "daily", "events")


def run_manifest(result: RunResult, loaded: LoadedScenario | None,
                 checksums: dict[str, str]) -> dict[str, Any]:
    return build_manifest(
        "run", {"scenario": result.name, "seed": result.seed,
                "replications": result.replications},
        inputs=loaded.files if loaded else (), files=checksums,
        after={"overrides": list(loaded.overrides) if loaded else [],
               "resolved_scenario": jsonable(result.scenario.to_toml_dict()),
               "parameters": [asdict(row) for row in parameter_rows(loaded)] if loaded else []})


Out = Path | str | OutputFolder


def _fill(out: Out, command: str, fill: Callable[[Path], None]) -> Path:
    """Write a results folder whole through `fill(staging)`; return its path."""
    folder = out if isinstance(out, OutputFolder) else OutputFolder(out, command)
    folder.write(fill)
    return folder.path


def write_csv(table: pd.DataFrame, path: Path) -> str:
    """Write `table` as UTF-8 CSV with a header row; return its SHA-256."""
    spreadsheet_safe(table).to_csv(path, index=False, lineterminator="\n")
    return sha256_of(path)


def write_figures(figures: dict[str, Any], folder: Path) -> dict[str, str]:
    """Save each figure as PNG and SVG; return the files' checksums."""
    from .charts import save

    return {p.name: sha256_of(p) for stem, fig in figures.items() for p in save(fig, folder, stem)}


def redraw_figures(figures: dict[str, Any], folder: Path) -> dict[str, str]:
    """Draw charts again into a results folder: each file whole, and never over a file
    that the folder's manifest does not list as flowsim's."""
    from .charts import save
    from .folders import read_manifest, written_by_flowsim

    doc = read_manifest(folder) or {}
    ours = written_by_flowsim(folder, doc)
    for stem in figures:
        for name in (f"{stem}.png", f"{stem}.svg"):
            if (folder / name).exists() and name not in ours:
                raise InputError(f"holds {name}, which flowsim did not write; move it and "
                                 "draw the charts again", source=str(folder))
    staging = Path(tempfile.mkdtemp(prefix=".charts.partial-", dir=folder))
    try:
        written = {}
        for stem, fig in figures.items():
            for path in save(fig, staging, stem):
                written[path.name] = sha256_of(path)
                os.replace(path, folder / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_run_files(result: RunResult, folder: Path, loaded: LoadedScenario | None, *,
                    charts: bool = True) -> None:
    folder.mkdir(exist_ok=True)
    checksums = {f"{t}.csv": write_csv(getattr(result, t), folder / f"{t}.csv") for t in TABLES}
    if charts:
        from .charts import run_figures

        checksums.update(write_figures(
            run_figures(result.name, result.scenario, result.daily, result.stats), folder))
    write_json(run_manifest(result, loaded, checksums), folder / "manifest.json")


def write_results(result: RunResult, out: Out, *, loaded: LoadedScenario | None = None,
                  charts: bool = False) -> Path:
    """Write the run's tables, charts if asked, and manifest into `out`, replacing it
    only when complete."""
    return _fill(out, "run", lambda staging: write_run_files(result, staging, loaded,
                                                             charts=charts))


def write_comparison(comparison: Comparison, out: Out, *,
                     loaded: Sequence[LoadedScenario | None] = (),
                     charts: bool = False, robustness: pd.DataFrame | None = None) -> Path:
    """comparison.csv, charts if asked and a manifest in `out`, with each scenario's run
    (tables only) in a subfolder."""
    loaded = list(loaded) or [None] * len(comparison.results)

    def fill(staging: Path) -> None:
        checksums = {"comparison.csv": write_csv(comparison.table, staging / "comparison.csv")}
        if robustness is not None:
            checksums["robustness.csv"] = write_csv(robustness, staging / "robustness.csv")
        for result, source in zip(comparison.results, loaded):
            write_run_files(result, staging / result.name, source, charts=False)
        if charts:
            from .charts import comparison_figures

            runs = [(r.name, r.scenario, r.daily, r.stats) for r in comparison.results]
            checksums.update(write_figures(comparison_figures(runs, comparison.table), staging))
        base = comparison.baseline
        write_json(build_manifest(
            "compare", {"baseline": base.name, "scenarios": [r.name for r in comparison.results],
                        "seed": base.seed, "replications": base.replications},
            inputs=[p for s in loaded if s for p in s.files], files=checksums,
            after={"overrides": list(loaded[0].overrides) if loaded[0] else []}),
            staging / "manifest.json")

    return _fill(out, "compare", fill)


REPORT_MARK = '<meta name="generator" content="flowsim'


def check_report_file(path: Path, *, force: bool = False) -> Path:
    """Refuse, before any work, a report path that write_report_file would refuse."""
    return check_file(path, ours=starts_with(REPORT_MARK), force=force, option="--output")


def write_report_file(path: Path, page: str, *, force: bool = False) -> Path:
    """The report's HTML, whole; an existing file only if it is a flowsim report."""
    return write_file(path, page, ours=starts_with(REPORT_MARK), force=force, option="--output")


def check_scenario_file(path: Path, *, force: bool = False) -> Path:
    """Refuse, before any work, a path that write_scenario_file would refuse."""
    from ..experiments.calibrate import SCENARIO_MARK

    return check_file(path, ours=starts_with(SCENARIO_MARK), force=force,
                      option="--write-scenario")


def write_scenario_file(path: Path, text: str, *, force: bool = False) -> Path:
    """A calibrated scenario file, whole; an existing file only if calibrate wrote it."""
    from ..experiments.calibrate import SCENARIO_MARK

    return write_file(path, text, ours=starts_with(SCENARIO_MARK), force=force,
                      option="--write-scenario")


def write_calibration(fit: "Calibration", out: Out, *, command: str, targets_path: Path) -> Path:
    """fitted.csv, residuals.csv and a manifest with the command that reproduces the fit."""

    def fill(staging: Path) -> None:
        files = {"fitted.csv": write_csv(fit.parameters, staging / "fitted.csv"),
                 "residuals.csv": write_csv(fit.residuals, staging / "residuals.csv")}
        write_json(build_manifest(
            "calibrate", {"command_line": command, "scenario": fit.loaded.scenario.name,
                          "seed": fit.seed, "replications": fit.replications,
                          "evaluations": fit.evaluations,
                          "objective_before": fit.objective_before,
                          "objective_after": fit.objective_after, "fitted": fit.fitted},
            inputs=[*fit.loaded.files, Path(targets_path)], files=files),
            staging / "manifest.json")

    return _fill(out, "calibrate", fill)


def write_ensemble(ensemble: "Ensemble", out: Out, *, loaded: LoadedScenario,
                   targets_path: Path, unknowns_path: Path | None) -> Path:
    """ensemble.csv (the kept sets), candidates.csv (every one), constraints.csv and a
    manifest."""

    def fill(staging: Path) -> None:
        files = {name: write_csv(table, staging / name) for name, table in (
            ("ensemble.csv", ensemble.members), ("candidates.csv", ensemble.candidates),
            ("constraints.csv", ensemble.constraints))}
        write_json(build_manifest(
            "calibrate", {"scenario": loaded.scenario.name, "ensemble": True,
                          "candidates": len(ensemble.candidates),
                          "members": len(ensemble.members), "cutoff": ensemble.cutoff,
                          "seed": ensemble.seed, "replications": ensemble.replications,
                          "unknowns": [u.model_dump() for u in ensemble.unknowns]},
            inputs=[*loaded.files, Path(targets_path), *([unknowns_path] if unknowns_path else [])],
            files=files), staging / "manifest.json")

    return _fill(out, "calibrate", fill)


def write_sensitivity(result: "Sensitivity", out: Out, *, loaded: LoadedScenario, samples: int,
                      replications: int, seed: int, metrics: Sequence[str],
                      charts: bool = True) -> Path:
    """indices.csv, samples.csv, a tornado chart of the first metric and a manifest."""

    def fill(staging: Path) -> None:
        files = {"indices.csv": write_csv(result.indices, staging / "indices.csv"),
                 "samples.csv": write_csv(result.samples, staging / "samples.csv")}
        if charts and metrics[0] not in result.skipped:
            from .charts import tornado_figure

            files.update(write_figures(
                {"tornado": tornado_figure(result.indices, result.method, metrics[0])}, staging))
        write_json(build_manifest(
            "sensitivity", {"scenario": loaded.scenario.name, "method": result.method,
                            "samples": samples, "points": len(result.samples),
                            "replications": replications, "seed": seed,
                            "params": [[r.key, r.low, r.high] for r in result.ranges],
                            "metrics": list(metrics), "skipped": result.skipped},
            inputs=loaded.files, files=files), staging / "manifest.json")

    return _fill(out, "sensitivity", fill)
