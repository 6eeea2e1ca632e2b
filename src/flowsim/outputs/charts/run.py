"""A run's charts: disclosures over time (a panel per scenario) and where the records ended;
the page's figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...experiments.run import DAILY_STATISTICS
from ...experiments.stats import number_text
from ...model.outcomes import LABELS, OUTCOMES, STATES
from ...model.rules import Marker
from ...scenario import Scenario
from ..record import RECORD_POINT
from ..text import disclosing, title_of
from .after import after_figure, has_after
from .base import Chart, figure_axes, rule_markers, styled, thousands, wrap_title
from .vega import VegaFigure, disclosures_figure_spec


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


def disclosure_figure(panels: Sequence[Panel], *, large: bool = False) -> VegaFigure:
    """Cumulative records disclosed per day: the median history, the mean and the
    5–95% band, one panel per scenario, each with its own court rules and axes; the
    page's definition (`vega.panel_spec`), drawn for a file or the report."""
    return VegaFigure(disclosures_figure_spec(panels, large=large))


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
    charts = [Chart("disclosures", disclosure_figure, ([panel_of(view, record=is_baseline(view))],),
                    here=True),
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


