"""Benter's (1994) two-stage model: a fundamental conditional logit, then the public's odds.

Stage 1 fits a :class:`ConditionalLogit` on handicapping features only (no odds). Stage 2 fits
a second conditional logit on ``(log p_fundamental, log q_public)`` over races that start later
than every race stage 1 saw, so the fundamental probabilities it weighs are out of sample, as
they will be when the model predicts. Its two weights (:attr:`BenterModel.stage2_coef_`) say
how much the fundamental model knows beyond the public.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

from formline.core.grouped import grouped_softmax
from formline.core.markets import Method
from formline.errors import InvalidParameterError, NotFittedError
from formline.races.models._inputs import (
    FloatArray,
    frame_column,
    later_races,
    numeric_columns,
    race_codes,
)
from formline.races.models.conditional_logit import ConditionalLogit, Missing
from formline.races.models.public import PublicModel

#: The names of the stage-2 inputs, in the order of ``stage2_coef_``.
STAGE2_INPUTS = ("log_p_fundamental", "log_q_public")
_FLOOR = 1e-12  # log of a probability that underflowed to 0


class BenterModel(BaseEstimator):  # type: ignore[misc]
    """Fundamental conditional logit combined with the public's probability, fitted in stages.

    Parameters
    ----------
    features : sequence of str, optional
        The handicapping features of stage 1; by default every numeric column of ``X`` other
        than ``odds_column`` and ``time_column``. Naming ``odds_column`` is refused.
    odds_column : str, default "win_odds"
        Final decimal win odds (the public).
    time_column : str, default "start_at"
        The race's start time, which orders the races for the split.
    stage2_fraction : float, default 0.3
        The share of races, the latest by start time, that stage 2 is fitted on.
    alpha, center, standardize, missing
        Stage 1's :class:`ConditionalLogit` settings. Stage 2 is unpenalised.
    public_method : str, default "multiplicative"
        How the public's take is removed (see :class:`PublicModel`).

    Attributes
    ----------
    stage1_ : ConditionalLogit
        The fundamental model, fitted on the earlier races.
    stage2_ : ConditionalLogit
        The combination, fitted on the later races.
    stage2_coef_ : numpy.ndarray of shape (2,)
        The weights of ``log p_fundamental`` and ``log q_public`` (:data:`STAGE2_INPUTS`).
    public_ : PublicModel
    features_ : list of str
    split_at_ : object
        The start time of the first stage-2 race.
    n_races_stage1_, n_races_stage2_ : int
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        odds_column: str = "win_odds",
        time_column: str = "start_at",
        stage2_fraction: float = 0.3,
        alpha: float = 1e-3,
        center: bool = True,
        standardize: bool = True,
        missing: Missing = "race_mean",
        public_method: Method = "multiplicative",
    ) -> None:
        self.features = features
        self.odds_column = odds_column
        self.time_column = time_column
        self.stage2_fraction = stage2_fraction
        self.alpha = alpha
        self.center = center
        self.standardize = standardize
        self.missing = missing
        self.public_method = public_method

    def _feature_list(self, X: pd.DataFrame) -> list[str]:
        if self.features is None:
            return numeric_columns(X, exclude=(self.odds_column, self.time_column))
        chosen = list(self.features)
        if self.odds_column in chosen:
            raise InvalidParameterError(
                f"the fundamental stage takes no odds: drop {self.odds_column!r} from features"
            )
        return chosen

    def fit(self, X: pd.DataFrame, y: ArrayLike, *, groups: ArrayLike) -> BenterModel:
        """Fit stage 1 on the earlier races and stage 2 on the later ones.

        Raises
        ------
        InvalidParameterError
            If ``features`` names the odds column or ``stage2_fraction`` is not in (0, 1).
        DataError
            If a column is missing, or the races cannot be split by start time.
        """
        start_at = frame_column(X, self.time_column)
        features = self._feature_list(X)
        group_values = np.asarray(groups)
        won = np.asarray(y, dtype=np.float64)
        codes, n_races = race_codes(group_values, len(X))
        late = later_races(start_at, codes, n_races, self.stage2_fraction, "stage2_fraction")
        early = ~late
        self.public_ = PublicModel(self.odds_column, self.public_method).fit(X, groups=group_values)
        self.stage1_ = ConditionalLogit(
            alpha=self.alpha, center=self.center, standardize=self.standardize, missing=self.missing
        ).fit(X.loc[early, features], won[early], groups=group_values[early])
        inputs = self._stage2_inputs(X.loc[late], group_values[late], features)
        self.stage2_ = ConditionalLogit(alpha=0.0, center=False, standardize=False).fit(
            inputs, won[late], groups=group_values[late]
        )
        self.stage2_coef_ = self.stage2_.coef_.copy()
        self.features_ = features
        self.split_at_ = start_at[late].min()
        self.n_races_stage1_ = self.stage1_.n_races_
        self.n_races_stage2_ = self.stage2_.n_races_
        return self

    def _stage2_inputs(self, X: pd.DataFrame, groups: ArrayLike, features: list[str]) -> FloatArray:
        fundamental = self.stage1_.predict_proba(X[features], groups=groups)
        public = self.public_.predict_proba(X, groups=groups)
        return np.log(np.maximum(np.column_stack([fundamental, public]), _FLOOR))

    def _check(self) -> None:
        if not hasattr(self, "stage2_coef_"):
            raise NotFittedError("BenterModel is not fitted yet. Call `.fit()` first.")

    def predict_fundamental_proba(self, X: pd.DataFrame, *, groups: ArrayLike) -> FloatArray:
        """Stage 1 alone: the fundamental model's win probabilities (no odds)."""
        self._check()
        return self.stage1_.predict_proba(X[self.features_], groups=groups)

    def predict_proba(self, X: pd.DataFrame, *, groups: ArrayLike) -> FloatArray:
        """Combined win probabilities ``softmax(a log p_fundamental + b log q_public)``; they
        sum to 1 within each race."""
        self._check()
        inputs = self._stage2_inputs(X, groups, self.features_)
        return grouped_softmax(inputs @ self.stage2_coef_, groups)
