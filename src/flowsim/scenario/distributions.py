"""Number-or-distribution parameters.

A scenario value such as `review.days` is either a plain number (fixed) or a table
`{ dist = "triangular", low = 1, mode = 2, high = 5 }`. Each is parsed into a small
frozen object with a readable repr, a mean and a `quantile(u)` (the inverse of its
distribution function: a draw is the quantile of one uniform); parsing checks the
parameters by name and never evaluates text.

What a value may be depends on its kind:

- `duration`: days or hours, a number >= 0; draws below zero count as zero.
- `amount`: any other quantity >= 0 (people per address); likewise floored at zero.
- `positive`: a throughput, a number > 0; distributions must stay above zero.
- `count`: records, a whole number >= 0; draws are rounded and floored at zero.
- `rate`: a probability or share, between 0 and 1; distributions must stay inside.

Counts and amounts have a ceiling (`KIND_MAX`): a fixed value or a distribution's mean
above it is refused, and a draw above it is held at it, so that the model's integer
counts cannot overflow.
"""

from __future__ import annotations

import difflib
import math
from statistics import NormalDist
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal


Kind = Literal["duration", "amount", "positive", "count", "rate", "money"]
_STANDARD_NORMAL = NormalDist()

# Records in one request: far above any population, far below what int64 sums overflow at
# (10^12 records x 10^5 requests x 10^6 replications stays under 2^63 when summed per run).
MAX_RECORDS = 10**12
# People at one address.
MAX_AMOUNT = 10**4
# Dollars a season: far above any government's revenue.
MAX_DOLLARS = 10**13
KIND_MAX: dict[str, float] = {"count": MAX_RECORDS, "amount": MAX_AMOUNT,
                              "money": MAX_DOLLARS}
KIND_UNIT = {"count": "records", "amount": "people", "money": "dollars"}


class ParamError(ValueError):
    """A bad parameter value; `subkey` names the offending part of a table."""

    def __init__(self, reason: str, subkey: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.subkey = subkey


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Distribution:
    name: ClassVar[str] = ""

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take."""
        raise NotImplementedError

    def quantile(self, u: float) -> float:
        """The value below which a share `u` of draws falls (0 < u < 1)."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise ParamError when the parameters do not describe a distribution."""

    def as_toml(self) -> float | dict[str, Any]:
        table: dict[str, Any] = {"dist": self.name}
        table.update({f.name: getattr(self, f.name) for f in fields(self)})
        return table

    def __repr__(self) -> str:
        args = ", ".join(f"{f.name}={_fmt(getattr(self, f.name))}" for f in fields(self))
        return f"{type(self).__name__}({args})"


@dataclass(frozen=True, repr=False)
class Fixed(Distribution):
    value: float
    name: ClassVar[str] = "fixed"

    @property
    def mean(self) -> float:
        return self.value

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def quantile(self, u: float) -> float:
        return self.value

    def as_toml(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Fixed({_fmt(self.value)})"


@dataclass(frozen=True, repr=False)
class Triangular(Distribution):
    low: float
    mode: float
    high: float
    name: ClassVar[str] = "triangular"

    def check(self) -> None:
        if not self.low <= self.mode <= self.high:
            raise ParamError(f"needs low <= mode <= high (got {self.low}, {self.mode}, {self.high})")
        if self.low == self.high:
            raise ParamError("needs low < high; for a fixed value write the number itself")

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def quantile(self, u: float) -> float:
        low, mode, high = self.low, self.mode, self.high
        cut = (mode - low) / (high - low)
        if u < cut:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1 - u) * (high - low) * (high - mode))


@dataclass(frozen=True, repr=False)
class Uniform(Distribution):
    low: float
    high: float
    name: ClassVar[str] = "uniform"

    def check(self) -> None:
        if not self.low < self.high:
            raise ParamError(f"needs low < high (got {self.low}, {self.high})")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def quantile(self, u: float) -> float:
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True, repr=False)
class Normal(Distribution):
    mean_value: float
    sd: float
    name: ClassVar[str] = "normal"

    def check(self) -> None:
        if not self.sd > 0:
            raise ParamError(f"needs sd > 0 (got {self.sd})", "sd")

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def quantile(self, u: float) -> float:
        return self.mean_value + self.sd * _STANDARD_NORMAL.inv_cdf(u)

    def as_toml(self) -> dict[str, Any]:
        return {"dist": self.name, "mean": self.mean_value, "sd": self.sd}

    def __repr__(self) -> str:
        return f"Normal(mean={_fmt(self.mean_value)}, sd={_fmt(self.sd)})"


