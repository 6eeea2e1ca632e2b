"""Writing a run's results: CSV tables and a manifest, whole or not at all.

Every writer takes its folder as a path or as an `OutputFolder` already claimed by the
command line; either way the folder is checked and replaced whole (see `folders`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import pandas as pd

from ..experiments.compare import Comparison
from ..errors import InputError
from ..experiments.run import DAILY_STATISTICS, RunResult
from .explain import parameter_rows
from ..spreadsheet import spreadsheet_safe
from .folders import OutputFolder, check_file, starts_with, write_file
from .tables import DATE_OF, comparison_file, daily_stats_file, stats_file
from .workbook import Sheet, write_workbook
from ..model.outcomes import LABELS, STATES
from .manifest import build_manifest, sha256_hex, sha256_of, write_json
from ..scenario import LoadedScenario, jsonable

if TYPE_CHECKING:
    from ..experiments.calibrate import Calibration
    from ..experiments.executors import Executor
    from .charts import Chart
    from ..experiments.ensemble import Ensemble
    from ..experiments.sensitivity import Sensitivity

# The tables every run writes, and the per-replication daily table written on request.
TABLES = ("summary", "stats", "daily_stats", "events")


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
    from .charts import rendered

    if executor is None or executor.workers < 2 or not charts:
        return lambda: [file for chart in charts for file in rendered(chart)]
    drawn: dict[int, tuple[tuple[str, bytes], ...]] = {}
    failed: list[BaseException] = []

    def collect() -> None:
        try:
            drawn.update(executor.map_unordered(rendered, list(charts)))
        except BaseException as exc:  # handed to the thread that waits
            failed.append(exc)

    thread = threading.Thread(target=collect, name="flowsim-charts", daemon=True)
    thread.start()

    def files() -> list[tuple[str, bytes]]:
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
    from .folders import read_manifest, written_by_flowsim

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


def file_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The run's tables as its files hold them: rounded, with dates beside days."""
    start = result.scenario.scenario.start
    return {"summary": result.summary, "stats": stats_file(result.stats, start),
            "daily_stats": daily_stats_file(result.daily_stats), "events": result.events}


def run_sheets(tables: dict[str, pd.DataFrame], loaded: LoadedScenario | None) -> list[Sheet]:
    sheets = [Sheet("stats", tables["stats"], units="unit", dates=tuple(DATE_OF.values())),
              Sheet("daily statistics", daily_wide(tables["daily_stats"]), unit="records",
                    dates=("date",))]
    if loaded is not None:
        sheets.append(Sheet("assumptions", assumptions_table(loaded),
                            widths={"parameter": 36, "value": 24, "set in": 28,
                                    "citation or assumption": 90}))
    return sheets


def assumptions_table(loaded: LoadedScenario) -> pd.DataFrame:
    rows = [(r.key, r.value, r.source, r.note) for r in parameter_rows(loaded)]
    return pd.DataFrame(rows, columns=["parameter", "value", "set in", "citation or assumption"])


def run_headline(result: RunResult) -> list[list[Any]]:
    """The workbook's first sheet: what the run is, and what it found in words."""
    from .text import scenario_sentence, title_of

    meta = result.scenario.scenario
    stats = result.stats.set_index("metric")
    lines: list[list[Any]] = [[f"flowsim: {title_of(result)}"], [meta.question or ""],
                              [scenario_sentence(result)], [],
                              ["scenario", result.name],
                              ["horizon", f"{meta.start:%Y-%m-%d} to {meta.end:%Y-%m-%d}"],
                              ["replications", result.replications], ["seed", result.seed], [],
                              ["", "mean", "95% CI, low", "95% CI, high", "5% of runs",
                               "95% of runs"]]
    for metric in ("requested", *STATES):  # where every requested record ended
        row = stats.loc[metric]
        lines.append([LABELS[metric], *(round(float(row[c])) for c in
                                        ("mean", "ci95_low", "ci95_high", "p05", "p95"))])
    share = stats.loc["any_transferred"]
    lines.append(["share of histories with a disclosure",
                  f"{share['mean']:.1%}", f"{share['ci95_low']:.1%}", f"{share['ci95_high']:.1%}"])
    lines += [[], ["every number, rounded as in the CSV files: the stats sheet; what each "
                   "column means: the dictionary sheet"]]
    return lines


def write_run_files(result: RunResult, folder: Path, loaded: LoadedScenario | None, *,
                    charts: bool = True, daily: str = "stats", workbook: bool = True,
                    executor: "Executor | None" = None) -> dict[str, pd.DataFrame]:
    """The run's files in `folder`; returns the tables as written. Charts are drawn on
    `executor`'s workers, if it has more than one, while the tables are written."""
    folder.mkdir(exist_ok=True)
    if charts:
        from .charts import run_charts

        figures = draw_charts(run_charts(result), executor)
    tables = file_tables(result)
    if daily == "per-replication":
        tables["daily"] = result.daily
    checksums = {f"{t}.csv": write_csv(table, folder / f"{t}.csv") for t, table in tables.items()}
    if workbook:
        write_workbook(folder / "results.xlsx", run_headline(result), run_sheets(tables, loaded))
        checksums["results.xlsx"] = sha256_of(folder / "results.xlsx")
    if charts:
        checksums.update(save_files(figures(), folder))
    write_json(run_manifest(result, loaded, checksums), folder / "manifest.json")
    return tables


