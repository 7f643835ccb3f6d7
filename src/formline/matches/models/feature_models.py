"""Feature-based match models: multinomial logistic regression and LightGBM.

Each fits two heads on the same features: a 1X2 classifier and an over/under 2.5 classifier.
Both explain single predictions: exact per-feature terms for the logistic model, TreeSHAP
(LightGBM's ``pred_contrib``) for the trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from formline.matches.features import MATCH_FEATURES
from formline.matches.models.base import (
    FloatArray,
    clip_probabilities,
    not_fitted,
    outcome_codes,
    over_labels,
)


def default_features(use_market: bool) -> list[str]:
    """Every registered feature, or every one not derived from odds."""
    return MATCH_FEATURES.names if use_market else MATCH_FEATURES.without_market()


class _FeatureModel(BaseEstimator):  # type: ignore[misc]
    features: Sequence[str] | None
    use_market: bool

    @property
    def uses_market(self) -> bool:
        """Whether any feature the model reads comes from betting odds."""
        market = {s.name for s in MATCH_FEATURES if s.uses_market}
        return bool(market & set(self.feature_list()))

    def feature_list(self) -> list[str]:
        """The registry features the model reads, known before it is fitted."""
        if self.features is not None:
            return list(self.features)
        return default_features(self.use_market)

    def _matrix(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [f for f in self.feature_names_ if f not in X.columns]
        if missing:
            raise ValueError(f"X lacks features the model was fitted on: {missing[:5]}")
        return X[self.feature_names_].astype("float64")

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n, 3) probabilities of home, draw, away."""
        if not hasattr(self, "result_model_"):
            not_fitted(self)
        return clip_probabilities(self.result_model_.predict_proba(self._matrix(X)))

    def predict_over_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n,) probability of more than 2.5 goals."""
        if not hasattr(self, "over_model_"):
            not_fitted(self)
        p: FloatArray = self.over_model_.predict_proba(self._matrix(X))[:, 1]
        return p

    @property
    def feature_names_(self) -> list[str]:
        names: list[str] | None = self.__dict__.get("_feature_names")
        if names is None:
            not_fitted(self)
        return names

    @staticmethod
    def _linear_pipeline(estimator: Any) -> Pipeline:
        """Median imputation with missing-value indicators, standardisation, ``estimator``."""
        return Pipeline(
            [
                (
                    "impute",
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                ),
                ("scale", StandardScaler()),
                ("model", estimator),
            ]
        )

    def _linear_terms(self, pipeline: Pipeline, X: pd.DataFrame) -> FloatArray:
        """Each feature's exact term ``coef * standardised value`` in the fitted linear
        ``pipeline``'s score, (n, features, outputs); a missing-value indicator's term is added
        to its feature's."""
        steps = pipeline.named_steps
        scaled = steps["scale"].transform(steps["impute"].transform(self._matrix(X)))
        coef = np.atleast_2d(steps["model"].coef_)  # (outputs, columns)
        terms = scaled[:, :, None] * coef.T[None, :, :]
        n_features = len(self.feature_names_)
        contributions: FloatArray = terms[:, :n_features, :].copy()
        indicator = steps["impute"].indicator_
        if indicator is not None:
            for j, feature_index in enumerate(indicator.features_):
                contributions[:, feature_index, :] += terms[:, n_features + j, :]
        return contributions


