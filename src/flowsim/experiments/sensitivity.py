"""Global sensitivity: which assumptions drive the answers.

The parameter ranges are sampled with SALib (Morris elementary effects or Sobol'
indices), each sampled point is run for `replications` replications with the same seed
(common random numbers, so differences between points come from the parameters, not
from chance), and the mean of each output metric over those replications is analysed.
The sample and the bootstrap of the confidence intervals are seeded: a rerun gives the
same indices.
"""

from __future__ import annotations

from .defaults import SENSITIVITY_REPLICATIONS

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from .executors import Executor, map_in_order
from .run import METRICS, metric_rows, settings
from ..scenario import LoadedScenario, Scenario, is_whole, lookup, parse_bounds, split_assignment

PARAM_SOURCE = "--param"
METHODS = ("morris", "sobol")
# Each sampled point runs this many replications unless told otherwise: the screening
# ranks assumptions by their effect on means, which 20 replications pin down well.
DEFAULT_REPLICATIONS = SENSITIVITY_REPLICATIONS
DEFAULT_METRICS = ("transferred", "blocked_notice", "blocked_injunction", "first_transfer_days")
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class ParamRange:
    key: str
    low: float
    high: float

    @property
    def whole(self) -> bool:
        return is_whole(self.key)

    def setting(self, value: float) -> str:
        return f"{self.key}={int(round(value)) if self.whole else float(value)!r}"


def parse_param(text: str, loaded: LoadedScenario) -> ParamRange:
    """`key=low:high`; the key must exist in the scenario (a number or a distribution,
    which the sampled number then replaces)."""
    key, bounds = split_assignment(text, source=PARAM_SOURCE, form="key=low:high")
    low, high = parse_bounds(bounds, key, source=PARAM_SOURCE)
    lookup(loaded.scenario.to_toml_dict(), key, source=PARAM_SOURCE)
    try:
        loaded.with_overrides([ParamRange(key, low, high).setting(v) for v in (low, high)])
    except ScenarioError as exc:
        raise ScenarioError(f"the range reaches a value the scenario refuses: {exc.reason}",
                            key=key, source=PARAM_SOURCE) from None
    return ParamRange(key, low, high)


def evaluate_point(task: tuple[int, Scenario, int, int]) -> tuple[int, list[float]]:
    """The mean of every metric over a point's replications (NaN values left out)."""
    index, scenario, seed, replications = task
    values = np.array([row for _, row in metric_rows(scenario, seed, replications)],
                      dtype=float)
    with np.errstate(all="ignore"):
        means = [float(np.nanmean(col)) if not np.isnan(col).all() else float("nan")
                 for col in values.T]
    return index, means


@dataclass(frozen=True)
class Sensitivity:
    method: str
    ranges: list[ParamRange]
    samples: pd.DataFrame   # one row per sampled point: its values and metric means
    indices: pd.DataFrame   # one row per metric and parameter
    skipped: dict[str, str]  # metrics that could not be analysed, and why
    replications: int = DEFAULT_REPLICATIONS
    seed: int = 0

    def ranking(self, metric: str = "transferred") -> list[str]:
        """Parameters from most to least influential on `metric`; empty when none has
        any influence (every index 0), where an order would mean nothing."""
        column = "mu_star" if self.method == "morris" else "ST"
        rows = self.indices[self.indices["metric"] == metric]
        if not (rows[column].abs() > 0).any():
            return []
        return rows.sort_values(column, ascending=False, kind="stable")["parameter"].tolist()


def sample(ranges: Sequence[ParamRange], method: str, samples: int, seed: int) -> np.ndarray:
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = _problem(ranges)
    if method == "morris":
        return morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    return sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)


def point_count(method: str, samples: int, parameters: int) -> int:
    """How many points `sample` draws: Morris, a trajectory of k + 1 points per sample;
    Sobol' (first and total order), k + 2 per sample."""
    return samples * (parameters + 1 if method == "morris" else parameters + 2)