def _by_date(parts: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """One row per date from rows of daily_stats: each part's mean and percentiles as
    columns named after it."""
    wide = None
    for name, rows in parts:
        part = rows.set_index("date")[list(DAILY_STATISTICS)].add_prefix(f"{name} ")
        wide = part if wide is None else wide.join(part, how="outer")
    return wide.sort_index().reset_index()


def daily_wide(daily_stats: pd.DataFrame) -> pd.DataFrame:
    """daily_stats.csv as a spreadsheet charts it: one row per date, and for each state
    that is ever above zero its mean and percentiles (a state left out is zero
    throughout, as daily_stats.csv shows)."""
    parts = [(state, rows) for state, rows in daily_stats.groupby("state", sort=False)
             if rows["p95"].max() > 0]
    if not parts:
        return pd.DataFrame({"date": daily_stats["date"].unique()})
    return _by_date(parts)


def daily_disclosures(runs: Sequence[RunResult],
                      every: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One row per date, and for each scenario the mean and percentiles of its
    cumulative disclosures: the compare workbook's daily sheet, small enough to chart."""
    return _by_date([(result.name, table[table["state"] == "transferred"])
                     for result, table in zip(runs, every)])


def write_results(result: RunResult, out: Out, *, loaded: LoadedScenario | None = None,
                  charts: bool = False, daily: str = "stats",
                  executor: "Executor | None" = None) -> Path:
    """Write the run's tables, workbook, charts if asked, and manifest into `out`,
    replacing it only when complete."""
    return _fill(out, "run", lambda staging: write_run_files(
        result, staging, loaded, charts=charts, daily=daily, executor=executor))


def compare_headline(comparison: Comparison) -> list[list[Any]]:
    from .text import disclosure_share_text, scenario_sentence, title_of

    base = comparison.baseline
    lines: list[list[Any]] = [[f"flowsim: what-ifs against “{title_of(base)}”"],
                              [f"{base.replications} replications each, seed {base.seed}, "
                               "common random numbers"], [],
                              ["scenario", "question", "records disclosed (mean)",
                               f"difference from {title_of(base)}",
                               "histories with a disclosure", "in words"]]
    for result in comparison.results:
        row = comparison.row(result.name)
        lines.append([title_of(result), result.scenario.scenario.question or "",
                      round(float(row["mean"])),
                      "" if result is base else round(float(row["diff_mean"])),
                      disclosure_share_text(result),
                      scenario_sentence(result, comparison.table, base)])
    return lines


def write_comparison(comparison: Comparison, out: Out, *,
                     loaded: Sequence[LoadedScenario | None] = (),
                     charts: bool = False, robustness: pd.DataFrame | None = None,
                     daily: str = "stats", executor: "Executor | None" = None) -> Path:
    """comparison.csv, charts if asked and a manifest in `out`, with each scenario's run
    (tables only) in a subfolder. Charts are drawn on `executor`'s workers, if it has
    more than one, while the tables are written."""
    loaded = list(loaded) or [None] * len(comparison.results)

    def fill(staging: Path) -> None:
        if charts:
            from .charts import comparison_charts

            figures = draw_charts(comparison_charts(comparison.results, comparison.table),
                                  executor)
        table = comparison_file(comparison.table, {r.name: r.scenario.scenario.start
                                                   for r in comparison.results})
        checksums = {"comparison.csv": write_csv(table, staging / "comparison.csv")}
        if robustness is not None:
            checksums["robustness.csv"] = write_csv(robustness, staging / "robustness.csv")
        every: dict[str, list[pd.DataFrame]] = {"stats": [], "daily_stats": []}
        for result, source in zip(comparison.results, loaded):
            tables = write_run_files(result, staging / result.name, source, charts=False,
                                     daily=daily, workbook=False)
            for name in every:
                every[name].append(tables[name])
        write_workbook(staging / "results.xlsx", compare_headline(comparison),
                       [Sheet("comparison", table, units="unit", dates=("mean_date",)),
                        Sheet("stats", pd.concat(every["stats"], ignore_index=True), units="unit",
                              dates=tuple(DATE_OF.values())),
                        Sheet("daily disclosures", daily_disclosures(comparison.results,
                                                                     every["daily_stats"]),
                              unit="records", dates=("date",))])
        checksums["results.xlsx"] = sha256_of(staging / "results.xlsx")
        if charts:
            checksums.update(save_files(figures(), staging))
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
            from .charts import Chart, tornado_figure

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

    return _fill(out, "sensitivity", fill)
