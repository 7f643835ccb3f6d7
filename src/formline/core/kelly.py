"""Kelly stakes for several bets at once, and the check every Kelly multiplier goes through.

:func:`formline.core.betting.kelly_fraction` stakes one bet as if it were the only one. Two
situations need the bets staked together, since each stake changes the wealth the others settle
against:

- :func:`kelly_exclusive`: several mutually exclusive outcomes of one market (home and draw in
  one 1X2 market). The growth-optimal stakes have a closed form, found by the algorithm of
  Smoczynski and Tomkins (2010), "An explicit solution to the problem of optimizing the
  allocations of a bettor's wealth when wagering on horse races", Math. Scientist 35.
- :func:`kelly_independent`: bets on different matches of one day, settled independently. The
  expected log wealth is maximised numerically over the joint outcomes (every one of them for
  a few bets, a seeded sample for many) with stakes ``>= 0`` and a total ``<= 1``.

Both return full-Kelly stakes times the multiplier ``fraction`` in ``(0, 1]``: a multiplier
above 1 stakes past the growth optimum (at 2 the expected log growth of a single bet is no
better than not betting, beyond it is worse), so it is bad input.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from formline.errors import InvalidParameterError

__all__ = ["check_kelly_multiplier", "kelly_exclusive", "kelly_independent"]

FloatArray = NDArray[np.float64]

#: Up to this many bets with an edge, :func:`kelly_independent` weighs every joint outcome.
MAX_EXACT_BETS = 12
_SUM_TOL = 1e-9
_MAX_NEWTON = 100


def check_kelly_multiplier(value: float, name: str = "kelly") -> float:
    """Return ``value`` as a float if it is a valid Kelly multiplier, in ``(0, 1]``.

    Parameters
    ----------
    value : float
        Share of full Kelly to stake: 1 is full Kelly, 0.25 quarter Kelly.
    name : str, default "kelly"
        The argument's or option's name, for the message.

    Raises
    ------
    InvalidParameterError
        If ``value`` is not a number in ``(0, 1]`` (a :class:`ValueError` and a
        :class:`~formline.errors.ConfigError`: exit code 2 at the command line).
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0.0 < number <= 1.0:
        raise InvalidParameterError(
            f"{name} must be a share of full Kelly in (0, 1] (1 full Kelly, 0.25 quarter "
            f"Kelly), got {value!r}: above 1 stakes more than the growth-optimal amount"
        )
    return number


def _bettable(p: FloatArray, prices: FloatArray) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        return np.isfinite(p) & (p >= 0.0) & (p <= 1.0) & np.isfinite(prices) & (prices > 1.0)


