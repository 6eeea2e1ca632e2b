"""Random streams keyed by what is drawn, not by when, and the "draws" interface that
stages are written against.

Every draw comes from a Generator seeded with (scenario seed, replication, stream,
entity). Entities are keyed by their names, so two scenarios that share a request
draw the same numbers for it whatever else differs: common random numbers.

A stage asks its draws for a value of a parameter, a portion of a block (a decision
about the whole block: all of it or none), a binomial split or a scaled count.
`Draws` answers with random numbers; `MeanDraws` with expectations (a duration at its
mean, a portion as the expected share, a split at n·p), which is how `explain` runs
the very same stages without chance.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from functools import lru_cache

import numpy as np

from ..scenario.distributions import Distribution, Fixed, Kind, draw


class Stream(IntEnum):
    """The random stream each stage draws from."""

    RECORDS = 1
    REVIEW = 2
    MATCHING = 3
    APPROVAL = 4
    NOTICE = 5
    ARRIVALS = 6
    IMPACT = 7
    UNCERTAIN = 8


@lru_cache(maxsize=4096)
def entity_key(name: str) -> int:
    """A stable 64-bit key for an entity name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def generator(seed: int, replication: int, stream: Stream, entity: int) -> np.random.Generator:
    return np.random.default_rng([seed, replication, int(stream), entity])


class Draws:
    """The random stream of one (stream, entity), created only if something is random.

    Creating a Generator costs more than the draws it makes here, and many stages draw
    nothing but fixed values; a stage's results do not depend on whether it was created.
    """

    __slots__ = ("_key", "_rng")

    def __init__(self, seed: int, replication: int, stream: Stream, entity: int) -> None:
        self._key = (seed, replication, stream, entity)
        self._rng: np.random.Generator | None = None

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = generator(*self._key)
        return self._rng

    def value(self, dist: "Distribution", kind: "Kind") -> float:
        return draw(dist, kind, None if isinstance(dist, Fixed) else self.rng)  # type: ignore[arg-type]

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return p >= 1 or (p > 0 and self.rng.random() < p)

    def portion(self, n: int, p: float) -> int:
        """All of a block with probability p, else none of it: one decision."""
        return n if self.chance(p) else 0

    def binomial(self, n: int, p: float) -> int:
        if n <= 0 or p <= 0:
            return 0
        return n if p >= 1 else int(self.rng.binomial(n, p))

    def scaled(self, n: int, factor: float) -> int:
        """A count `factor` times `n`, to a whole number."""
        return round(n * factor)


class MeanDraws:
    """Expectations in place of draws: what the stages do "on average", without chance."""

    __slots__ = ()

    def __init__(self, *key: object) -> None:
        pass

    def value(self, dist: "Distribution", kind: "Kind") -> float:
        mean = dist.mean
        if kind == "count":
            return float(max(0, round(mean)))
        if kind in ("duration", "amount"):
            return max(0.0, mean)
        return mean

    def portion(self, n: float, p: float) -> float:
        return n * min(max(p, 0.0), 1.0)

    def binomial(self, n: float, p: float) -> float:
        return n * min(max(p, 0.0), 1.0) if n > 0 else 0.0

    def scaled(self, n: float, factor: float) -> float:
        return n * factor
