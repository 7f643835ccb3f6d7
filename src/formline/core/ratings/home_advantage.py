"""A home advantage that follows the data within a season.

The margin ratings (``formline.core.ratings.margin``) learn each competition's home advantage
with a small step, so it moves over seasons, not weeks: when the 2020-21 season was played
without crowds and home wins fell from 45% to 39%, a model reading it kept the old advantage
while the market moved within weeks. Here the home advantage is an exponentially weighted mean,
per competition, of the part of each result's margin the teams' ratings do not explain::

    residual = margin - (rating_home - rating_away)
    advantage = sum(w_i * residual_i) / sum(w_i),  w_i = 0.5 ** (age_i / half_life)

with the age counted in the competition's results. It is point-in-time by construction: the
value before a match uses only the results that became known before it, in that order. With
no result yet it is NaN (unknown, not zero).

:func:`home_advantage_kernel` is the compiled recurrence over plain arrays (the feature builder
calls it); :func:`recent_home_advantage` wraps it for a results table.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["home_advantage_kernel", "recent_home_advantage"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@numba.njit(cache=True)
def _home_advantage_loop(
    competition_idx: IntArray, residual: FloatArray, n_competitions: int, decay: float
) -> tuple[FloatArray, FloatArray]:
    n = competition_idx.shape[0]
    total = np.zeros(n_competitions)
    weight = np.zeros(n_competitions)
    before = np.empty(n)
    after = np.empty(n)
    for i in range(n):
        c = competition_idx[i]
        before[i] = total[c] / weight[c] if weight[c] > 0.0 else math.nan
        value = residual[i]
        if not math.isnan(value):
            total[c] = decay * total[c] + value
            weight[c] = decay * weight[c] + 1.0
        after[i] = total[c] / weight[c] if weight[c] > 0.0 else math.nan
    return before, after


def home_advantage_kernel(
    competition_idx: ArrayLike,
    residual: ArrayLike,
    n_competitions: int,
    half_life: float = 100.0,
) -> tuple[FloatArray, FloatArray]:
    """Exponentially weighted home advantage per competition, over results in the order they
    became known.

    Parameters
    ----------
    competition_idx : array_like of int, shape (n,)
        Competition codes ``0 .. n_competitions - 1``.
    residual : array_like of float, shape (n,)
        Each result's home margin less what the ratings expected without home advantage
        (``margin - (rating_home - rating_away)``); NaN skips the update.
    n_competitions : int
        Number of competition codes.
    half_life : float, default 100
        Half-life in the competition's results (a top-flight round is about 10).

    Returns
    -------
    tuple of 2 numpy.ndarray, each shape (n,)
        ``(before, after)``: the competition's home advantage before and after each result;
        NaN while no result of the competition is known.

    Raises
    ------
    ValueError
        If the arrays differ in length, a code is out of range or ``half_life`` is not positive.
    """
    ci = np.ascontiguousarray(competition_idx, dtype=np.int64)
    values = np.ascontiguousarray(residual, dtype=np.float64)
    if ci.ndim != 1 or values.shape != ci.shape:
        raise ValueError("home_advantage_kernel needs 1-D arrays of one length")
    if not (math.isfinite(half_life) and half_life > 0):
        raise ValueError(f"half_life must be positive, got {half_life!r}")
    if ci.size and (ci.min() < 0 or ci.max() >= n_competitions):
        raise ValueError("competition codes must be in [0, n_competitions)")
    decay = 0.5 ** (1.0 / float(half_life))
    result: tuple[FloatArray, FloatArray] = _home_advantage_loop(
        ci, values, int(n_competitions), decay
    )
    return result


def recent_home_advantage(
    results: pd.DataFrame,
    expected: ArrayLike | None = None,
    home_column: str = "home_goals",
    away_column: str = "away_goals",
    half_life: float = 100.0,
) -> pd.DataFrame:
    """The competition's recent home advantage before and after each row of ``results``.

    Parameters
    ----------
    results : pandas.DataFrame
        Finished matches in the order their results became known, with the two statistic
        columns and optionally ``competition`` (missing: one competition).
    expected : array_like of float, optional
        The ratings' expected margin without home advantage per row (default 0: the raw
        margin is averaged).
    home_column, away_column : str
        The statistic of each side; the margin is their difference.
    half_life : float, default 100
        Half-life in the competition's results.

    Returns
    -------
    pandas.DataFrame
        ``home_advantage_before`` and ``home_advantage_after``, aligned with ``results``.
    """
    missing = [c for c in (home_column, away_column) if c not in results.columns]
    if missing:
        raise ValueError(f"results is missing columns {missing}")
    competition = (
        results["competition"]
        if "competition" in results.columns
        else pd.Series("all", index=results.index)
    )
    codes, competitions = pd.factorize(competition, use_na_sentinel=False)
    margin = results[home_column].to_numpy(dtype=np.float64) - results[away_column].to_numpy(
        dtype=np.float64
    )
    if expected is not None:
        margin = margin - np.asarray(expected, dtype=np.float64)
    before, after = home_advantage_kernel(codes, margin, len(competitions), half_life)
    return pd.DataFrame(
        {"home_advantage_before": before, "home_advantage_after": after}, index=results.index
    )