def kelly_exclusive(p: ArrayLike, prices: ArrayLike, fraction: float = 1.0) -> FloatArray:
    """Growth-optimal stakes on mutually exclusive outcomes of one market, per row.

    Outcomes are ranked by expected return ``p_i * o_i``; with ``S`` the outcomes bet so far
    and the reserve rate ``R(S) = (1 - sum_S p) / (1 - sum_S 1 / o)`` (``R`` of no outcome is
    1), the next outcome joins ``S`` while ``p_i o_i > R(S)``. The stakes are then
    ``f_i = p_i - R(S) / o_i`` on ``S`` and 0 elsewhere (Smoczynski and Tomkins 2010). With a
    single outcome worth betting this is the single-bet Kelly stake ``(p o - 1) / (o - 1)``.

    Parameters
    ----------
    p : array_like, shape (n, k) or (k,)
        Probabilities of the outcomes of each market; a row sums to at most 1 (outcomes left
        out of the row make up the rest).
    prices : array_like, same shape as ``p``
        Decimal prices; a missing (NaN) or invalid (``<= 1``) price is never bet.
    fraction : float, default 1.0
        Kelly multiplier in ``(0, 1]``; the full-Kelly stakes are scaled by it.

    Returns
    -------
    numpy.ndarray, same shape as ``p``
        Shares of the bankroll, ``>= 0``, each row summing to at most ``fraction``; all 0 on a
        row without an outcome worth betting or with a missing probability.

    Raises
    ------
    InvalidParameterError
        If ``fraction`` is not in ``(0, 1]``.
    ValueError
        If the shapes differ or a row's probabilities sum to more than 1.
    """
    fraction = check_kelly_multiplier(fraction, "fraction")
    prob = np.asarray(p, dtype=np.float64)
    odds = np.asarray(prices, dtype=np.float64)
    if prob.shape != odds.shape or prob.ndim not in (1, 2):
        raise ValueError(
            f"p and prices must have one shape (n, k) or (k,): {prob.shape}, {odds.shape}"
        )
    one_dim = prob.ndim == 1
    prob, odds = np.atleast_2d(prob), np.atleast_2d(odds)
    known = np.all(np.isfinite(prob), axis=1)
    if np.any(prob[known].sum(axis=1) > 1.0 + _SUM_TOL):
        raise ValueError("the probabilities of mutually exclusive outcomes sum to more than 1")
    ok = _bettable(prob, odds) & known[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(ok, prob * odds, -np.inf)
        inverse = np.where(ok, 1.0 / odds, 0.0)
    order = np.argsort(-expected, axis=1, kind="stable")
    exp_s = np.take_along_axis(expected, order, axis=1)
    p_s = np.take_along_axis(np.where(ok, prob, 0.0), order, axis=1)
    inv_s = np.take_along_axis(inverse, order, axis=1)
    n, k = prob.shape
    reserve = np.ones(n)
    sum_p = np.zeros(n)
    sum_inv = np.zeros(n)
    joined = np.zeros((n, k), dtype=bool)
    going = np.ones(n, dtype=bool)
    for j in range(k):
        # p_j o_j > R(S) implies 1 - sum_S 1/o - 1/o_j > 0 (the rows' p sum to at most 1).
        going &= exp_s[:, j] > reserve
        if not going.any():
            break
        sum_p = np.where(going, sum_p + p_s[:, j], sum_p)
        sum_inv = np.where(going, sum_inv + inv_s[:, j], sum_inv)
        with np.errstate(invalid="ignore", divide="ignore"):
            reserve = np.where(going, np.maximum(1.0 - sum_p, 0.0) / (1.0 - sum_inv), reserve)
        joined[:, j] = going
    stakes_sorted = np.where(joined, np.maximum(p_s - reserve[:, None] * inv_s, 0.0), 0.0)
    stakes = np.zeros((n, k))
    np.put_along_axis(stakes, order, stakes_sorted, axis=1)
    stakes *= fraction
    return stakes[0] if one_dim else stakes


def _scenarios(
    p: FloatArray, max_exact: int, n_scenarios: int, random_state: int | None
) -> tuple[FloatArray, FloatArray]:
    """Joint win (1) / loss (0) outcomes of independent bets and their weights."""
    m = p.size
    if m <= max_exact:
        wins = np.array(list(itertools.product((0.0, 1.0), repeat=m)))
        weight = np.prod(np.where(wins == 1.0, p, 1.0 - p), axis=1)
        return wins, weight
    rng = np.random.default_rng(random_state)
    wins = (rng.random((n_scenarios, m)) < p).astype(np.float64)
    return wins, np.full(n_scenarios, 1.0 / n_scenarios)


def kelly_independent(
    p: ArrayLike,
    prices: ArrayLike,
    fraction: float = 1.0,
    *,
    max_exact: int = MAX_EXACT_BETS,
    n_scenarios: int = 20_000,
    random_state: int | None = 0,
) -> FloatArray:
    """Stakes on independent bets placed together (one day's bets on different matches).

    Maximises the expected log wealth ``E[log(1 - sum_i f_i + sum_i f_i o_i X_i)]`` with
    ``X_i`` the independent win indicators (``P(X_i = 1) = p_i``) over stakes ``f_i >= 0``
    with ``sum_i f_i <= 1``, by damped Newton steps on the exact gradient and Hessian (the
    objective is concave and its maximum interior), then scales by ``fraction``.
    The expectation runs over all ``2**m`` joint outcomes for up to ``max_exact`` bets with an
    edge, else over ``n_scenarios`` joint outcomes drawn with ``random_state``. A bet without
    a positive edge ``p o - 1`` gets no stake (at the optimum its marginal growth is ``(p o -
    1) E[1 / W] <= 0`` by independence), so it is left out of the optimisation; a single bet
    with an edge gets the single-bet Kelly stake.

    Parameters
    ----------
    p : array_like, shape (m,)
        Probability that each bet wins (a bet wins or loses: no pushes).
    prices : array_like, shape (m,)
        Decimal prices; missing (NaN) or invalid (``<= 1``) prices are not bet.
    fraction : float, default 1.0
        Kelly multiplier in ``(0, 1]``.
    max_exact : int, default 12
        Largest number of bets with an edge solved over every joint outcome.
    n_scenarios : int, default 20000
        Joint outcomes sampled beyond ``max_exact`` bets.
    random_state : int or None, default 0
        Seed of that sample.

    Returns
    -------
    numpy.ndarray, shape (m,)
        Shares of the bankroll, ``>= 0``, summing to at most ``fraction`` (strictly less than
        it at full Kelly: the day on which every bet loses has positive probability).

    Raises
    ------
    InvalidParameterError
        If ``fraction`` is not in ``(0, 1]``.
    ValueError
        If ``p`` and ``prices`` are not 1-D of one length.
    """
    fraction = check_kelly_multiplier(fraction, "fraction")
    prob = np.asarray(p, dtype=np.float64)
    odds = np.asarray(prices, dtype=np.float64)
    if prob.ndim != 1 or prob.shape != odds.shape:
        raise ValueError(f"p and prices must be 1-D of one length: {prob.shape}, {odds.shape}")
    stakes = np.zeros(prob.shape[0])
    ok = _bettable(prob, odds)
    with np.errstate(invalid="ignore"):
        ok &= np.where(ok, prob * odds - 1.0, 0.0) > 0.0
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return stakes
    pi, oi = prob[idx], odds[idx]
    single = (pi * oi - 1.0) / (oi - 1.0)
    if idx.size == 1:
        stakes[idx] = fraction * single
        return stakes
    wins, weight = _scenarios(pi, max_exact, n_scenarios, random_state)
    stakes[idx] = fraction * _maximise_growth(wins * oi - 1.0, weight, single)
    return stakes


def _maximise_growth(gain: FloatArray, weight: FloatArray, single: FloatArray) -> FloatArray:
    """Maximise ``g(f) = sum_s w_s log(1 + gain_s . f)`` by damped Newton steps.

    ``g`` is concave, and with every bet's edge positive its maximum is interior (the marginal
    growth at ``f_i = 0`` is ``edge_i E[1 / W] > 0``, and the day every bet loses keeps the
    total below 1), so the constraints never bind and Newton's method, with steps halved to
    stay where every stake is positive and every scenario's wealth too, converges
    quadratically. The start, single-bet Kelly scaled to a total of at most 1/2, is feasible.
    """
    f = single / max(1.0, 2.0 * float(single.sum()))

    def growth(x: FloatArray) -> float:
        return float(weight @ np.log(1.0 + gain @ x))

    value = growth(f)
    for _ in range(_MAX_NEWTON):
        wealth = 1.0 + gain @ f
        scaled = gain / wealth[:, None]
        gradient = weight @ scaled
        hessian = -(scaled * weight[:, None]).T @ scaled
        hessian -= 1e-12 * np.eye(f.size)  # a sampled, degenerate scenario set stays solvable
        step = -np.linalg.solve(hessian, gradient)
        t = 1.0
        while t > 1e-12:
            trial = f + t * step
            if np.all(trial > 0.0) and np.all(1.0 + gain @ trial > 0.0):
                trial_value = growth(trial)
                if trial_value >= value - 1e-15:
                    break
            t *= 0.5
        else:
            break
        f, improvement, value = trial, trial_value - value, trial_value
        if float(np.max(np.abs(t * step))) < 1e-13 or improvement < 1e-16:
            break
    return f
