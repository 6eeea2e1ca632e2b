"""The disclosures chart as one Vega-Lite specification, with its data: the page draws it
in the browser (vega-embed, vendored) and a run folder keeps it as `disclosures.vl.json`,
so the page and the files show the same definition.

It holds the run's records disclosed over time (the median history, the mean and 90 % of
histories shaded), the baseline's median beside it, the court's rules as dated lines and,
where anything happens after disclosure, a second panel: the records in each state after
disclosure (mean), stacked.
"""

from __future__ import annotations

import math
from typing import Any

from ...model.outcomes import AFTER_STATES
from .base import rule_markers

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Okabe-Ito, as the files' charts: the run's band and median, its mean, the baseline.
BAND, MEDIAN, MEAN, BASELINE = "#f6d5bf", "#D55E00", "#000000", "#777777"
SERIES = {"p50": "median history", "mean": "mean", "baseline": "median of the baseline"}
WIDTH = "container"


def _number(x: Any) -> float | None:
    value = float(x)
    return None if math.isnan(value) else round(value, 2)


def changes_only(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The days whose values differ from the day before, and the last day: drawn as
    steps, they draw the same chart as every day's row."""
    kept, last = [], None
    for i, row in enumerate(rows):
        values = {k: v for k, v in row.items() if k != "date"}
        if values != last or i == len(rows) - 1:
            kept.append(row)
        last = values
    return kept


def disclosure_rows(run: Any, reference: Any = None) -> list[dict[str, Any]]:
    """One row per day: the run's 5th and 95th percentiles of records disclosed, its
    median and mean and the baseline's median (where it is set beside), by their labels."""
    stats = run.daily_stats
    mine = stats[stats["state"] == "transferred"]
    base = None
    if reference is not None:
        theirs = reference.daily_stats
        base = dict(zip(theirs.loc[theirs["state"] == "transferred", "date"],
                        theirs.loc[theirs["state"] == "transferred", "p50"]))
    rows = []
    for row in mine.itertuples(index=False):
        item = {"date": str(row.date), "p05": _number(row.p05), "p95": _number(row.p95),
                SERIES["p50"]: _number(row.p50), SERIES["mean"]: _number(row.mean)}
        if base is not None:
            item[SERIES["baseline"]] = _number(base.get(row.date, float("nan")))
        rows.append(item)
    return changes_only(rows)


def after_rows(run: Any) -> list[dict[str, Any]]:
    """One row per day and state after disclosure with records in it: the mean."""
    stats = run.daily_stats
    labels = {h.name: h.label for h in AFTER_STATES}
    part = stats[stats["state"].isin(labels)]
    used = {s for s, m in zip(part["state"], part["mean"]) if m > 0}
    # The days on which any state changes, every state on each: stacked areas need them all.
    wide: dict[str, dict[str, Any]] = {}
    for r in part.itertuples(index=False):
        if r.state in used:
            wide.setdefault(str(r.date), {"date": str(r.date)})[labels[r.state]] = _number(r.mean)
    return [{"date": row["date"], "state": state, "records": value}
            for row in changes_only(list(wide.values()))
            for state, value in row.items() if state != "date"]


def disclosures_spec(run: Any, reference: Any = None) -> dict[str, Any]:
    """The chart's Vega-Lite specification, its data inline."""
    rows = disclosure_rows(run, reference)
    series = [s for s in SERIES if s != "baseline" or reference is not None]
    x = {"field": "date", "type": "temporal", "title": None,
         "axis": {"format": "%b %Y", "labelAngle": 0}}
    y_title = "records disclosed"
    markers = [{"date": m.when.date().isoformat(), "label": m.label}
               for m in rule_markers(run.scenario)]
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "area", "color": BAND, "interpolate": "step-after"},
         "encoding": {"x": x, "y": {"field": "p05", "type": "quantitative", "title": y_title},
                      "y2": {"field": "p95"}}},
        {"transform": [{"fold": [SERIES[s] for s in series], "as": ["which", "records"]}],
         "mark": {"type": "line", "strokeWidth": 2, "interpolate": "step-after"},
         "encoding": {
             "x": x, "y": {"field": "records", "type": "quantitative", "title": y_title},
             "color": {"field": "which", "type": "nominal", "title": None,
                       "scale": {"domain": [SERIES[s] for s in series],
                                 "range": [{"p50": MEDIAN, "mean": MEAN,
                                            "baseline": BASELINE}[s] for s in series]},
                       "legend": {"orient": "bottom"}},
             "strokeDash": {"field": "which", "type": "nominal", "legend": None,
                            "scale": {"domain": [SERIES[s] for s in series],
                                      "range": [{"p50": [1, 0], "mean": [6, 3],
                                                 "baseline": [2, 2]}[s] for s in series]}}}},
    ]
    if markers:
        layers.append({"data": {"values": markers}, "mark": {"type": "rule", "color": "#555"},
                       "encoding": {"x": {"field": "date", "type": "temporal"}}})
        layers.append({"data": {"values": markers},
                       "mark": {"type": "text", "align": "left", "dx": 3, "dy": -4,
                                "baseline": "top", "fontSize": 10, "y": 0},
                       "encoding": {"x": {"field": "date", "type": "temporal"},
                                    "text": {"field": "label"}}})
    disclosures = {"title": {"text": run.scenario.scenario.title or run.name, "anchor": "start"},
                   "width": WIDTH, "height": 240, "data": {"values": rows}, "layer": layers}
    after = after_rows(run)
    if not after:
        return {"$schema": SCHEMA, **disclosures}
    states = {"title": {"text": "what ICE may do with the records after disclosure (mean)",
                        "anchor": "start"},
              "width": WIDTH, "height": 160, "data": {"values": after},
              "mark": {"type": "area", "interpolate": "step-after"},
              "encoding": {"x": x,
                           "y": {"field": "records", "type": "quantitative",
                                 "stack": "zero", "title": "records"},
                           "color": {"field": "state", "type": "nominal", "title": None,
                                     "scale": {"domain": [h.label for h in AFTER_STATES],
                                               "range": [h.colour for h in AFTER_STATES]},
                                     "legend": {"orient": "bottom"}}}}
    return {"$schema": SCHEMA, "vconcat": [disclosures, states],
            "resolve": {"scale": {"color": "independent"}}}
