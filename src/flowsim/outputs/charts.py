"""Charts for workshops: PNG for slides, SVG for print, both from the result tables.

Colours are the Okabe-Ito palette, which stays distinguishable with the common kinds
of colour blindness; every state also has its own hatch and every line its own dash,
so the charts survive a greyscale printer.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..model.outcomes import LABELS, OUTCOMES, STATES
from ..experiments.stats import number_text
from ..scenario import Scenario

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000",
             "#F0E442", "#999999"]
DASHES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)),
          (0, (5, 3, 1, 3)), (0, (8, 2))]
CHART_FILES = ("disclosures", "outcomes", "comparison")

# Applied inside each chart function and while saving, never to the process: a notebook
# user's backend and style stay as they were. Figures are made without pyplot, so no
# backend is chosen or needed.
STYLE = {
    "svg.hashsalt": "flowsim",  # stable element ids: the same run gives the same SVG
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
F = TypeVar("F", bound=Callable[..., Any])


def styled(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _axes(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


@dataclass(frozen=True)
class Marker:
    when: dt.datetime
    label: str
    kind: str  # "notice" or "injunction"


def rule_markers(scenario: Scenario) -> list[Marker]:
    """The court's rules that fall inside the horizon, as vertical markers."""
    meta = scenario.scenario
    markers = []
    for rule in scenario.notice:
        if meta.start <= rule.start <= meta.end:
            markers.append(Marker(rule.start, f"notice rule ({rule.hours.mean:g} h)", "notice"))
    inj = scenario.injunction
    if inj.enabled and inj.at is not None and meta.start <= inj.at <= meta.end:
        markers.append(Marker(inj.at, "injunction", "injunction"))
    return markers


def _thousands(x: float, _pos: int = 0) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M"
    return f"{x:,.0f}"


