"""A sweep's chart: each metric against the varied values."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...experiments.run import METRIC_UNITS
from ...model.outcomes import LABELS
from .base import DASHES, OKABE_ITO, styled, thousands

SWEEP_METRICS = ("transferred", "any_transferred", "blocked_notice", "first_transfer_days")


def _axis_values(values: Sequence[str]) -> tuple[np.ndarray, bool]:
    """A varied key's values on an axis: numbers where every value is one, else dates
    or, failing both, evenly spaced categories."""
    try:
        return np.array([float(v) for v in values]), True
    except ValueError:
        pass
    try:
        return pd.to_datetime(list(values)).to_numpy(), True
    except (ValueError, TypeError):
        return np.arange(len(values), dtype=float), False


@styled
def sweep_figure(stats: pd.DataFrame, keys: Sequence[str]) -> Figure:
    """Each main metric's mean (with its 95% interval) against the first varied key,
    one line per value of the second key."""
    metrics = [m for m in SWEEP_METRICS if m in set(stats["metric"])]
    fig = Figure(figsize=(4.8 * min(2, len(metrics)), 3.4 * -(-len(metrics) // 2) + 0.8),
                 layout="constrained")
    axes = np.atleast_1d(fig.subplots(-(-len(metrics) // 2), min(2, len(metrics)),
                                      squeeze=False).ravel())
    x_key, line_key = keys[0], (keys[1] if len(keys) > 1 else None)
    for ax, metric in zip(axes, metrics):
        rows = stats[stats["metric"] == metric]
        groups = [(None, rows)] if line_key is None else list(rows.groupby(line_key, sort=False))
        for i, (value, group) in enumerate(groups):
            x_text = group[x_key].astype(str).tolist()
            x, ordered = _axis_values(x_text)
            order = np.argsort(x, kind="stable")
            mean = group["mean"].to_numpy(dtype=float)[order]
            low = group["ci95_low"].to_numpy(dtype=float)[order]
            high = group["ci95_high"].to_numpy(dtype=float)[order]
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            ax.fill_between(x[order], low, high, color=colour, alpha=0.2, linewidth=0)
            ax.plot(x[order], mean, color=colour, linestyle=DASHES[i % len(DASHES)], marker="o",
                    markersize=4, label=f"{line_key} = {value}" if line_key else "mean")
            if not ordered:
                ax.set_xticks(x[order], [x_text[j] for j in order], rotation=30)
        unit = METRIC_UNITS[metric]
        label = ("share of histories with a disclosure" if metric == "any_transferred" else
                 "days to the first disclosure" if metric == "first_transfer_days" else
                 f"records {LABELS.get(metric, metric)}")
        ax.set_title(label, loc="left", fontweight="bold", fontsize=10)
        ax.set_xlabel(x_key)
        if unit == "share":
            ax.set_ylim(0, 1.02)
        elif unit == "records":
            ax.yaxis.set_major_formatter(FuncFormatter(thousands))
            ax.set_ylim(bottom=0)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)),
               fontsize=8, frameon=False, title="mean, with its 95% interval (shaded)",
               title_fontsize=8)
    return fig
