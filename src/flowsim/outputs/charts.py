"""Charts for workshops: PNG for slides, SVG for print, both from the result tables.

Colours are the Okabe-Ito palette, which stays distinguishable with the common kinds
of colour blindness; every state also has its own hatch and every line its own dash,
so the charts survive a greyscale printer.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import textwrap
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

from ..model.outcomes import AFTER_STATES, LABELS, OUTCOMES, STATES
from ..model.rules import GATE_RULES, Marker
from ..experiments.run import DAILY_STATISTICS, METRIC_UNITS
from ..experiments.stats import number_text
from ..scenario import Scenario
from .record import RECORD_POINT
from .text import disclosing, title_of

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000",
             "#F0E442", "#999999"]
DASHES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)),
          (0, (5, 3, 1, 3)), (0, (8, 2))]
CHART_FILES = ("disclosures", "outcomes", "comparison", "after_disclosure", "sweep")

# Applied inside each chart function and while saving, never to the process: a notebook
# user's backend and style stay as they were. Figures are made without pyplot, so no
# backend is chosen or needed.
STYLE = {
    "svg.hashsalt": "flowsim",  # stable element ids: the same run gives the same SVG
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # Titles, names and labels are the user's text: a "$" is a dollar sign, never the
    # start of mathtext (which fails outright on an unbalanced one).
    "text.parse_math": False,
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


def rule_markers(scenario: Scenario) -> list[Marker]:
    """The court's rules that fall inside the horizon, as vertical markers: each rule
    says where it is drawn (`rules.GateRule.markers`)."""
    meta = scenario.scenario
    return [m for rule in GATE_RULES for m in rule.markers(scenario)
            if meta.start <= m.when <= meta.end]


def _thousands(x: float, _pos: int = 0) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M"
    return f"{x:,.0f}"


# A user's title may be any length: a chart shows its first lines and an ellipsis.
MAX_TITLE_LINES = 3


def _wrap(text: str, width: int = 28, lines: int = MAX_TITLE_LINES) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=lines, placeholder=" …")) \
        or text[:width]


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


def _draw_panel(ax: Axes, panel: Panel, *, large: bool = False, months: int = 1) -> None:
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
    ax.set_title(_wrap(panel.title, 60 if large else 40), loc="left", fontweight="bold",
                 fontsize=size + 2)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    span_months = max(1, len(band.dates) // 30)
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(months, -(-span_months // 12))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.tick_params(labelsize=size)
    top = max(float(np.nanmax(band.p95, initial=0)), float(np.nanmax(band.mean, initial=0)),
              panel.record[1] if panel.record else 0,
              float(np.nanmax(panel.reference[1].p50, initial=0)) if panel.reference else 0)
    ax.set_ylim(0, top * 1.12 if top > 0 else 1)
    ax.set_xlim(band.dates[0], band.dates[-1])


def _small_multiples(n: int, *, large: bool = False) -> tuple[Figure, np.ndarray]:
    """A figure of one panel per scenario: one alone, up to four in two columns, more in
    three; the panels left over are hidden. Large: a 16:9 slide or handout, whose type
    must read from the back of a room."""
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    rows = -(-n // cols)
    size = (12, 6.75) if large else (9, 4.8) if n == 1 else (4.6 * cols, 3.3 * rows + 0.9)
    fig = Figure(figsize=size, layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _legend_entries(axes: Sequence[Axes]) -> dict[str, Any]:
    """Each label drawn in any of the axes, once, with its first handle."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    return handles


@styled
def disclosure_figure(panels: Sequence[Panel], *, large: bool = False) -> Figure:
    """Cumulative records disclosed per day: the median history, the mean and the
    5–95% band, one panel per scenario, each with its own court rules and axis."""
    fig, axes = _small_multiples(len(panels), large=large)
    for ax, panel in zip(axes, panels):
        _draw_panel(ax, panel, large=large, months=1 if len(panels) == 1 else 2)
    fig.supylabel("records disclosed to ICE, cumulative", fontsize=16 if large else 10)
    handles = _legend_entries(axes)
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
    fig, ax = _axes((10, height))
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
    aside_text = [", ".join(f"{_thousands(p[0][s])} {LABELS[s]}" for s in SET_ASIDE)
                  for p in parts]
    ax.set_yticks(y, [f"{_wrap(name, 34)}\n{_wrap(text, 50)}"
                      for (name, _), text in zip(rows, aside_text)], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the records that passed review and matching or were stopped "
                  "before them (%), mean over histories", fontsize=9)
    ax.set_title("Where the records ended, beyond review and matching", loc="left",
                 fontweight="bold")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3,
               fontsize=8, frameon=False)
    return fig


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
    fig, ax = _axes((16, 9) if large else (9, 1.6 + 0.55 * max(1, len(rows))))
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
    ax.set_yticks(y, [_wrap(titles.get(n, n), 34) for n in rows["scenario"]], fontsize=size)
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.tick_params(axis="x", labelsize=size)
    ax.margins(x=0.25)
    label = LABELS.get(metric, metric)
    ax.set_xlabel(f"difference in records {label} from “{base_title}” "
                  "(mean, paired 95% interval)", fontsize=size)
    ax.set_title(f"What-ifs against “{base_title}”: records {label}", loc="left",
                 fontweight="bold", fontsize=size + 2)
    return fig


