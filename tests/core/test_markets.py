"""Margin removal: invariants, a published Shin example and a slow scalar reference."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pytest

from formline.core.markets import fair_odds, implied_probabilities, overround, shin_z

METHODS = ("multiplicative", "power", "shin")


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


@pytest.mark.parametrize("k", [2, 3])
def test_shin_and_power_match_slow_scalar_reference(k: int) -> None:
    odds = _random_odds(np.random.default_rng(7), 50, k)
    shin = implied_probabilities(odds, "shin")
    power = implied_probabilities(odds, "power")
    z = shin_z(odds)
    for row in range(len(odds)):
        ref_probs, ref_z = _shin_scalar(list(odds[row]))
        assert np.allclose(shin[row], ref_probs, atol=1e-10)
        assert z[row] == pytest.approx(ref_z, abs=1e-10)
        assert np.allclose(power[row], _power_scalar(list(odds[row])), atol=1e-10)


@pytest.mark.parametrize("method", ["power", "shin"])
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
    if method != "power":
        assert np.allclose(probs, implied_probabilities(generous, "multiplicative"))


def test_fair_odds() -> None:
    assert np.allclose(fair_odds([0.5, 0.25, 0.25]), [2.0, 4.0, 4.0])
    assert np.isnan(fair_odds([0.0, -0.1, np.nan, 1.5])).all()
    odds = np.array([[2.0, 4.0, 4.0]])
    assert np.allclose(fair_odds(implied_probabilities(odds, "shin")), odds)


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        implied_probabilities([2.0, 2.0], "additive")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        implied_probabilities([[[2.0, 2.0]]])
    with pytest.raises(ValueError, match="shape"):
        overround([[2.0]])


def test_million_rows_vectorised() -> None:
    odds = _random_odds(np.random.default_rng(3), 1_000_000, 3)
    for method in METHODS:
        start = time.perf_counter()
        probs = implied_probabilities(odds, method)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        print(f"implied_probabilities({method!r}) on 1e6 x 3: {elapsed:.3f} s")
        assert np.allclose(probs.sum(axis=1), 1.0)
