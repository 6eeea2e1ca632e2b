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
    # The uncertainty history matching weighs a miss by (Vernon et al. 2010): how far the
    # record's own readings spread (observation error) and how far the model may sit from
    # the world at its best inputs (model discrepancy), as standard deviations in the
    # target's unit, each with its reason.
    observation_sd: Annotated[float, Field(ge=0)] = 0.0
    discrepancy_sd: Annotated[float, Field(ge=0)] = 0.0
    uncertainty: str = ""

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
    # Figures of the record the fit does not use, checked against the ensemble after it.
    validation: list[Target] = []


def _read(path: str | Path) -> Targets:
    path = Path(path)
    raw = read_toml(path)
    try:
        return Targets.model_validate(raw)
    except ValidationError as exc:
        raise translate_error(exc, {}, str(path)) from None


def load_targets(path: str | Path) -> list[Target]:
    return _read(path).targets


def load_validation(path: str | Path) -> list[Target]:
    """The figures of a targets file held out of the fit (`[[validation]]`)."""
    return _read(path).validation


def _days(value: Any, start: dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        return days_between(start, value)
    if isinstance(value, dt.date):
        return days_between(start, dt.datetime(value.year, value.month, value.day))
    return float(value)


def goal_days(t: Target, start: dt.datetime) -> float:
    """A target's value (or bound) as a number: a date in days since `start`."""
    return _days(t.value if t.value is not None else t.below, start)


def statistic_of(t: Target, metrics: dict[str, np.ndarray]) -> float:
    """The target's statistic of the run's replications (NaN where none has a value)."""
    values = np.asarray(metrics[DATE_METRICS.get(t.metric, t.metric)], dtype=float)
    values = values[~np.isnan(values)]
    return float(STATISTICS[t.statistic](values)) if len(values) else math.nan


def _text(value: float, is_date: bool, start: dt.datetime) -> str:
    if math.isnan(value):
        return ""
    if is_date:
        return (start + dt.timedelta(days=value)).isoformat(timespec="seconds")
    return f"{value:.6g}"


# The variance of a statistic of n draws, as a multiple of the draws' variance over n: the
# median's is pi/2 times the mean's (for near-normal draws); min and max are bounds only.
STATISTIC_VARIANCE = {"mean": 1.0, "median": math.pi / 2, "min": 1.0, "max": 1.0}


def simulation_variance(values: np.ndarray, statistic: str) -> float:
    """How much the statistic of these replications would move with other random numbers."""
    if len(values) < 2:
        return 0.0
    return STATISTIC_VARIANCE[statistic] * float(np.var(values, ddof=1)) / len(values)


def evaluate(targets: list[Target], metrics: dict[str, np.ndarray],
             start: dt.datetime) -> pd.DataFrame:
    """Each target's model value, residual, implausibility and whether it is met.

    The implausibility is |goal - model| / sqrt(V_obs + V_md + V_mc): observation error,
    model discrepancy and the simulation variance of the model's statistic. A target that
    declares neither error weighs its miss by its tolerance instead (the residual). A
    bound is met or not: an implausibility of 0 or `MISSING_RESIDUAL`."""
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
            declared = t.observation_sd ** 2 + t.discrepancy_sd ** 2
            scale = math.sqrt(declared + simulation_variance(values, t.statistic))
            implausibility = (MISSING_RESIDUAL if math.isnan(model) else
                              abs(residual) if declared == 0 else abs(model - goal) / scale)
            unit = "days" if is_date else METRIC_UNITS.get(t.metric, "records")
            target_text = f"{_text(goal, is_date, start)} ± {t.tolerance:g} {unit}"
        else:
            bound = _days(t.below, start)
            # Nothing to measure (no transfer at all) is under any bound.
            over = 0.0 if math.isnan(model) else max(0.0, model - bound)
            residual = over / (t.tolerance or 1.0) + (1e-9 if model == bound else 0.0)
            met = math.isnan(model) or model < bound
            implausibility = 0.0 if met else MISSING_RESIDUAL
            target_text = f"below {_text(bound, is_date, start)}"
        rows.append({
            "target": t.name, "metric": t.metric, "statistic": t.statistic,
            "goal": target_text, "model": _text(model, is_date, start),
            "residual": residual, "implausibility": implausibility, "met": bool(met),
            "source": t.source,
        })
    return pd.DataFrame(rows, columns=["target", "metric", "statistic", "goal", "model",
                                       "residual", "implausibility", "met", "source"])


def objective(table: pd.DataFrame) -> float:
    """The sum of squared residuals, each in units of its target's tolerance."""
    return float((table["residual"] ** 2).sum())
