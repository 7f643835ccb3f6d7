"""The public's win probabilities: the tote's final odds with the take removed, race by race.

A reference model: it learns nothing about the runners, and a model that cannot beat it on the
same races knows less than the betting public.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

from formline.core.grouped import grouped_implied_probabilities
from formline.core.markets import METHODS, Method
from formline.errors import DataError, InvalidParameterError, NotFittedError
from formline.races.models._inputs import FloatArray, frame_column, race_codes, race_sum


def public_probabilities(
    odds: ArrayLike, *, groups: ArrayLike, method: Method = "multiplicative"
) -> FloatArray:
    """The public's de-margined win probability of each runner from decimal win odds.

    ``"multiplicative"`` normalises ``1 / odds`` within each race: ``q_i = (1 / o_i) /
    sum_j (1 / o_j)``. Any other method of
    :func:`formline.core.grouped.grouped_implied_probabilities` (``"shin"`` removes part of the
    favourite-longshot bias) is applied per race; a race that
    method cannot price (a tote price quoted as exactly 1.0, a lone runner) falls back to the
    normalisation, so every race gets probabilities.

    Parameters
    ----------
    odds : array_like of float, shape (n,)
        Decimal odds (stake included) of each runner; positive and finite.
    groups : array_like, shape (n,)
        The race of each runner.
    method : str, default "multiplicative"
        One of :data:`formline.core.markets.METHODS`.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Probabilities summing to 1 within each race.

    Raises
    ------
    InvalidParameterError
        If ``method`` is unknown or the shapes disagree.
    DataError
        If an odds value is missing, not finite or not positive.
    """
    if method not in METHODS:
        raise InvalidParameterError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    prices = np.asarray(odds, dtype=np.float64)
    if prices.ndim != 1:
        raise InvalidParameterError(f"odds must be 1-D, got shape {prices.shape}")
    codes, n_races = race_codes(groups, prices.shape[0])
    if not np.all(np.isfinite(prices) & (prices > 0.0)):
        raise DataError("win odds must be positive and finite on every runner")
    inverse = 1.0 / prices
    q = inverse / race_sum(inverse, codes, n_races)[codes]
    if method == "multiplicative":
        return q
    sizes = np.bincount(codes, minlength=n_races)
    priceable = sizes[codes] >= 2
    if not priceable.any():
        return q
    demargined = q.copy()
    demargined[priceable] = grouped_implied_probabilities(
        prices[priceable], codes[priceable], method
    )
    return np.where(np.isnan(demargined), q, demargined)


class PublicModel(BaseEstimator):  # type: ignore[misc]
    """The public's de-margined win probability, read from an odds column of ``X``.

    Parameters
    ----------
    odds_column : str, default "win_odds"
        The column of final decimal win odds.
    method : str, default "multiplicative"
        How the take is removed (see :func:`public_probabilities`).

    Attributes
    ----------
    n_races_ : int
        Races seen in fit.
    mean_overround_ : float
        The mean over those races of ``sum(1 / odds) - 1``: the take plus rounding.
    """

    def __init__(self, odds_column: str = "win_odds", method: Method = "multiplicative") -> None:
        self.odds_column = odds_column
        self.method = method

    def fit(self, X: Any, y: ArrayLike | None = None, *, groups: ArrayLike) -> PublicModel:
        """Record the training races' take; there is nothing to learn (``y`` is ignored)."""
        odds = frame_column(X, self.odds_column).to_numpy(dtype=np.float64, na_value=np.nan)
        public_probabilities(odds, groups=groups, method=self.method)  # validates
        codes, n_races = race_codes(groups, odds.shape[0])
        self.n_races_ = n_races
        self.mean_overround_ = float(np.mean(race_sum(1.0 / odds, codes, n_races) - 1.0))
        return self

    def predict_proba(self, X: Any, *, groups: ArrayLike) -> FloatArray:
        """The public's win probability of each runner; they sum to 1 within each race."""
        if not hasattr(self, "n_races_"):
            raise NotFittedError("PublicModel is not fitted yet. Call `.fit()` first.")
        odds = frame_column(X, self.odds_column).to_numpy(dtype=np.float64, na_value=np.nan)
        return public_probabilities(odds, groups=groups, method=self.method)
