"""The files of a compare: comparison.csv, its workbook and charts, and a folder for
each scenario."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from ...experiments.compare import Comparison
from ...experiments.run import RunResult
from ...scenario import LoadedScenario
from ..manifest import build_manifest, sha256_of, write_json
from ..tables import DATE_OF, comparison_file
from ..workbook import Sheet, write_workbook
from .files import Out, draw_charts, fill_folder, save_files, write_csv
from ..text import title_of
from .run import by_date, write_run_files

if TYPE_CHECKING:
    from ...experiments.executors import Executor
    from ...experiments.explore import Exploration


def daily_disclosures(runs: Sequence[RunResult],
                      every: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One row per date, and for each scenario the mean and percentiles of its
    cumulative disclosures: the compare workbook's daily sheet, small enough to chart."""
    return by_date([(result.name, table[table["state"] == "transferred"])
                     for result, table in zip(runs, every)])


def compare_headline(comparison: Comparison) -> list[list[Any]]:
    from ..text import (difference_text, disclosure_share_text, headline_of, metric_text,
                        scenario_sentence, title_of)
    from ...experiments.run import METRIC_LABELS

    base = comparison.baseline
    lines: list[list[Any]] = [[f"flowsim: what-ifs against “{title_of(base)}”"],
                              [f"{base.replications} replications each, seed {base.seed}, "
                               "common random numbers"], [],
                              ["scenario", "question", "records disclosed (mean)",
                               f"difference from {title_of(base)}",
                               "histories with a disclosure", "its question's figure",
                               "its value", "its difference", "in words"]]
    for result in comparison.results:
        row = comparison.row(result.name)
        metric = headline_of(result)
        lines.append([title_of(result), result.scenario.scenario.question or "",
                      round(float(row["mean"])),
                      "" if result is base else round(float(row["diff_mean"])),
                      disclosure_share_text(result), METRIC_LABELS[metric],
                      metric_text(result, metric),
                      "" if result is base else difference_text(comparison.table, result.name,
                                                                metric),
                      scenario_sentence(result, comparison.table, base)])
    return lines


def write_comparison(comparison: Comparison, out: Out, *,
                     loaded: Sequence[LoadedScenario | None] = (),
                     charts: bool = False, exploration: "Exploration | None" = None,
                     daily: str = "stats", executor: "Executor | None" = None,
                     robustness: pd.DataFrame | None = None) -> Path:
    """comparison.csv, charts if asked and a manifest in `out`, with each scenario's run
    (tables only) in a subfolder. Charts are drawn on `executor`'s workers, if it has
    more than one, while the tables are written."""
    loaded = list(loaded) or [None] * len(comparison.results)

    def fill(staging: Path) -> None:
        if charts:
            from ..charts import comparison_charts, exploration_charts

            drawn = comparison_charts(comparison.results, comparison.table)
            if exploration is not None:
                drawn += exploration_charts(
                    exploration.rows, exploration.verdicts,
                    {r.name: title_of(r) for r in comparison.results},
                    {r.name: r.scenario.scenario.headline for r in comparison.results})
            figures = draw_charts(drawn, executor)
        table = comparison_file(comparison.table, {r.name: r.scenario.scenario.start
                                                   for r in comparison.results})
        checksums = {"comparison.csv": write_csv(table, staging / "comparison.csv")}
        if robustness is not None:
            checksums["robustness.csv"] = write_csv(robustness, staging / "robustness.csv")
        if exploration is not None:
            checksums["verdicts.csv"] = write_csv(exploration.verdicts, staging / "verdicts.csv")
            checksums["exploration.csv"] = write_csv(exploration.rows,
                                                     staging / "exploration.csv")
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
                              unit="records", dates=("date",)),
                        *([Sheet("verdicts", exploration.verdicts)] if exploration else [])])
        checksums["results.xlsx"] = sha256_of(staging / "results.xlsx")
        if charts:
            checksums.update(save_files(figures(), staging))
        base = comparison.baseline
        write_json(build_manifest(
            "explore" if exploration else "compare",
            {"baseline": base.name, "scenarios": [r.name for r in comparison.results],
             "seed": base.seed, "replications": base.replications,
             **({} if exploration is None else {"exploration": {
                 "samples": exploration.samples, "replications": exploration.replications,
                 "sets": int(len(exploration.sets)), "dropped": exploration.dropped,
                 "assumptions": [a.key for a in exploration.assumptions]}})},
            inputs=[p for s in loaded if s for p in s.files], files=checksums,
            after={"overrides": list(loaded[0].overrides) if loaded[0] else []}),
            staging / "manifest.json")

    return fill_folder(out, "explore" if exploration else "compare", fill)
