"""Every answer with every uncertainty that drives it: three layers.

1. **Simulation precision.** The what-if at its own values, paired with the baseline on
   common random numbers: the headline difference and the half-width of its 95 %
   interval. Narrow intervals say enough histories were run, not that the answer is known.
2. **What the record fixes, within its tolerance.** The same pair at every
   record-consistent set of `calibration/ensemble.csv` (history matching), each what-if
   keeping the values it sets itself.
3. **What the record cannot test.** The assumptions of `calibration/assumptions.toml` and
   those a scenario declares for its own question, sampled by a seeded Latin hypercube
   across their ranges, each set joined to an ensemble member. A set under which the
   baseline no longer meets the record's targets is not a world the record allows: it is
   dropped and counted.

Each what-if's answer gets a verdict. `settled`: every set gives the headline's sign (a
difference under 1 % of the baseline's value, or under an hour for a date, counts as
none) and a size within a quarter of the headline's; `direction`: the sign holds, the
size does not; `depends`: the sign changes. Where it is not settled, `discovery.box`
finds the conditions that separate the sets where the answer holds from the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..scenario import LoadedScenario, Table, param_of
from ..scenario.schema import Assumption
from .compare import Comparison, compare
from .discovery import box
from .ensemble import DEFAULT_CUTOFF, Variant, read_ranges, run_all, setting, value_at
from .executors import Executor
from ..model.outcomes import STATES
from .run import METRIC_LABELS, METRIC_UNITS, settings
from .targets import Target, evaluate

# The metrics every verdict table covers, beside each scenario's own headline: both sides
# of the trade-off, records and people disclosed against returns and revenue lost.
VERDICT_METRICS = ("transferred", "transferred_tin_path", "first_transfer_days",
                   "people_at_disclosed_addresses", "returns_not_filed", "revenue_not_paid")
# A size "within a quarter of the headline" is settled; "at least half of it" holds.
SETTLED_SIZE = 0.25
HOLDS_SIZE = 0.5
# A paired difference under 1 % of the baseline's value (or under an hour, for a date)
# counts as no difference.
ZERO_SHARE = 0.01
ZERO_DAYS = 1 / 24
VERDICTS = ("settled", "direction", "depends")
DEFAULT_SAMPLES = 64
DEFAULT_REPLICATIONS = 20
# Members of the ensemble each answer is run at (a seeded sample when it holds more).
DEFAULT_ENSEMBLE_SETS = 40
# An assumption (or unknown) goes into depends_on when its rank correlation with the
# answer (or with the answer holding) is at least this.
DEPENDS_RHO = 0.3


class Assumptions(Table):
    assumptions: list[Assumption]


def load_assumptions(path: str | Path) -> list[Assumption]:
    """The assumptions of a file (`[[assumptions]]`), each checked; one line per error."""
    return read_ranges(path, Assumptions, "assumptions")


def keys_of(loaded: LoadedScenario, a: Assumption) -> list[str]:
    """The scenario keys an assumption sets in `loaded`: its key, or with `*` each list
    item's, where the scenario's files give that value (so a court's grant is not set
    where a rule uses the older relief, nor relief where it uses grant)."""
    parts = a.key.split(".")
    found: list[str] = []

    def walk(node: Any, rest: list[str], done: list[str]) -> None:
        if not rest:
            found.append(".".join(done))
            return
        head, *tail = rest
        if head == "*":
            if isinstance(node, list):
                for i, item in enumerate(node):
                    walk(item, tail, [*done, str(i)])
        elif isinstance(node, list) and head.isdigit():
            if int(head) < len(node):
                walk(node[int(head)], tail, [*done, head])
        elif isinstance(node, dict) and head in node:
            walk(node[head], tail, [*done, head])

    walk(loaded.raw, parts, [])
    return found


def label_of(key: str) -> str:
    """A key as a sentence names it: its declared label (without its aside), with the key."""
    param = param_of(key.replace("*", "0"))
    return f"{param.label.split(' (')[0]} ({key})" if param else key


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


@dataclass(frozen=True)
class Exploration:
    comparison: Comparison          # layer 1: every scenario at its own values
    sets: pd.DataFrame              # each set explored: its values, member, kept or not
    rows: pd.DataFrame              # exploration.csv
    verdicts: pd.DataFrame          # verdicts.csv
    assumptions: list[Assumption]
    dropped: int                    # sets under which the baseline missed a target
    samples: int
    replications: int
    seed: int


def explore(baseline: LoadedScenario, others: Sequence[LoadedScenario],
            assumptions: Sequence[Assumption], members: pd.DataFrame | None,
            targets: Sequence[Target], *, samples: int = DEFAULT_SAMPLES,
            replications: int | None = None, seed: int | None = None,
            headline_replications: int | None = None,
            ensemble_sets: int = DEFAULT_ENSEMBLE_SETS, executor: Executor | None = None,
            progress: Callable[[int, int], None] | None = None) -> Exploration:
    """The three layers of every what-if's answer, and its verdict."""
    from scipy.stats import qmc

    if not others:
        raise InputError("explore needs a baseline and at least one what-if",
                         source="explore")
    reps = replications or DEFAULT_REPLICATIONS
    _, seed = settings(baseline, None, seed)
    scenarios = [baseline, *others]
    # One quantity per key. A file's assumptions apply to every scenario that gives the
    # value; a scenario's own apply to it alone (its question rests on them).
    chosen = list({a.key: a for a in [*assumptions, *(a for s in scenarios
                                                     for a in s.scenario.assumptions)]}.values())
    shared = {a.key for a in assumptions}
    applying = [{a.key: keys_of(loaded, a) for a in chosen
                 if (a.key in shared or a in loaded.scenario.assumptions) and keys_of(loaded, a)}
                for loaded in scenarios]
    if not chosen and (members is None or members.empty):
        raise InputError("has nothing to explore: give the assumptions the record cannot "
                         "test (--assumptions, or a scenario's own [[assumptions]]) or the "
                         "record-consistent sets (--ensemble)", source="flowsim explore")
    comparison = compare(baseline, list(others), replications=headline_replications,
                         seed=seed, executor=executor)
    unknown_keys = [] if members is None else [c for c in members.columns if c != "member"]
    if members is not None and len(members) > ensemble_sets:
        # A seeded sample of the members: the ensemble layer's cost stays bounded.
        pick = np.sort(np.random.default_rng(seed).choice(len(members), ensemble_sets,
                                                          replace=False))
        members = members.iloc[pick]
    member_rows = [] if members is None else [row for _, row in members.iterrows()]

    def own(loaded: LoadedScenario) -> set[str]:
        # A what-if's own setting of an unknown (or of what holds it: a number where the
        # baseline has a distribution) is its question; the baseline has none.
        return ({k for k in unknown_keys if _sets_itself(loaded, k)}
                if loaded is not baseline else set())

    owned = {id(loaded): own(loaded) for loaded in scenarios}  # once: it reads every source
    # Every set: (layer, member row or None, assumption values or {}).
    plan: list[tuple[str, Any, dict[str, float]]] = [
        ("ensemble", m, {}) for m in member_rows]
    if chosen:
        design = qmc.LatinHypercube(d=len(chosen), seed=seed).random(samples)
        order = np.random.default_rng(seed).permutation(len(member_rows)) if member_rows else []
        for i, x in enumerate(design):
            member = member_rows[order[i % len(order)]] if member_rows else None
            plan.append(("explored", member, {a.key: value_at(a, u) for a, u in zip(chosen, x)}))
    runs: list[Variant] = []
    for _, member, values in plan:
        for loaded, keys in zip(scenarios, applying):
            sets = ([] if member is None else
                    [setting(k, member[k]) for k in unknown_keys if k not in owned[id(loaded)]])
            for key, concrete in keys.items():
                if key in values:
                    sets += [setting(k, values[key]) for k in concrete]
            runs.append(Variant(loaded, tuple(sets)))
    metrics = run_all(runs, seed, reps, executor, progress)
    width = len(scenarios)
    start = baseline.scenario.scenario.start
    set_rows, kept = [], []
    for i, (layer, member, values) in enumerate(plan):
        met = (evaluate(list(targets), metrics[i * width], start)["implausibility"].max()
               <= DEFAULT_CUTOFF if targets else True)
        kept.append(bool(met))
        set_rows.append({"set": i, "layer": layer,
                         "member": -1 if member is None else int(member["member"]),
                         **({} if member is None else {k: member[k] for k in unknown_keys}),
                         **values, "kept": bool(met)})
    sets = pd.DataFrame(set_rows)
    rows, verdicts = [], []
    head = comparison.table.set_index(["scenario", "metric"])
    base_name = baseline.scenario.name
    for j, loaded in enumerate(others, start=1):
        name = loaded.scenario.name
        metric_list = list(dict.fromkeys([loaded.scenario.scenario.headline, *VERDICT_METRICS]))
        diffs = {m: np.array([_paired_mean(metrics[i * width + j][m], metrics[i * width][m])
                              for i in range(len(plan))]) for m in metric_list}
        # What this answer was explored over: the unknowns it does not set itself and the
        # assumptions that apply to it, each at the scenario's own value where a set
        # leaves it there (the ensemble layer).
        mine = sets[["set", "layer", "member", "kept"]].copy()
        for key in unknown_keys:
            mine[key] = ([_own_value(loaded, key)] * len(plan) if key in owned[id(loaded)]
                         else [member[key] for _, member, _ in plan])
        for key, concrete in applying[j].items():
            own_value = _own_value(loaded, concrete[0])  # once, not once per set
            mine[key] = [values.get(key, own_value) for _, _, values in plan]
        features = [k for k in mine.columns if k not in ("set", "layer", "member", "kept")]
        for i in range(len(plan)):
            rows.append({"scenario": name, **mine.iloc[i].to_dict(),
                         **{f"difference: {m}": diffs[m][i] for m in metric_list}})
        for metric in metric_list:
            if math.isnan(float(head.loc[(name, metric), "diff_mean"])):
                continue  # no pair of histories has it (a date where nothing is disclosed)
            zero = (ZERO_DAYS if METRIC_UNITS[metric] == "days"
                    else max(0.5, ZERO_SHARE * abs(float(head.loc[(base_name, metric), "mean"]))))
            row = head.loc[(name, metric)]
            verdicts.append(verdict(name, metric, float(row["diff_mean"]),
                                    (float(row["diff_ci95_high"]) - float(row["diff_ci95_low"])) / 2,
                                    diffs[metric], mine, features, zero))
    return Exploration(comparison, sets, pd.DataFrame(rows), pd.DataFrame(verdicts),
                       chosen, int(sum(not k for k in kept)), samples, reps, seed)


