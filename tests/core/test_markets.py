"""Margin removal: invariants, a published Shin example and a slow scalar reference."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy.optimize import brentq  # type: ignore[import-untyped, unused-ignore]

from formline.core.markets import (
    METHODS,
    fair_odds,
    implied_probabilities,
    odds_ratio_constant,
    overround,
    shin_z,
)


def _bisect(func: Callable[[float], float], lo: float, hi: float) -> float:
    """Root of a function that changes sign on [lo, hi], by plain bisection."""
    f_lo = func(lo)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        f_mid = func(mid)
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _shin_scalar(odds: list[float]) -> tuple[list[float], float]:
    """Shin's probabilities for one market, written independently of the module."""
    pis = [1.0 / o for o in odds]
    booksum = sum(pis)

    def probs(z: float) -> list[float]:
        return [
            (math.sqrt(z * z + 4 * (1 - z) * pi * pi / booksum) - z) / (2 * (1 - z)) for pi in pis
        ]

    z = _bisect(lambda z: sum(probs(z)) - 1.0, 0.0, 0.999)
    return probs(z), z


def _power_scalar(odds: list[float]) -> list[float]:
    pis = [1.0 / o for o in odds]
    k = _bisect(lambda k: sum(pi**k for pi in pis) - 1.0, 0.01, 10.0)
    return [pi**k for pi in pis]


def _random_odds(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    probs = rng.dirichlet(np.full(k, 2.0), size=n)
    margin = rng.uniform(0.0, 0.10, size=(n, 1))
    return np.maximum(1.0 / (probs * (1.0 + margin)), 1.01)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [2, 3])
def test_rows_sum_to_one(method: str, k: int) -> None:
    odds = _random_odds(np.random.default_rng(1), 1_000, k)
    probs = implied_probabilities(odds, method)  # type: ignore[arg-type]
    assert probs.shape == odds.shape
    if method == "additive":  # long shots under a big margin cannot be priced additively
        inverse = 1 / odds
        unpriceable = np.any(inverse - (inverse.sum(axis=1, keepdims=True) - 1) / k <= 0, axis=1)
        assert np.isnan(probs[unpriceable]).all() and unpriceable.mean() < 0.05
        probs = probs[~unpriceable]
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert np.all((probs > 0) & (probs < 1))


def test_multiplicative_known_example() -> None:
    odds = [2.5, 3.2, 3.0]
    inverse = np.array([0.4, 0.3125, 1 / 3])
    assert np.allclose(implied_probabilities(odds, "multiplicative"), inverse / inverse.sum())
    assert overround(odds) == pytest.approx(inverse.sum() - 1)
    assert overround([[1.9, 1.9]])[0] == pytest.approx(2 / 1.9 - 1)


def test_shin_published_example() -> None:
    # The example in the README of the `shin` package on PyPI (Jullien-Salanié iteration).
    odds = [2.6, 2.4, 4.3]
    expected = [0.37299406033208965, 0.4047794109200184, 0.2222265287474275]
    assert np.allclose(implied_probabilities(odds, "shin"), expected, atol=1e-9)
    assert shin_z(odds) == pytest.approx(0.01694251276407055, abs=1e-9)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_solvers_match_slow_scalar_references(k: int) -> None:
    odds = _random_odds(np.random.default_rng(7), 50, k)
    shin = implied_probabilities(odds, "shin")
    power = implied_probabilities(odds, "power")
    odds_ratio = implied_probabilities(odds, "odds_ratio")
    z, c = shin_z(odds), odds_ratio_constant(odds)
    for row in range(len(odds)):
        ref_probs, ref_z = _shin_scalar(list(odds[row]))
        assert np.allclose(shin[row], ref_probs, atol=1e-10)
        assert z[row] == pytest.approx(ref_z, abs=1e-10)
        assert np.allclose(power[row], _power_scalar(list(odds[row])), atol=1e-10)
        ref_probs, ref_c = _odds_ratio_scalar(list(odds[row]))  # Brent's method, penaltyblog's
        assert np.allclose(odds_ratio[row], ref_probs, atol=1e-12)
        assert c[row] == pytest.approx(ref_c, rel=1e-10)


@pytest.mark.parametrize("method", ["power", "shin", "odds_ratio"])
@pytest.mark.parametrize("odds", [[1.45, 4.5, 8.0], [1.25, 4.0]])
def test_favourite_longshot_correction(method: str, odds: list[float]) -> None:
    base = implied_probabilities(odds, "multiplicative")
    corrected = implied_probabilities(odds, method)  # type: ignore[arg-type]
    assert corrected[-1] < base[-1]  # the longshot loses probability
    assert corrected[0] > base[0]  # the favourite gains it


