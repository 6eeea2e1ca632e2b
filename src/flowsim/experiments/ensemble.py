"""What the record cannot settle: an ensemble of record-consistent parameter sets, and
every what-if asked across it.

**History matching** (Vernon et al. 2010; Andrianakis et al. 2015). The unknowns (inputs
no figure fixes, each with a physically plausible range: `calibration/unknowns.toml`) are
sampled with a seeded Latin hypercube. Each candidate runs the same replications with the
same seed (common random numbers) and is scored against each target by its
implausibility, |goal - model| / sqrt(V_obs + V_md + V_mc): the record's observation
error and the model's discrepancy, both declared per target, and the simulation variance
of the candidate's own statistic. A candidate is kept when its largest implausibility is
at most the cut-off, 3 by default. Later waves sample only the region earlier ones left
not implausible, until it stops shrinking; the last wave's kept candidates are the
ensemble.

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
from ..scenario.schema import check_range
from .executors import Executor, map_in_order
from .run import METRICS, metric_rows, settings
from .targets import Target, evaluate, goal_days, statistic_of

UNKNOWN_SOURCE = "--free"
# The standard cut-off (Pukelsheim's three-sigma rule, as in Vernon et al. 2010).
DEFAULT_CUTOFF = 3.0
DEFAULT_WAVES = 4
# A later wave samples around at least this many of the previous wave's candidates.
REGION_FLOOR = 20
# The waves stop once a wave's region keeps more than this share of the one before.
STOP_SHRINK = 0.8
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


def read_ranges(path: str | Path, model: type[Table], table: str) -> list[Any]:
    """The ranges of a file's list `table` (`[[unknowns]]`, `[[assumptions]]`), read by
    `model` and each checked; one line per error, naming the file."""
    path = Path(path)
    try:
        ranges = getattr(model.model_validate(read_toml(path)), table)
    except ValidationError as exc:
        raise translate_error(exc, {}, str(path)) from None
    for i, r in enumerate(ranges):
        try:
            check_range(r, f"{table}.{i}")
        except InputError as exc:
            raise exc.located(source=str(path)) from None
    return ranges


def load_unknowns(path: str | Path) -> list[Unknown]:
    return read_ranges(path, Unknowns, "unknowns")


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


@dataclass(frozen=True)
class Variant:
    """A scenario as `loaded` with `sets` applied, built where it runs: validating many
    variants is then work the workers share, not the client's alone."""

    loaded: LoadedScenario
    sets: tuple[str, ...]

    def scenario(self) -> Scenario:
        return self.loaded.with_overrides(self.sets).scenario


def _metric_batch(task: tuple[int, Sequence[Scenario | Variant], int, int]
                  ) -> tuple[int, list[dict[str, np.ndarray]]]:
    index, scenarios, seed, replications = task
    built = (s.scenario() if isinstance(s, Variant) else s for s in scenarios)
    return index, [_metric_arrays((0, s, seed, replications))[1] for s in built]


# Tasks per worker: enough to keep every worker busy to the end, few enough that a task's
# overhead (sending its scenarios, above all to a Dask cluster) stays small beside its work.
TASKS_PER_WORKER = 8


def run_all(scenarios: Sequence[Scenario | Variant], seed: int, replications: int,
            executor: Executor | None, progress: Callable[[int, int], None] | None
            ) -> list[dict[str, np.ndarray]]:
    """Every scenario's metric arrays, in order; scenarios go to the workers in batches.
    Each scenario's numbers depend only on it, the seed and the replications, so the
    batching changes no byte."""
    workers = executor.workers if executor is not None else 1
    size = max(1, math.ceil(len(scenarios) / (TASKS_PER_WORKER * workers)))
    batches = [(i, scenarios[i * size:(i + 1) * size], seed, replications)
               for i in range(math.ceil(len(scenarios) / size))]
    done = (None if progress is None else
            lambda k, total: progress(min(k * size, len(scenarios)), len(scenarios)))
    return [m for _, batch in map_in_order(executor, _metric_batch, batches, done) for m in batch]


