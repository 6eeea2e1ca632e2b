"""What the record cannot settle: an ensemble of record-consistent parameter sets, and
every what-if asked across it.

**History matching.** The unknowns (inputs no figure fixes, each with a plausible range:
`calibration/unknowns.toml`) are sampled with a seeded Latin hypercube. Each candidate
runs the same replications with the same seed (common random numbers) and is scored
against the targets: its implausibility is the largest |model - goal| / tolerance over
the targets (for a bound, how far it is over, in the same units). A candidate is kept
when its implausibility is at most the cut-off, 1 by default: it meets every target
within its tolerance. The kept sets are the ensemble.

**Robustness.** `robustness` runs the baseline and each what-if at every member, a
what-if paired with the baseline at the same member and the same random numbers. An
answer is robust when every member gives the paired difference the sign of the headline
answer (the what-if at its own values; a difference under 1 % of the baseline's value,
or under an hour, counts as none), and the spread across members stays within
`ROBUST_SPREAD` times the median's size (or within twice that "none"). Which unknown the spread depends on most is the
one whose member values have the largest Spearman rank correlation with the difference
(or, where some members flip its sign, with agreeing in sign).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Sequence

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from ..errors import InputError
from ..scenario import LoadedScenario, Scenario, Table, is_whole, lookup, read_toml, \
    translate_error
from .executors import Executor, map_in_order
from .run import METRICS, metric_rows, settings
from .targets import Target, evaluate

UNKNOWN_SOURCE = "--free"
DEFAULT_CUTOFF = 1.0
FEW_MEMBERS = 20
ROBUST_SPREAD = 0.5
ROBUST_METRICS = ("transferred", "transferred_tin_path", "first_transfer_days")
# A paired difference under 1 % of the baseline's value (or under an hour, for a date)
# counts as no difference.
ZERO_SHARE = 0.01
ZERO_DAYS = 1 / 24


class Unknown(Table):
    """An input the record does not fix, and its plausible range."""

    key: Annotated[str, Field(min_length=1)]
    low: float
    high: float
    reason: Annotated[str, Field(min_length=1)]
    # "log": sampled evenly in its logarithm, for a range spanning orders of magnitude.
    scale: Literal["linear", "log"] = "linear"


class Unknowns(Table):
    unknowns: list[Unknown]


def load_unknowns(path: str | Path) -> list[Unknown]:
    path = Path(path)
    try:
        unknowns = Unknowns.model_validate(read_toml(path)).unknowns
    except ValidationError as exc:
        raise translate_error(exc, {}, str(path)) from None
    for i, u in enumerate(unknowns):
        if not u.low < u.high:
            raise InputError(f"needs low < high (got {u.low:g}, {u.high:g})",
                             key=f"unknowns.{i}.high", source=str(path))
        if u.scale == "log" and u.low <= 0:
            raise InputError("a log scale needs low > 0", key=f"unknowns.{i}.low",
                             source=str(path))
    return unknowns


def check_unknowns(loaded: LoadedScenario, unknowns: Sequence[Unknown], source: str) -> None:
    """Each unknown names a number of the scenario, and both ends of its range validate."""
    raw = loaded.scenario.to_toml_dict()
    for u in unknowns:
        value = lookup(raw, u.key, source=source)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError("must hold a number in the scenario (a distribution's own "
                             "parameters can be named, e.g. review.days.mode)", key=u.key,
                             source=source)
        try:
            loaded.with_overrides([_setting(u.key, u.low), _setting(u.key, u.high)])
        except InputError as exc:
            raise InputError(f"the range reaches a value the scenario refuses: {exc.reason}",
                             key=u.key, source=source) from None


def _setting(key: str, value: float) -> str:
    return f"{key}={int(round(value)) if is_whole(key) else float(value)!r}"


def _metric_arrays(task: tuple[int, Scenario, int, int]) -> tuple[int, dict[str, np.ndarray]]:
    """The unit of work: every replication's value of every metric, for one scenario."""
    index, scenario, seed, replications = task
    rows = np.array([values for _, values in metric_rows(scenario, seed, replications)],
                    dtype=float)
    return index, {m: rows[:, j] for j, m in enumerate(METRICS)}


