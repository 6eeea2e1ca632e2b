"""The one manifest builder: what wrote a results folder, from what, and each file's
checksum.

Every command's manifest.json has the same frame: the command, its own fields, the
flowsim, Python and package versions, the hardware, the SHA-256 of every input file, and
the SHA-256 of every file it wrote (which `readers` checks before reading a folder back).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from .. import __version__

PACKAGES = ("simpy", "numpy", "pandas", "pydantic", "scipy", "matplotlib", "SALib",
            "XlsxWriter")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of(path: Path) -> str:
    return sha256_hex(path.read_bytes())


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def hardware() -> dict[str, Any]:
    """The machine a run ran on, as a reader reproducing it needs to know."""
    memory = None
    try:
        memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass  # not every system says
    return {"system": f"{platform.system()} {platform.release()}",
            "machine": platform.machine(), "processor": platform.processor() or "unknown",
            "cpus": os.cpu_count(), "memory_gib": memory}


def input_hashes(paths: Iterable[Path]) -> list[dict[str, str]]:
    unique = list(dict.fromkeys(Path(p) for p in paths))
    return [{"path": str(p), "sha256": sha256_of(p)} for p in unique]


def build_manifest(command: str, fields: dict[str, Any], *, inputs: Iterable[Path],
                   files: dict[str, str], after: dict[str, Any] | None = None) -> dict[str, Any]:
    """{command, its fields, versions, inputs, `after` (the long fields), files}."""
    return {"command": command, **fields, "flowsim": __version__,
            "packages": package_versions(), "hardware": hardware(),
            "inputs": input_hashes(inputs),
            **(after or {}), "files": files}


def write_json(doc: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