@dataclass(frozen=True)
class Ensemble:
    unknowns: list[Unknown]
    candidates: pd.DataFrame   # candidates.csv: every candidate of every wave, kept or not
    members: pd.DataFrame      # ensemble.csv: the last wave's kept ones
    constraints: pd.DataFrame  # each unknown's prior range against its kept range
    waves: pd.DataFrame        # waves.csv: candidates, kept and the region of each wave
    seed: int
    replications: int
    cutoff: float

    @property
    def few(self) -> bool:
        return len(self.members) < FEW_MEMBERS


def history_match(loaded: LoadedScenario, targets: Sequence[Target],
                  unknowns: Sequence[Unknown], *, candidates: int,
                  replications: int | None = None, seed: int | None = None,
                  cutoff: float = DEFAULT_CUTOFF, waves: int = DEFAULT_WAVES,
                  executor: Executor | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Sample the unknowns in waves, run every candidate, keep the record-consistent ones.

    Wave 1 samples the priors. Each later wave samples only the region the previous one
    left not implausible (the smallest box, in each unknown's sampling scale, around its
    kept candidates; around its `REGION_FLOOR` least implausible ones while fewer are
    kept). The waves stop when the region stops shrinking (a wave keeps more than
    `STOP_SHRINK` of the volume before it) or after `waves`."""
    from scipy.stats import qmc

    if not unknowns:
        raise InputError("name the unknowns to sample with --unknowns FILE or --free "
                         "KEY=LOW:HIGH", source=UNKNOWN_SOURCE)
    reps, seed = settings(loaded, replications, seed)
    start = loaded.scenario.scenario.start
    region = np.array([[0.0, 1.0]] * len(unknowns))  # in each unknown's sampling scale
    rows, wave_rows = [], []
    kept_rows: list[dict[str, Any]] = []
    for wave in range(1, waves + 1):
        unit = qmc.LatinHypercube(d=len(unknowns), seed=seed + wave - 1).random(candidates)
        design = region[:, 0] + unit * (region[:, 1] - region[:, 0])
        values = [[value_at(u, x) for u, x in zip(unknowns, row)] for row in design]
        scenarios = [Variant(loaded, tuple(setting(u.key, v) for u, v in zip(unknowns, row)))
                     for row in values]
        metrics = run_all(scenarios, seed, reps, executor, progress)
        scores = []
        wave_kept = []
        for i, (row, m) in enumerate(zip(values, metrics)):
            table = evaluate(list(targets), m, start)
            implausibility = float(table["implausibility"].max())
            scores.append(implausibility)
            record = {"candidate": len(rows), "wave": wave,
                      **{u.key: v for u, v in zip(unknowns, row)},
                      **{f"residual: {k}": r for k, r in zip(table["target"], table["residual"])},
                      **{f"implausibility: {k}": r
                         for k, r in zip(table["target"], table["implausibility"])},
                      "implausibility": implausibility, "kept": implausibility <= cutoff}
            rows.append(record)
            if record["kept"]:
                wave_kept.append(record)
        volume = float(np.prod(region[:, 1] - region[:, 0]))
        wave_rows.append({"wave": wave, "candidates": candidates, "kept": len(wave_kept),
                          "kept_share": len(wave_kept) / candidates, "region_volume": volume,
                          **{f"{u.key}: low": value_at(u, region[j, 0]) for j, u in enumerate(unknowns)},
                          **{f"{u.key}: high": value_at(u, region[j, 1]) for j, u in enumerate(unknowns)}})
        kept_rows = wave_kept
        order = np.argsort(scores)
        chosen = ([i for i in range(candidates) if scores[i] <= cutoff]
                  if len(wave_kept) >= REGION_FLOOR else list(order[:REGION_FLOOR]))
        inside = design[chosen]
        new = np.column_stack([inside.min(axis=0), inside.max(axis=0)])
        new = np.clip(new, region[:, :1], region[:, 1:])
        shrink = float(np.prod(new[:, 1] - new[:, 0])) / volume if volume > 0 else 1.0
        if wave > 1 and len(wave_kept) >= REGION_FLOOR and shrink > STOP_SHRINK:
            break
        region = new
    table = pd.DataFrame(rows)
    members = pd.DataFrame(kept_rows, columns=table.columns).drop(columns="kept")
    members = members.reset_index(drop=True)
    members.insert(0, "member", range(len(members)))
    constraints = pd.DataFrame([{
        "parameter": u.key, "prior_low": u.low, "prior_high": u.high,
        "kept_low": members[u.key].min() if len(members) else math.nan,
        "kept_high": members[u.key].max() if len(members) else math.nan,
    } for u in unknowns])
    constraints["kept_share_of_range"] = ((constraints["kept_high"] - constraints["kept_low"])
                                          / (constraints["prior_high"] - constraints["prior_low"]))
    return Ensemble(list(unknowns), table, members, constraints, pd.DataFrame(wave_rows),
                    seed, reps, cutoff)


def value_at(r: Any, x: float) -> float | int:
    """The value at `x` (0 to 1) of a range (an unknown's or an assumption's), in its
    sampling scale; a whole number for a key that counts things (`*` counts as an item)."""
    if r.scale == "log":
        v = math.exp(math.log(r.low) + x * (math.log(r.high) - math.log(r.low)))
    else:
        v = r.low + x * (r.high - r.low)
    return int(round(v)) if is_whole(r.key.replace("*", "0")) else float(f"{v:.6g}")


def read_members(path: str | Path) -> pd.DataFrame:
    """The members of an ensemble.csv: their number and their unknowns' values."""
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as an ensemble ({str(exc).splitlines()[0]})",
                         source=str(path)) from None
    keys = [c for c in table.columns if c not in ("member", "candidate", "wave")
            and not c.startswith(("residual", "implausibility"))]
    if "member" not in table.columns or not keys or table.empty:
        raise InputError("is not an ensemble.csv from flowsim calibrate --ensemble (no "
                         "members, or no member column)", source=str(path))
    return table[["member", *keys]]


