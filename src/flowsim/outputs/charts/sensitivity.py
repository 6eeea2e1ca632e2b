"""A sensitivity run's chart: which assumptions drive the answers (a tornado)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...model.outcomes import LABELS
from .base import figure_axes, styled, thousands


@styled
def tornado_figure(indices: pd.DataFrame, method: str, metric: str = "transferred") -> Figure:
    """Parameters ranked by their influence on `metric`, largest at the top."""
    column, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    rows = indices[indices["metric"] == metric].sort_values(column, kind="stable")
    fig, ax = figure_axes((9, 1.4 + 0.45 * max(1, len(rows))))
    y = np.arange(len(rows))
    ax.barh(y, rows[column], color="#0072B2", edgecolor="#333333", linewidth=0.5,
            label="μ* (mean absolute effect)" if method == "morris" else "total index ST")
    if method == "sobol":
        ax.barh(y, rows["S1"].clip(lower=0), height=0.35, color="#E69F00", hatch="//",
                edgecolor="#333333", linewidth=0.5, label="first-order index S1")
    centre = rows[column].to_numpy(dtype=float)
    half = rows[conf].clip(lower=0).to_numpy(dtype=float)
    if method == "sobol":  # a share of the variance lies in 0..1, and so does its interval
        err = np.vstack([centre - np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1) - centre])
    else:
        err = np.vstack([np.minimum(half, centre), half])
    ax.errorbar(centre, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="#000000",
                capsize=3, zorder=3)
    ax.set_yticks(y, [f"{p} ({lo:g} to {hi:g})" for p, lo, hi in
                      zip(rows["parameter"], rows["low"], rows["high"])])
    label = LABELS.get(metric, metric)
    if method == "morris":
        ax.xaxis.set_major_formatter(FuncFormatter(thousands))
        ax.set_xlabel(f"effect on mean records {label} (Morris μ*, with its 95% interval)")
    else:
        ax.set_xlabel(f"share of the variance of mean records {label} (Sobol' index, 95% interval)")
        ax.set_xlim(0, 1)
    ax.set_title(f"Which assumptions drive records {label}", loc="left", fontweight="bold")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig
