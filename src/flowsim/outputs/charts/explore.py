"""An exploration's charts: each answer that is not settled, against the assumption it
depends on most."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...experiments.explore import label_of
from ...experiments.run import METRIC_LABELS
from .base import Chart, figure_axes, styled, thousands, wrap_title


@styled
def exploration_figure(sets: pd.DataFrame, verdict: dict, key: str, title: str) -> Figure:
    """Each set's paired difference against one assumption: kept sets as dots, the
    headline as a line, the sets where the answer holds filled."""
    metric = verdict["metric"]
    fig, ax = figure_axes((8, 4.6))
    kept = sets[sets["kept"]]
    x = kept[key].to_numpy(dtype=float)
    y = kept[f"difference: {metric}"].to_numpy(dtype=float)
    headline = verdict["headline"]
    holds = np.sign(y) == np.sign(headline)
    ax.scatter(x[holds], y[holds], s=22, color="#0072B2", edgecolor="#333333", linewidth=0.4,
               label="the headline's sign")
    ax.scatter(x[~holds], y[~holds], s=22, facecolor="white", edgecolor="#D55E00",
               linewidth=1.0, marker="s", label="another sign (or none)")
    ax.axhline(headline, color="#000000", linestyle="--", linewidth=1,
               label=f"headline at the scenario's own values ({headline:+,.0f})")
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_xlabel(label_of(key))
    ax.set_ylabel(f"difference from the baseline: {METRIC_LABELS[metric]}")
    ax.set_title(wrap_title(f"{title}: {verdict['verdict']}", width=70, lines=2), loc="left",
                 fontweight="bold")
    ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def exploration_charts(rows: pd.DataFrame, verdicts: pd.DataFrame,
                       titles: dict[str, str], headlines: dict[str, str]) -> list[Chart]:
    """One chart for each scenario whose headline answer is not settled."""
    charts = []
    for _, v in verdicts.iterrows():
        if v["verdict"] == "settled" or v["metric"] != headlines.get(v["scenario"]):
            continue
        key = (v["depends_on"] or "").split(";")[0]
        sets = rows[rows["scenario"] == v["scenario"]]
        if not key or key not in sets.columns:
            continue
        charts.append(Chart(f"explore-{v['scenario']}", exploration_figure,
                            (sets, v.to_dict(), key, titles[v["scenario"]])))
    return charts