@dataclass(frozen=True)
class Chart:
    """A chart to draw: the stem of its files, the function that draws it, and the
    small tables it is drawn from, so that any worker process can draw it."""

    stem: str
    draw: Callable[..., Figure]
    args: tuple[Any, ...]

    def figure(self) -> Figure:
        return self.draw(*self.args)

    @property
    def files(self) -> tuple[str, str]:
        """Its file names: `stem`.png for slides, `stem`.svg for print."""
        return f"{self.stem}.png", f"{self.stem}.svg"


@styled
def rendered(chart: Chart) -> tuple[tuple[str, bytes], ...]:
    """The chart's files as (file name, bytes): the same bytes wherever it is drawn."""
    fig = chart.figure()
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
    # The layout is settled by the first save; a second pass would only repeat it.
    fig.set_layout_engine("none")
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return tuple(zip(chart.files, (png.getvalue(), svg.getvalue())))


@styled
def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


@styled
def svg_text(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def outcome_means(stats: pd.DataFrame) -> dict[str, float]:
    means = stats.set_index("metric")["mean"]
    return {s: float(means.get(s, 0.0)) for s in STATES}


def has_after(run: Any) -> bool:
    """Whether anything happens after disclosure worth a chart: orders, or access."""
    return run.scenario.acts_after_disclosure


def _after_panel(ax: Axes, run: Any, *, large: bool = False, ticks: int = 12) -> None:
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
    ax.set_title(_wrap(title_of(run), 60 if large else 40), loc="left", fontweight="bold",
                 fontsize=size + 2)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, -(-len(dates) // (30 * ticks)))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.tick_params(labelsize=size)
    ax.set_xlim(dates[0], dates[-1])
    ax.set_ylim(bottom=0)


@styled
def after_figure(runs: Sequence[Any]) -> Figure:
    """The records ICE was sent or could view, by what it could do with them, over time
    (means over histories): one panel per scenario, each with its own orders."""
    fig, axes = _small_multiples(len(runs))
    for ax, run in zip(axes, runs):
        _after_panel(ax, run, ticks=12 if len(runs) == 1 else 6)
    fig.supylabel("records ICE was sent or could view (mean)", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)),
               fontsize=8, frameon=False, title="after disclosure, by what ICE may do with "
               "them; dashed lines: court orders", title_fontsize=8)
    return fig


@styled
def page_figure(run: Any, reference: Any = None, *, record: bool = False) -> Figure:
    """The workshop page's chart: the run's disclosures beside the baseline's median and,
    where anything happens after disclosure, what ICE may do with the records: the
    panels of the files' charts, drawn as one figure so that the page redraws fast."""
    after = has_after(run)
    height = 7.6 if after else 4.6
    # A fixed layout: the page's chart always has the same parts, and working the margins
    # out on each change (constrained layout) would double the time it takes to draw.
    inch = 1 / height
    fig = Figure(figsize=(9, height))
    fig.subplots_adjust(left=0.1, right=0.98, top=1 - 0.55 * inch, bottom=1.0 * inch,
                        hspace=0.55 if after else 0)
    axes = np.atleast_1d(fig.subplots(2 if after else 1, 1))
    _draw_panel(axes[0], panel_of(run, reference=reference, record=record))
    if after:
        _after_panel(axes[1], run)
        axes[1].set_title("what ICE may do with the records after disclosure (mean)",
                          loc="left", fontweight="bold", fontsize=11)
    handles = _legend_entries(axes)
    fig.legend(list(handles.values()), list(handles), loc="lower center",
               ncols=min(4, len(handles)), fontsize=8, frameon=False)
    fig.text(0.01, 0.5, "records", rotation=90, va="center", fontsize=10)
    return fig


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


def comparison_charts(runs: Sequence[Any], table: pd.DataFrame) -> list[Chart]:
    """The charts of a comparison: small multiples of disclosures, each scenario with its
    own rules and the baseline's median beside it, what ICE may do with the records after
    disclosure where anything happens then, outcomes, and the differences. The small
    multiples come first: they take longest to draw."""
    views = [view_of(r) for r in runs]
    base = views[0]
    panels = [panel_of(base, record=True)] + [panel_of(v, reference=base) for v in views[1:]]
    charts = [Chart("disclosures", disclosure_figure, (panels,))]
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
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_xlabel(f"effect on mean records {label} (Morris μ*, with its 95% interval)")
    else:
        ax.set_xlabel(f"share of the variance of mean records {label} (Sobol' index, 95% interval)")
        ax.set_xlim(0, 1)
    ax.set_title(f"Which assumptions drive records {label}", loc="left", fontweight="bold")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


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
            ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
            ax.set_ylim(bottom=0)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)),
               fontsize=8, frameon=False, title="mean, with its 95% interval (shaded)",
               title_fontsize=8)
    return fig
