"""What the receiving agency may do with the records after disclosure, over time."""

from __future__ import annotations

from typing import Any, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...model.outcomes import AFTER_STATES
from ..text import title_of
from .base import small_multiples, styled, thousands, wrap_title


def has_after(run: Any) -> bool:
    """Whether anything happens after disclosure worth a chart: orders, or access."""
    return run.scenario.acts_after_disclosure


def after_panel(ax: Axes, run: Any, *, large: bool = False, ticks: int = 12) -> None:
    size = 13 if large else 9
    stats = run.daily_stats
    dates = None
    stack, labels, colours, hatches = [], [], [], []
    for holding in AFTER_STATES:
        rows = stats[stats["state"] == holding.name]
        if rows.empty:
            continue
        dates = pd.to_datetime(rows["date"]).to_numpy()
        stack.append(rows["mean"].to_numpy(dtype=float))
        labels.append(holding.label)
        colours.append(holding.colour)
        hatches.append(holding.hatch)
    if dates is None:
        return
    areas = ax.stackplot(dates, *stack, labels=labels, colors=colours, edgecolor="#333333",
                         linewidth=0.3)
    for area, hatch in zip(areas, hatches):
        area.set_hatch(hatch)
    meta = run.scenario.scenario
    for i, o in enumerate(sorted(run.scenario.use_orders, key=lambda o: o.start)):
        if not meta.start <= o.start <= meta.end:
            continue
        when = np.datetime64(o.start)
        ax.axvline(when, color="#222222", linewidth=1, linestyle="--")
        right = (when - dates[0]) > 0.7 * (dates[-1] - dates[0])
        ax.text(when, 0.98 - 0.1 * (i % 4), f"{o.name} {o.start:%-d %b} " if right else
                f" {o.name} {o.start:%-d %b}", transform=ax.get_xaxis_transform(), va="top",
                ha="right" if right else "left", fontsize=size - 2,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85})
    ax.set_title(wrap_title(title_of(run), 60 if large else 40), loc="left", fontweight="bold",
                 fontsize=size + 2)
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, -(-len(dates) // (30 * ticks)))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.tick_params(labelsize=size)
    ax.set_xlim(dates[0], dates[-1])
    ax.set_ylim(bottom=0)


@styled
def after_figure(runs: Sequence[Any]) -> Figure:
    """The records ICE was sent or could view, by what it could do with them, over time
    (means over histories): one panel per scenario, each with its own orders."""
    fig, axes = small_multiples(len(runs))
    for ax, run in zip(axes, runs):
        after_panel(ax, run, ticks=12 if len(runs) == 1 else 6)
    fig.supylabel("records ICE was sent or could view (mean)", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)),
               fontsize=8, frameon=False, title="after disclosure, by what ICE may do with "
               "them; dashed lines: court orders", title_fontsize=8)
    return fig
