"""The disclosures chart, defined once as Vega-Lite with its data: the page draws it in
the browser (vega-embed, vendored), and the files and the report draw the same definition
with vl-convert (the same Vega-Lite version, as PNG and SVG); a run folder also keeps the
page's as `disclosures.vl.json`.

A panel holds one scenario's records disclosed over time (the median history, the mean
and 90 % of histories shaded), the baseline's median beside it, the record on the
baseline, the scenario's own court rules as dated lines (notice rules dotted) and, where
only some histories disclose, how many did. A comparison sets one panel per scenario
side by side, each on its own axes. The page adds, where anything happens after
disclosure, the records in each state after disclosure (mean), stacked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ...model.outcomes import AFTER_STATES
from .base import MAX_TITLE_LINES, wrap_title

if TYPE_CHECKING:
    from .run import Panel

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Okabe-Ito, as the files' charts: the run's band and median, its mean, the baseline.
BAND, MEDIAN, MEAN, BASELINE = "#f6d5bf", "#D55E00", "#000000", "#777777"
SERIES = {"p50": "median history", "mean": "mean", "baseline": "median of the baseline"}
RECORD = "#0072B2"
WIDTH = "container"
# The Vega-Lite the page serves (serve/static/vendor) is the one files are drawn with.
VEGA_LITE_VERSION = "6.4"
Y_TITLE = "records disclosed to ICE, cumulative"
# A rule's line: notice rules dotted, orders solid (`Marker.line`).
RULE_DASH = {"-": [1, 0], ":": [2, 2]}
# Where a mark sits in time; the axis a panel shows it on.
DATE = {"field": "date", "type": "temporal"}


def time_axis(**axis: Any) -> dict[str, Any]:
    """The time axis of a panel: months, unrotated, with any further axis properties."""
    return {**DATE, "title": None, "axis": {"format": "%b %Y", "labelAngle": 0, **axis}}


# The type of a chart in a file: a slide or a sheet, and a large one for a handout.
FILE_STYLE = {False: {"width": 640, "height": 300, "title": 15, "text": 12},
              True: {"width": 1100, "height": 500, "title": 28, "text": 19}}


def _number(x: Any) -> float | None:
    value = float(x)
    return None if math.isnan(value) else round(value, 2)


def changes_only(dates: Sequence[str], columns: dict[str, Any]) -> list[dict[str, Any]]:
    """A row (the date, then each column's value as `_number` gives it) for each day
    whose values differ from the day before's, and for the last day: drawn as steps,
    they draw the same chart as every day's row."""
    names = list(columns)
    matrix = np.column_stack([np.asarray(columns[n], dtype=float) for n in names])
    days = len(matrix)
    # A day whose numbers equal the day before's rounds to the same row: only the others
    # are rounded and compared.
    same = np.zeros(days, dtype=bool)
    same[1:] = ((matrix[1:] == matrix[:-1])
                | (np.isnan(matrix[1:]) & np.isnan(matrix[:-1]))).all(axis=1)
    same[-1:] = False
    rows = []
    for i in np.flatnonzero(~same):
        values = [_number(x) for x in matrix[i]]
        if i == 0 or i == days - 1 or values != [_number(x) for x in matrix[i - 1]]:
            rows.append({"date": str(dates[i]), **dict(zip(names, values))})
    return rows


def panel_rows(panel: "Panel") -> list[dict[str, Any]]:
    """One row per day on which a value changes: the 5th and 95th percentiles, the median,
    the mean and the baseline's median where it is set beside."""
    band = panel.band
    dates = np.datetime_as_string(band.dates, unit="D")
    columns = {"p05": band.p05, "p95": band.p95, SERIES["p50"]: band.p50,
               SERIES["mean"]: band.mean}
    if panel.reference is not None:
        ref = panel.reference[1]
        base = dict(zip(np.datetime_as_string(ref.dates, unit="D"), ref.p50))
        columns[SERIES["baseline"]] = [base.get(day, math.nan) for day in dates]
    return changes_only(dates, columns)


def story_text(panel: "Panel") -> str:
    """How many histories disclose, where not all of them do."""
    n, k = panel.replications, panel.with_disclosure
    if k == 0:
        return f"no disclosure in any of {n} histories"
    return f"disclosure in {k} of {n} histories" if k < n else ""


def _rule_rows(panel: "Panel") -> list[dict[str, Any]]:
    band = panel.band
    first, last = band.dates[0], band.dates[-1]
    rows = []
    for i, m in enumerate(sorted(panel.markers, key=lambda m: m.when)):
        when = np.datetime64(m.when)
        # A label near the right edge goes to the left of its line, inside the chart.
        right = bool((when - first) > 0.7 * (last - first))
        rows.append({"date": m.when.isoformat(), "label": f"{m.label} {m.when:%-d %b}",
                     "line": m.line, "row": i % 3, "side": "right" if right else "left"})
    return rows


def panel_spec(panel: "Panel", *, width: Any = WIDTH, height: int = 240,
               text_size: int = 11, beside: bool = False) -> dict[str, Any]:
    """One scenario's panel, on its own axes: its horizon and its largest value. `beside`:
    panels set side by side share one legend, so each names every line any of them draws."""
    rows = panel_rows(panel)
    series = [s for s in SERIES if s != "baseline" or panel.reference is not None or beside]
    band = panel.band
    top = max(float(np.nanmax(band.p95, initial=0)), float(np.nanmax(band.mean, initial=0)),
              panel.record[1] if panel.record else 0.0,
              float(np.nanmax(panel.reference[1].p50, initial=0)) if panel.reference else 0.0)
    # The rows hold the horizon's first and last days, so the time axis spans it exactly.
    x = time_axis(labelFontSize=text_size)
    y_scale = {"domain": [0, top * 1.12 if top > 0 else 1], "nice": False}
    y = {"type": "quantitative", "title": Y_TITLE, "scale": y_scale,
         "axis": {"format": ",.0f", "labelFontSize": text_size, "titleFontSize": text_size}}
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "area", "color": BAND, "interpolate": "step-after"},
         "encoding": {"x": x, "y": {**y, "field": "p05"}, "y2": {"field": "p95"}}},
        {"transform": [{"fold": [SERIES[s] for s in series], "as": ["which", "records"]}],
         "mark": {"type": "line", "strokeWidth": 2, "interpolate": "step-after"},
         "encoding": {
             "x": x, "y": {**y, "field": "records"},
             "color": {"field": "which", "type": "nominal", "title": None,
                       "scale": {"domain": [SERIES[s] for s in series],
                                 "range": [{"p50": MEDIAN, "mean": MEAN,
                                            "baseline": BASELINE}[s] for s in series]},
                       "legend": {"orient": "bottom", "labelFontSize": text_size}},
             "strokeDash": {"field": "which", "type": "nominal", "legend": None,
                            "scale": {"domain": [SERIES[s] for s in series],
                                      "range": [{"p50": [1, 0], "mean": [6, 3],
                                                 "baseline": [2, 2]}[s] for s in series]}}}},
    ]
    rules = _rule_rows(panel)
    if rules:
        layers.append({"data": {"values": rules}, "mark": {"type": "rule", "color": "#444"},
                       "encoding": {"x": DATE,
                                    "strokeDash": {"field": "line", "type": "nominal",
                                                   "legend": None,
                                                   "scale": {"domain": list(RULE_DASH),
                                                             "range": list(RULE_DASH.values())}}}})
        for side in ("left", "right"):
            if any(r["side"] == side for r in rules):
                layers.append({
                    "data": {"values": [r for r in rules if r["side"] == side]},
                    "mark": {"type": "text", "align": "left" if side == "left" else "right",
                             "dx": 3 if side == "left" else -3, "baseline": "top",
                             "fontSize": text_size - 1, "color": "#222"},
                    "encoding": {"x": DATE,
                                 "y": {"field": "row", "type": "quantitative", "scale": None,
                                       "axis": None},
                                 "text": {"field": "label"}},
                    "transform": [{"calculate": f"datum.row * {text_size + 4} + 2",
                                   "as": "row"}]})
    if panel.record is not None:
        when, value, label = panel.record
        point = [{"date": when.date().isoformat(), "records": value, "label": label}]
        layers.append({"data": {"values": point},
                       "mark": {"type": "point", "shape": "diamond", "filled": True,
                                "size": 90, "color": RECORD},
                       "encoding": {"x": DATE,
                                    "y": {**y, "field": "records"}}})
        layers.append({"data": {"values": point},
                       "mark": {"type": "text", "align": "left", "dx": 8, "dy": 10,
                                "fontSize": text_size - 1, "color": RECORD},
                       "encoding": {"x": DATE,
                                    "y": {**y, "field": "records"}, "text": {"field": "label"}}})
    title = wrap_title(panel.title, 60, MAX_TITLE_LINES).split("\n")
    shaded = f"shaded: 5–95 % of {panel.replications} histories"
    story = story_text(panel)
    # The series' colours and dashes and the rules' dashes are scales of their own.
    return {"resolve": {"scale": {"color": "independent", "strokeDash": "independent"}},
            "title": {"text": title, "anchor": "start", "fontSize": text_size + 3,
                      "subtitle": [shaded, story] if story else [shaded],
                      "subtitleFontSize": text_size, "subtitleColor": "#222",
                      "subtitleFontWeight": "bold" if story else "normal"},
            "width": width, "height": height, "data": {"values": rows}, "layer": layers}


