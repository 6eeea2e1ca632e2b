"""What-if comparisons: scenarios against a baseline, with paired differences.

All scenarios run with the same seed and replications, so replication r of each shares
its random numbers with replication r of the baseline wherever they share requests.
The per-replication difference is then the change's effect with little noise, and its
confidence interval (a paired one) is narrow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from .executors import Executor
from .run import METRICS, Progress, RunResult, run_many
from ..scenario import LoadedScenario, Scenario
from .stats import describe_all

COMPARISON_COLUMNS = ("scenario", "baseline", "metric", "mean", "ci95_low", "ci95_high",
                      "diff_mean", "diff_ci95_low", "diff_ci95_high", "replications",
                      "diff_replications")


@dataclass(frozen=True)
class Comparison:
    """The runs (baseline first) and the comparison table of comparison.csv."""

    results: list[RunResult]
    table: pd.DataFrame

    @property
    def baseline(self) -> RunResult:
        return self.results[0]

    def row(self, scenario: str, metric: str = "transferred") -> pd.Series:
        t = self.table
        return t[(t["scenario"] == scenario) & (t["metric"] == metric)].iloc[0]

    def _repr_html_(self) -> str:
        """In Jupyter: each scenario's own headline metric beside the baseline, with the
        paired difference, as comparison.csv has them."""
        import html

        rows = [self.table[(self.table["scenario"] == r.name)
                           & (self.table["metric"] == r.scenario.scenario.headline)]
                for r in self.results]
        table = pd.concat(rows)[["scenario", "metric", "mean", "diff_mean", "diff_ci95_low",
                                 "diff_ci95_high", "replications"]]
        return (f"<p>Against <strong>{html.escape(self.baseline.name)}</strong>, on common "
                f"random numbers ({self.baseline.replications} histories each)</p>"
                + table.to_html(index=False, na_rep="", float_format=lambda x: f"{x:,.2f}"))


def compare(
    baseline: Scenario | LoadedScenario,
    others: Sequence[Scenario | LoadedScenario],
    *,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Run `baseline` and `others` with the baseline's seed and replications (or those
    given) and compare every metric with the baseline, replication by replication."""
    scenarios = [baseline, *others]
    names = [(s.scenario if isinstance(s, LoadedScenario) else s).name for s in scenarios]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ScenarioError(f"two scenarios are named {name!r}; scenario.name must differ "
                                "so that their results can be told apart", key="scenario.name",
                                source=_source(scenarios[i]))
    results = run_many(scenarios, replications=replications, seed=seed, executor=executor,
                       progress=progress)
    return Comparison(results, comparison_table(results))


def _source(s: Scenario | LoadedScenario) -> str:
    return str(s.path) if isinstance(s, LoadedScenario) else s.name


def paired(other: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The per-replication differences other - base, where both exist."""
    both = ~(np.isnan(other.astype(float)) | np.isnan(base.astype(float)))
    return other[both].astype(float) - base[both].astype(float)


def comparison_rows(result: RunResult, base: RunResult) -> list[dict[str, Any]]:
    """The rows of comparison.csv for one run against the baseline's."""
    stats = {row["metric"]: row for row in result.stats.to_dict("records")}
    diffs = describe_all([paired(result.metrics[m], base.metrics[m]) for m in METRICS])
    rows = []
    for metric, diff in zip(METRICS, diffs):
        s = stats[metric]
        rows.append({
            "scenario": result.name,
            "baseline": base.name,
            "metric": metric,
            "mean": s["mean"],
            "ci95_low": s["ci95_low"],
            "ci95_high": s["ci95_high"],
            "diff_mean": diff["mean"],
            "diff_ci95_low": diff["ci95_low"],
            "diff_ci95_high": diff["ci95_high"],
            # Time metrics exist only where a replication disclosed something.
            "replications": int(s["replications"]),
            "diff_replications": int(diff["replications"]),
        })
    return rows


def comparison_table(results: Sequence[RunResult], base: RunResult | None = None) -> pd.DataFrame:
    """comparison.csv: each run's rows against `base` (by default the first run, whose
    own rows come first)."""
    base = results[0] if base is None else base
    rows = [row for result in results for row in comparison_rows(result, base)]
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def median_first_disclosure(stats: pd.DataFrame, start: dt.datetime) -> str:
    """The median date of the first transfer, from a stats table, or `none`."""
    table = stats.set_index("metric")
    if "first_transfer_days" not in table.index or table.loc["first_transfer_days",
                                                               "replications"] == 0:
        return "none"
    return f"{start + dt.timedelta(days=float(table.loc['first_transfer_days', 'p50'])):%Y-%m-%d}"
