"""Calibration: fit free parameters of a scenario to the record's targets.

The objective is `targets.objective`: the sum over targets of the squared residual, each
in units of its tolerance. Every evaluation runs the same replications with the same seed
(common random numbers), so the objective is a deterministic function of the free
parameters and a rerun finds the same fit. The search is scipy's bounded Nelder-Mead,
started from the scenario's own values, on parameters scaled to [0, 1] by their bounds.
"""

from __future__ import annotations

from .defaults import CALIBRATE_REPLICATIONS

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from .executors import Executor
from .run import run_many, settings
from ..scenario import LoadedScenario, is_whole, lookup, parse_bounds, split_assignment
from .targets import Target, evaluate, objective

FREE_SOURCE = "--free"
# Every evaluation of a calibration runs this many replications unless told otherwise:
# enough for the targets' tolerances, few enough for a hundred evaluations.
DEFAULT_REPLICATIONS = CALIBRATE_REPLICATIONS


@dataclass(frozen=True)
class FreeParameter:
    key: str
    low: float
    high: float
    start: float
    whole: bool  # a count such as a capacity: fitted values are rounded

    def value(self, x: float) -> float | int:
        v = self.low + min(max(x, 0.0), 1.0) * (self.high - self.low)
        return int(round(v)) if self.whole else float(f"{v:.6g}")

    def scaled(self, v: float) -> float:
        return (v - self.low) / (self.high - self.low)


def parse_free(text: str, loaded: LoadedScenario) -> FreeParameter:
    """`key=low:high`, or a bare `key` for half to twice its value (within [0, 1] for rates)."""
    key, bounds = split_assignment(text, source=FREE_SOURCE, form="key or key=low:high",
                                   value_required=False)
    start = lookup(loaded.raw, key, source=FREE_SOURCE)
    if isinstance(start, bool) or not isinstance(start, (int, float)):
        raise ScenarioError("must hold a number in the scenario to be fitted (a distribution's "
                            "own parameters can be freed, e.g. review.days.mode)",
                            key=key, source=FREE_SOURCE)
    if bounds:
        low, high = parse_bounds(bounds, key, source=FREE_SOURCE)
    else:
        low, high = start / 2, start * 2 if start else 1.0
        if key.endswith(("rate", "accept", "relief", "share")):
            high = min(high, 1.0)
        if not low < high:
            raise ScenarioError(f"give bounds: its value {start:g} gives none by default",
                                key=key, source=FREE_SOURCE)
    if not low <= start <= high:
        raise ScenarioError(f"its value {start:g} lies outside {low:g}:{high:g}", key=key,
                            source=FREE_SOURCE)
    return FreeParameter(key, low, high, float(start), is_whole(key))


@dataclass(frozen=True)
class Calibration:
    loaded: LoadedScenario          # the scenario with the fitted values
    free: list[FreeParameter]
    fitted: dict[str, float | int]
    parameters: pd.DataFrame        # fitted.csv
    residuals: pd.DataFrame         # residuals.csv
    objective_before: float
    objective_after: float
    evaluations: int
    seed: int
    replications: int

    def overrides(self) -> list[str]:
        return [f"{k}={v!r}" for k, v in self.fitted.items()]


def calibrate(
    loaded: LoadedScenario,
    targets: Sequence[Target],
    free: Sequence[FreeParameter],
    *,
    replications: int | None = None,
    seed: int | None = None,
    max_evaluations: int = 200,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    from scipy.optimize import minimize

    if not free:
        raise ScenarioError("name at least one parameter to fit with --free", source=FREE_SOURCE)
    replications = DEFAULT_REPLICATIONS if replications is None else replications
    _, seed = settings(loaded, replications, seed)
    start_day = loaded.scenario.scenario.start
    cache: dict[tuple[float, ...], tuple[float, pd.DataFrame]] = {}

    def fit_of(values: Sequence[float | int]) -> tuple[float, pd.DataFrame]:
        point = tuple(float(v) for v in values)
        if point not in cache:
            try:
                trial = loaded.with_overrides([f"{p.key}={v!r}" for p, v in zip(free, values)])
            except ScenarioError:
                # Bounds outside what the scenario allows: as far off as a fit can be.
                cache[point] = (math.inf, pd.DataFrame())
            else:
                result = run_many([trial], replications=replications, seed=seed,
                                  executor=executor)[0]
                table = evaluate(list(targets), result.metrics, start_day)
                cache[point] = (objective(table), table)
            if progress is not None:
                progress(min(len(cache), max_evaluations), max_evaluations)
        return cache[point]

    def scaled_objective(x: np.ndarray) -> float:
        return fit_of([p.value(xi) for p, xi in zip(free, x)])[0]

    x0 = np.array([p.scaled(p.start) for p in free])
    before, before_table = fit_of([p.start for p in free])
    simplex = [x0]
    for i in range(len(free)):
        step = np.array(x0)
        step[i] = x0[i] + 0.1 if x0[i] + 0.1 <= 1 else x0[i] - 0.1
        simplex.append(step)
    found = minimize(scaled_objective, x0, method="Nelder-Mead", bounds=[(0, 1)] * len(free),
                     options={"initial_simplex": np.array(simplex), "maxfev": max_evaluations,
                              "xatol": 1e-4, "fatol": 1e-9})
    best = min(cache.items(), key=lambda item: item[1][0])
    if found.fun > best[1][0]:
        found_values = list(best[0])
    else:
        found_values = [p.value(xi) for p, xi in zip(free, found.x)]
    fitted = {p.key: (int(v) if p.whole else float(v)) for p, v in zip(free, found_values)}
    after, after_table = fit_of(list(fitted.values()))
    if after > before:  # the search never leaves a worse fit than it started from
        fitted = {p.key: (int(p.start) if p.whole else p.start) for p in free}
        after, after_table = before, before_table

    residuals = after_table.copy()
    residuals.insert(5, "model_before", before_table["model"])
    residuals.insert(7, "residual_before", before_table["residual"])
    parameters = pd.DataFrame([
        {"parameter": p.key, "start": p.start, "low": p.low, "high": p.high,
         "fitted": fitted[p.key]} for p in free
    ])
    return Calibration(
        loaded=loaded.with_overrides([f"{k}={v!r}" for k, v in fitted.items()]),
        free=list(free), fitted=fitted, parameters=parameters, residuals=residuals,
        objective_before=before, objective_after=after, evaluations=len(cache), seed=seed,
        replications=replications,
    )