def test_invalid_rows_are_nan_and_others_untouched() -> None:
    good = [2.6, 2.4, 4.3]
    odds = np.array([good, [np.nan, 2.0, 3.0], [1.0, 3.0, 3.0], [0.5, 3, 3], [np.inf, 2, 2], good])
    for method in METHODS:
        probs = implied_probabilities(odds, method)  # type: ignore[arg-type]
        assert np.isnan(probs[1:5]).all()
        assert np.allclose(probs[0], probs[5])
        assert np.allclose(probs[0], implied_probabilities(good, method))  # type: ignore[arg-type]
    assert np.isnan(overround(odds)[1:5]).all()
    assert np.isnan(shin_z(odds)[1:5]).all()
    assert np.isfinite(shin_z(odds)[[0, 5]]).all()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("fair", "generous"),
    [([2.0, 2.0], [2.1, 2.1]), ([2.0, 4.0, 4.0], [2.2, 3.6, 4.5])],
)
def test_zero_and_negative_margin(method: str, fair: list[float], generous: list[float]) -> None:
    assert np.allclose(implied_probabilities(fair, method), 1 / np.array(fair))  # type: ignore[arg-type]
    assert shin_z(fair) == 0.0
    # A booksum below 1 (best prices across books): still a distribution; Shin normalises.
    assert overround(generous) < 0
    probs = implied_probabilities(generous, method)  # type: ignore[arg-type]
    assert probs.sum() == pytest.approx(1.0)
    if method in ("multiplicative", "shin"):
        assert np.allclose(probs, implied_probabilities(generous, "multiplicative"))


def test_fair_odds() -> None:
    assert np.allclose(fair_odds([0.5, 0.25, 0.25]), [2.0, 4.0, 4.0])
    assert np.isnan(fair_odds([0.0, -0.1, np.nan, 1.5])).all()
    odds = np.array([[2.0, 4.0, 4.0]])
    assert np.allclose(fair_odds(implied_probabilities(odds, "shin")), odds)


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        implied_probabilities([2.0, 2.0], "balanced")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        implied_probabilities([[[2.0, 2.0]]])
    with pytest.raises(ValueError, match="shape"):
        overround([[2.0]])


def test_many_rows_vectorised() -> None:
    """Timing at a million rows is benchmarks/core_speed.py's; here, many rows at once."""
    odds = _random_odds(np.random.default_rng(3), 100_000, 3)
    for method in METHODS:
        probs = implied_probabilities(odds, method)
        sums = probs.sum(axis=1)
        assert np.allclose(sums[np.isfinite(sums)], 1.0)
        assert np.isfinite(sums).mean() > (0.95 if method == "additive" else 1.0 - 1e-12)


def _odds_ratio_scalar(odds: list[float]) -> tuple[list[float], float]:
    """Cheung's odds-ratio method for one market, as penaltyblog writes it, by Brent's method."""
    pis = [1.0 / o for o in odds]

    def probs(c: float) -> list[float]:
        return [pi / (c + pi - c * pi) for pi in pis]

    c = brentq(lambda c: 1.0 - sum(probs(c)), 1e-6, 100.0, xtol=1e-15, rtol=1e-15)
    return probs(c), c


def test_additive_known_example() -> None:
    # penaltyblog's formula: 1 / odds + (1 - sum(1 / odds)) / k, the same share off each outcome.
    odds = [2.7, 2.3, 4.4]
    inverse = 1 / np.array(odds)
    expected = inverse + (1 - inverse.sum()) / 3
    probs = implied_probabilities(odds, "additive")
    assert np.allclose(probs, expected, atol=1e-15)
    assert np.allclose(inverse - probs, (inverse.sum() - 1) / 3)  # equal absolute cut
    assert probs.sum() == pytest.approx(1.0, abs=1e-15)


def test_additive_cannot_price_a_long_shot_under_a_big_margin() -> None:
    # 1/1.05 + 1/10 + 1/50 = 1.0724: a third of the margin (0.024) exceeds 1/50 = 0.02.
    odds = np.array([[1.05, 10.0, 50.0], [2.7, 2.3, 4.4]])
    probs = implied_probabilities(odds, "additive")
    assert np.isnan(probs[0]).all()
    assert np.isfinite(probs[1]).all()
    assert np.isfinite(implied_probabilities(odds[0], "odds_ratio")).all()


def test_odds_ratio_is_the_same_for_every_outcome() -> None:
    odds = np.array([[2.7, 2.3, 4.4], [1.25, 6.0, 11.0], [1.9, 1.9, 50.0]])
    probs = implied_probabilities(odds, "odds_ratio")
    inverse = 1 / odds
    ratio = (inverse / (1 - inverse)) / (probs / (1 - probs))
    assert np.allclose(ratio, odds_ratio_constant(odds)[:, None], rtol=1e-10)
    assert np.all(odds_ratio_constant(odds) > 1.0)  # a positive margin
    assert odds_ratio_constant([2.0, 2.0]) == pytest.approx(1.0)
    assert odds_ratio_constant([2.2, 2.2]) < 1.0  # a negative margin
    assert np.isnan(odds_ratio_constant([[np.nan, 2.0]]))[0]
