"""Scenario discovery: the conditions under which an answer holds.

Given the sets explored (one value per assumption and unknown) and which of them give
the answer, `box` finds the box of at most two one-sided conditions ("grant above 0.4
and ruling time at most 2 days") that best separates them: among boxes that cover at
least `MIN_COVERAGE` of the sets where the answer holds, the one whose sets most often
give it (its density), the simpler box on a near tie.

This is PRIM's box reduced to what a room can read, searched exhaustively rather than
peeled: with a few assumptions and a few hundred sets every box of two conditions at the
deciles can be scored at once (two matrix products), so the answer is the best such box,
not a greedy path's, and no library is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_COVERAGE = 0.8
# Thresholds tried per variable: its deciles.
QUANTILES = np.linspace(0.1, 0.9, 9)
# A second condition must raise the density by at least this to be kept.
SIMPLER = 0.02


@dataclass(frozen=True)
class Box:
    conditions: tuple[tuple[str, bool, float], ...]  # (variable, above?, threshold)
    coverage: float  # of the sets where the answer holds, the share inside the box
    density: float   # of the sets inside the box, the share where it holds


def box(values: np.ndarray, names: list[str], holds: np.ndarray) -> Box | None:
    """The best box of at most two conditions, or None when no variable varies."""
    holds = np.asarray(holds, dtype=bool)
    conditions, masks = [], []
    for j, name in enumerate(names):
        column = values[:, j]
        for t in np.unique(np.quantile(column, QUANTILES)):
            for above in (True, False):
                mask = column > t if above else column <= t
                if 0 < mask.sum() < len(mask):
                    conditions.append((name, above, float(t)))
                    masks.append(mask)
    if not masks or not holds.any():
        return None
    m = np.array(masks, dtype=float)
    y = holds.astype(float)
    inside = m @ m.T                   # sets inside each pair of conditions
    hits = (m * y) @ m.T               # ... where the answer holds
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = hits / y.sum()
        density = np.where(inside > 0, hits / inside, 0.0)
    # The diagonal holds single conditions; a pair of one variable's two sides is empty
    # or a slab, both fine to score.
    ok = coverage >= MIN_COVERAGE
    if not ok.any():
        ok = coverage >= coverage.max()
    score = np.where(ok, density, -1.0)
    single = np.where(ok.diagonal(), score.diagonal(), -1.0)
    i = int(np.argmax(single))
    a, b = np.unravel_index(int(np.argmax(score)), score.shape)
    if single[i] >= 0 and single[i] + SIMPLER >= score[a, b]:
        return Box((conditions[i],), float(coverage[i, i]), float(density[i, i]))
    chosen = (conditions[a], conditions[b]) if a != b else (conditions[a],)
    return Box(chosen, float(coverage[a, b]), float(density[a, b]))
