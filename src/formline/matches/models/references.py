"""Reference models: what a new model has to beat.

* :class:`EloMatchModel`: Elo ratings only (multinomial logistic on the Elo difference and the
  Elo expected score).
* :class:`MarketMatchModel`: the betting market's de-margined probabilities (Shin), from the
  latest odds observed before kickoff, i.e. the opening line; never the closing line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator

from formline.matches.models.base import (
    FloatArray,
    class_frequencies,
    clip_probabilities,
    not_fitted,
    outcome_codes,
    over_labels,
)
from formline.matches.models.feature_models import LogisticMatchModel

ELO_FEATURES = ("elo_diff", "elo_home_expected")
MARKET_1X2 = ("market_p_home", "market_p_draw", "market_p_away")
MARKET_OVER = "market_p_over_2_5"


class EloMatchModel(LogisticMatchModel):
    """Ratings only: multinomial logistic regression on the Elo features."""

    # Fixed for this model, so class attributes: not hyperparameters (``get_params`` lists
    # only ``C`` and ``max_iter``), and ``__init__`` sets nothing but its arguments.
    features = ELO_FEATURES
    use_market = False

    def __init__(self, C: float = 1.0, max_iter: int = 2000) -> None:
        self.C = C
        self.max_iter = max_iter


def _without_odds(X: pd.DataFrame) -> NDArray[np.bool_]:
    """Rows without a complete set of de-margined 1X2 odds."""
    missing: NDArray[np.bool_] = np.isnan(X[list(MARKET_1X2)].to_numpy(dtype=np.float64)).any(
        axis=1
    )
    return missing


class MarketMatchModel(BaseEstimator):  # type: ignore[misc]
    """The market as a model: de-margined pre-kickoff odds (Shin).

    Matches without odds get the training base rates, so the model always answers; the share of
    such matches in a frame is :meth:`fallback_share`.
    """

    uses_market = True

    def feature_list(self) -> list[str]:
        """The de-margined 1X2 and over/under prices."""
        return [*MARKET_1X2, MARKET_OVER]

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> MarketMatchModel:
        """Learn the base rates used where no odds exist."""
        self.base_rates_ = class_frequencies(outcome_codes(y))
        self.over_rate_ = float(over_labels(y).mean()) if len(y) else 0.5
        self.feature_names_ = self.feature_list()
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n, 3) de-margined opening probabilities (base rates where missing)."""
        if not hasattr(self, "base_rates_"):
            not_fitted(self)
        p = X[list(MARKET_1X2)].to_numpy(dtype=np.float64, copy=True)
        p[_without_odds(X)] = self.base_rates_
        return clip_probabilities(p)

    def fallback_share(self, X: pd.DataFrame) -> float:
        """Share of the rows of ``X`` without 1X2 odds, which get the base rates (0 if empty)."""
        missing = _without_odds(X)
        return float(missing.mean()) if len(missing) else 0.0

    def predict_over_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n,) de-margined probability of over 2.5 goals (base rate where missing)."""
        if not hasattr(self, "over_rate_"):
            not_fitted(self)
        p = X[MARKET_OVER].to_numpy(dtype=np.float64)
        return np.where(np.isnan(p), self.over_rate_, p)