def _sets_itself(loaded: LoadedScenario, key: str) -> bool:
    """Whether the scenario's own file gives `key`, or the value that holds it (a number
    where the baseline has a distribution, or another distribution), or lacks it."""
    from ..scenario import lookup

    parts = key.split(".")
    here = str(loaded.path)
    parent = ".".join(parts[:-1])
    if any(loaded.sources.get(".".join(parts[:n])) == here for n in range(len(parts), 1, -1)):
        return True
    if any(k.startswith(parent + ".") and s == here for k, s in loaded.sources.items()):
        return True
    try:
        value = lookup(loaded.scenario.to_toml_dict(), key, source=here)
    except InputError:
        return True
    return isinstance(value, bool) or not isinstance(value, (int, float))


def _own_value(loaded: LoadedScenario, key: str) -> float:
    """A scenario's own value of a key: a number, or a distribution's mean."""
    from ..scenario import lookup
    from ..scenario.distributions import parse

    try:
        value = lookup(loaded.scenario.to_toml_dict(), key, source=str(loaded.path))
    except InputError:
        return math.nan  # the scenario holds no such value (a number in place of its table)
    return float(parse(value, loaded.scenario.inputs).mean if isinstance(value, dict) else value)


def _paired_mean(other: np.ndarray, base: np.ndarray) -> float:
    both = ~(np.isnan(other) | np.isnan(base))
    return float(np.mean(other[both] - base[both])) if both.any() else math.nan


