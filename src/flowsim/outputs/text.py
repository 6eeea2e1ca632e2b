"""Text for the terminal: the headline of a run, a comparison, a calibration, a
sensitivity ranking, a sweep, a validation line and the progress bar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..experiments.stats import amount_text, dollars_text, interval_text, number_text
from ..model.outcomes import QUIET, display_order

if TYPE_CHECKING:
    from ..experiments.calibrate import Calibration
    from ..experiments.compare import Comparison
    from ..experiments.run import RunResult
    from ..experiments.sensitivity import Sensitivity
    from ..experiments.sweep import SweepResult
    from ..scenario import Scenario


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def progress_bar(done: int, total: int, unit: str) -> None:
    """A bar on standard error, redrawn in place; cleared when done."""
    step = max(1, total // 100)
    if done % step and done != total:
        return
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}")
    if done == total:
        sys.stderr.write("\r" + " " * (width + 40) + "\r")
    sys.stderr.flush()


def _interval(low: float, high: float, signed: bool = False) -> str:
    return interval_text(low, high, signed=signed, missing="-")  # a terminal may lack "–"


def headline(result: "RunResult", out: Path) -> str:
    """A short table of the run for the terminal."""
    stats = result.stats.set_index("metric")
    lines = [f"{result.name}: {result.replications} replications, seed {result.seed} -> {out}/",
             f"  headline: {headline_text(result)}",
             f"  {'':<34}{'mean':>14}  {'95% CI of the mean':>24}  {'5-95% of runs':>24}"]
    for metric in display_order(skip=(*QUIET, "transferred_incomplete_address")):
        row = stats.loc[metric]
        if row["replications"] == 0:
            continue
        lines.append(
            f"  {metric:<34}{row['mean']:>14,.0f}  "
            f"{_interval(row['ci95_low'], row['ci95_high']):>24}  {_interval(row['p05'], row['p95']):>24}"
        )
    if result.scenario.filing is not None:
        lines.append(f"  {FILING_BASIS}")
    from ..experiments.run import iso_times

    first = stats.loc["first_transfer_days"]
    if first["replications"] > 0:
        start = result.scenario.scenario.start
        lo, mid, hi = iso_times(start, [first["p05"], first["p50"], first["p95"]])
        lines.append(f"  first transfer: median {mid[:10]} (5-95%: {lo[:10]} to {hi[:10]}), "
                     f"in {int(first['replications'])} of {result.replications} replications")
    else:
        lines.append("  first transfer: none in any replication")
    return "\n".join(lines)


def comparison_text(comparison: "Comparison", out: Path, robust: Any = None) -> str:
    """Records transferred per scenario and the paired difference from the baseline."""
    base = comparison.baseline
    lines = [f"compare: {plural(len(comparison.results), 'scenario')}, {base.replications} "
             f"replications each, seed {base.seed} -> {out}/",
             f"  {'records transferred':<26}{'mean':>12}  {'95% CI':>22}  "
             f"{'difference from ' + base.name + ' (paired 95% CI)':>44}"]
    for result in comparison.results:
        row = comparison.row(result.name)
        diff = ("" if result is base else
                f"{number_text(row['diff_mean'], signed=True)} ({_interval(row['diff_ci95_low'], row['diff_ci95_high'], signed=True)})")
        lines.append(f"  {result.name:<26}{row['mean']:>12,.0f}  "
                     f"{_interval(row['ci95_low'], row['ci95_high']):>22}  {diff:>44}")
    for result in comparison.results[1:]:
        if headline_of(result) != "transferred":
            lines.append(f"  {result.name} leads with its own question's figure: "
                         f"{headline_text(result, comparison.table, base)}")
    lines.append("  every metric, with its paired difference: comparison.csv")
    if robust is not None:
        rows = robust[robust["metric"] == "transferred"]
        lines.append(f"  across the {int(rows['members'].max())} record-consistent sets of "
                     "robustness.csv (records transferred; what the record cannot test: "
                     "flowsim explore):")
        for _, row in rows.iterrows():
            sign = "keeps its sign" if row["keeps_sign"] else "changes sign"
            lines.append(f"    {row['scenario']:<26} from "
                         f"{difference_value_text(row['diff_low'], 'transferred')} to "
                         f"{difference_value_text(row['diff_high'], 'transferred')}: {sign}")
    return "\n".join(lines)


def difference_value_text(value: float, metric: str) -> str:
    """A difference of `metric` in its unit: signed records, days or points."""
    from ..experiments.run import METRIC_UNITS

    if value != value:
        return "-"
    unit = METRIC_UNITS[metric]
    if unit == "days":
        return f"{value:+.1f} days"
    if unit == "share":
        return f"{100 * value:+.0f} points"
    if unit == "dollars":
        return dollars_text(value, signed=True)
    return number_text(value, signed=True)


def range_text(row: Any) -> str:
    """An answer's range over what the record leaves open: its 5th to 95th percentile."""
    return (f"{difference_value_text(row['low'], row['metric'])} to "
            f"{difference_value_text(row['high'], row['metric'])}")