def _run_all(scenarios: Sequence[Scenario], seed: int, replications: int,
             executor: Executor | None, progress: Callable[[int, int], None] | None
             ) -> list[dict[str, np.ndarray]]:
    tasks = [(i, s, seed, replications) for i, s in enumerate(scenarios)]
    return [metrics for _, metrics in map_in_order(executor, _metric_arrays, tasks, progress)]


@dataclass(frozen=True)
class Ensemble:
    unknowns: list[Unknown]
    candidates: pd.DataFrame   # candidates.csv: every candidate, its residuals, kept or not
    members: pd.DataFrame      # ensemble.csv: the kept ones
    constraints: pd.DataFrame  # each unknown's prior range against its kept range
    seed: int
    replications: int
    cutoff: float

    @property
    def few(self) -> bool:
        return len(self.members) < FEW_MEMBERS


def history_match(loaded: LoadedScenario, targets: Sequence[Target],
                  unknowns: Sequence[Unknown], *, candidates: int,
                  replications: int | None = None, seed: int | None = None,
                  cutoff: float = DEFAULT_CUTOFF, executor: Executor | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Sample the unknowns, run every candidate, keep the record-consistent ones."""
    from scipy.stats import qmc

    if not unknowns:
        raise InputError("name the unknowns to sample with --unknowns FILE or --free "
                         "KEY=LOW:HIGH", source=UNKNOWN_SOURCE)
    reps, seed = settings(loaded, replications, seed)
    design = qmc.LatinHypercube(d=len(unknowns), seed=seed).random(candidates)
    values = [[_value(u, x) for u, x in zip(unknowns, row)] for row in design]
    scenarios = [loaded.with_overrides([_setting(u.key, v) for u, v in zip(unknowns, row)])
                 .scenario for row in values]
    metrics = _run_all(scenarios, seed, reps, executor, progress)
    start = loaded.scenario.scenario.start
    rows = []
    for i, (row, m) in enumerate(zip(values, metrics)):
        table = evaluate(list(targets), m, start)
        residuals = dict(zip(table["target"], table["residual"]))
        implausibility = float(max(abs(r) for r in residuals.values()))
        rows.append({"candidate": i, **{u.key: v for u, v in zip(unknowns, row)},
                     **{f"residual: {k}": r for k, r in residuals.items()},
                     "implausibility": implausibility, "kept": implausibility <= cutoff})
    table = pd.DataFrame(rows)
    members = table[table["kept"]].drop(columns="kept").reset_index(drop=True)
    members.insert(0, "member", range(len(members)))
    constraints = pd.DataFrame([{
        "parameter": u.key, "prior_low": u.low, "prior_high": u.high,
        "kept_low": members[u.key].min() if len(members) else math.nan,
        "kept_high": members[u.key].max() if len(members) else math.nan,
    } for u in unknowns])
    constraints["kept_share_of_range"] = ((constraints["kept_high"] - constraints["kept_low"])
                                          / (constraints["prior_high"] - constraints["prior_low"]))
    return Ensemble(list(unknowns), table, members, constraints, seed, reps, cutoff)


def _value(u: Unknown, x: float) -> float | int:
    if u.scale == "log":
        v = math.exp(math.log(u.low) + x * (math.log(u.high) - math.log(u.low)))
    else:
        v = u.low + x * (u.high - u.low)
    return int(round(v)) if is_whole(u.key) else float(f"{v:.6g}")


def read_members(path: str | Path) -> pd.DataFrame:
    """The members of an ensemble.csv: their number and their unknowns' values."""
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as an ensemble ({str(exc).splitlines()[0]})",
                         source=str(path)) from None
    keys = [c for c in table.columns if c != "member" and not c.startswith("residual")
            and c != "implausibility" and c != "candidate"]
    if "member" not in table.columns or not keys or table.empty:
        raise InputError("is not an ensemble.csv from flowsim calibrate --ensemble (no "
                         "members, or no member column)", source=str(path))
    return table[["member", *keys]]