def _sign(x: float, zero: float) -> int:
    return 0 if math.isnan(x) or abs(x) < zero else (1 if x > 0 else -1)


def verdict(name: str, metric: str, headline: float, half_width: float, diffs: np.ndarray,
            sets: pd.DataFrame, features: list[str], zero: float) -> dict[str, Any]:
    """One what-if's answer on one metric across every kept set: its range, verdict,
    what it depends on and the condition under which it holds."""
    keep = sets["kept"].to_numpy() & ~np.isnan(diffs)
    d = diffs[keep]
    ensemble = d[(sets["layer"].to_numpy()[keep] == "ensemble")]
    sign = _sign(headline, zero)
    signs = np.array([_sign(x, zero) for x in d])
    same = signs == sign
    if not len(d):
        word = "depends"
    elif not same.all():
        word = "depends"
    elif sign == 0 or np.all(np.abs(d - headline) <= SETTLED_SIZE * abs(headline)):
        word = "settled"
    else:
        word = "direction"
    holds = same & ((np.abs(d) >= HOLDS_SIZE * abs(headline)) if sign else True)
    # What it depends on, and when it holds, from the sets that vary the assumptions
    # independently (the ensemble layer holds them at the scenario's own values).
    explored = sets["layer"].to_numpy()[keep] == "explored"
    if not explored.any():
        explored = np.ones(len(d), dtype=bool)
    table = sets.loc[keep, features].astype(float)[explored]
    target, held = (holds if word == "depends" else d)[explored], holds[explored]
    depends = _depends_on(table, target) if word != "settled" else []
    found = (box(table.to_numpy(), list(table.columns), held)
             if word != "settled" and 0 < held.sum() < len(held) else None)
    return {
        "scenario": name, "metric": metric, "headline": headline, "mc_half_width": half_width,
        "ensemble_low": float(ensemble.min()) if len(ensemble) else math.nan,
        "ensemble_high": float(ensemble.max()) if len(ensemble) else math.nan,
        "low": float(np.percentile(d, 5)) if len(d) else math.nan,
        "high": float(np.percentile(d, 95)) if len(d) else math.nan,
        "min": float(d.min()) if len(d) else math.nan,
        "max": float(d.max()) if len(d) else math.nan,
        "sets": int(len(d)), "share_same_sign": float(same.mean()) if len(d) else math.nan,
        "verdict": word, "depends_on": ";".join(depends),
        "condition": condition_sentence(metric, headline, sign, word, holds, found),
    }