def validate_members(loaded: LoadedScenario, members: pd.DataFrame, figures: Sequence[Target],
                     *, replications: int, seed: int, executor: Executor | None = None,
                     progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Each figure the fit did not use beside the ensemble: the record's value, the
    members' 5th to 95th percentile of the figure's statistic, and whether the record's
    value lies inside."""
    keys = [c for c in members.columns if c != "member"]
    scenarios = [Variant(loaded, tuple(setting(k, row[k]) for k in keys))
                 for _, row in members.iterrows()]
    metrics = run_all(scenarios, seed, replications, executor, progress)
    start = loaded.scenario.scenario.start
    rows = []
    for t in figures:
        models = np.array([statistic_of(t, m) for m in metrics])
        goal = goal_days(t, start)
        low, high = np.percentile(models, [5, 95]) if len(models) else (math.nan, math.nan)
        # "about 2,350": the record's reading is itself a range, its tolerance either side.
        reach = t.tolerance or 0.0
        rows.append({"figure": t.name, "metric": t.metric, "statistic": t.statistic,
                     "record": goal, "record_tolerance": reach, "ensemble_p05": float(low),
                     "ensemble_p95": float(high),
                     "inside": bool(low - 1e-9 <= goal <= high + 1e-9),
                     "within_tolerance": bool(low - reach - 1e-9 <= goal <= high + reach + 1e-9),
                     "source": t.source})
    return pd.DataFrame(rows, columns=["figure", "metric", "statistic", "record",
                                       "record_tolerance", "ensemble_p05", "ensemble_p95",
                                       "inside", "within_tolerance", "source"])
