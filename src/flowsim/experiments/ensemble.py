"""What the record cannot settle: an ensemble of record-consistent parameter sets, and
every what-if asked across it.

**History matching.** The unknowns (inputs no figure fixes, each with a plausible range:
`calibration/unknowns.toml`) are sampled with a seeded Latin hypercube. Each candidate
runs the same replications with the same seed (common random numbers) and is scored
against the targets: its implausibility is the largest |model - goal| / tolerance over
the targets (for a bound, how far it is over, in the same units). A candidate is kept
when its implausibility is at most the cut-off, 1 by default: it meets every target
within its tolerance. The kept sets are the ensemble.

Every what-if is asked across the ensemble, beside what the record cannot test, by
`explore.py`.
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
            loaded.with_overrides([setting(u.key, u.low), setting(u.key, u.high)])
        except InputError as exc:
            raise InputError(f"the range reaches a value the scenario refuses: {exc.reason}",
                             key=u.key, source=source) from None


def setting(key: str, value: float) -> str:
    return f"{key}={int(round(value)) if is_whole(key) else float(value)!r}"


def _metric_arrays(task: tuple[int, Scenario, int, int]) -> tuple[int, dict[str, np.ndarray]]:
    """The unit of work: every replication's value of every metric, for one scenario."""
    index, scenario, seed, replications = task
    rows = np.array([values for _, values in metric_rows(scenario, seed, replications)],
                    dtype=float)
    return index, {m: rows[:, j] for j, m in enumerate(METRICS)}


def run_all(scenarios: Sequence[Scenario], seed: int, replications: int,
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
    scenarios = [loaded.with_overrides([setting(u.key, v) for u, v in zip(unknowns, row)])
                 .scenario for row in values]
    metrics = run_all(scenarios, seed, reps, executor, progress)
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