def disclosures_figure_spec(panels: Sequence["Panel"], *, large: bool = False) -> dict[str, Any]:
    """The chart of the files and the report: one panel per scenario, in up to three
    columns, each on its own axes; large for a handout's 16:9 sheet."""
    style = FILE_STYLE[large]
    config = {"title": {"fontSize": style["title"]},
              "legend": {"labelFontSize": style["text"], "labelLimit": 0,
                         "symbolStrokeWidth": 3},
              "font": "Liberation Sans, Arial, Helvetica, sans-serif"}
    if large and len(panels) == 1:
        # A handout's chart fills a 16:9 sheet whatever its title and legend take.
        return {"$schema": SCHEMA, **panel_spec(panels[0], text_size=style["text"]),
                "width": style["width"], "height": style["width"] * 9 // 16,
                "autosize": {"type": "fit", "contains": "padding"}, "background": "white",
                "padding": 12, "config": config}
    columns = 1 if len(panels) == 1 else 2 if len(panels) <= 4 else 3
    width = style["width"] if columns == 1 else style["width"] * 2 // (columns + 1)
    beside = any(p.reference is not None for p in panels)
    specs = [panel_spec(p, width=width, height=style["height"] if columns == 1 else
                        style["height"] * 3 // 4, text_size=style["text"], beside=beside)
             for p in panels]
    return {"$schema": SCHEMA, "columns": columns, "concat": specs, "background": "white",
            "padding": 12,
            "resolve": {"scale": {"x": "independent", "y": "independent"}},
            "config": config}


@dataclass(frozen=True)
class VegaFigure:
    """A chart defined in Vega-Lite, drawn to PNG or SVG by vl-convert; in Jupyter it shows
    itself as its PNG."""

    spec: dict[str, Any]

    def png(self, scale: float = 2.0) -> bytes:
        import vl_convert

        return vl_convert.vegalite_to_png(self.spec, vl_version=VEGA_LITE_VERSION, scale=scale)

    def svg(self) -> str:
        import vl_convert

        return vl_convert.vegalite_to_svg(self.spec, vl_version=VEGA_LITE_VERSION)

    def _repr_png_(self) -> bytes:
        return self.png(1.0)


# The daily states the page's chart reads: disclosures, and the states after disclosure.
DISCLOSURES_STATES = ("transferred", *(h.name for h in AFTER_STATES))


def after_rows(run: Any) -> list[dict[str, Any]]:
    """One row per day and state after disclosure with records in it: the mean."""
    stats = run.daily_stats
    labels = {h.name: h.label for h in AFTER_STATES}
    part = stats[stats["state"].isin(labels)]
    means = {state: rows["mean"].to_numpy(dtype=float)
             for state, rows in part.groupby("state", sort=False)}
    used = {labels[state]: values for state, values in means.items() if (values > 0).any()}
    if not used:
        return []
    # Every state has a row for every day, in the same order: stacked areas need them all.
    dates = part.loc[part["state"] == next(iter(means)), "date"].astype(str).to_numpy()
    return [{"date": row["date"], "state": state, "records": value}
            for row in changes_only(dates, used)
            for state, value in row.items() if state != "date"]


def disclosures_spec(run: Any, reference: Any = None) -> dict[str, Any]:
    """The page's chart, its data inline: the run's panel (the same definition as the
    files'), and what may be done with the records after disclosure where anything is."""
    from .run import is_baseline, panel_of

    disclosures = panel_spec(panel_of(run, reference=reference,
                                      record=reference is None and is_baseline(run)))
    after = after_rows(run)
    if not after:
        return {"$schema": SCHEMA, **disclosures}
    states = {"title": {"text": "what ICE may do with the records after disclosure (mean)",
                        "anchor": "start"},
              "width": WIDTH, "height": 160, "data": {"values": after},
              "mark": {"type": "area", "interpolate": "step-after"},
              "encoding": {"x": time_axis(),
                           "y": {"field": "records", "type": "quantitative",
                                 "stack": "zero", "title": "records"},
                           "color": {"field": "state", "type": "nominal", "title": None,
                                     "scale": {"domain": [h.label for h in AFTER_STATES],
                                               "range": [h.colour for h in AFTER_STATES]},
                                     "legend": {"orient": "bottom"}}}}
    return {"$schema": SCHEMA, "vconcat": [disclosures, states],
            "resolve": {"scale": {"color": "independent"}}}