def _problem(ranges: Sequence[ParamRange]) -> dict:
    return {"num_vars": len(ranges), "names": [r.key for r in ranges],
            "bounds": [[r.low, r.high] for r in ranges]}


def sensitivity(
    loaded: LoadedScenario,
    ranges: Sequence[ParamRange],
    *,
    method: str = "morris",
    samples: int = 16,
    replications: int | None = None,
    seed: int | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Sensitivity:
    if method not in METHODS:
        raise ScenarioError(f"unknown method {method!r}; one of: {', '.join(METHODS)}",
                            source="--method")
    if not ranges:
        raise ScenarioError("name at least one parameter range with --param", source=PARAM_SOURCE)
    for metric in metrics:
        if metric not in METRICS:
            raise ScenarioError(f"unknown metric; one of: {', '.join(METRICS)}", key=metric,
                                source="--metric")
    if method == "sobol" and samples & (samples - 1):
        raise ScenarioError(f"Sobol' sampling needs a power of two (got {samples})",
                            source="--samples")
    replications = DEFAULT_REPLICATIONS if replications is None else replications
    _, seed = settings(loaded, replications, seed)
    ranges = list(ranges)
    X = sample(ranges, method, samples, seed)
    tasks = []
    for i, row in enumerate(X):
        try:
            scenario = loaded.with_overrides([r.setting(v) for r, v in zip(ranges, row)]).scenario
        except ScenarioError as exc:
            values = ", ".join(r.setting(v) for r, v in zip(ranges, row))
            raise ScenarioError(f"a sampled point is not a valid scenario ({values}): "
                                f"{exc.reason}", key=exc.key, source=PARAM_SOURCE) from None
        tasks.append((i, scenario, seed, replications))
    Y = np.full((len(X), len(METRICS)), np.nan)
    for i, (_, means) in enumerate(map_in_order(executor, evaluate_point, tasks, progress)):
        Y[i] = means
    samples_table = pd.DataFrame(X, columns=[r.key for r in ranges])
    samples_table.insert(0, "point", np.arange(len(X)))
    for j, metric in enumerate(METRICS):
        samples_table[metric] = Y[:, j]
    indices, skipped = _analyse(ranges, method, X, Y, metrics, seed)
    return Sensitivity(method, ranges, samples_table, indices, skipped, replications, seed)


def _analyse(ranges: list[ParamRange], method: str, X: np.ndarray, Y: np.ndarray,
             metrics: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict[str, str]]:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    problem = _problem(ranges)
    rows, skipped = [], {}
    for metric in metrics:
        y = Y[:, METRICS.index(metric)]
        if np.isnan(y).any():
            skipped[metric] = "some sampled points had no value (e.g. no transfer at all)"
            continue
        constant = np.ptp(y) == 0
        if method == "morris":
            if constant:
                result = {k: np.zeros(len(ranges)) for k in ("mu", "mu_star", "sigma",
                                                              "mu_star_conf")}
            else:
                result = morris_analyze.analyze(problem, X, y, num_levels=MORRIS_LEVELS,
                                                seed=seed)
            for i, r in enumerate(ranges):
                rows.append({"metric": metric, "parameter": r.key, "low": r.low, "high": r.high,
                             "mu": float(result["mu"][i]), "mu_star": float(result["mu_star"][i]),
                             "mu_star_conf": float(result["mu_star_conf"][i]),
                             "sigma": float(result["sigma"][i])})
        else:
            if constant:
                result = {k: np.zeros(len(ranges)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                with np.errstate(all="ignore"):
                    result = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                                   seed=seed)
            for i, r in enumerate(ranges):
                rows.append({"metric": metric, "parameter": r.key, "low": r.low, "high": r.high,
                             "S1": float(result["S1"][i]), "S1_conf": float(result["S1_conf"][i]),
                             "ST": float(result["ST"][i]), "ST_conf": float(result["ST_conf"][i])})
    return pd.DataFrame(rows), skipped