def _band(daily: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dates and the 5th, 50th and 95th percentiles of cumulative disclosures per day."""
    wide = daily.pivot(index="date", columns="replication", values="transferred")
    dates = pd.to_datetime(wide.index).to_numpy()
    low, mid, high = np.percentile(wide.to_numpy(dtype=float), [5, 50, 95], axis=1)
    return dates, low, mid, high


@styled
def disclosure_figure(runs: Sequence[tuple[str, pd.DataFrame]], markers: Sequence[Marker],
                      title: str) -> Figure:
    """Cumulative records disclosed per day: median line and 5-95% band per scenario."""
    fig, ax = _axes((10 if len(runs) > 1 else 9, 4.8))
    replications = 0
    for i, (name, daily) in enumerate(runs):
        dates, low, mid, high = _band(daily)
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.fill_between(dates, low, high, color=colour, alpha=0.2, linewidth=0,
                        hatch="//" if i % 2 else None)
        ax.plot(dates, mid, color=colour, linestyle=DASHES[i % len(DASHES)], linewidth=2,
                label=name if len(runs) > 1 else "median")
        replications = daily["replication"].nunique()
    for i, m in enumerate(sorted(markers, key=lambda m: m.when)):
        style = ":" if m.kind == "notice" else "-"
        ax.axvline(np.datetime64(m.when), color="#444444", linestyle=style, linewidth=1.2)
        # Staggered heights keep the labels of rules a few weeks apart from overlapping.
        ax.text(np.datetime64(m.when), 0.98 - 0.09 * (i % 3), f" {m.label}, {m.when:%Y-%m-%d}",
                transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=8,
                color="#222222", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1,
                                       "alpha": 0.8})
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel("records disclosed to ICE (cumulative)")
    ax.set_xlabel("date")
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_ylim(bottom=0)
    band_label = f"shaded: 5-95% of {replications} replications"
    if len(runs) > 1:
        ax.legend(title=band_label, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
                  title_fontsize=8, frameon=False)
    else:
        ax.legend(title=band_label, loc="upper left", bbox_to_anchor=(0, 0.7), fontsize=8,
                  title_fontsize=8, frameon=False)
    return fig


@styled
def outcomes_figure(rows: Sequence[tuple[str, dict[str, float]]]) -> Figure:
    """Where the requested records ended, per scenario: stacked shares, with counts."""
    height = 1.8 + 0.55 * len(rows)
    fig, ax = _axes((9, height))
    names = [name for name, _ in rows]
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    totals = np.array([sum(means[s] for s in STATES) for _, means in rows], dtype=float)
    totals[totals == 0] = 1
    for state in OUTCOMES:
        share = np.array([means[state.name] for _, means in rows]) / totals * 100
        ax.barh(y, share, left=left, color=state.colour, hatch=state.hatch, edgecolor="#333333",
                linewidth=0.5, label=state.label)
        left += share
    for yi, (_, means) in zip(y, rows):
        ax.annotate(f"{number_text(means['transferred'])} disclosed", (100, yi), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of requested records (%), mean over replications")
    ax.set_title("Where the requested records ended", loc="left", fontweight="bold")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3,
               fontsize=8, frameon=False)
    return fig


@styled
def comparison_figure(table: pd.DataFrame, metric: str = "transferred") -> Figure:
    """Each what-if's difference from the baseline, with its paired 95% interval."""
    rows = table[(table["metric"] == metric) & (table["scenario"] != table["baseline"])]
    baseline = table["baseline"].iloc[0] if len(table) else "baseline"
    fig, ax = _axes((9, 1.4 + 0.5 * max(1, len(rows))))
    y = np.arange(len(rows))[::-1]
    diff = rows["diff_mean"].to_numpy(dtype=float)
    err = np.vstack([diff - rows["diff_ci95_low"].to_numpy(dtype=float),
                     rows["diff_ci95_high"].to_numpy(dtype=float) - diff])
    colours = np.where(diff >= 0, "#D55E00", "#0072B2")
    hatches = ["" if d >= 0 else "//" for d in diff]
    bars = ax.barh(y, diff, color=colours, edgecolor="#333333", linewidth=0.5)
    for bar, hatch in zip(bars, hatches):
        bar.set_hatch(hatch)
    ax.errorbar(diff, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#000000", capsize=4)
    for yi, d in zip(y, diff):
        ax.annotate(number_text(d, signed=True), (d, yi), xytext=(6 if d >= 0 else -6, 0),
                    textcoords="offset points", va="center", ha="left" if d >= 0 else "right",
                    fontsize=8)
    ax.axvline(0, color="#000000", linewidth=1)
    ax.set_yticks(y, rows["scenario"].tolist())
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.margins(x=0.2)
    label = LABELS.get(metric, metric)
    ax.set_xlabel(f"difference in records {label}, vs {baseline} (mean, paired 95% interval)")
    ax.set_title(f"What-ifs against {baseline}: records {label}", loc="left",
                 fontweight="bold")
    return fig


@styled
def save(fig: Figure, folder: Path, stem: str) -> list[Path]:
    """Write `stem`.png and `stem`.svg into `folder`."""
    paths = [folder / f"{stem}.png", folder / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=150, metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    return paths


@styled
def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def outcome_means(stats: pd.DataFrame) -> dict[str, float]:
    means = stats.set_index("metric")["mean"]
    return {s: float(means.get(s, 0.0)) for s in STATES}


def run_figures(name: str, scenario: Scenario, daily: pd.DataFrame,
                stats: pd.DataFrame) -> dict[str, Figure]:
    title = f"{scenario.scenario.title or name}: records disclosed to ICE over time"
    return {
        "disclosures": disclosure_figure([(name, daily)], rule_markers(scenario), title),
        "outcomes": outcomes_figure([(name, outcome_means(stats))]),
    }


@styled
def comparison_figures(runs: Sequence[tuple[str, Scenario, pd.DataFrame, pd.DataFrame]],
                       table: pd.DataFrame) -> dict[str, Figure]:
    base_name, base_scenario = runs[0][0], runs[0][1]
    return {
        "disclosures": disclosure_figure(
            [(name, daily) for name, _, daily, _ in runs], rule_markers(base_scenario),
            f"Records disclosed to ICE over time (court rules of {base_name})"),
        "outcomes": outcomes_figure([(name, outcome_means(stats)) for name, _, _, stats in runs]),
        "comparison": comparison_figure(table),
    }


@styled
def tornado_figure(indices: pd.DataFrame, method: str, metric: str = "transferred") -> Figure:
    """Parameters ranked by their influence on `metric`, largest at the top."""
    column, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    rows = indices[indices["metric"] == metric].sort_values(column, kind="stable")
    fig, ax = _axes((9, 1.4 + 0.45 * max(1, len(rows))))
    y = np.arange(len(rows))
    ax.barh(y, rows[column], color="#0072B2", edgecolor="#333333", linewidth=0.5,
            label="μ* (mean absolute effect)" if method == "morris" else "total index ST")
    if method == "sobol":
        ax.barh(y, rows["S1"].clip(lower=0), height=0.35, color="#E69F00", hatch="//",
                edgecolor="#333333", linewidth=0.5, label="first-order index S1")
    ax.errorbar(rows[column], y, xerr=rows[conf].clip(lower=0), fmt="none", ecolor="#000000",
                capsize=3, zorder=3)
    ax.set_yticks(y, [f"{p} ({lo:g} to {hi:g})" for p, lo, hi in
                      zip(rows["parameter"], rows["low"], rows["high"])])
    label = LABELS.get(metric, metric)
    if method == "morris":
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_xlabel(f"effect on mean records {label} (Morris μ*, with its 95% interval)")
    else:
        ax.set_xlabel(f"share of the variance of mean records {label} (Sobol' index, 95% interval)")
    ax.set_title(f"Which assumptions drive records {label}", loc="left", fontweight="bold")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig
