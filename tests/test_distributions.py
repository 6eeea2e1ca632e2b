"""Number-or-distribution parameters: parsing, checking by kind, sampling."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim.scenario import distributions as D


@pytest.mark.parametrize("table, mean", [
    ({"dist": "triangular", "low": 1, "mode": 2, "high": 6}, 3.0),
    ({"dist": "uniform", "low": 2, "high": 4}, 3.0),
    ({"dist": "normal", "mean": 5, "sd": 1}, 5.0),
    ({"dist": "exponential", "mean": 2}, 2.0),
    ({"dist": "beta", "alpha": 1, "beta": 3}, 0.25),
    ({"dist": "lognormal", "mu": 0, "sigma": 0.5}, float(np.exp(0.125))),
])
def test_quantiles_of_uniforms_have_the_stated_mean(table, mean):
    dist = D.parse(table)
    grid = (np.arange(20_000) + 0.5) / 20_000  # evenly spaced uniforms
    draws = np.array([dist.quantile(u) for u in grid])
    assert dist.mean == pytest.approx(mean)
    assert draws.mean() == pytest.approx(mean, rel=0.01)
    assert (np.diff(draws) >= 0).all()  # a quantile function never decreases


def test_number_is_a_fixed_value_whatever_the_uniform():
    assert D.parse(3).quantile(0.01) == D.parse(3).quantile(0.99) == 3


def test_repr_is_readable():
    assert repr(D.parse({"dist": "triangular", "low": 1, "mode": 2, "high": 5})) == \
        "Triangular(low=1, mode=2, high=5)"
    assert repr(D.parse(0.5)) == "Fixed(0.5)"


@pytest.mark.parametrize("table, subkey, fragment", [
    ({"low": 1}, "", "needs a 'dist' key"),
    ({"dist": "gaussian", "mean": 1, "sd": 1}, "dist", "unknown distribution"),
    ({"dist": "uniform", "low": 1}, "high", "needs high"),
    ({"dist": "uniform", "low": 1, "high": 2, "mode": 1}, "mode", "unknown parameter"),
    ({"dist": "uniform", "low": 3, "high": 2}, "", "low < high"),
    ({"dist": "normal", "mean": 1, "sd": 0}, "sd", "sd > 0"),
    ({"dist": "beta", "alpha": -1, "beta": 1}, "alpha", "alpha > 0"),
    ({"dist": "uniform", "low": "a", "high": 2}, "low", "must be a number"),
])
def test_bad_tables_name_the_part_at_fault(table, subkey, fragment):
    with pytest.raises(D.ParamError, match=fragment) as err:
        D.parse(table)
    assert err.value.subkey == subkey


def test_unknown_distribution_suggests_the_close_one():
    with pytest.raises(D.ParamError, match="did you mean 'lognormal'"):
        D.parse({"dist": "lognorm", "mu": 0, "sigma": 1})


@pytest.mark.parametrize("value, kind", [
    (1.5, "rate"), (-0.1, "rate"), ({"dist": "normal", "mean": 0.5, "sd": 0.1}, "rate"),
    ({"dist": "uniform", "low": 0.5, "high": 1.5}, "rate"),
    (0, "positive"), ({"dist": "normal", "mean": 10, "sd": 1}, "positive"),
    ({"dist": "uniform", "low": 0, "high": 5}, "positive"),
    (-1, "duration"), ({"dist": "uniform", "low": -1, "high": 5}, "duration"),
    (2.5, "count"), (-3, "count"), (True, "duration"),
])
def test_values_outside_their_kind_are_refused(value, kind):
    with pytest.raises(D.ParamError):
        D.check_kind(D.parse(value), kind)


@pytest.mark.parametrize("value, kind", [
    (0, "rate"), (1, "rate"), ({"dist": "beta", "alpha": 2, "beta": 5}, "rate"),
    (1, "positive"), ({"dist": "lognormal", "mu": 10, "sigma": 1}, "positive"),
    (0, "duration"), ({"dist": "normal", "mean": 3, "sd": 2}, "duration"),
    (1_280_000, "count"), (1.28e6, "count"),
])
def test_values_inside_their_kind_are_accepted(value, kind):
    D.check_kind(D.parse(value), kind)


def test_durations_never_draw_below_zero_and_counts_are_whole():
    uniforms = (np.arange(500) + 0.5) / 500
    normal = D.parse({"dist": "normal", "mean": 0, "sd": 5})
    assert min(D.draw(normal, "duration", u) for u in uniforms) == 0.0
    counts = [D.draw(D.parse({"dist": "normal", "mean": 10, "sd": 3}), "count", u)
              for u in uniforms]
    assert all(c == int(c) and c >= 0 for c in counts)
