"""Place probabilities from win probabilities: Harville's model and Benter's discounted one.

Harville (1973): runners finish in the order of successive draws without replacement, each with
probability proportional to its win probability, so ``P(i 1st, j 2nd) = p_i p_j / (1 - p_i)``.
It overstates favourites for the minor places; Benter (1994) draws 2nd with ``p ** gamma`` and
3rd with ``p ** delta`` (each renormalised over the race; gamma about 0.81, delta about 0.65),
exponents fitted by maximum likelihood of the observed first three (:func:`fit_discount_exponents`).

Probabilities come from exact enumeration of the ordered top finishers of each race (2,184
orders of three in a 14-runner field), the races of one field size at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize_scalar

from formline.errors import DataError, InvalidParameterError
from formline.races.models._inputs import FloatArray, IntArray, race_codes, race_sum

#: Benter's (1994) exponents for the 2nd and 3rd places.
BENTER_GAMMA = 0.81
BENTER_DELTA = 0.65
#: Rows of the (races x orders) block computed at once (memory, not results).
_BLOCK = 1_000_000


def _win_probabilities(p: ArrayLike, groups: ArrayLike) -> tuple[FloatArray, IntArray, int]:
    probs = np.asarray(p, dtype=np.float64)
    if probs.ndim != 1:
        raise InvalidParameterError(f"p must be 1-D, one value per runner; got {probs.shape}")
    codes, n_races = race_codes(groups, probs.shape[0])
    if not np.all(np.isfinite(probs)) or np.any(probs < 0.0):
        raise DataError("win probabilities must be finite and non-negative")
    sums = race_sum(probs, codes, n_races)
    if np.any(np.abs(sums - 1.0) > 1e-6):
        raise DataError("win probabilities must sum to 1 within each race")
    return probs / sums[codes], codes, n_races


def _powered(block: FloatArray, exponent: float) -> FloatArray:
    """Rows of ``block ** exponent``, each renormalised (``0 ** e`` stays 0)."""
    with np.errstate(divide="ignore"):
        raised = np.where(block > 0.0, block**exponent, 0.0)
    normalised: FloatArray = raised / raised.sum(axis=1, keepdims=True)
    return normalised


def _field_positions(block: FloatArray, exponents: Sequence[float]) -> FloatArray:
    """``(m, k, places)``: each runner's probability of each of the first places, for ``m``
    races of ``k`` runners, by enumeration of the ordered top ``min(places, k)``."""
    m, k = block.shape
    depth = min(len(exponents), k)
    orders = np.array(list(permutations(range(k), depth)), dtype=np.int64)
    drawn = [_powered(block, e) for e in exponents[:depth]]
    out = np.zeros((m, k, len(exponents)))
    indicators = [np.eye(k)[orders[:, j]] for j in range(depth)]
    step = max(1, _BLOCK // len(orders))
    for start in range(0, m, step):
        rows = slice(start, min(start + step, m))
        prob = np.ones((rows.stop - rows.start, len(orders)))
        for j in range(depth):
            weights = drawn[j][rows]
            remaining = 1.0 - sum((weights[:, orders[:, i]] for i in range(j)), np.zeros(1))
            with np.errstate(divide="ignore", invalid="ignore"):
                prob *= np.where(remaining > 0.0, weights[:, orders[:, j]] / remaining, 0.0)
        for j in range(depth):
            out[rows, :, j] = prob @ indicators[j]
    return out


def finish_probabilities(
    p: ArrayLike, groups: ArrayLike, exponents: Sequence[float] = (1.0, 1.0, 1.0)
) -> FloatArray:
    """Each runner's probability of finishing exactly 1st, 2nd, ... under a discounted Harville.

    Position ``j`` is drawn from the runners not yet placed with probability proportional to
    ``p ** exponents[j]``; all ones is Harville's model.

    Parameters
    ----------
    p : array_like of float, shape (n,)
        Win probabilities, summing to 1 within each race.
    groups : array_like, shape (n,)
        The race of each runner.
    exponents : sequence of float, default (1, 1, 1)
        One per place; the first is normally 1 (the win probabilities themselves).

    Returns
    -------
    numpy.ndarray of shape (n, len(exponents))
        Column ``j`` sums to 1 in every race of more than ``j`` runners, to 0 in the others.

    Raises
    ------
    InvalidParameterError
        If ``exponents`` is empty or not positive, or a shape is wrong.
    DataError
        If the win probabilities are invalid.
    """
    powers = [float(e) for e in exponents]
    if not powers or not all(np.isfinite(e) and e > 0.0 for e in powers):
        raise InvalidParameterError(f"exponents must be positive numbers, got {exponents!r}")
    probs, codes, n_races = _win_probabilities(p, groups)
    sizes = np.bincount(codes, minlength=n_races)
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    result = np.zeros((probs.shape[0], len(powers)))
    for k in np.unique(sizes):
        races = np.flatnonzero(sizes == k)
        rows = order[starts[races][:, None] + np.arange(k)]
        result[rows.ravel()] = _field_positions(probs[rows], powers).reshape(-1, len(powers))
    return result


def harville_place(p: ArrayLike, groups: ArrayLike, places: int = 3) -> FloatArray:
    """Each runner's probability of finishing in the first ``places`` under Harville's model.

    In a race of at least ``places`` runners they sum to ``places``; in a smaller race every
    runner places (1).

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`finish_probabilities`; also if ``places < 1``.
    """
    if places < 1:
        raise InvalidParameterError(f"places must be >= 1, got {places!r}")
    placed: FloatArray = finish_probabilities(p, groups=groups, exponents=[1.0] * places).sum(1)
    return placed


def benter_place(
    p: ArrayLike,
    groups: ArrayLike,
    gamma: float = BENTER_GAMMA,
    delta: float = BENTER_DELTA,
    places: int = 3,
) -> FloatArray:
    """Each runner's probability of finishing in the first ``places`` with Benter's discount:
    2nd drawn with ``p ** gamma``, 3rd (and any later place) with ``p ** delta``.

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`harville_place`.
    """
    if places < 1:
        raise InvalidParameterError(f"places must be >= 1, got {places!r}")
    exponents = [1.0, gamma, *([delta] * (places - 2))][:places]
    placed: FloatArray = finish_probabilities(p, groups=groups, exponents=exponents).sum(1)
    return placed


@dataclass(frozen=True)
class DiscountExponents:
    """Exponents fitted by maximum likelihood, with the races each was fitted on and the
    mean log likelihood per race of that place (2nd given 1st; 3rd given 1st and 2nd)."""

    gamma: float
    delta: float
    n_races_gamma: int
    n_races_delta: int
    log_likelihood_gamma: float
    log_likelihood_delta: float


def _unique_finisher(position: FloatArray, codes: IntArray, n_races: int, place: int) -> IntArray:
    """The row of each race's only runner in ``place`` (-1 where none or a dead heat)."""
    at = position == place
    counts = np.bincount(codes[at], minlength=n_races)
    row = np.full(n_races, -1, dtype=np.int64)
    row[codes[at]] = np.flatnonzero(at)
    row[counts != 1] = -1
    return row


