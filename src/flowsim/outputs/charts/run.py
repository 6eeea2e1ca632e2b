"""A run's charts: disclosures over time (a panel per scenario) and where the records ended;
the page's figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...experiments.run import DAILY_STATISTICS
from ...experiments.stats import number_text
from ...model.outcomes import LABELS, OUTCOMES, STATES
from ...model.rules import Marker
from ...scenario import Scenario
from ..record import RECORD_POINT
from ..text import disclosing, title_of
from .after import after_figure, has_after
from .base import (
    Chart,
    figure_axes,
    legend_entries,
    rule_markers,
    small_multiples,
    styled,
    thousands,
    wrap_title,
)


@dataclass(frozen=True)
class Band:
    """One scenario's cumulative disclosures over time, from daily_stats."""

    dates: np.ndarray
    mean: np.ndarray
    p05: np.ndarray
    p50: np.ndarray
    p95: np.ndarray


def band_of(daily_stats: pd.DataFrame, state: str = "transferred") -> Band:
    rows = daily_stats[daily_stats["state"] == state]
    return Band(pd.to_datetime(rows["date"]).to_numpy(), *(rows[c].to_numpy(dtype=float)
                                                          for c in DAILY_STATISTICS))


@dataclass(frozen=True)
class Panel:
    """A scenario's disclosures chart: its band, its own court rules and what to set
    beside it (the baseline's median, the record)."""

    title: str
    band: Band
    markers: tuple[Marker, ...]
    replications: int
    with_disclosure: int           # histories with any disclosure
    reference: tuple[str, Band] | None = None
    record: tuple[dt.datetime, float, str] | None = None


def panel_of(run: Any, *, reference: Any = None, record: bool = False) -> Panel:
    """The panel of a run-like object (a RunResult or a results folder)."""
    meta = run.scenario.scenario
    shows_record = record and meta.start <= RECORD_POINT[0] <= meta.end
    with_disclosure, replications = disclosing(run)
    return Panel(title_of(run), band_of(run.daily_stats), tuple(rule_markers(run.scenario)),
                 replications, with_disclosure,
                 None if reference is None else (title_of(reference),
                                                 band_of(reference.daily_stats)),
                 RECORD_POINT if shows_record else None)