class LogisticMatchModel(_FeatureModel):
    """Standardised multinomial logistic regression (1X2) plus a logistic over/under head.

    Missing feature values are imputed with the training median, with a missing-value indicator
    per feature that has any. The default ``C`` (inverse L2 strength) is strong shrinkage for
    about a hundred correlated features: walk-forward cross-validation inside each training
    window of the real-data backtest chose 0.0003 in 10 of 11 windows and 0.0001 in the smallest
    (``benchmarks/regularisation.py``).
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        use_market: bool = True,
        C: float = 0.0003,
        max_iter: int = 2000,
    ) -> None:
        self.features = features
        self.use_market = use_market
        self.C = C
        self.max_iter = max_iter

    def _pipeline(self) -> Pipeline:
        return self._linear_pipeline(LogisticRegression(C=self.C, max_iter=self.max_iter))

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> LogisticMatchModel:
        """Fit both heads on ``X`` (features) and ``y`` (home_goals, away_goals)."""
        self._feature_names = self.feature_list()
        matrix = self._matrix(X)
        # One BLAS thread: these matrices are small, and threaded BLAS on a busy machine is
        # many times slower than one thread.
        with threadpool_limits(limits=1, user_api="blas"):
            self.result_model_ = self._pipeline().fit(matrix, outcome_codes(y))
            self.over_model_ = self._pipeline().fit(matrix, over_labels(y))
        return self

    def explain(self, X: pd.DataFrame) -> FloatArray:
        """Exact contribution of each feature to each outcome's linear score, (n, features, 3).

        A feature's term is its coefficient times its standardised value (missing-value
        indicators are added to their feature). Terms are centred across outcomes, so they
        show how a feature moves one outcome against the others.
        """
        if not hasattr(self, "result_model_"):
            not_fitted(self)
        contributions = self._linear_terms(self.result_model_, X)
        centred: FloatArray = contributions - contributions.mean(axis=2, keepdims=True)
        return centred

    def feature_importances(self) -> pd.Series:
        """Mean absolute coefficient (on standardised features) per feature."""
        coef = np.abs(self.result_model_.named_steps["model"].coef_).mean(axis=0)
        return pd.Series(coef[: len(self.feature_names_)], index=self.feature_names_)


class LightGBMMatchModel(_FeatureModel):
    """Gradient-boosted trees (LightGBM): a multiclass 1X2 head and a binary over/under head.

    LightGBM handles missing values natively. Deterministic for a given ``random_state``.
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        use_market: bool = True,
        n_estimators: int = 400,
        learning_rate: float = 0.02,
        num_leaves: int = 15,
        min_child_samples: int = 100,
        subsample: float = 0.8,
        colsample_bytree: float = 0.6,
        reg_lambda: float = 5.0,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.features = features
        self.use_market = use_market
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _classifier(self, objective: str) -> Any:
        from lightgbm import LGBMClassifier

        return LGBMClassifier(
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
            force_col_wise=True,  # same trees as row-wise here, about 10% less CPU
            verbose=-1,
        )

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> LightGBMMatchModel:
        """Fit both heads on ``X`` (features) and ``y`` (home_goals, away_goals)."""
        self._feature_names = self.feature_list()
        matrix = self._matrix(X)
        self.result_model_ = self._classifier("multiclass").fit(matrix, outcome_codes(y))
        self.over_model_ = self._classifier("binary").fit(matrix, over_labels(y))
        return self

    def explain(self, X: pd.DataFrame) -> FloatArray:
        """TreeSHAP contributions of each feature to each outcome's raw score, (n, features, 3)."""
        if not hasattr(self, "result_model_"):
            not_fitted(self)
        raw = self.result_model_.predict(self._matrix(X), pred_contrib=True)
        n_features = len(self.feature_names_)
        shaped = np.asarray(raw).reshape(len(X), 3, n_features + 1)[:, :, :n_features]
        contributions: FloatArray = np.transpose(shaped, (0, 2, 1)).astype(np.float64)
        return contributions

    def feature_importances(self) -> pd.Series:
        """Total gain per feature of the 1X2 head."""
        gain = self.result_model_.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain, index=self.feature_names_, dtype="float64")


class ClassifierMatchModel(_FeatureModel):
    """Any scikit-learn classifier as a match model: one clone of ``estimator`` predicts the
    1X2 outcome, another over/under 2.5 goals, from the registered features (or ``features``).

    It is how a user's own estimator goes through formline's walk-forward validation, calibration
    and market comparison (:func:`formline.walk_forward`). The estimator sees the feature
    matrix as it is, missing values included: give it a pipeline that imputes (for example
    ``make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())``) unless it
    handles them itself.
    """

    def __init__(
        self, estimator: Any, features: Sequence[str] | None = None, use_market: bool = True
    ) -> None:
        self.estimator = estimator
        self.features = features
        self.use_market = use_market

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> ClassifierMatchModel:
        """Fit both clones on ``X`` (features) and ``y`` (home_goals, away_goals)."""
        from sklearn.base import clone

        self._feature_names = self.feature_list()
        matrix = self._matrix(X)
        self.result_model_ = clone(self.estimator).fit(matrix, outcome_codes(y))
        self.over_model_ = clone(self.estimator).fit(matrix, over_labels(y))
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n, 3) probabilities of home, draw, away (an outcome absent from the training rows
        gets the clipping floor)."""
        if not hasattr(self, "result_model_"):
            not_fitted(self)
        raw = self.result_model_.predict_proba(self._matrix(X))
        proba: FloatArray = np.zeros((len(X), 3), dtype=np.float64)
        proba[:, np.asarray(self.result_model_.classes_, dtype=np.int64)] = raw
        return clip_probabilities(proba)
