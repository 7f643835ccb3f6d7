"""Bookmaker margins and implied probabilities, vectorised over rows of decimal odds.

Every function takes odds of shape ``(n, k)`` (one row per market, ``k = 2`` for over/under,
``k = 3`` for 1X2); a 1-D array is treated as a single row and answered with a 1-D result. A row
with a missing price (NaN), a non-finite price or a price ``<= 1`` is invalid and comes back as
NaN throughout. Root finding (power exponent, Shin's ``z``, the odds-ratio constant) runs over
all rows at once with a safeguarded Newton iteration; there is no Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["fair_odds", "implied_probabilities", "odds_ratio_constant", "overround", "shin_z"]

FloatArray = NDArray[np.float64]
Method = Literal["multiplicative", "additive", "power", "shin", "odds_ratio"]
METHODS: tuple[Method, ...] = ("multiplicative", "additive", "power", "shin", "odds_ratio")

_TOL = 1e-12
_MAX_ITER = 100


def _prepare(odds: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_], bool]:
    """Return (inverse odds, valid-row mask, input was 1-D)."""
    arr = np.asarray(odds, dtype=np.float64)
    one_dim = arr.ndim == 1
    arr = np.atleast_2d(arr)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"odds must have shape (n, k) with k >= 2, got {arr.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / arr
        # 0 < 1/o < 1 holds exactly for finite prices above 1; NaN compares False.
        valid = np.all((inverse > 0.0) & (inverse < 1.0), axis=1)
    return inverse, valid, one_dim


def _rows(values: FloatArray, valid: NDArray[np.bool_]) -> FloatArray:
    """The valid rows, without a copy in the common case where every row is valid."""
    return values if bool(valid.all()) else values[valid]


def _scatter(values: FloatArray, valid: NDArray[np.bool_]) -> FloatArray:
    """Inverse of :func:`_rows`: put results for valid rows back, NaN elsewhere."""
    if values.shape[0] == valid.shape[0]:
        return values
    out = np.full((valid.shape[0], *values.shape[1:]), np.nan)
    out[valid] = values
    return out


def _shape(result: FloatArray, one_dim: bool) -> FloatArray:
    return result[0] if one_dim else result


def overround(odds: ArrayLike) -> FloatArray:
    """Bookmaker margin per row: ``sum(1 / odds) - 1``.

    Parameters
    ----------
    odds : array_like, shape (n, k) or (k,)
        Decimal odds.

    Returns
    -------
    numpy.ndarray, shape (n,) (a scalar for 1-D input)
        The overround; NaN for rows with any missing or invalid (``<= 1``) price.
    """
    inverse, valid, one_dim = _prepare(odds)
    return _shape(np.where(valid, inverse.sum(axis=1) - 1.0, np.nan), one_dim)


def _solve_shin(inverse: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve for Shin's insider share ``z`` on every row; return ``(z, unnormalised p)``.

    With ``a_i = pi_i**2 / S`` and ``r_i(z) = sqrt(z**2 + 4 (1 - z) a_i)``, the rows sum to one
    exactly when ``h(z) = sum_i r_i(z) - (k - 2) z - 2 = 0``. ``h(0) = 2 (sqrt(S) - 1) > 0`` for a
    positive margin, ``h`` is decreasing at 0 and convex (``h'' = sum 4 a_i (1 - a_i) / r_i**3``),
    so Newton's method from ``z = 0`` climbs monotonically to the root without overshooting.
    Rows without a positive margin (``S <= 1``) are held at ``z = 0``.
    """
    k = inverse.shape[1]
    booksum = inverse.sum(axis=1)
    a = inverse**2 / booksum[:, None]
    two_a = 2.0 * a
    z = np.zeros(inverse.shape[0])
    frozen = booksum <= 1.0
    for _ in range(_MAX_ITER):
        zc = z[:, None]
        root = np.sqrt(zc * zc + (4.0 - 4.0 * zc) * a)
        h = root.sum(axis=1) - (k - 2) * z - 2.0
        if np.all((h < _TOL) | frozen):
            break
        slope = ((zc - two_a) / root).sum(axis=1) - (k - 2)
        z = np.where(frozen, z, z - h / slope)
    zc = z[:, None]
    root = np.sqrt(zc * zc + (4.0 - 4.0 * zc) * a)
    return z, (root - zc) / (2.0 - 2.0 * zc)