def verdict_of(verdicts: Any, run: Any) -> Any:
    """The verdict row of a run's own headline metric, or None."""
    if verdicts is None:
        return None
    rows = verdicts[(verdicts["scenario"] == run.name) & (verdicts["metric"] == headline_of(run))]
    return None if rows.empty else rows.iloc[0]


# What every returns and revenue figure rests on, said wherever one is shown.
FILING_BASIS = ("Returns and revenue rest on assumptions, not measurement: no change in "
                "filing in 2025 or 2026 has been published, so the response is borrowed from "
                "other programmes (from a 5.5-point chill in children's coverage to the 2025 "
                "season's preparers who saw about half their returns), and how far the "
                "announcement alone moved it and how fast it fades once the sharing stops "
                "are assumed.")
# Both sides of the trade-off the case is argued on, in the order a table shows them.
TRADEOFF_METRICS = ("transferred", "people_at_disclosed_addresses", "returns_not_filed",
                    "revenue_not_paid")


def verdict_words(row: Any) -> str:
    """A verdict row in words: the verdict, the range over what the record leaves open and,
    where it is not settled, when the answer holds."""
    span = f"{range_text(row)} over what the record leaves open"
    if row["verdict"] == "settled":
        return f"settled: {span}"
    return f"{row['verdict']}: {span}; {row['condition']}"


def exploration_text(exploration: Any, out: Path) -> str:
    """The terminal's account of an exploration: each what-if's three layers."""
    comparison = exploration.comparison
    base = comparison.baseline
    lines = [f"explore: {plural(len(comparison.results), 'scenario')}; {len(exploration.sets)} "
             f"sets ({exploration.dropped} dropped where the baseline missed a target), "
             f"{exploration.replications} replications each, seed {exploration.seed} -> {out}/"]
    for result in comparison.results[1:]:
        lines.append(f"  {result.name}: {headline_text(result, comparison.table, base)}")
        row = verdict_of(exploration.verdicts, result)
        if row is not None:
            lines.append(f"    {verdict_words(row)}")
    lines.append("  narrow intervals say enough histories were run, not that the answer is "
                 "known; every set: exploration.csv, every verdict: verdicts.csv")
    return "\n".join(lines)


def ensemble_text(name: str, ensemble: Any, out: Path, validation: Any = None) -> str:
    lines = [f"{name}: {len(ensemble.members)} sets not implausible in the last of "
             f"{plural(len(ensemble.waves), 'wave')} (cut-off {ensemble.cutoff:g}; "
             f"{ensemble.replications} replications each, seed {ensemble.seed}) -> {out}/"]
    for _, w in ensemble.waves.iterrows():
        lines.append(f"  wave {int(w['wave'])}: {int(w['candidates'])} candidates, "
                     f"{int(w['kept'])} kept ({w['kept_share']:.1%}), region "
                     f"{w['region_volume']:.3g} of the priors")
    lines.append(f"  {'unknown':<30}{'prior range':>28}{'kept range':>28}{'kept share':>12}")
    for _, row in ensemble.constraints.iterrows():
        lines.append(f"  {row['parameter']:<30}{row['prior_low']:>13.6g} to {row['prior_high']:<11.6g}"
                     f"{row['kept_low']:>13.6g} to {row['kept_high']:<11.6g}"
                     f"{row['kept_share_of_range']:>11.0%}")
    if validation is not None:
        for _, v in validation.iterrows():
            lines.append(f"  held out: {v['figure']}: record {v['record']:,.6g}, ensemble 5-95% "
                         f"{v['ensemble_p05']:,.6g} to {v['ensemble_p95']:,.6g}: "
                         + ("inside" if v["inside"] else
                            "outside, within the record's own tolerance" if v["within_tolerance"]
                            else "OUTSIDE"))
    if ensemble.few:
        lines.append(f"  only {len(ensemble.members)} sets fit: under {20} the ensemble says little. "
                     "Ask for more candidates (--ensemble), more waves (--waves), or check "
                     "the targets' declared errors.")
    return "\n".join(lines)


