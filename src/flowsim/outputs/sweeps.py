"""A sweep's files: its finished points kept in a folder beside the results (so that an
interrupted sweep can resume), and sweep.csv, sweep_stats.csv, points.csv and the
manifest written whole when it ends.

The point folder is `<out>.partial/`: a real folder of this user's (a planted link is
refused) holding the sweep's settings (`spec.json`) and one file per finished point.
The sweep holds its output folder's lock from start to end, so two sweeps cannot mix
their points.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import ScenarioError
from ..experiments.executors import Executor
from ..experiments.sweep import SweepResult, Vary, check_keys, sweep_spec
from ..experiments.sweep import sweep as run_sweep
from ..scenario import LoadedScenario
from .folders import OutputFolder
from .manifest import build_manifest, sha256_of, write_json
from .tables import rounded
from .writers import write_csv, write_figures


class FilePointStore:
    """The partial folder: the sweep's settings and a file per finished point."""

    def __init__(self, out: OutputFolder, spec: dict[str, Any], resume: bool) -> None:
        self.folder = out.scratch(".partial")
        self.points = self.folder / "points"
        spec_path = self.folder / "spec.json"
        if resume and self.folder.exists():
            try:
                previous = json.loads(spec_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                previous = None
            if previous != spec:
                raise ScenarioError(
                    "cannot resume: the unfinished sweep there was started with other settings "
                    "(scenario, --vary, seed or replications); rerun without --resume to start over",
                    source=str(self.folder),
                )
            self.points.mkdir(exist_ok=True)
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir()
            self.points.mkdir()
            write_json(spec, spec_path)

    def _path(self, index: int, suffix: str) -> Path:
        return self.points / f"{index:06d}.{suffix}"

    def done(self, index: int) -> bool:
        return self._path(index, "csv").exists() or self._path(index, "error").exists()

    def save(self, index: int, rows: str, error: str) -> None:
        target = self._path(index, "error" if error else "csv")
        tmp = target.with_suffix(".tmp")
        tmp.write_text(error + "\n" if error else rows, encoding="utf-8")
        os.replace(tmp, target)

    def error(self, index: int) -> str:
        path = self._path(index, "error")
        return path.read_text(encoding="utf-8").strip() if path.exists() else ""

    def rows(self, index: int) -> str:
        return self._path(index, "csv").read_text(encoding="utf-8")

    def discard(self) -> None:
        shutil.rmtree(self.folder)


def write_sweep(result: SweepResult, out: OutputFolder,
                inputs: Sequence[Path] = (), *, charts: bool = True) -> Path:
    """sweep.csv (as its points wrote it), sweep_stats.csv, points.csv, the sweep's chart
    and the manifest."""

    def fill(folder: Path) -> None:
        (folder / "sweep.csv").write_text(result.long_csv, encoding="utf-8", newline="")
        checksums = {"sweep.csv": sha256_of(folder / "sweep.csv"),
                     "sweep_stats.csv": write_csv(rounded(result.stats),
                                                  folder / "sweep_stats.csv"),
                     "points.csv": write_csv(result.points, folder / "points.csv")}
        if charts and len(result.stats):
            from .charts import Chart, sweep_figure

            keys = [key for key, _ in result.spec["vary"]]
            checksums.update(write_figures([Chart("sweep", sweep_figure, (result.stats, keys))],
                                           folder))
        fields = {k: v for k, v in result.spec.items() if k != "flowsim"}
        write_json(build_manifest("sweep", {**fields, "points": len(result.points)},
                                  inputs=inputs, files=checksums), folder / "manifest.json")

    out.write(fill)
    return out.path


def sweep(loaded: LoadedScenario, varies: Sequence[Vary], out: Path | OutputFolder, *,
          replications: int | None = None, seed: int | None = None,
          executor: Executor | None = None, progress: Callable[[int, int], None] | None = None,
          resume: bool = False) -> SweepResult:
    """Run a sweep whose finished points are kept beside `out`, and write its files."""
    folder = out if isinstance(out, OutputFolder) else OutputFolder(out, "sweep",
                                                                     inputs=loaded.files)
    with folder:
        check_keys(loaded.scenario, varies)
        spec = sweep_spec(loaded, varies, replications=replications, seed=seed)
        store = FilePointStore(folder, spec, resume)
        result = run_sweep(loaded, varies, store=store, replications=replications, seed=seed,
                           executor=executor, progress=progress)
        write_sweep(result, folder, loaded.files)
        store.discard()
    return result
