"""Markdown for the README: the library's table, from a comparison."""

from __future__ import annotations

from ..experiments.compare import Comparison, median_first_disclosure
from ..experiments.stats import interval_text, number_text
from .text import headline_of, headline_text


def headline_markdown(comparison: Comparison, metric: str = "transferred") -> str:
    """A Markdown table: each what-if's question, its mean and its paired difference."""
    base = comparison.baseline
    lines = [
        f"| scenario | question | records disclosed, mean (95% CI) | difference from "
        f"{base.name} (paired 95% CI) | first disclosure, median | its question's figure |",
        "|---|---|---|---|---|---|",
    ]
    for result in comparison.results:
        row = comparison.row(result.name, metric)
        mean = f"{number_text(row['mean'])} ({interval_text(row['ci95_low'], row['ci95_high'])})"
        diff = ("—" if result is base else f"{number_text(row['diff_mean'], signed=True)} "
                f"({interval_text(row['diff_ci95_low'], row['diff_ci95_high'], signed=True)})")
        question = result.scenario.scenario.question.replace("|", "\\|")
        when = median_first_disclosure(result.stats, result.scenario.scenario.start)
        # Each question's own figure: the records disclosed, or what it is about.
        own = ("records disclosed" if headline_of(result) == metric else
               headline_text(result, comparison.table, base).replace("|", "\\|"))
        lines.append(f"| `{result.name}` | {question} | {mean} | {diff} | {when} | {own} |")
    lines.append("")
    lines.append(f"{base.replications} replications each, seed {base.seed}, common random "
                 "numbers across scenarios.")
    return "\n".join(lines)
