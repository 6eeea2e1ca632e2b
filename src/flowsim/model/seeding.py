"""Random streams keyed by what is drawn, not by when, and the "draws" interface that
stages are written against.

Every draw is a uniform keyed by (scenario seed, replication, stream, entity, quantity,
draw index), turned into a value by its distribution's quantile function. Entities and quantities are keyed by their names, so two scenarios
that share a request draw the same numbers for each of its quantities whatever else
differs: common random numbers.

A stage asks its draws for a value of a parameter, a portion of a block (a decision
about the whole block: all of it or none), a binomial split or a scaled count.
`Draws` answers with random numbers; `MeanDraws` with expectations (a duration at its
mean, a portion as the expected share, a split at n·p), which is how `explain` runs
the very same stages without chance.
"""

from __future__ import annotations

import hashlib
import math
import struct
from enum import IntEnum, unique
from functools import lru_cache

from ..scenario.distributions import Distribution, Fixed, Kind, draw


@unique
class Stream(IntEnum):
    """The random stream each stage draws from.

    Each code is part of every random key, so of every history: a new stream takes a new
    code, and no code is ever changed or reused (`tests/test_codes.py` holds them)."""

    RECORDS = 1
    REVIEW = 2
    MATCHING = 3
    APPROVAL = 4
    NOTICE = 5
    ARRIVALS = 6
    IMPACT = 7
    UNCERTAIN = 8
    USE_ORDERS = 9
    INJUNCTION = 10
    FILING = 11


@lru_cache(maxsize=4096)
def entity_key(name: str) -> int:
    """A stable 64-bit key for an entity name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


_KEY = struct.Struct("<6Q")
_SCALE = 2.0 ** -53


def uniform(seed: int, replication: int, stream: int, entity: int, quantity: int,
            index: int = 0) -> float:
    """The `index`-th uniform of a quantity's stream, strictly between 0 and 1.

    A keyed hash (BLAKE2b) of the stream's key and the draw's index: a counter-based
    generator, which costs a hash per draw instead of building a generator per stream.
    """
    digest = hashlib.blake2b(_KEY.pack(seed, replication, stream, entity, quantity, index),
                             digest_size=8).digest()
    return ((int.from_bytes(digest, "little") >> 11) + 0.5) * _SCALE


class Draws:
    """The random streams of one (stream, entity): one stream per quantity drawn, keyed
    by the quantity's name.

    A quantity's draws depend on nothing but its key: making another parameter random,
    or changing its value, leaves them as they were (common random numbers hold
    parameter by parameter). A value is its distribution's quantile at one uniform, a
    decision compares one uniform with its probability, and a binomial split is the
    quantile of one uniform, so a larger probability or rate never gives fewer records in
    the same replication.
    """

    __slots__ = ("_key", "_counts")

    def __init__(self, seed: int, replication: int, stream: Stream, entity: int) -> None:
        self._key = (seed, replication, int(stream), entity)
        self._counts: dict[str, int] = {}

    def uniform(self, quantity: str) -> float:
        """The quantity's next uniform (most quantities draw one)."""
        index = self._counts.get(quantity, 0)
        self._counts[quantity] = index + 1
        return uniform(*self._key, entity_key(quantity), index)

    def value(self, quantity: str, dist: "Distribution", kind: "Kind") -> float:
        if isinstance(dist, Fixed):
            return draw(dist, kind, 0.5)
        return draw(dist, kind, self.uniform(quantity))

    def portion(self, quantity: str, n: int, p: float) -> int:
        """All of a block with probability p, else none of it: one decision."""
        if p >= 1:
            return n
        return n if p > 0 and self.uniform(quantity) < p else 0

    def binomial(self, quantity: str, n: int, p: float) -> int:
        """Binomial(n, p) as the quantile of one uniform: monotone in p."""
        if n <= 0 or p <= 0:
            return 0
        if p >= 1:
            return n
        return binomial_quantile(self.uniform(quantity), n, p)

    def scaled(self, n: int, factor: float) -> int:
        """A count `factor` times `n`, to a whole number."""
        return round(n * factor)


@lru_cache(maxsize=1)
def _binomial_functions():
    """scipy.special's binomial distribution function and normal quantile, loaded on the
    first binomial draw: validate and explain never draw one."""
    from scipy.special import bdtr, ndtri

    return bdtr, ndtri


def binomial_quantile(u: float, n: int, p: float) -> int:
    """The smallest k with P(Binomial(n, p) <= k) >= u."""
    bdtr, ndtri = _binomial_functions()
    # A first guess from the normal approximation with continuity correction and its
    # skewness (Cornish-Fisher) term, most often the answer itself, then exact steps on
    # the distribution function: the answer is the same from any guess. The smallest k
    # with F(k) >= u is the first whole number at or above the approximate quantile, so
    # the guess rounds up; a correct guess costs two evaluations of F, one to each side.
    mean = n * p
    sd = math.sqrt(mean * (1 - p))
    z = ndtri(u)
    k = math.ceil(mean + sd * z + (1 - 2 * p) * (z * z - 1) / 6 - 0.5)
    k = min(max(k, 0), n)
    while k > 0 and bdtr(k - 1, n, p) >= u:
        k -= 1
    while k < n and bdtr(k, n, p) < u:
        k += 1
    return int(k)


class MeanDraws:
    """Expectations in place of draws: what the stages do "on average", without chance."""

    __slots__ = ()

    def __init__(self, *key: object) -> None:
        pass

    def value(self, quantity: str, dist: "Distribution", kind: "Kind") -> float:
        mean = dist.mean
        if kind == "count":
            return float(max(0, round(mean)))
        if kind in ("duration", "amount", "money"):
            return max(0.0, mean)
        return mean

    def portion(self, quantity: str, n: float, p: float) -> float:
        return n * min(max(p, 0.0), 1.0)

    def binomial(self, quantity: str, n: float, p: float) -> float:
        return n * min(max(p, 0.0), 1.0) if n > 0 else 0.0

    def scaled(self, n: float, factor: float) -> float:
        return n * factor
