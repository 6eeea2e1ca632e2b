"""Markdown for the README and the documentation: the library's tables, from an
exploration, and the checks against the record and an independent model."""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..experiments.stats import number_text
from .text import (FILING_BASIS, TRADEOFF_METRICS, difference_value_text, headline_of,
                   metric_text, range_text, verdict_of)


def cell(text: str) -> str:
    """Text as one cell of a Markdown table: its bars escaped, on one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def library_markdown(exploration: Any, *, short: bool = False) -> str:
    """A Markdown table: each question, the figure it is about, its headline difference,
    the range over what the record leaves open, the verdict and when the answer holds;
    simulation precision in a footnote. `short`: without the question, the condition and
    the footnotes (the README's table)."""
    from ..experiments.run import METRIC_LABELS

    comparison = exploration.comparison
    base = comparison.baseline
    lines = [
        "| scenario | question | its figure | difference from the baseline | over what the "
        "record leaves open (5–95 %) | verdict | when it holds, or what it depends on |",
        "|---|---|---|---|---|---|---|",
    ]
    precision = []
    for result in comparison.results:
        metric = headline_of(result)
        question = cell(result.scenario.scenario.question)
        figure = f"{METRIC_LABELS[metric]}: {metric_text(result, metric)}"
        if result is base:
            lines.append(f"| `{result.name}` | {question} | {cell(figure)} | — | — | — | — |")
            continue
        row = comparison.row(result.name, metric)
        difference = difference_value_text(float(row["diff_mean"]), metric)
        verdict = verdict_of(exploration.verdicts, result)
        if verdict is None:
            lines.append(f"| `{result.name}` | {question} | {cell(figure)} | {difference} "
                         "| — | — | — |")
            continue
        when = ("holds across every set" if verdict["verdict"] == "settled" else
                verdict["condition"])
        lines.append(f"| `{result.name}` | {question} | {cell(figure)} | {difference} | "
                     f"{range_text(verdict)} | {verdict['verdict']} | {cell(when)} |")
        precision.append(f"`{result.name}` ±{_half(verdict)}")
    if short:
        return "\n".join(_without_columns(line, (1, 6)) for line in lines)
    lines += ["", f"Differences at each scenario's own values, {base.replications} replications "
              f"each, seed {base.seed}, on common random numbers. Ranges and verdicts over "
              f"{len(exploration.sets)} sets ({exploration.dropped} dropped where the baseline "
              f"missed a target), {exploration.replications} replications each: settled, the "
              "sign and size hold in every set; direction, the sign holds and the size does "
              "not; depends, the sign changes.", "",
              "Simulation precision (half the paired 95 % interval): " + ", ".join(precision)
              + ". Narrow intervals say enough histories were run, not that the answer is "
              "known."]
    return "\n".join(lines)


def _without_columns(line: str, dropped: tuple[int, ...]) -> str:
    cells = re.split(r"(?<!\\)\|", line)[1:-1]
    return "|" + "|".join(c for i, c in enumerate(cells) if i not in dropped) + "|"


def validation_markdown(result: Any, fitted: Sequence[Any], held_out: Sequence[Any]) -> str:
    """Each figure of the record the baseline is fitted to, then each held out of the fit:
    the record's figure, the model's, whether it is met, and the source."""
    from ..experiments.targets import evaluate

    start = result.scenario.scenario.start
    lines = ["| figure | role | record | model | met | source |", "|---|---|---|---|---|---|"]
    for role, targets in (("fitted", fitted), ("held out", held_out)):
        for _, row in evaluate(list(targets), result.metrics, start).iterrows():
            lines.append(f"| {row['target']} ({row['statistic']} of `{row['metric']}`) | "
                         f"{role} | {row['goal']} | {row['model'] or 'none'} | "
                         f"{'yes' if row['met'] else 'no'} | {cell(row['source'])} |")
    lines += ["", f"The model's figures are the baseline's over {result.replications} "
              f"histories, seed {result.seed}. A fitted figure is met because the baseline's "
              "values were fitted to it; a held-out one could have been missed."]
    return "\n".join(lines)


def _half(verdict: Any) -> str:
    from ..experiments.run import METRIC_UNITS

    unit = METRIC_UNITS[verdict["metric"]]
    value = float(verdict["mc_half_width"])
    return f"{value:.1f} days" if unit == "days" else number_text(value)


def tradeoff_markdown(exploration: Any) -> str:
    """A Markdown table: for each scenario both sides of the trade-off (records and people
    disclosed, returns and revenue lost), the baseline's own figures and each what-if's
    difference, with the revenue answer's verdict and what it depends on."""
    from ..experiments.run import METRIC_LABELS

    comparison = exploration.comparison
    base = comparison.baseline
    labels = [METRIC_LABELS[m] for m in TRADEOFF_METRICS]
    lines = ["| scenario | " + " | ".join(labels) + " | revenue: verdict | revenue: when it "
             "holds, or what it depends on |",
             "|---|" + "---|" * (len(labels) + 2)]
    for result in comparison.results:
        if result is base:
            cells = [metric_text(result, m) for m in TRADEOFF_METRICS]
            lines.append(f"| `{result.name}` | " + " | ".join(cells) + " | — | — |")
            continue
        cells = [difference_value_text(float(comparison.row(result.name, m)["diff_mean"]), m)
                 for m in TRADEOFF_METRICS]
        v = exploration.verdicts
        rows = v[(v["scenario"] == result.name) & (v["metric"] == "revenue_not_paid")]
        if rows.empty:
            verdict, when = "—", "—"
        else:
            row = rows.iloc[0]
            verdict = row["verdict"]
            when = (f"{range_text(row)}; holds across every set" if verdict == "settled" else
                    f"{range_text(row)}; {row['condition']}"
                    + (f" (depends on {row['depends_on'].replace(';', ', ')})"
                       if row["depends_on"] else ""))
        lines.append(f"| `{result.name}` | " + " | ".join(cells)
                     + f" | {verdict} | {cell(when)} |")
    lines += ["", f"The baseline's row gives its own figures (means of {base.replications} "
              "histories; returns and revenue over the seasons its `[filing]` table counts); "
              "each what-if's row its difference from them. " + FILING_BASIS]
    return "\n".join(lines)


# The Yale Budget Lab's projection of revenue lost to the sharing (FACTS:
# projection-yale-2025): (the years, first season, last season, central, low, high), dollars.
YALE_BUDGET_LAB = (("2026", 2026, 2026, 25e9, 12e9, 39e9),
                   ("2026–2035", 2026, 2035, 313e9, 147e9, 479e9))
INDEPENDENT_REPLICATIONS = 200


def independent_check(loaded: Any, replications: int = INDEPENDENT_REPLICATIONS) -> list[dict]:
    """The filers' response at the Yale Budget Lab's tax base and timing
    (`calibration/yale-budget-lab.toml`) for each span of years they project."""
    from ..experiments.run import run

    rows = []
    for years, first, last, central, low, high in YALE_BUDGET_LAB:
        s = loaded.with_overrides([f"filing.first_season={first}",
                                   f"filing.last_season={last}"])
        stats = run(s, replications=replications).stats.set_index("metric")
        ours = stats.loc["revenue_not_paid"]
        rows.append({"years": years, "theirs": central, "their_low": low, "their_high": high,
                     "ours": float(ours["mean"]), "our_low": float(ours["p05"]),
                     "our_high": float(ours["p95"]),
                     "inside": bool(low <= float(ours["mean"]) <= high)})
    return rows


def independent_check_markdown(loaded: Any) -> str:
    """The check against an independent model as a Markdown table, with what differs."""
    from ..experiments.stats import dollars_text

    lines = ["| federal revenue lost | Yale Budget Lab (range) | flowsim at their tax base and "
             "timing (5–95 % of histories) | flowsim's mean inside their range |",
             "|---|---|---|---|"]
    for r in independent_check(loaded):
        lines.append(f"| {r['years']} | {dollars_text(r['theirs'])} ({dollars_text(r['their_low'])}"
                     f" to {dollars_text(r['their_high'])}) | {dollars_text(r['ours'])} "
                     f"({dollars_text(r['our_low'])} to {dollars_text(r['our_high'])}) | "
                     f"{'yes' if r['inside'] else 'no'} |")
    lines += ["", f"{INDEPENDENT_REPLICATIONS} histories of `calibration/yale-budget-lab.toml`: "
              "the baseline with the sharing carried out on 2025-08-07 and never stopped (their "
              "projection came before any court order), their 2023 tax base ($22 billion of "
              "income tax, $43 billion of payroll tax). What differs: the size of their "
              "response is not in the record, so flowsim's is the baseline's, borrowed from "
              "other programmes; their tax base grows each year, flowsim's stays at 2023's. "
              "A check, not a target: nothing is fitted to it."]
    return "\n".join(lines)
