"""A normal model of a game's margin or total, for P(cover) at a point spread and P(over) at a
total line.

:class:`NormalLineModel` fits a ridge regression of a score value (the home margin, or the
total) on features, with the residuals' standard deviation as the spread of a normal
distribution about the prediction; ``predict_above(X, threshold)`` is
``P(value > threshold) = 1 - Phi((threshold - mu) / sigma)``. The home side covers a home line
``h`` (``-3.5``: favoured by 3.5) when ``margin + h > 0``, i.e. ``margin > -h``; a game goes
over a total ``t`` when ``home + away > t``. Normality is an approximation: the NFL's key
numbers (3 and 7) break it, and MLB and NHL scores are counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm
from sklearn.base import RegressorMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from formline.matches.models.us_win import FeatureColumns

__all__ = ["NormalLineModel"]

FloatArray = NDArray[np.float64]


class NormalLineModel(RegressorMixin, FeatureColumns):  # type: ignore[misc]
    """Ridge regression of a margin or total with a normal error.

    Parameters
    ----------
    features : sequence of str
        Feature columns of ``X``.
    alpha : float, default 10.0
        Ridge penalty (on standardised features).

    Attributes
    ----------
    model_ : sklearn.pipeline.Pipeline
        Median imputation, scaling and the ridge regression.
    sigma_ : float
        Standard deviation of the training residuals.
    """

    def __init__(self, features: Sequence[str] = (), alpha: float = 10.0) -> None:
        self.features = features
        self.alpha = alpha

    def fit(self, X: pd.DataFrame, y: ArrayLike) -> NormalLineModel:
        """Fit the regression of ``y`` (margins or totals) and the residual spread.

        Raises
        ------
        ValueError
            If there are no features, a column is missing, ``y`` has a missing value or does
            not have one value per row.
        """
        if not self.features:
            raise ValueError("features is empty: name the feature columns to use")
        target = np.asarray(y, dtype=np.float64)
        if target.shape != (len(X),) or not np.isfinite(target).all():
            raise ValueError("y must hold one finite value per row of X")
        self.model_ = make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            Ridge(alpha=self.alpha),
        ).fit(self._design(X), target)
        residual = target - self.model_.predict(self._design(X))
        self.sigma_ = float(np.std(residual, ddof=1)) if len(target) > 1 else 1.0
        return self

    def predict(self, X: pd.DataFrame) -> FloatArray:
        """The expected value (the mean of the normal) per row."""
        mu: FloatArray = self.model_.predict(self._design(X))
        return mu

    def predict_above(self, X: pd.DataFrame, threshold: ArrayLike) -> FloatArray:
        """``P(value > threshold)`` per row (``threshold`` broadcast over the rows)."""
        z = (np.asarray(threshold, dtype=np.float64) - self.predict(X)) / self.sigma_
        p: FloatArray = norm.sf(z)
        return p