def robustness(baseline: LoadedScenario, others: Sequence[LoadedScenario],
               members: pd.DataFrame, *, headline: pd.DataFrame,
               replications: int | None = None, seed: int | None = None,
               executor: Executor | None = None,
               progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Each what-if's paired difference from the baseline at every member, summarised.

    A what-if keeps its own value of an unknown it sets itself; every other unknown takes
    the member's value. `headline` is the comparison table at the scenarios' own values.
    """
    reps, seed = settings(baseline, replications, seed)
    keys = [c for c in members.columns if c != "member"]
    scenarios = [baseline, *others]
    runs = []
    for _, member in members.iterrows():
        for loaded in scenarios:
            # A what-if's own setting of an unknown is its question; the baseline has none.
            own = ({k for k in keys if loaded.source_of(k) == str(loaded.path)}
                   if loaded is not baseline else set())
            runs.append(loaded.with_overrides(
                [_setting(k, member[k]) for k in keys if k not in own]).scenario)
    metrics = _run_all(runs, seed, reps, executor, progress)
    width = len(scenarios)
    rows = []
    head = headline.set_index(["scenario", "metric"])
    base_name = baseline.scenario.name
    for j, loaded in enumerate(scenarios[1:], start=1):
        name = loaded.scenario.name
        for metric in ROBUST_METRICS:
            diffs = np.array([_paired_mean(metrics[m * width + j][metric],
                                           metrics[m * width][metric])
                              for m in range(len(members))])
            zero = (ZERO_DAYS if metric.endswith("_days")
                    else max(0.5, ZERO_SHARE * abs(float(head.loc[(base_name, metric), "mean"]))))
            value = float(head.loc[(name, metric), "diff_mean"])
            rows.append(_summary(name, base_name, metric, diffs, _sign(value, zero), members,
                                 keys, value, zero))
    return pd.DataFrame(rows)


def _paired_mean(other: np.ndarray, base: np.ndarray) -> float:
    both = ~(np.isnan(other) | np.isnan(base))
    return float(np.mean(other[both] - base[both])) if both.any() else math.nan


def _sign(x: float, zero: float) -> int:
    if math.isnan(x):
        return 0
    return 0 if abs(x) < zero else (1 if x > 0 else -1)


def _summary(name: str, base: str, metric: str, diffs: np.ndarray, sign: int,
             members: pd.DataFrame, keys: list[str], headline: float,
             zero: float) -> dict[str, Any]:
    from scipy.stats import spearmanr

    known = diffs[~np.isnan(diffs)]
    signs = np.array([_sign(d, zero) for d in known])
    low, mid, high = ((float(known.min()), float(np.median(known)), float(known.max()))
                      if len(known) else (math.nan,) * 3)
    same = float(np.mean(signs == sign)) if len(known) else math.nan
    spread_ok = len(known) > 0 and (high - low) <= max(ROBUST_SPREAD * abs(mid), 2 * zero)
    robust = bool(len(known) == len(diffs) and same == 1.0 and spread_ok)
    depends, rho = "", math.nan
    # What a flip of sign goes with, where some members flip; else what the size goes with.
    target = (signs == sign).astype(float) if 0 < same < 1 else known
    if len(known) > 2 and np.ptp(target) > 0:
        best = (0.0, "")
        for key in keys:
            column = members[key].to_numpy(dtype=float)[~np.isnan(diffs)]
            if np.ptp(column) == 0:
                continue
            r = float(spearmanr(column, target).statistic)
            if not math.isnan(r) and abs(r) > abs(best[0]):
                best = (r, key)
        rho, depends = best
    return {"scenario": name, "baseline": base, "metric": metric, "headline": headline,
            "members": len(diffs), "diff_low": low, "diff_median": mid, "diff_high": high,
            "same_sign_share": same, "robust": robust, "depends_on": depends,
            "rank_correlation": rho}
