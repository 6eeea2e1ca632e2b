"""The files of a run: its tables, workbook, charts and manifest."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from ...experiments.run import DAILY_STATISTICS, FILING_METRICS, RunResult
from ...model.outcomes import LABELS, STATES
from ...scenario import LoadedScenario, jsonable
from ..explain import parameter_rows
from ..manifest import build_manifest, sha256_of, write_json
from ..tables import DATE_OF, daily_stats_file, seasons_file, stats_file
from ..workbook import Sheet, write_workbook
from .files import Out, draw_charts, fill_folder, save_files, write_csv

if TYPE_CHECKING:
    from ...experiments.executors import Executor


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


def file_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The run's tables as its files hold them: rounded, with dates beside days."""
    start = result.scenario.scenario.start
    tables = {"summary": result.summary, "stats": stats_file(result.stats, start),
              "daily_stats": daily_stats_file(result.daily_stats), "events": result.events}
    if result.scenario.filing is not None:
        tables["seasons"] = seasons_file(result.seasons)
    return tables


def run_sheets(tables: dict[str, pd.DataFrame], loaded: LoadedScenario | None) -> list[Sheet]:
    sheets = [Sheet("stats", tables["stats"], units="unit", dates=tuple(DATE_OF.values())),
              Sheet("daily statistics", daily_wide(tables["daily_stats"]), unit="records",
                    dates=("date",))]
    if "seasons" in tables:
        sheets.append(Sheet("filing seasons", tables["seasons"], units="unit"))
    if loaded is not None:
        from ..explain import assumption_rows

        sheets.append(Sheet("what this assumes", pd.DataFrame(
            assumption_rows(loaded), columns=["parameter", "value or range explored",
                                              "why"])))
        sheets.append(Sheet("assumptions", assumptions_table(loaded),
                            widths={"parameter": 36, "value": 24, "set in": 28,
                                    "citation or assumption": 90}))
    return sheets


def assumptions_table(loaded: LoadedScenario) -> pd.DataFrame:
    rows = [(r.key, r.value, r.source, r.note) for r in parameter_rows(loaded)]
    return pd.DataFrame(rows, columns=["parameter", "value", "set in", "citation or assumption"])


def run_headline(result: RunResult) -> list[list[Any]]:
    """The workbook's first sheet: what the run is, and what it found in words."""
    from ..text import FILING_BASIS, headline_text, scenario_sentence, title_of

    meta = result.scenario.scenario
    stats = result.stats.set_index("metric")
    lines: list[list[Any]] = [[f"flowsim: {title_of(result)}"], [meta.question or ""],
                              [headline_text(result)], [scenario_sentence(result)], [],
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
    if result.scenario.filing is not None:  # the other side of the trade-off
        lines.append([])
        for metric in FILING_METRICS:
            row = stats.loc[metric]
            lines.append([LABELS[metric], *(round(float(row[c])) for c in
                                            ("mean", "ci95_low", "ci95_high", "p05", "p95"))])
        lines.append([FILING_BASIS])
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
        from ..charts import run_charts

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
        # The page's chart, as one Vega-Lite definition with its data: what the page draws.
        from ..charts.vega import disclosures_spec

        spec = folder / "disclosures.vl.json"
        write_json(disclosures_spec(result), spec)
        checksums[spec.name] = sha256_of(spec)
    write_json(run_manifest(result, loaded, checksums), folder / "manifest.json")
    return tables


def by_date(parts: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
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
    return by_date(parts)


def write_results(result: RunResult, out: Out, *, loaded: LoadedScenario | None = None,
                  charts: bool = False, daily: str = "stats",
                  executor: "Executor | None" = None) -> Path:
    """Write the run's tables, workbook, charts if asked, and manifest into `out`,
    replacing it only when complete."""
    return fill_folder(out, "run", lambda staging: write_run_files(
        result, staging, loaded, charts=charts, daily=daily, executor=executor))
