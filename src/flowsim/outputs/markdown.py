"""Markdown for the README: the library's table, from an exploration."""

from __future__ import annotations

from typing import Any

from ..experiments.stats import number_text
from .text import (difference_value_text, headline_of, metric_text, range_text, verdict_of)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def library_markdown(exploration: Any) -> str:
    """A Markdown table: each question, the figure it is about, its headline difference,
    the range over what the record leaves open, the verdict and when the answer holds;
    simulation precision in a footnote."""
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
        question = _cell(result.scenario.scenario.question)
        figure = f"{METRIC_LABELS[metric]}: {metric_text(result, metric)}"
        if result is base:
            lines.append(f"| `{result.name}` | {question} | {_cell(figure)} | — | — | — | — |")
            continue
        row = comparison.row(result.name, metric)
        difference = difference_value_text(float(row["diff_mean"]), metric)
        verdict = verdict_of(exploration.verdicts, result)
        if verdict is None:
            lines.append(f"| `{result.name}` | {question} | {_cell(figure)} | {difference} "
                         "| — | — | — |")
            continue
        when = ("holds across every set" if verdict["verdict"] == "settled" else
                verdict["condition"])
        lines.append(f"| `{result.name}` | {question} | {_cell(figure)} | {difference} | "
                     f"{range_text(verdict)} | {verdict['verdict']} | {_cell(when)} |")
        precision.append(f"`{result.name}` ±{_half(verdict)}")
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


def _half(verdict: Any) -> str:
    from ..experiments.run import METRIC_UNITS

    unit = METRIC_UNITS[verdict["metric"]]
    value = float(verdict["mc_half_width"])
    return f"{value:.1f} days" if unit == "days" else number_text(value)