def fit_discount_exponents(
    p: ArrayLike,
    groups: ArrayLike,
    finish_position: ArrayLike,
    bounds: tuple[float, float] = (0.05, 3.0),
) -> DiscountExponents:
    """Fit Benter's ``gamma`` and ``delta`` by maximum likelihood of the observed first three.

    The likelihood of a race's order is ``p1(w1) * p2(w2) / (1 - p2(w1)) * p3(w3) / (1 - p3(w1)
    - p3(w2))`` with ``p2`` and ``p3`` the renormalised ``p ** gamma`` and ``p ** delta``; the
    first factor does not depend on them and the other two separate, so each exponent is a
    one-dimensional bounded search. ``gamma`` uses the races with a single 1st and a single 2nd,
    ``delta`` those that also have a single 3rd (dead heats at those places are left out).

    Parameters
    ----------
    p : array_like of float, shape (n,)
        Win probabilities, summing to 1 within each race.
    groups : array_like, shape (n,)
        The race of each runner.
    finish_position : array_like of float, shape (n,)
        1 for the winner, 2, 3, ...; missing (NaN) for a runner that did not finish.
    bounds : (float, float), default (0.05, 3.0)
        The search interval of each exponent.

    Returns
    -------
    DiscountExponents

    Raises
    ------
    DataError
        If no race has a single 1st and 2nd (or 1st, 2nd and 3rd).
    """
    probs, codes, n_races = _win_probabilities(p, groups)
    position = np.asarray(finish_position, dtype=np.float64)
    if position.shape != probs.shape:
        raise InvalidParameterError("finish_position must have one value per runner")
    log_p = np.log(np.clip(probs, 1e-300, 1.0))
    first, second, third = (_unique_finisher(position, codes, n_races, k) for k in (1, 2, 3))
    two = np.flatnonzero((first >= 0) & (second >= 0))
    three = np.flatnonzero((first >= 0) & (second >= 0) & (third >= 0))
    if two.size == 0 or three.size == 0:
        raise DataError("no race has a single 1st, 2nd and 3rd to fit the exponents on")

    def minus_log_likelihood(exponent: float, placed: list[IntArray], races: IntArray) -> float:
        total = race_sum(np.exp(exponent * log_p), codes, n_races)[races]
        taken = sum(np.exp(exponent * log_p[rows[races]]) for rows in placed[:-1])
        remaining = np.maximum(total - taken, 1e-300)
        return float(-(exponent * log_p[placed[-1][races]] - np.log(remaining)).mean())

    fits = []
    for placed, races in (([first, second], two), ([first, second, third], three)):
        result = minimize_scalar(
            minus_log_likelihood,
            bounds=bounds,
            args=(placed, races),
            method="bounded",
            options={"xatol": 1e-6},
        )
        fits.append((float(result.x), -float(result.fun)))
    return DiscountExponents(
        gamma=fits[0][0],
        delta=fits[1][0],
        n_races_gamma=int(two.size),
        n_races_delta=int(three.size),
        log_likelihood_gamma=fits[0][1],
        log_likelihood_delta=fits[1][1],
    )
