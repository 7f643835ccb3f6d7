"""Value betting against decimal prices: edge, Kelly stakes, and a backtest of a value rule.

Prices are decimal odds; a missing price (NaN) or a price ``<= 1`` is invalid and such a
selection is never bet. Probabilities and prices are arrays of shape ``(n, k)`` with columns in
outcome order (``k = 3`` for 1X2: home, draw, away).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from formline.core.kelly import check_kelly_multiplier
from formline.core.markets import implied_probabilities

__all__ = ["backtest_value_rule", "edge", "kelly_fraction", "value_bets"]

FloatArray = NDArray[np.float64]


def edge(p_model: ArrayLike, price: ArrayLike) -> FloatArray:
    """Expected profit per unit staked: ``p_model * price - 1``.

    Parameters
    ----------
    p_model : array_like
        Model probabilities.
    price : array_like
        Decimal prices, broadcastable against ``p_model``.

    Returns
    -------
    numpy.ndarray
        NaN where the probability is missing or outside ``[0, 1]`` or the price is invalid.
    """
    p = np.asarray(p_model, dtype=np.float64)
    o = np.asarray(price, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        valid = (p >= 0.0) & (p <= 1.0) & (o > 1.0) & np.isfinite(o)
        result: FloatArray = np.where(valid, p * o - 1.0, np.nan)
    return result


def kelly_fraction(p: ArrayLike, price: ArrayLike, fraction: float = 0.25) -> FloatArray:
    """Fractional Kelly stake as a share of the bankroll.

    Full Kelly is ``(p * price - 1) / (price - 1)``; it is scaled by ``fraction`` and clipped at
    0 (no stake without a positive edge). A multiplier above 1 would stake more than the
    log-optimal amount (at ``fraction = 2`` expected log growth is no better than not betting,
    and beyond it is worse), so it is refused.

    Parameters
    ----------
    p : array_like
        Model probabilities.
    price : array_like
        Decimal prices, broadcastable against ``p``.
    fraction : float, default 0.25
        Share of full Kelly to stake, in ``(0, 1]`` (quarter Kelly by default).

    Returns
    -------
    numpy.ndarray
        Values in ``[0, fraction)``; NaN where :func:`edge` is NaN.

    Raises
    ------
    InvalidParameterError
        If ``fraction`` is not in ``(0, 1]`` (also a ``ValueError``).
    """
    fraction = check_kelly_multiplier(fraction, "fraction")
    value = edge(p, price)
    with np.errstate(invalid="ignore"):
        full = value / (np.asarray(price, dtype=np.float64) - 1.0)
        result: FloatArray = np.where(np.isnan(value), np.nan, fraction * np.maximum(full, 0.0))
    return result


def _matrix(values: ArrayLike, name: str, shape: tuple[int, ...] | None = None) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (n, k), got {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape} but p_model has {shape}")
    return arr


def value_bets(p_model: ArrayLike, prices: ArrayLike, min_edge: float = 0.02) -> pd.DataFrame:
    """At most one bet per match: the selection with the largest edge, if it reaches ``min_edge``.

    Parameters
    ----------
    p_model : array_like, shape (n, k)
        Model probabilities; missing values (or values outside ``[0, 1]``) are skipped.
    prices : array_like, shape (n, k)
        Decimal prices available to bet at; invalid prices are skipped, so a match without
        prices gets no bet.
    min_edge : float, default 0.02
        Bet when the best edge is ``>= min_edge`` (and positive).

    Returns
    -------
    pandas.DataFrame
        One row per bet, in match order: ``row`` (position of the match), ``selection`` (column
        index), ``p_model``, ``price``, ``edge``. Ties go to the lower column.
    """
    p = _matrix(p_model, "p_model")
    o = _matrix(prices, "prices", p.shape)
    edges = edge(p, o)
    ranked = np.where(np.isnan(edges), -np.inf, edges)
    selection = np.argmax(ranked, axis=1) if p.shape[0] else np.zeros(0, dtype=np.int64)
    rows = np.arange(p.shape[0])
    best = ranked[rows, selection]
    chosen = np.flatnonzero((best >= min_edge) & (best > 0.0))
    picked = selection[chosen]
    return pd.DataFrame(
        {
            "row": chosen.astype(np.int64),
            "selection": picked.astype(np.int64),
            "p_model": p[chosen, picked],
            "price": o[chosen, picked],
            "edge": best[chosen],
        }
    )


def _outcomes(outcomes: ArrayLike, n: int, k: int) -> FloatArray:
    arr = np.asarray(outcomes, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"outcomes must have shape ({n},), got {arr.shape}")
    known = arr[np.isfinite(arr)]
    if np.any((known != np.round(known)) | (known < 0) | (known >= k)):
        raise ValueError(f"outcomes must be class indices in 0..{k - 1} (or NaN when unknown)")
    return arr


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def backtest_value_rule(
    p_model: ArrayLike,
    opening_prices: ArrayLike,
    closing_prices: ArrayLike,
    outcomes: ArrayLike,
    min_edge: float = 0.02,
    kelly: float = 0.25,
    bankroll: float = 1.0,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Bet the value rule at opening prices; settle flat and fractional-Kelly stakes; score CLV.

    Bets are chosen by :func:`value_bets` at the opening prices, on matches whose outcome is
    known. Flat staking puts 1 unit on each bet. Kelly staking puts ``kelly_fraction(p, price,
    kelly)`` of the current bankroll on each bet, settling bet by bet in row order (rows must be
    in time order), so the bankroll compounds. Closing-line value is ``opening price / fair
    closing price - 1`` with the fair closing price ``1 / p`` and ``p`` the selection's
    probability from the closing prices with the margin removed by Shin's method.

    Parameters
    ----------
    p_model : array_like, shape (n, k)
        Model probabilities, rows in time order.
    opening_prices : array_like, shape (n, k)
        Prices taken (NaN where not offered: such selections are not bet).
    closing_prices : array_like, shape (n, k)
        Closing prices; a row with any invalid price gives NaN CLV for its bet.
    outcomes : array_like, shape (n,)
        Observed class index; NaN for matches without a result (never bet).
    min_edge : float, default 0.02
        Minimum edge at the opening price.
    kelly : float, default 0.25
        Share of full Kelly, in ``(0, 1]``.
    bankroll : float, default 1.0
        Starting bankroll for Kelly staking.

    Returns
    -------
    bets : pandas.DataFrame
        The :func:`value_bets` columns plus ``won``, ``flat_profit``, ``kelly_fraction``,
        ``kelly_stake``, ``kelly_profit``, ``bankroll_after``, ``closing_price``,
        ``fair_closing_price``, ``clv``.
    summary : dict of str to float
        ``n_matches`` (rows), ``n_bets``, ``hit_rate``, ``mean_edge``, ``flat_staked``,
        ``flat_profit``, ``flat_roi`` (profit / staked), ``kelly_staked``, ``kelly_profit``,
        ``kelly_roi`` (profit / staked), ``final_bankroll``, ``bankroll_growth`` (final / start
        - 1), ``n_clv`` (bets with a closing line), ``mean_clv`` and ``clv_positive_share``.
        Ratios are NaN without bets.

    Raises
    ------
    ValueError
        If shapes disagree, an outcome is not a class index, or ``bankroll`` is not positive.
    InvalidParameterError
        If ``kelly`` is not in ``(0, 1]`` (checked before any work).
    """
    kelly = check_kelly_multiplier(kelly, "kelly")
    if not bankroll > 0.0:
        raise ValueError(f"bankroll must be positive, got {bankroll!r}")
    p = _matrix(p_model, "p_model")
    opening = _matrix(opening_prices, "opening_prices", p.shape)
    closing = _matrix(closing_prices, "closing_prices", p.shape)
    result = _outcomes(outcomes, p.shape[0], p.shape[1])
    settled = np.isfinite(result)
    bets = value_bets(np.where(settled[:, None], p, np.nan), opening, min_edge)
    rows = bets["row"].to_numpy()
    selection = bets["selection"].to_numpy()
    price = bets["price"].to_numpy()

    won = result[rows] == selection
    bets["won"] = won
    bets["flat_profit"] = np.where(won, price - 1.0, -1.0)
    stake_share = kelly_fraction(bets["p_model"].to_numpy(), price, kelly)
    growth = np.where(won, 1.0 + stake_share * (price - 1.0), 1.0 - stake_share)
    after = bankroll * np.cumprod(growth)
    before = np.concatenate([[bankroll], after[:-1]])
    bets["kelly_fraction"] = stake_share
    bets["kelly_stake"] = stake_share * before
    bets["kelly_profit"] = after - before
    bets["bankroll_after"] = after

    fair_close = implied_probabilities(closing, method="shin")[rows, selection]
    bets["closing_price"] = closing[rows, selection]
    bets["fair_closing_price"] = 1.0 / fair_close
    bets["clv"] = price * fair_close - 1.0  # price / (1 / p) - 1

    n_bets = len(bets)
    clv = bets["clv"].to_numpy()
    clv = clv[np.isfinite(clv)]
    kelly_staked = float(bets["kelly_stake"].sum())
    final = float(after[-1]) if n_bets else bankroll
    summary: dict[str, float] = {
        "n_matches": p.shape[0],
        "n_bets": n_bets,
        "hit_rate": _ratio(float(won.sum()), n_bets),
        "mean_edge": _ratio(float(bets["edge"].sum()), n_bets),
        "flat_staked": float(n_bets),
        "flat_profit": float(bets["flat_profit"].sum()),
        "flat_roi": _ratio(float(bets["flat_profit"].sum()), n_bets),
        "kelly_staked": kelly_staked,
        "kelly_profit": final - bankroll,
        "kelly_roi": _ratio(final - bankroll, kelly_staked),
        "final_bankroll": final,
        "bankroll_growth": final / bankroll - 1.0,
        "n_clv": clv.size,
        "mean_clv": float(clv.mean()) if clv.size else float("nan"),
        "clv_positive_share": float(np.mean(clv > 0.0)) if clv.size else float("nan"),
    }
    return bets, summary
