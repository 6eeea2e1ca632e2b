"""Summary statistics across replications."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

STAT_COLUMNS = ("mean", "std", "ci95_low", "ci95_high", "p05", "p50", "p95", "replications")


def number_text(x: float, *, signed: bool = False) -> str:
    """A whole number with thousands separators; never "-0" for a value that rounds to 0."""
    value = round(x)
    if value == 0:
        return "+0" if signed else "0"
    return f"{value:+,}" if signed else f"{value:,}"


def dollars_text(x: float, *, signed: bool = False) -> str:
    """Dollars as a reader says them: $15.2 billion, $850 million, $12,000."""
    sign = ("+" if x > 0 else "-" if x < 0 else "+") if signed else ("-" if x < 0 else "")
    size = abs(x)
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if size >= scale:
            return f"{sign}${size / scale:.1f} {word}"
    return f"{sign}${round(size):,}"


def amount_text(x: float, unit: str, *, signed: bool = False) -> str:
    """An amount with its unit: dollars as dollars, anything else a number and its unit."""
    if unit == "dollars":
        return dollars_text(x, signed=signed)
    return f"{number_text(x, signed=signed)} {unit}"


def interval_text(low: float, high: float, *, signed: bool = False, missing: str = "–") -> str:
    """`low to high` in whole numbers with thousands separators; `missing` for NaN."""
    if math.isnan(low) or math.isnan(high):
        return missing
    return f"{number_text(low, signed=signed)} to {number_text(high, signed=signed)}"


def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t distribution with `df` degrees of freedom."""
    # scipy.special is imported here, not at the top: it costs a third of a second, and
    # commands that never compute an interval (validate, explain) should not pay it.
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def describe(values: np.ndarray) -> dict[str, float]:
    """Mean, sample std, t-based 95% interval of the mean and percentiles.

    NaN values (a replication with no transfer has no transfer date) are left out, and
    `replications` counts the values that remain.
    """
    return describe_all([values])[0]


def describe_all(arrays: Sequence[np.ndarray]) -> list[dict[str, float]]:
    """`describe` of each array. The percentiles of arrays of one length are found in one
    call (row by row, as for each alone): a run's metrics all have its replications."""
    kept = [np.asarray(values, dtype=float) for values in arrays]
    kept = [x[~np.isnan(x)] for x in kept]
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(kept):
        if len(x):
            by_length.setdefault(len(x), []).append(i)
    percentiles: dict[int, np.ndarray] = {}
    for rows in by_length.values():
        found = np.percentile(np.stack([kept[i] for i in rows]), [5, 50, 95], axis=1)
        percentiles.update(zip(rows, found.T))
    return [_described(x, percentiles.get(i)) for i, x in enumerate(kept)]


def _described(x: np.ndarray, percentiles: np.ndarray | None) -> dict[str, float]:
    n = len(x)
    if n == 0:
        return {**dict.fromkeys(STAT_COLUMNS, math.nan), "replications": 0}
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    half = float(t_quantile(0.975, n - 1) * std / math.sqrt(n)) if n > 1 else math.nan
    p05, p50, p95 = (float(v) for v in percentiles)
    return {
        "mean": mean,
        "std": std,
        "ci95_low": mean - half,
        "ci95_high": mean + half,
        "p05": p05,
        "p50": p50,
        "p95": p95,
        "replications": n,
    }


Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion: it stays inside 0..1 and is honest at
    0 or n successes, where the normal approximation collapses to a point."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def describe_share(values: np.ndarray) -> dict[str, float]:
    """`describe` of 0/1 values, with Wilson's interval for their mean (the share)."""
    return _with_wilson(describe(values), values)


def _with_wilson(d: dict[str, float], values: np.ndarray) -> dict[str, float]:
    if d["replications"]:
        x = np.asarray(values, dtype=float)
        x = x[~np.isnan(x)]
        d["ci95_low"], d["ci95_high"] = wilson_interval(int(x.sum()), len(x))
    return d


def stats_table(scenario: str, metrics: dict[str, np.ndarray],
                shares: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per metric, in the order given; the metrics named in `shares` are 0/1
    values whose interval is Wilson's."""
    described = describe_all(list(metrics.values()))
    rows = [{"scenario": scenario, "metric": name,
             **(_with_wilson(d, v) if name in shares else d)}
            for (name, v), d in zip(metrics.items(), described)]
    table = pd.DataFrame(rows, columns=["scenario", "metric", *STAT_COLUMNS])
    return table.astype({"replications": "int64"})
