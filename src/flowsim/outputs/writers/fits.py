"""The files of calibrate (a best fit, or an ensemble) and of sensitivity."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ...scenario import LoadedScenario
from ..manifest import build_manifest, write_json
from .files import Out, fill_folder, write_csv, write_figures

if TYPE_CHECKING:
    from ...experiments.calibrate import Calibration
    from ...experiments.ensemble import Ensemble
    from ...experiments.sensitivity import Sensitivity
    import pandas as pd


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

    return fill_folder(out, "calibrate", fill)


def write_ensemble(ensemble: "Ensemble", out: Out, *, loaded: LoadedScenario,
                   targets_path: Path, unknowns_path: Path | None,
                   validation: "pd.DataFrame | None" = None) -> Path:
    """ensemble.csv (the kept sets), candidates.csv (every one), constraints.csv and a
    manifest."""

    def fill(staging: Path) -> None:
        files = {name: write_csv(table, staging / name) for name, table in (
            ("ensemble.csv", ensemble.members), ("candidates.csv", ensemble.candidates),
            ("constraints.csv", ensemble.constraints), ("waves.csv", ensemble.waves),
            *((("validation.csv", validation),) if validation is not None else ()))}
        write_json(build_manifest(
            "calibrate", {"scenario": loaded.scenario.name, "ensemble": True,
                          "candidates": len(ensemble.candidates),
                          "members": len(ensemble.members), "cutoff": ensemble.cutoff,
                          "waves": len(ensemble.waves),
                          "seed": ensemble.seed, "replications": ensemble.replications,
                          "unknowns": [u.model_dump() for u in ensemble.unknowns]},
            inputs=[*loaded.files, Path(targets_path), *([unknowns_path] if unknowns_path else [])],
            files=files), staging / "manifest.json")

    return fill_folder(out, "calibrate", fill)


def write_sensitivity(result: "Sensitivity", out: Out, *, loaded: LoadedScenario, samples: int,
                      replications: int, seed: int, metrics: Sequence[str],
                      charts: bool = True) -> Path:
    """indices.csv, samples.csv, a tornado chart of the first metric and a manifest."""

    def fill(staging: Path) -> None:
        files = {"indices.csv": write_csv(result.indices, staging / "indices.csv"),
                 "samples.csv": write_csv(result.samples, staging / "samples.csv")}
        if charts and metrics[0] not in result.skipped:
            from ..charts import Chart, tornado_figure

            files.update(write_figures(
                [Chart("tornado", tornado_figure, (result.indices, result.method, metrics[0]))],
                staging))
        write_json(build_manifest(
            "sensitivity", {"scenario": loaded.scenario.name, "method": result.method,
                            "samples": samples, "points": len(result.samples),
                            "replications": replications, "seed": seed,
                            "params": [[r.key, r.low, r.high] for r in result.ranges],
                            "metrics": list(metrics), "skipped": result.skipped},
            inputs=loaded.files, files=files), staging / "manifest.json")

    return fill_folder(out, "sensitivity", fill)