def validation_line(name: str, s: "Scenario") -> str:
    injunction = f"on {s.injunction.at:%Y-%m-%d}" if s.injunction.enabled else "off"
    more = (f", {plural(len(s.gate_orders), 'further gate order')}" if s.gate_orders else "")
    return (f"{name}: ok ({s.name}: {plural(len(s.requests), 'request')}, "
            f"{plural(len(s.request_streams), 'stream')}, "
            f"{plural(len(s.notice), 'notice rule')}, injunction {injunction}{more})")


def calibration_text(fit: "Calibration", out: Path, scenario_file: Path | None) -> str:
    lines = [f"{fit.loaded.scenario.name}: {fit.evaluations} evaluations of {fit.replications} "
             f"replications, seed {fit.seed} -> {out}/",
             f"  objective {fit.objective_before:.4g} -> {fit.objective_after:.4g}"]
    for _, row in fit.parameters.iterrows():
        lines.append(f"  {row['parameter']:<34} {row['start']:>12.6g} -> {row['fitted']:<12.6g}"
                     f" (bounds {row['low']:g} to {row['high']:g})")
    for _, row in fit.residuals.iterrows():
        mark = "met" if row["met"] else "NOT MET"
        lines.append(f"  {row['target']:<44} model {row['model']:<22} goal {row['goal']:<26}"
                     f" residual {row['residual']:+.3f} {mark}")
    if scenario_file:
        lines.append(f"  calibrated scenario: {scenario_file}")
    return "\n".join(lines)


def sensitivity_text(name: str, result: "Sensitivity", metrics: list[str], out: Path) -> str:
    lines = [f"{name}: {result.method}, {len(result.samples)} points of "
             f"{result.replications} replications, seed {result.seed} -> {out}/"]
    for metric in metrics:
        if metric in result.skipped:
            lines.append(f"  {metric}: not analysed: {result.skipped[metric]}")
            continue
        ranking = result.ranking(metric)
        if not ranking:
            lines.append(f"  {metric}: no parameter moves it over these ranges (every index is 0)")
            continue
        lines.append(f"  {metric}, most influential first: " + ", ".join(ranking))
    return "\n".join(lines)


def sweep_text(name: str, result: "SweepResult", out: Path) -> str:
    lines = [f"{name}: {plural(len(result.points), 'point')} -> {out}/"]
    for _, row in result.failed.iterrows():
        lines.append(f"  point {row['point']} failed: {row['error']}")
    if len(result.failed):
        lines.append(f"  {len(result.failed)} of {len(result.points)} points failed; "
                     "see points.csv")
    return "\n".join(lines)


def _stat(stats: Any, metric: str, column: str = "mean") -> float:
    where = np.flatnonzero(stats["metric"].to_numpy() == metric)
    return float(stats[column].to_numpy()[where[0]]) if len(where) else float("nan")


def _diff(table: Any, scenario: str, metric: str) -> float:
    if table is None:
        return float("nan")
    where = np.flatnonzero((table["scenario"].to_numpy() == scenario)
                           & (table["metric"].to_numpy() == metric))
    return float(table["diff_mean"].to_numpy()[where[0]]) if len(where) else float("nan")


def title_of(run: Any) -> str:
    """The name people read: the scenario's title, or its name when it has none."""
    return run.scenario.scenario.title or run.name


def disclosing(run: Any) -> tuple[int, int]:
    """How many of the run's histories disclosed anything, and of how many."""
    share = _stat(run.stats, "any_transferred")
    n = int(run.replications)
    return (0 if share != share else round(share * n)), n


def disclosure_share_text(run: Any) -> str:
    """"49 of 200 histories", from the share of histories with a disclosure."""
    k, n = disclosing(run)
    return f"{k} of {n} histories" if k < n else f"all {n} histories"


def headline_of(run: Any) -> str:
    """The metric the run's question is about (`[scenario] headline`)."""
    return run.scenario.scenario.headline


def metric_text(run: Any, metric: str) -> str:
    """The run's value of `metric` in words: the median date of a time, a share, or a mean
    with its unit."""
    from ..experiments.run import METRIC_UNITS, iso_times

    stats = run.stats.set_index("metric")
    if metric not in stats.index or stats.loc[metric, "replications"] == 0:
        return "none in any history"
    s, unit = stats.loc[metric], METRIC_UNITS[metric]
    if unit == "days":
        (median,) = iso_times(run.scenario.scenario.start, [s["p50"]])
        return f"median {median[:10]}"
    if unit == "share":
        return f"{s['mean']:.0%}"
    return amount_text(s["mean"], unit)


