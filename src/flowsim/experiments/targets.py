"""Targets: the record's figures as data, and how far a run is from each.

A target names a metric of the run, a statistic across replications and either a value
with a tolerance (met when |model - value| <= tolerance) or a bound (`below`: met when
the model is under it). Dates are given as dates and compared in days.

Each target's residual is in units of its tolerance: (model - value) / tolerance, or
for a bound, how far the model is over it (0 when met). The calibration objective is
the sum of the squared residuals.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from .run import METRIC_UNITS, METRICS
from ..model.plan import days_between
from ..scenario import Table, read_toml, translate_error

# Dates in targets refer to these metrics, which hold days since scenario.start.
DATE_METRICS = {"first_transfer": "first_transfer_days", "last_transfer": "last_transfer_days"}
STATISTICS = {
    "mean": np.mean,
    "median": np.median,
    "min": np.min,
    "max": np.max,
}
# A value target the model cannot evaluate (no transfer at all) counts as this far off.
MISSING_RESIDUAL = 100.0

Number = float | int
Moment = dt.date | dt.datetime


class Target(Table):
    name: Annotated[str, Field(min_length=1)]
    metric: str
    statistic: Literal["mean", "median", "min", "max"] = "mean"
    value: Number | Moment | None = None
    tolerance: Annotated[float, Field(gt=0)] | None = None
    below: Number | Moment | None = None
    source: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> "Target":
        if self.metric not in METRICS and self.metric not in DATE_METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; one of: "
                             + ", ".join([*DATE_METRICS, *METRICS]))
        if (self.value is None) == (self.below is None):
            raise ValueError("give either value and tolerance, or below")
        if self.value is not None and self.tolerance is None:
            raise ValueError("a value needs a tolerance")
        is_date = self.metric in DATE_METRICS
        for given in (self.value, self.below):
            if given is not None and isinstance(given, (dt.date, dt.datetime)) != is_date:
                raise ValueError(f"{self.metric} takes {'a date' if is_date else 'a number'}")
        return self


class Targets(Table):
    targets: list[Target]


def load_targets(path: str | Path) -> list[Target]:
    path = Path(path)
    raw = read_toml(path)
    try:
        return Targets.model_validate(raw).targets
    except ValidationError as exc:
        raise translate_error(exc, {}, str(path)) from None


def _days(value: Any, start: dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        return days_between(start, value)
    if isinstance(value, dt.date):
        return days_between(start, dt.datetime(value.year, value.month, value.day))
    return float(value)


def _text(value: float, is_date: bool, start: dt.datetime) -> str:
    if math.isnan(value):
        return ""
    if is_date:
        return (start + dt.timedelta(days=value)).isoformat(timespec="seconds")
    return f"{value:.6g}"


def evaluate(targets: list[Target], metrics: dict[str, np.ndarray],
             start: dt.datetime) -> pd.DataFrame:
    """Each target's model value, residual and whether it is met."""
    rows = []
    for t in targets:
        is_date = t.metric in DATE_METRICS
        values = np.asarray(metrics[DATE_METRICS.get(t.metric, t.metric)], dtype=float)
        values = values[~np.isnan(values)]
        model = float(STATISTICS[t.statistic](values)) if len(values) else math.nan
        if t.value is not None:
            goal = _days(t.value, start)
            residual = MISSING_RESIDUAL if math.isnan(model) else (model - goal) / t.tolerance
            met = abs(residual) <= 1
            unit = "days" if is_date else METRIC_UNITS.get(t.metric, "records")
            target_text = f"{_text(goal, is_date, start)} ± {t.tolerance:g} {unit}"
        else:
            bound = _days(t.below, start)
            # Nothing to measure (no transfer at all) is under any bound.
            over = 0.0 if math.isnan(model) else max(0.0, model - bound)
            residual = over / (t.tolerance or 1.0) + (1e-9 if model == bound else 0.0)
            met = math.isnan(model) or model < bound
            target_text = f"below {_text(bound, is_date, start)}"
        rows.append({
            "target": t.name, "metric": t.metric, "statistic": t.statistic,
            "goal": target_text, "model": _text(model, is_date, start),
            "residual": residual, "met": bool(met), "source": t.source,
        })
    return pd.DataFrame(rows, columns=["target", "metric", "statistic", "goal", "model",
                                       "residual", "met", "source"])


def objective(table: pd.DataFrame) -> float:
    """The sum of squared residuals, each in units of its target's tolerance."""
    return float((table["residual"] ** 2).sum())