def draw_panel(ax: Axes, panel: Panel, *, large: bool = False, months: int = 1) -> None:
    band = panel.band
    size = 17 if large else 9
    if panel.reference is not None:
        name, ref = panel.reference
        ax.plot(ref.dates, ref.p50, color="#999999", linewidth=1.5, linestyle=(0, (1, 1)),
                label=f"median, {name}")
    ax.fill_between(band.dates, band.p05, band.p95, color="#D55E00", alpha=0.18, linewidth=0,
                    label=f"5–95% of {panel.replications} histories")
    ax.plot(band.dates, band.p50, color="#D55E00", linewidth=2.2, label="median history")
    ax.plot(band.dates, band.mean, color="#000000", linewidth=1.4, linestyle="--",
            label="mean")
    if panel.record is not None:
        when, value, label = panel.record
        ax.plot([np.datetime64(when)], [value], marker="D", markersize=7, color="#0072B2",
                linestyle="none", label=label, zorder=5)
    first, last = band.dates[0], band.dates[-1]
    for i, m in enumerate(sorted(panel.markers, key=lambda m: m.when)):
        when = np.datetime64(m.when)
        ax.axvline(when, color="#444444", linewidth=1,
                   linestyle=m.line)
        # A label near the right edge goes to the left of its line, inside the axes.
        right = (when - first) > 0.7 * (last - first)
        label = f"{m.label} {m.when:%-d %b} " if right else f" {m.label} {m.when:%-d %b}"
        ax.text(when, 0.98 - 0.1 * (i % 3), label,
                transform=ax.get_xaxis_transform(), va="top", ha="right" if right else "left",
                fontsize=size - 1,
                color="#222222", bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5,
                                       "alpha": 0.85})
    n, k = panel.replications, panel.with_disclosure
    if 0 < k < n or k == 0:
        story = (f"disclosure in {k} of {n} histories" if k else
                 f"no disclosure in any of {n} histories")
        ax.text(0.02, 0.62, story, transform=ax.transAxes, fontsize=size, fontweight="bold",
                color="#222222", bbox={"facecolor": "white", "edgecolor": "#999999", "pad": 3})
    ax.set_title(wrap_title(panel.title, 60 if large else 40), loc="left", fontweight="bold",
                 fontsize=size + 2)
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    span_months = max(1, len(band.dates) // 30)
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(months, -(-span_months // 12))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.tick_params(labelsize=size)
    top = max(float(np.nanmax(band.p95, initial=0)), float(np.nanmax(band.mean, initial=0)),
              panel.record[1] if panel.record else 0,
              float(np.nanmax(panel.reference[1].p50, initial=0)) if panel.reference else 0)
    ax.set_ylim(0, top * 1.12 if top > 0 else 1)
    ax.set_xlim(band.dates[0], band.dates[-1])


@styled
def disclosure_figure(panels: Sequence[Panel], *, large: bool = False) -> Figure:
    """Cumulative records disclosed per day: the median history, the mean and the
    5–95% band, one panel per scenario, each with its own court rules and axis."""
    fig, axes = small_multiples(len(panels), large=large)
    for ax, panel in zip(axes, panels):
        draw_panel(ax, panel, large=large, months=1 if len(panels) == 1 else 2)
    fig.supylabel("records disclosed to ICE, cumulative", fontsize=16 if large else 10)
    handles = legend_entries(axes)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center",
               ncols=min(3 if large else 5, len(handles)), fontsize=15 if large else 8,
               frameon=False)
    return fig


# Review rejects, and matching drops, most requested records: set beside the other
# states they would squash them to slivers, so each is given as a number instead.
SET_ASIDE = ("rejected", "unmatched")


def _beyond_matching(means: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """The records set aside by review and matching, and the shares (%) of the rest."""
    aside = {s: means.get(s, 0.0) for s in SET_ASIDE}
    rest = {s: means[s] for s in STATES if s not in SET_ASIDE}
    total = sum(rest.values()) or 1.0
    return aside, {s: v / total * 100 for s, v in rest.items()}


@styled
def outcomes_figure(rows: Sequence[tuple[str, dict[str, float]]]) -> Figure:
    """Where the records ended that review did not reject and matching did not drop,
    per scenario (stacked shares); those two are given as numbers beside each bar."""
    height = 2.2 + 0.8 * len(rows)
    fig, ax = figure_axes((10, height))
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    parts = [_beyond_matching(means) for _, means in rows]
    for state in OUTCOMES:
        if state.name in SET_ASIDE:
            continue
        share = np.array([p[1][state.name] for p in parts])
        ax.barh(y, share, left=left, color=state.colour, hatch=state.hatch, edgecolor="#333333",
                linewidth=0.5, label=state.label)
        left += share
    for yi, (_, means) in zip(y, rows):
        ax.annotate(f"{number_text(means['transferred'])}\ndisclosed", (100, yi), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, annotation_clip=False)
    aside_text = [", ".join(f"{thousands(p[0][s])} {LABELS[s]}" for s in SET_ASIDE)
                  for p in parts]
    ax.set_yticks(y, [f"{wrap_title(name, 34)}\n{wrap_title(text, 50)}"
                      for (name, _), text in zip(rows, aside_text)], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the records that passed review and matching or were stopped "
                  "before them (%), mean over histories", fontsize=9)
    ax.set_title("Where the records ended, beyond review and matching", loc="left",
                 fontweight="bold")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3,
               fontsize=8, frameon=False)
    return fig


def outcome_means(stats: pd.DataFrame) -> dict[str, float]:
    means = stats.set_index("metric")["mean"]
    return {s: float(means.get(s, 0.0)) for s in STATES}


@dataclass(frozen=True)
class RunView:
    """What the charts read of a run (a RunResult or a results folder): a few small
    tables, cheap to send to the process that draws."""

    name: str
    scenario: Scenario
    replications: int
    stats: pd.DataFrame
    daily_stats: pd.DataFrame


def view_of(run: Any) -> RunView:
    return RunView(run.name, run.scenario, int(run.replications), run.stats, run.daily_stats)


def run_charts(run: Any) -> list[Chart]:
    """The charts of one run."""
    view = view_of(run)
    charts = [Chart("disclosures", disclosure_figure, ([panel_of(view, record=is_baseline(view))],)),
              Chart("outcomes", outcomes_figure, ([(title_of(view), outcome_means(view.stats))],))]
    if has_after(view):
        charts.append(Chart("after_disclosure", after_figure, ([view],)))
    return charts


def run_figures(run: Any) -> dict[str, Figure]:
    """The charts of one run (a RunResult or a results folder), drawn."""
    return {chart.stem: chart.figure() for chart in run_charts(run)}


def is_baseline(run: Any) -> bool:
    """Whether a lone run is the case's baseline, which the record is set beside."""
    return run.name == "baseline"


