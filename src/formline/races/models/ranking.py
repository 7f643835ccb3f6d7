"""Gradient-boosted trees that rank runners within each race, calibrated to win probabilities.

LightGBM fits per-race scores, either with its ``lambdarank`` objective (the winner at the top)
or with a grouped softmax (the conditional logit's loss, trees in place of the linear score).
Raw scores are not probabilities: a one-feature :class:`ConditionalLogit` on the scores, fitted
on races later than the trees saw, turns them into win probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

from formline.core.grouped import grouped_softmax
from formline.errors import InvalidParameterError, NotFittedError
from formline.races.models._inputs import (
    FloatArray,
    IntArray,
    feature_matrix,
    frame_column,
    later_races,
    numeric_columns,
    race_codes,
    winner_credit,
)
from formline.races.models.conditional_logit import ConditionalLogit

Objective = Literal["softmax", "lambdarank"]


class GroupedSoftmaxObjective:
    """LightGBM custom objective: the conditional logit's loss over each query (race).

    Labels are 1 for a winner (dead heats share the credit); the gradient is ``p - t`` and the
    Hessian's diagonal ``p (1 - p)``, with ``p`` the softmax of the scores within the race.
    A module-level class, so that a fitted model pickles.
    """

    def __call__(
        self,
        y_true: FloatArray,
        y_pred: FloatArray,
        weight: FloatArray | None,
        group: IntArray,
    ) -> tuple[FloatArray, FloatArray]:
        sizes = np.asarray(group, dtype=np.int64)
        codes = np.repeat(np.arange(sizes.shape[0]), sizes)
        credit = winner_credit(y_true, codes, sizes.shape[0])
        p = grouped_softmax(y_pred, codes)
        gradient: FloatArray = p - credit
        hessian: FloatArray = np.maximum(p * (1.0 - p), 1e-6)
        return gradient, hessian


class RankingModel(BaseEstimator):  # type: ignore[misc]
    """LightGBM per-race scores with a conditional-logit calibration on later races.

    Parameters
    ----------
    features : sequence of str, optional
        Feature columns; by default every numeric column other than ``time_column``.
    time_column : str, default "start_at"
        Race start time, which orders the races for the calibration split.
    objective : {"softmax", "lambdarank"}, default "softmax"
    calibration_fraction : float, default 0.3
        The share of races, the latest by start time, that the calibration is fitted on.
    n_estimators, learning_rate, num_leaves, min_child_samples, subsample, colsample_bytree,
    reg_lambda
        LightGBM's settings.
    random_state : int, default 0
    n_jobs : int, default 1
        LightGBM threads (the fit is deterministic for a given ``random_state``).

    Attributes
    ----------
    ranker_ : lightgbm.LGBMRanker
    calibrator_ : ConditionalLogit
        One coefficient on the trees' score (``calibration_coef_``).
    calibration_coef_ : float
    features_ : list of str
    n_races_trees_, n_races_calibration_ : int
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        time_column: str = "start_at",
        objective: Objective = "softmax",
        calibration_fraction: float = 0.3,
        n_estimators: int = 300,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        min_child_samples: int = 100,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 5.0,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.features = features
        self.time_column = time_column
        self.objective = objective
        self.calibration_fraction = calibration_fraction
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _ranker(self) -> Any:
        from lightgbm import LGBMRanker

        if self.objective not in ("softmax", "lambdarank"):
            raise InvalidParameterError(
                f"objective must be 'softmax' or 'lambdarank', not {self.objective!r}"
            )
        objective: Any = GroupedSoftmaxObjective() if self.objective == "softmax" else "lambdarank"
        return LGBMRanker(
            objective=objective,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_col_wise=True,
            verbose=-1,
        )

    def fit(self, X: pd.DataFrame, y: ArrayLike, *, groups: ArrayLike) -> RankingModel:
        """Fit the trees on the earlier races and the calibration on the later ones.

        Races without a winner are left out of both.

        Raises
        ------
        InvalidParameterError
            If ``objective`` or ``calibration_fraction`` is invalid.
        DataError
            If a column is missing or the races cannot be split by start time.
        """
        start_at = frame_column(X, self.time_column)
        features = (
            numeric_columns(X, exclude=(self.time_column,))
            if self.features is None
            else list(self.features)
        )
        group_values = np.asarray(groups)
        won = np.asarray(y, dtype=np.float64)
        codes, n_races = race_codes(group_values, len(X))
        credit = winner_credit(won, codes, n_races)
        decided = np.bincount(codes, weights=credit, minlength=n_races)[codes] > 0.0
        late = later_races(
            start_at, codes, n_races, self.calibration_fraction, "calibration_fraction"
        )
        train = np.flatnonzero(~late & decided)
        train = train[np.argsort(codes[train], kind="stable")]  # LightGBM wants races contiguous
        matrix, _ = feature_matrix(X[features])
        sizes = np.bincount(codes[train])
        ranker = self._ranker()
        ranker.fit(matrix[train], won[train], group=sizes[sizes > 0])
        self.ranker_ = ranker
        self.features_ = features
        calibrate = late & decided
        scores = ranker.predict(matrix[calibrate])
        self.calibrator_ = ConditionalLogit(alpha=0.0, center=False, standardize=False).fit(
            scores[:, None], won[calibrate], groups=group_values[calibrate]
        )
        self.calibration_coef_ = float(self.calibrator_.coef_[0])
        self.n_races_trees_ = int(np.unique(codes[train]).size)
        self.n_races_calibration_ = self.calibrator_.n_races_
        return self

    def decision_function(self, X: pd.DataFrame) -> FloatArray:
        """The trees' raw score of each runner (comparable within a race only)."""
        if not hasattr(self, "calibrator_"):
            raise NotFittedError("RankingModel is not fitted yet. Call `.fit()` first.")
        matrix, _ = feature_matrix(X[self.features_])
        scores: FloatArray = np.asarray(self.ranker_.predict(matrix), dtype=np.float64)
        return scores

    def predict_proba(self, X: pd.DataFrame, *, groups: ArrayLike) -> FloatArray:
        """Calibrated win probabilities; they sum to 1 within each race."""
        scores = self.decision_function(X)
        return grouped_softmax(self.calibration_coef_ * scores, groups)