def difference_text(table: Any, name: str, metric: str) -> str:
    """A paired difference from the baseline in words, with its interval: days earlier or
    later, points of a share, or a signed amount with its unit."""
    from ..experiments.run import METRIC_UNITS

    rows = table[(table["scenario"] == name) & (table["metric"] == metric)]
    if rows.empty or rows["diff_mean"].iloc[0] != rows["diff_mean"].iloc[0]:
        return "no paired difference (no history of both has one)"
    r, unit = rows.iloc[0], METRIC_UNITS[metric]
    if unit == "days":
        days = r["diff_mean"]
        word = "later" if days > 0 else "earlier"
        return (f"{abs(days):.1f} days {word} (paired 95% CI "
                f"{r['diff_ci95_low']:+.1f} to {r['diff_ci95_high']:+.1f} days)")
    if unit == "share":
        return (f"{100 * r['diff_mean']:+.0f} points (paired 95% CI "
                f"{100 * r['diff_ci95_low']:+.0f} to {100 * r['diff_ci95_high']:+.0f})")
    if unit == "dollars":
        return (f"{dollars_text(r['diff_mean'], signed=True)} (paired 95% CI "
                f"{dollars_text(r['diff_ci95_low'], signed=True)} to "
                f"{dollars_text(r['diff_ci95_high'], signed=True)})")
    return (f"{number_text(r['diff_mean'], signed=True)} {unit} (paired 95% CI "
            f"{interval_text(r['diff_ci95_low'], r['diff_ci95_high'], signed=True)})")


def headline_text(run: Any, table: Any = None, base: Any = None) -> str:
    """The run's headline: its metric's label and value, and beside a baseline its
    difference from it."""
    from ..experiments.run import METRIC_LABELS

    metric = headline_of(run)
    text = f"{METRIC_LABELS[metric]}: {metric_text(run, metric)}"
    if base is not None and base is not run and table is not None:
        text += f", {difference_text(table, run.name, metric)} against “{title_of(base)}”"
    return text


def scenario_sentence(run: Any, table: Any = None, base: Any = None, *,
                      brief: bool = False) -> str:
    """What a run found, in one plain sentence; beside the baseline if one is given.
    `brief` leaves out what happened after disclosure (a summary's table shows it)."""
    from ..model.outcomes import LABELS, STATES

    title = title_of(run)
    mean = _stat(run.stats, "transferred")
    share = _stat(run.stats, "any_transferred")
    k, n = disclosing(run)
    against = ""
    if base is not None and base is not run:
        against = f", against {number_text(_stat(base.stats, 'transferred'))} in “{title_of(base)}”"
    if k == 0:
        found = f"no history discloses any record{against}"
    elif k == n:
        found = f"records are disclosed in every history: {number_text(mean)} on average{against}"
    else:
        found = (f"records are disclosed in {k} of {n} histories ({share:.0%}) and none in the "
                 f"rest: {number_text(mean)} on average{against}")
    lead = "In" if base is None or base is run else "Under"
    parts = [f"{lead} “{title}”, {found}"]
    if headline_of(run) != "transferred":
        # The question is about another figure: it leads.
        parts = [f"{lead} “{title}”, {headline_text(run, table, base)}", found]
    if run.scenario.acts_after_disclosure and not brief:
        usable = _stat(run.stats, "usable_at_horizon")
        days = _stat(run.stats, "usable_record_days")
        parts.append(f"at the horizon ICE may use {number_text(usable)} of the records it got, "
                     f"and could act on them for {number_text(days)} record-days in all")
    if base is not None and base is not run and table is not None:
        shift = _diff(table, run.name, "first_transfer_days")
        if shift == shift and abs(shift) >= 1:
            parts.append(f"the first disclosure comes {plural(round(abs(shift)), 'day')} "
                         f"{'later' if shift > 0 else 'earlier'}")
        moved = {s: _diff(table, run.name, s) for s in STATES if s != "transferred"}
        state, gain = max(moved.items(), key=lambda kv: -1 if kv[1] != kv[1] else kv[1])
        if _diff(table, run.name, "transferred") < 0 and gain > 0:
            parts.append(f"the records not disclosed are mostly {LABELS[state]}")
    return "; ".join(parts) + "."
