"""A compare's charts: each what-if's difference from the baseline, and its scenarios'
panels side by side."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...experiments.stats import number_text
from ...model.outcomes import LABELS
from ..text import title_of
from .after import after_figure, has_after
from .base import Chart, figure_axes, styled, thousands, wrap_title
from .run import disclosure_figure, outcome_means, outcomes_figure, panel_of, view_of


@styled
def comparison_figure(table: pd.DataFrame, titles: dict[str, str] | None = None,
                      metric: str = "transferred", *, large: bool = False) -> Figure:
    """Each what-if's difference from the baseline, with its paired 95% interval; each
    bar's figure is written past the end of its interval, never on it."""
    titles = titles or {}
    rows = table[(table["metric"] == metric) & (table["scenario"] != table["baseline"])]
    baseline = table["baseline"].iloc[0] if len(table) else "baseline"
    base_title = titles.get(baseline, baseline)
    size = 13 if large else 9
    fig, ax = figure_axes((16, 9) if large else (9, 1.6 + 0.55 * max(1, len(rows))))
    y = np.arange(len(rows))[::-1]
    diff = rows["diff_mean"].to_numpy(dtype=float)
    low = rows["diff_ci95_low"].to_numpy(dtype=float)
    high = rows["diff_ci95_high"].to_numpy(dtype=float)
    err = np.nan_to_num(np.vstack([diff - low, high - diff]))
    colours = np.where(diff >= 0, "#D55E00", "#0072B2")
    bars = ax.barh(y, diff, color=colours, edgecolor="#333333", linewidth=0.5)
    for bar, d in zip(bars, diff):
        bar.set_hatch("" if d >= 0 else "//")
    ax.errorbar(diff, y, xerr=err, fmt="none", ecolor="#000000", capsize=4)
    for yi, d, lo, hi in zip(y, diff, low, high):
        end = np.nanmax([d, hi]) if d >= 0 else np.nanmin([d, lo])
        ax.annotate(number_text(d, signed=True), (end, yi), xytext=(6 if d >= 0 else -6, 0),
                    textcoords="offset points", va="center", ha="left" if d >= 0 else "right",
                    fontsize=size, annotation_clip=False)
    ax.axvline(0, color="#000000", linewidth=1)
    ax.set_yticks(y, [wrap_title(titles.get(n, n), 34) for n in rows["scenario"]], fontsize=size)
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.tick_params(axis="x", labelsize=size)
    ax.margins(x=0.25)
    label = LABELS.get(metric, metric)
    ax.set_xlabel(f"difference in records {label} from “{base_title}” "
                  "(mean, paired 95% interval)", fontsize=size)
    ax.set_title(f"What-ifs against “{base_title}”: records {label}", loc="left",
                 fontweight="bold", fontsize=size + 2)
    return fig


def comparison_charts(runs: Sequence[Any], table: pd.DataFrame) -> list[Chart]:
    """The charts of a comparison: small multiples of disclosures, each scenario with its
    own rules and the baseline's median beside it, what ICE may do with the records after
    disclosure where anything happens then, outcomes, and the differences. The small
    multiples come first: they take longest to draw."""
    views = [view_of(r) for r in runs]
    base = views[0]
    panels = [panel_of(base, record=True)] + [panel_of(v, reference=base) for v in views[1:]]
    charts = [Chart("disclosures", disclosure_figure, (panels,), here=True)]
    if any(has_after(v) for v in views):
        charts.append(Chart("after_disclosure", after_figure, (views,)))
    charts += [Chart("outcomes", outcomes_figure,
                     ([(title_of(v), outcome_means(v.stats)) for v in views],)),
               Chart("comparison", comparison_figure,
                     (table, {v.name: title_of(v) for v in views}))]
    return charts


def comparison_figures(runs: Sequence[Any], table: pd.DataFrame) -> dict[str, Figure]:
    """The charts of a comparison, drawn."""
    return {chart.stem: chart.figure() for chart in comparison_charts(runs, table)}