def _solve_power(inverse: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve ``sum_i pi_i ** k = 1`` for the exponent ``k`` on every row; return ``(k, pi ** k)``.

    ``g(k) = sum pi_i ** k - 1`` is decreasing and convex in ``k`` for ``0 < pi_i < 1``, so Newton
    from ``k = 1`` converges monotonically (after at most one step for negative margins).
    """
    log_inverse = np.log(inverse)
    k = np.ones(inverse.shape[0])
    powered = inverse
    for _ in range(_MAX_ITER):
        g = powered.sum(axis=1) - 1.0
        if np.all(np.abs(g) < _TOL):
            break
        k = np.maximum(k - g / (powered * log_inverse).sum(axis=1), 1e-6)
        powered = np.exp(log_inverse * k[:, None])
    return k, powered


def _solve_odds_ratio(inverse: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve Cheung's (2015) odds-ratio constant ``c`` on every row; return ``(c, p)``.

    ``p_i = pi_i / (c + pi_i - c pi_i)``, so that ``(pi_i / (1 - pi_i)) / (p_i / (1 - p_i)) = c``
    for every outcome, with ``c`` such that the row sums to 1. ``f(c) = sum p_i(c) - 1`` is
    decreasing and convex for ``c > 0`` (``f' = -sum pi_i (1 - pi_i) / d_i**2``, ``f'' = 2 sum
    pi_i (1 - pi_i)**2 / d_i**3`` with ``d_i = c + pi_i (1 - c) > 0``), and ``f(1) = S - 1``, so
    Newton from ``c = 1`` climbs monotonically to the root for a positive margin; for a negative
    margin its first step lands left of the root (kept above 0) and it climbs from there.
    """
    c = np.ones(inverse.shape[0])
    complement = 1.0 - inverse
    for _ in range(_MAX_ITER):
        denominator = c[:, None] * complement + inverse
        probs = inverse / denominator
        f = probs.sum(axis=1) - 1.0
        if np.all(np.abs(f) < _TOL):
            break
        slope = -(inverse * complement / denominator**2).sum(axis=1)
        c = np.maximum(c - f / slope, 1e-3 * c)
    denominator = c[:, None] * complement + inverse
    return c, inverse / denominator


def _row_constant(
    odds: ArrayLike, solve: Callable[[FloatArray], tuple[FloatArray, FloatArray]]
) -> FloatArray:
    """The per-row constant a solver finds (Shin's ``z``, the odds ratio ``c``), NaN on invalid
    rows."""
    inverse, valid, one_dim = _prepare(odds)
    constant, _ = solve(_rows(inverse, valid))
    return _shape(_scatter(constant, valid), one_dim)


def odds_ratio_constant(odds: ArrayLike) -> FloatArray:
    """Cheung's odds-ratio constant ``c`` per row (the ratio of the bookmaker's odds to the fair
    odds, in the odds-against sense, shared by every outcome of the row).

    Parameters
    ----------
    odds : array_like, shape (n, k) or (k,)
        Decimal odds.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``c > 1`` for a positive margin, 1 at a zero margin, below 1 for a negative margin; NaN
        for invalid rows.
    """
    return _row_constant(odds, _solve_odds_ratio)


def shin_z(odds: ArrayLike) -> FloatArray:
    """Shin's estimated share of insider trading ``z`` per row.

    Parameters
    ----------
    odds : array_like, shape (n, k) or (k,)
        Decimal odds.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``z`` in ``[0, 1)``; 0 for rows without a positive margin, NaN for invalid rows.
    """
    return _row_constant(odds, _solve_shin)


def implied_probabilities(odds: ArrayLike, method: Method = "shin") -> FloatArray:
    """Probabilities implied by decimal odds with the bookmaker's margin removed.

    Parameters
    ----------
    odds : array_like, shape (n, k) or (k,)
        Decimal odds, one row per market (``k = 3`` for 1X2, ``k = 2`` for over/under).
    method : {"multiplicative", "additive", "power", "shin", "odds_ratio"}, default "shin"
        ``multiplicative`` normalises ``1 / odds``. ``additive`` takes the same share of the
        margin off every outcome: ``p_i = pi_i - (S - 1) / k`` with ``pi_i = 1 / o_i`` and
        ``S = sum(pi_i)``; a row where that leaves an outcome at or below 0 (a long shot in a
        market with a large margin) cannot be priced so and comes back NaN. ``odds_ratio``
        follows Cheung (2015): ``p_i = pi_i / (c + pi_i - c pi_i)`` with the constant ``c``
        (:func:`odds_ratio_constant`) found by root finding so that the row sums to 1. ``power``
        raises ``1 / odds`` to the row's
        exponent ``k`` with ``sum((1 / odds) ** k) = 1``. ``shin`` follows Shin (1993) as
        solved by Štrumbelj (2014): ``p_i = (sqrt(z**2 + 4 (1 - z) pi_i**2 / S) - z) /
        (2 (1 - z))`` with ``pi_i = 1 / o_i``, ``S = sum(pi_i)`` and ``z`` chosen so that the
        row sums to 1. Rows without a positive margin (``S <= 1``, e.g. best prices across
        bookmakers) are normalised, since Shin's model needs ``z >= 0``.

    Returns
    -------
    numpy.ndarray, same shape as ``odds``
        Rows sum to 1; NaN rows where the input row is invalid (and, for ``additive``, where
        the margin's share would leave an outcome without probability).

    Raises
    ------
    ValueError
        If ``method`` is unknown or ``odds`` is not of shape (n, k) with k >= 2.
    """
    inverse, valid, one_dim = _prepare(odds)
    rows = _rows(inverse, valid)
    probs: FloatArray
    if method == "multiplicative":
        probs = rows.copy()
    elif method == "additive":
        probs = rows - (rows.sum(axis=1, keepdims=True) - 1.0) / rows.shape[1]
        # An outcome the margin's share would push to or below 0 cannot be priced additively.
        probs[~np.all(probs > 0.0, axis=1)] = np.nan
    elif method == "odds_ratio":
        _, probs = _solve_odds_ratio(rows)
    elif method == "power":
        _, powered = _solve_power(rows)
        probs = powered.copy()  # at a zero margin the solver hands back ``rows`` itself
    elif method == "shin":
        # A row held at z = 0 gives p_i = pi_i / sqrt(S), which the final step normalises.
        _, probs = _solve_shin(rows)
    else:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    # Normalises (multiplicative) or removes the solvers' last rounding error (< 1e-12).
    probs /= probs.sum(axis=1, keepdims=True)
    return _shape(_scatter(probs, valid), one_dim)


def fair_odds(probabilities: ArrayLike) -> FloatArray:
    """Decimal odds without margin: ``1 / p``.

    Parameters
    ----------
    probabilities : array_like
        Probabilities of any shape.

    Returns
    -------
    numpy.ndarray
        ``1 / p`` element-wise; NaN where ``p`` is missing, ``<= 0`` or ``> 1``.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: FloatArray = np.where((p > 0.0) & (p <= 1.0), 1.0 / p, np.nan)
    return result
