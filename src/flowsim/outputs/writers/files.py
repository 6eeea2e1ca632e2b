"""Writing files whole: a results folder through its staging copy, a CSV table with its
checksum, and charts (drawn here or in the workers of a run)."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import pandas as pd

from ...errors import InputError
from ...spreadsheet import spreadsheet_safe
from ..folders import OutputFolder
from ..manifest import sha256_hex, sha256_of

if TYPE_CHECKING:
    from ...experiments.executors import Executor
    from ..charts import Chart


Out = Path | str | OutputFolder


def fill_folder(out: Out, command: str, fill: Callable[[Path], None]) -> Path:
    """Write a results folder whole through `fill(staging)`; return its path."""
    folder = out if isinstance(out, OutputFolder) else OutputFolder(out, command)
    folder.write(fill)
    return folder.path


def write_csv(table: pd.DataFrame, path: Path) -> str:
    """Write `table` as UTF-8 CSV with a header row; return its SHA-256. Floats are
    written in their shortest exact form: 96.15, not 96.15000000000002."""
    spreadsheet_safe(table).to_csv(path, index=False, lineterminator="\n", float_format="%.15g")
    return sha256_of(path)


def draw_charts(charts: Sequence["Chart"], executor: "Executor | None" = None
                ) -> Callable[[], list[tuple[str, bytes]]]:
    """Start drawing `charts`; the function returned waits for their files and gives
    them in the order of `charts`.

    On an executor of more than one worker the charts are drawn there, while this
    process writes the tables; otherwise they are drawn here, when their files are asked
    for. A chart's bytes do not depend on where it was drawn.
    """
    from ..charts import rendered

    if executor is None or executor.workers < 2 or not charts:
        return lambda: [file for chart in charts for file in rendered(chart)]
    drawn: dict[int, tuple[tuple[str, bytes], ...]] = {}
    failed: list[BaseException] = []
    away = [i for i, chart in enumerate(charts) if not chart.here]

    def collect() -> None:
        try:
            drawn.update((away[i], files) for i, files in
                         executor.map_unordered(rendered, [charts[i] for i in away]))
        except BaseException as exc:  # handed to the thread that waits
            failed.append(exc)

    thread = threading.Thread(target=collect, name="flowsim-charts", daemon=True)
    thread.start()

    def files() -> list[tuple[str, bytes]]:
        drawn.update((i, rendered(chart)) for i, chart in enumerate(charts) if chart.here)
        thread.join()
        if failed:
            raise failed[0]
        return [file for i in range(len(charts)) for file in drawn[i]]

    return files


def save_files(files: Sequence[tuple[str, bytes]], folder: Path) -> dict[str, str]:
    """Write each (name, bytes) into `folder`; return the files' checksums."""
    checksums = {}
    for name, data in files:
        (folder / name).write_bytes(data)
        checksums[name] = sha256_hex(data)
    return checksums


def write_figures(charts: Sequence["Chart"], folder: Path) -> dict[str, str]:
    """Draw each chart as PNG and SVG into `folder`; return the files' checksums."""
    return save_files(draw_charts(charts)(), folder)


def redraw_figures(charts: Sequence["Chart"], folder: Path) -> dict[str, str]:
    """Draw charts again into a results folder: each file whole, and never over a file
    that the folder's manifest does not list as flowsim's."""
    from ..folders import read_manifest, written_by_flowsim

    doc = read_manifest(folder) or {}
    ours = written_by_flowsim(folder, doc)
    for chart in charts:
        for name in chart.files:
            if (folder / name).exists() and name not in ours:
                raise InputError(f"holds {name}, which flowsim did not write; move it and "
                                 "draw the charts again", source=str(folder))
    staging = Path(tempfile.mkdtemp(prefix=".charts.partial-", dir=folder))
    try:
        written = save_files(draw_charts(charts)(), staging)
        for name in written:
            os.replace(staging / name, folder / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
