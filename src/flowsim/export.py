"""Writing a run's results: CSV tables and a manifest, whole or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from importlib import metadata
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import pandas as pd

from . import __version__
from .compare import Comparison
from .experiment import RunResult
from .explain import parameter_rows
from .scenario import LoadedScenario

if TYPE_CHECKING:
    from .calibrate import Calibration
    from .sensitivity import Sensitivity

TABLES = ("summary", "stats", "daily", "events")
PACKAGES = ("simpy", "numpy", "pandas", "pydantic", "scipy")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def manifest(result: RunResult, loaded: LoadedScenario | None,
             overrides: list[str], checksums: dict[str, str]) -> dict[str, Any]:
    inputs = input_hashes(loaded.files) if loaded else []
    parameters = [asdict(row) for row in parameter_rows(loaded)] if loaded else []
    return {
        "scenario": result.name,
        "seed": result.seed,
        "replications": result.replications,
        "flowsim": __version__,
        "packages": package_versions(),
        "inputs": inputs,
        "overrides": list(overrides),
        "resolved_scenario": jsonable(result.scenario.to_toml_dict()),
        "parameters": parameters,
        "files": checksums,
    }


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out` that replaces `out` only if the block completes."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are for sharing
    try:
        yield staging
        replace_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_csv(table: pd.DataFrame, path: Path) -> str:
    """Write `table` as UTF-8 CSV with a header row; return its SHA-256."""
    table.to_csv(path, index=False, lineterminator="\n")
    return sha256_of(path)


def write_json(doc: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def write_figures(figures: dict[str, Any], folder: Path) -> dict[str, str]:
    """Save each figure as PNG and SVG; return the files' checksums."""
    from .charts import save

    return {p.name: sha256_of(p) for stem, fig in figures.items() for p in save(fig, folder, stem)}


def write_run_files(result: RunResult, folder: Path, loaded: LoadedScenario | None,
                    overrides: Sequence[str], *, charts: bool = True) -> None:
    folder.mkdir(exist_ok=True)
    checksums = {f"{t}.csv": write_csv(getattr(result, t), folder / f"{t}.csv") for t in TABLES}
    if charts:
        from .charts import run_figures

        checksums.update(write_figures(
            run_figures(result.name, result.scenario, result.daily, result.stats), folder))
    write_json(manifest(result, loaded, list(overrides), checksums), folder / "manifest.json")


def write_results(result: RunResult, out: Path, *, loaded: LoadedScenario | None = None,
                  overrides: Sequence[str] = (), charts: bool = False) -> Path:
    """Write the run's tables, charts if asked, and manifest into `out`, replacing it
    only when complete."""
    with atomic_folder(out) as staging:
        write_run_files(result, staging, loaded, overrides, charts=charts)
    return Path(out)


def write_comparison(comparison: Comparison, out: Path, *,
                     loaded: Sequence[LoadedScenario | None] = (),
                     overrides: Sequence[str] = (), charts: bool = False) -> Path:
    """comparison.csv, charts if asked and a manifest in `out`, with each scenario's run
    (tables only) in a subfolder."""
    loaded = list(loaded) or [None] * len(comparison.results)
    with atomic_folder(out) as staging:
        checksums = {"comparison.csv": write_csv(comparison.table, staging / "comparison.csv")}
        for result, source in zip(comparison.results, loaded):
            write_run_files(result, staging / result.name, source, overrides, charts=False)
        if charts:
            from .charts import comparison_figures

            runs = [(r.name, r.scenario, r.daily, r.stats) for r in comparison.results]
            checksums.update(write_figures(comparison_figures(runs, comparison.table), staging))
        base = comparison.baseline
        write_json({
            "baseline": base.name,
            "scenarios": [r.name for r in comparison.results],
            "seed": base.seed,
            "replications": base.replications,
            "flowsim": __version__,
            "packages": package_versions(),
            "inputs": input_hashes([p for s in loaded if s for p in s.files]),
            "overrides": list(overrides),
            "files": checksums,
        }, staging / "manifest.json")
    return Path(out)


def input_hashes(paths: Sequence[Path]) -> list[dict[str, str]]:
    unique = list(dict.fromkeys(paths))
    return [{"path": str(p), "sha256": sha256_of(p)} for p in unique]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def write_text_file(path: Path, text: str) -> None:
    """Write `text` to `path` whole: to a partial file first, renamed when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_calibration(fit: "Calibration", out: Path, *, command: str, targets_path: Path) -> Path:
    """fitted.csv, residuals.csv and a manifest with the command that reproduces the fit."""
    with atomic_folder(out) as staging:
        files = {"fitted.csv": write_csv(fit.parameters, staging / "fitted.csv"),
                 "residuals.csv": write_csv(fit.residuals, staging / "residuals.csv")}
        write_json({"command": command, "scenario": fit.loaded.scenario.name, "seed": fit.seed,
                    "replications": fit.replications, "evaluations": fit.evaluations,
                    "objective_before": fit.objective_before,
                    "objective_after": fit.objective_after, "fitted": fit.fitted,
                    "flowsim": __version__, "packages": package_versions(),
                    "inputs": input_hashes([*fit.loaded.files, Path(targets_path)]),
                    "files": files}, staging / "manifest.json")
    return Path(out)


def write_sensitivity(result: "Sensitivity", out: Path, *, loaded: LoadedScenario, samples: int,
                      replications: int, seed: int, metrics: Sequence[str],
                      charts: bool = True) -> Path:
    """indices.csv, samples.csv, a tornado chart of the first metric and a manifest."""
    with atomic_folder(out) as staging:
        files = {"indices.csv": write_csv(result.indices, staging / "indices.csv"),
                 "samples.csv": write_csv(result.samples, staging / "samples.csv")}
        if charts and metrics[0] not in result.skipped:
            from .charts import tornado_figure

            files.update(write_figures(
                {"tornado": tornado_figure(result.indices, result.method, metrics[0])}, staging))
        write_json({"scenario": loaded.scenario.name, "method": result.method,
                    "samples": samples, "points": len(result.samples),
                    "replications": replications, "seed": seed,
                    "params": [[r.key, r.low, r.high] for r in result.ranges],
                    "metrics": list(metrics), "skipped": result.skipped,
                    "flowsim": __version__, "packages": package_versions(),
                    "inputs": input_hashes(list(loaded.files)), "files": files},
                   staging / "manifest.json")
    return Path(out)