@dataclass(frozen=True, repr=False)
class Lognormal(Distribution):
    """`mu` and `sigma` are the mean and standard deviation of the logarithm."""

    mu: float
    sigma: float
    name: ClassVar[str] = "lognormal"

    def check(self) -> None:
        if not self.sigma > 0:
            raise ParamError(f"needs sigma > 0 (got {self.sigma})", "sigma")

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def quantile(self, u: float) -> float:
        return math.exp(self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(u))


@dataclass(frozen=True, repr=False)
class Exponential(Distribution):
    mean_value: float
    name: ClassVar[str] = "exponential"

    def check(self) -> None:
        if not self.mean_value > 0:
            raise ParamError(f"needs mean > 0 (got {self.mean_value})", "mean")

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def quantile(self, u: float) -> float:
        return -self.mean_value * math.log1p(-u)

    def as_toml(self) -> dict[str, Any]:
        return {"dist": self.name, "mean": self.mean_value}

    def __repr__(self) -> str:
        return f"Exponential(mean={_fmt(self.mean_value)})"


@dataclass(frozen=True, repr=False)
class Beta(Distribution):
    alpha: float
    beta: float
    name: ClassVar[str] = "beta"

    def check(self) -> None:
        for key in ("alpha", "beta"):
            if not getattr(self, key) > 0:
                raise ParamError(f"needs {key} > 0 (got {getattr(self, key)})", key)

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def quantile(self, u: float) -> float:
        from scipy.special import betaincinv  # loaded on a first beta draw only

        return float(betaincinv(self.alpha, self.beta, u))


@dataclass(frozen=True, repr=False)
class PerReplication(Distribution):
    """An uncertain input: one draw per replication, shared by every request and file.

    Written `{ dist = ..., per = "replication" }`. Without `per`, a distribution is drawn
    afresh for each request or file (chance); with it, the value is what we do not know,
    and the spread across replications includes that uncertainty.
    """

    inner: Distribution
    # The named input of `[inputs]` it refers to ("" for one written in place): every key
    # that refers to the same input gets the same draw.
    input: str = ""
    name: ClassVar[str] = "per_replication"

    @property
    def mean(self) -> float:
        return self.inner.mean

    @property
    def support(self) -> tuple[float, float]:
        return self.inner.support

    def quantile(self, u: float) -> float:
        return self.inner.quantile(u)

    def as_toml(self) -> dict[str, Any]:
        if self.input:
            return {"input": self.input}
        return {**self.inner.as_toml(), "per": "replication"}  # type: ignore[dict-item]

    def __repr__(self) -> str:
        if self.input:
            return f"{self.inner!r} per replication (input {self.input})"
        return f"{self.inner!r} per replication"


PER_CHOICES = ("entity", "replication")

# The table keys of each distribution, mapped to the dataclass fields they fill.
_TABLES: dict[str, tuple[type[Distribution], dict[str, str]]] = {
    "triangular": (Triangular, {"low": "low", "mode": "mode", "high": "high"}),
    "uniform": (Uniform, {"low": "low", "high": "high"}),
    "normal": (Normal, {"mean": "mean_value", "sd": "sd"}),
    "lognormal": (Lognormal, {"mu": "mu", "sigma": "sigma"}),
    "exponential": (Exponential, {"mean": "mean_value"}),
    "beta": (Beta, {"alpha": "alpha", "beta": "beta"}),
}

DISTRIBUTION_NAMES = tuple(_TABLES)


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _number(value: Any, key: str = "") -> float:
    # bool is an int in Python, and `true` is never a sensible duration or rate.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"must be a number, not {type(value).__name__} {value!r}", key)
    if not math.isfinite(value):
        raise ParamError(f"must be a finite number (got {value})", key)
    return value


def parse(value: Any, inputs: dict[str, Distribution] | None = None) -> Distribution:
    """A number, a `{ dist = ... }` table or a reference `{ input = "name" }` to one of
    `inputs` (the scenario's named inputs), as a Distribution (kind not yet checked)."""
    if isinstance(value, Distribution):
        return value
    if not isinstance(value, dict):
        return Fixed(_number(value))
    if "input" in value:
        return _reference(value, inputs or {})
    if "dist" not in value:
        raise ParamError(
            "a distribution table needs a 'dist' key, one of: " + ", ".join(DISTRIBUTION_NAMES)
        )
    name = value["dist"]
    if not isinstance(name, str):
        raise ParamError("dist must be a name in quotes, one of: " + ", ".join(DISTRIBUTION_NAMES),
                         "dist")
    if name not in _TABLES:
        raise ParamError(
            f"unknown distribution {name!r}{did_you_mean(str(name), DISTRIBUTION_NAMES)}; "
            "one of: " + ", ".join(DISTRIBUTION_NAMES),
            "dist",
        )
    cls, keys = _TABLES[name]
    per = value.get("per", "entity")
    if per not in PER_CHOICES:
        raise ParamError(f"per must be \"entity\" (a draw for each request or file) or "
                         f"\"replication\" (one draw per replication), not {per!r}", "per")
    given = {k: v for k, v in value.items() if k not in ("dist", "per")}
    for key in given:
        if key not in keys:
            raise ParamError(
                f"unknown parameter for {name}{did_you_mean(key, tuple(keys))}; "
                f"{name} takes: " + ", ".join(keys) + " (and per)",
                key,
            )
    missing = [k for k in keys if k not in given]
    if missing:
        raise ParamError(f"{name} needs " + ", ".join(missing), missing[0])
    dist = cls(**{keys[k]: _number(v, k) for k, v in given.items()})
    dist.check()
    try:
        mean = dist.mean
    except OverflowError:
        mean = math.inf
    if not math.isfinite(mean):
        raise ParamError(f"its mean is too large to compute ({dist!r}); use smaller parameters")
    return PerReplication(dist) if per == "replication" else dist


