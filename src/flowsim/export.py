"""Writing a run's results: CSV tables and a manifest, whole or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .experiment import RunResult
from .scenario import LoadedScenario

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


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def manifest(result: RunResult, loaded: LoadedScenario | None,
             overrides: list[str], checksums: dict[str, str]) -> dict[str, Any]:
    inputs = (
        [{"path": str(p), "sha256": sha256_of(p)} for p in loaded.files] if loaded else []
    )
    return {
        "scenario": result.name,
        "seed": result.seed,
        "replications": result.replications,
        "flowsim": __version__,
        "packages": package_versions(),
        "inputs": inputs,
        "overrides": list(overrides),
        "resolved_scenario": _jsonable(result.scenario.to_toml_dict()),
        "files": checksums,
    }


def write_results(result: RunResult, out: Path, *, loaded: LoadedScenario | None = None,
                  overrides: list[str] | tuple[str, ...] = ()) -> Path:
    """Write the run's tables and manifest into `out`, replacing it only when complete.

    Everything goes to a temporary folder beside `out` first; an interrupted write
    leaves `out` as it was.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are for sharing
    try:
        checksums = {}
        for table in TABLES:
            path = staging / f"{table}.csv"
            getattr(result, table).to_csv(path, index=False, lineterminator="\n")
            checksums[path.name] = sha256_of(path)
        doc = manifest(result, loaded, list(overrides), checksums)
        (staging / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        _replace_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