def _depends_on(table: pd.DataFrame, target: np.ndarray) -> list[str]:
    from scipy.stats import spearmanr

    target = np.asarray(target, dtype=float)
    if len(target) < 3 or np.ptp(target) == 0:
        return []
    scored = []
    for key in table.columns:
        column = table[key].to_numpy()
        if np.ptp(column) == 0:
            continue
        rho = float(spearmanr(column, target).statistic)
        if not math.isnan(rho) and abs(rho) >= DEPENDS_RHO:
            scored.append((abs(rho), key))
    return [key for _, key in sorted(scored, reverse=True)[:3]]


def _noun(metric: str) -> str:
    """A metric as the subject of a sentence: "records disclosed to ICE"."""
    return f"records {METRIC_LABELS[metric]}" if metric in STATES else METRIC_LABELS[metric]


def _change(metric: str, sign: int) -> str:
    if METRIC_UNITS[metric] == "days":
        return f"the {METRIC_LABELS[metric]} comes {'later' if sign > 0 else 'earlier'}"
    noun = _noun(metric)
    return f"{noun} {'rise' if sign > 0 else 'fall'}{'' if _plural(noun) else 's'}"


def _plural(noun: str) -> bool:
    return noun.split()[0] in ("records", "returns", "people", "files", "requests",
                               "histories")


def condition_sentence(metric: str, headline: float, sign: int, word: str, holds: np.ndarray,
                       found: Any) -> str:
    """The verdict's condition as one plain sentence."""
    if word == "settled":
        return "holds in every set the record allows"
    what = (f"{_change(metric, sign)} by at least half the headline" if sign
            else f"{_noun(metric)} {'stay' if _plural(_noun(metric)) else 'stays'} unchanged")
    if word == "direction":
        what = f"the sign holds in every set; {what}"
    if not holds.any():
        return f"{what} in no set explored"
    if found is None:
        return f"{what} in {holds.mean():.0%} of the sets, under no simple condition"
    return (f"{what} only when " + " and ".join(
        f"{label_of(key)} is {'above' if above else 'at most'} {_number(threshold)}"
        for key, above, threshold in found.conditions)
        + f" (covers {found.coverage:.0%} of such sets, {found.density:.0%} of sets inside it)")


def flips(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The verdicts that are not settled."""
    return verdicts[verdicts["verdict"] != "settled"]


def robustness_table(exploration: Exploration) -> pd.DataFrame:
    """`robustness.csv` of `flowsim compare --ensemble`: each answer's paired effect across
    the record-consistent sets alone (the ensemble layer of an exploration without
    assumptions), and whether it keeps its sign there."""
    v = exploration.verdicts
    return pd.DataFrame({
        "scenario": v["scenario"], "metric": v["metric"], "headline": v["headline"],
        "members": v["sets"], "diff_low": v["ensemble_low"], "diff_high": v["ensemble_high"],
        "same_sign_share": v["share_same_sign"], "keeps_sign": v["share_same_sign"] == 1.0,
        "depends_on": v["depends_on"]})