def _reference(value: dict[str, Any], inputs: dict[str, Distribution]) -> Distribution:
    name = value["input"]
    if len(value) > 1:
        extra = next(k for k in value if k != "input")
        raise ParamError("a reference to a named input takes only input = \"name\" (its "
                         "distribution is declared once, in [inputs])", extra)
    if not isinstance(name, str) or name not in inputs:
        known = ", ".join(inputs) if inputs else "none: declare it in [inputs]"
        hint = did_you_mean(name, tuple(inputs)) if isinstance(name, str) else ""
        raise ParamError(f"names no input ({name!r}){hint}; the scenario's inputs: {known}",
                         "input")
    inner = inputs[name]
    return PerReplication(inner.inner if isinstance(inner, PerReplication) else inner, name)


def check_kind(dist: Distribution, kind: Kind) -> Distribution:
    """Raise ParamError when `dist` cannot serve as a value of `kind`."""
    checked = dist
    if isinstance(dist, PerReplication):
        dist = dist.inner
    low, high = dist.support
    fixed = isinstance(dist, Fixed)
    if kind == "rate":
        if fixed and not 0 <= low <= 1:
            raise ParamError(f"must be between 0 and 1 (got {low:g})")
        if not fixed and not (0 <= low and high <= 1):
            raise ParamError(
                f"a rate must stay between 0 and 1, and {dist.name} can reach "
                f"{low if low < 0 else high:g}; use beta, or uniform/triangular within [0, 1]"
            )
    elif kind == "positive":
        if fixed and not low > 0:
            raise ParamError(f"must be greater than 0 (got {low:g})")
        if not fixed and not low > 0 and not isinstance(dist, (Lognormal, Exponential, Beta)):
            raise ParamError(
                f"must stay above 0, and {dist.name} can reach {low:g}; "
                "use lognormal, or uniform/triangular with low > 0"
            )
    elif kind in ("duration", "amount", "count", "money"):
        if fixed and low < 0:
            raise ParamError(f"must not be negative (got {low:g})")
        if isinstance(dist, (Uniform, Triangular)) and low < 0:
            raise ParamError(f"must not be negative, and low is {low:g}", "low")
        if kind == "count" and fixed and low != int(low):
            raise ParamError(f"must be a whole number (got {low:g})")
        ceiling = KIND_MAX.get(kind)
        if ceiling is not None and (high if fixed else dist.mean) > ceiling:
            raise ParamError(f"must be at most {ceiling:,.0f} {KIND_UNIT[kind]} "
                             f"(got {'' if fixed else 'a mean of '}{(high if fixed else dist.mean):g})")
    return checked


def check_reciprocal(dist: Distribution) -> Distribution:
    """Raise ParamError when 1/X has no finite mean: a run time of records / throughput
    would then have none either, and averages of it would never settle."""
    inner = dist.inner if isinstance(dist, PerReplication) else dist
    if isinstance(inner, Exponential) or (isinstance(inner, Beta) and inner.alpha <= 1):
        raise ParamError(f"{inner.name} can come so close to 0 that records / throughput has no "
                         "finite mean (the run time would average to infinity); use lognormal, "
                         "or uniform/triangular with low > 0"
                         + (", or beta with alpha > 1" if isinstance(inner, Beta) else ""))
    return dist


def draw(dist: Distribution, kind: Kind, u: float) -> float:
    """One value of `kind` from `dist`: its quantile at the uniform `u`."""
    value = dist.quantile(u)
    if kind == "count":
        return float(max(0, round(min(value, MAX_RECORDS))))
    if kind in ("amount", "money"):
        return min(max(0.0, value), KIND_MAX[kind])
    if kind == "duration":
        return max(0.0, value)
    return value


def about(d: Distribution) -> str:
    """A count as a reader is told it: the number, or "about" its mean when it varies."""
    return f"{d.mean:,.0f}" if isinstance(d, Fixed) else f"about {d.mean:,.0f}"
