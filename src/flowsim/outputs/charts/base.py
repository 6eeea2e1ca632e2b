"""What every chart shares: the style (user text drawn as text), the palette, the
helpers for axes and titles, and `Chart`, a chart described so that any worker can draw it."""

from __future__ import annotations

import functools
import io
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...model.rules import GATE_RULES, Marker
from ...scenario import Scenario

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


def figure_axes(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def rule_markers(scenario: Scenario) -> list[Marker]:
    """The court's rules that fall inside the horizon, as vertical markers: each rule
    says where it is drawn (`rules.GateRule.markers`)."""
    meta = scenario.scenario
    return [m for rule in GATE_RULES for m in rule.markers(scenario)
            if meta.start <= m.when <= meta.end]


def thousands(x: float, _pos: int = 0) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M"
    return f"{x:,.0f}"


# A user's title may be any length: a chart shows its first lines and an ellipsis.
MAX_TITLE_LINES = 3


def wrap_title(text: str, width: int = 28, lines: int = MAX_TITLE_LINES) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=lines, placeholder=" …")) \
        or text[:width]


@dataclass(frozen=True)
class Chart:
    """A chart to draw: the stem of its files, the function that draws it, and the
    small tables it is drawn from, so that any worker process can draw it."""

    stem: str
    draw: Callable[..., Figure]
    args: tuple[Any, ...]
    # Drawn in the process that asks: vl-convert's runtime (a Vega-Lite chart) does not
    # survive being forked into a worker once this process has started it.
    here: bool = False

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
    if not isinstance(fig, Figure):  # defined in Vega-Lite: vl-convert draws it
        return tuple(zip(chart.files, (fig.png(), fig.svg().encode("utf-8"))))
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
    # The layout is settled by the first save; a second pass would only repeat it.
    fig.set_layout_engine("none")
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return tuple(zip(chart.files, (png.getvalue(), svg.getvalue())))


@styled
def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    if not isinstance(fig, Figure):  # defined in Vega-Lite: drawn at the same resolution
        return fig.png(dpi / 72)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


@styled
def svg_text(fig: Figure) -> str:
    if not isinstance(fig, Figure):
        return fig.svg()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def small_multiples(n: int, *, large: bool = False) -> tuple[Figure, np.ndarray]:
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
