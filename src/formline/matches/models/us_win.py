"""US-sports win-probability models (two-way: home win or not) on the features of
:mod:`formline.matches.us_features`, and their walk-forward by season.

* :class:`SeasonalLogit`: a regularised logistic regression whose ``C`` is chosen inside
  ``fit`` by walk-forward over the training seasons only (each candidate trained on the seasons
  before a validation season and scored on it); missing values take the training median.
* :class:`ProbabilityColumn`: a reference that reads a probability (Elo's, the market's) from a
  column, the training base rate where it is missing.

Both follow the scikit-learn estimator contract: ``X`` a frame with the feature columns and a
``season`` column, ``y`` 1 for a home win and 0 otherwise, ``predict_proba`` columns (not a
home win, home win).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from formline.matches.models.base import not_fitted

__all__ = ["FeatureColumns", "ProbabilityColumn", "SeasonalLogit", "walk_forward"]

FloatArray = NDArray[np.float64]
_EPS = 1e-12


def _binary(y: ArrayLike, n: int) -> NDArray[np.int64]:
    yy = np.asarray(y)
    if yy.shape != (n,):
        raise ValueError(f"y must have one value per row of X ({n}), got shape {yy.shape}")
    if not np.isin(yy, (0, 1)).all():
        raise ValueError("y must be 0 (no home win) or 1 (home win)")
    return yy.astype(np.int64)


def _log_loss(y: NDArray[np.int64], p: FloatArray) -> float:
    q = np.clip(p, _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


class _GameModel(BaseEstimator):  # type: ignore[misc]
    """Reading a learned attribute (``..._``) before ``fit`` raises the not-fitted error."""

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> NoReturn:
            if name.endswith("_") and not name.startswith("__"):
                not_fitted(self)
            raise AttributeError(name)


class FeatureColumns(_GameModel):
    """A US game model on a fixed list of feature columns (``features``), read from ``X`` as a
    float matrix."""

    features: Sequence[str]

    def _design(self, X: pd.DataFrame) -> FloatArray:
        missing = [c for c in self.features if c not in X.columns]
        if missing:
            raise ValueError(f"X is missing feature columns {missing}")
        design: FloatArray = X[list(self.features)].to_numpy(dtype=np.float64)
        return design


class SeasonalLogit(ClassifierMixin, FeatureColumns):  # type: ignore[misc]
    """Logistic regression with ``C`` chosen walk-forward on the training seasons.

    Parameters
    ----------
    features : sequence of str
        The feature columns of ``X``.
    Cs : sequence of float, default (0.001, 0.01, 0.1, 1.0)
        Candidate inverse regularisation strengths; one candidate skips the selection.
    validation_seasons : int, default 2
        How many of the latest training seasons score the candidates (each candidate is fitted
        on the seasons before each of them).
    max_iter : int, default 1000

    Attributes
    ----------
    C_ : float
        The chosen ``C``.
    validation_loss_ : dict of float to float
        Each candidate's mean validation log loss (empty when there was nothing to choose).
    model_ : sklearn.pipeline.Pipeline
        Median imputation, scaling and the logistic regression, fitted on every row with ``C_``.
    classes_ : numpy.ndarray
        ``[0, 1]``.
    """

    def __init__(
        self,
        features: Sequence[str] = (),
        Cs: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
        validation_seasons: int = 2,
        max_iter: int = 1000,
    ) -> None:
        self.features = features
        self.Cs = Cs
        self.validation_seasons = validation_seasons
        self.max_iter = max_iter

    def _pipeline(self, C: float) -> Pipeline:
        return make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=C, max_iter=self.max_iter),
        )

    def fit(self, X: pd.DataFrame, y: ArrayLike) -> SeasonalLogit:
        """Choose ``C`` walk-forward over ``X["season"]``, then fit on every row.

        Raises
        ------
        ValueError
            If there are no features or candidates, a column is missing, or ``y`` is not 0/1
            with one value per row.
        """
        if not self.features:
            raise ValueError("features is empty: name the feature columns to use")
        if not self.Cs or any(c <= 0 for c in self.Cs):
            raise ValueError(f"Cs must be positive values, got {self.Cs!r}")
        design = self._design(X)
        target = _binary(y, len(X))
        if "season" not in X.columns:
            raise ValueError("X needs a season column to choose C walk-forward")
        seasons = X["season"].astype(str).to_numpy()
        order = sorted(set(seasons))
        checks = order[1:][-self.validation_seasons :] if self.validation_seasons > 0 else []
        losses: dict[float, float] = {}
        if len(self.Cs) > 1 and checks:
            for C in self.Cs:
                scores = []
                for season in checks:
                    train, test = seasons < season, seasons == season
                    if len(np.unique(target[train])) < 2:
                        continue
                    model = self._pipeline(float(C)).fit(design[train], target[train])
                    scores.append(_log_loss(target[test], model.predict_proba(design[test])[:, 1]))
                if scores:
                    losses[float(C)] = float(np.mean(scores))
        self.validation_loss_ = losses
        self.C_ = min(losses, key=losses.__getitem__) if losses else float(self.Cs[-1])
        self.model_ = self._pipeline(self.C_).fit(design, target)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """``[P(no home win), P(home win)]`` per row."""
        p: FloatArray = self.model_.predict_proba(self._design(X))
        return p


class ProbabilityColumn(ClassifierMixin, _GameModel):  # type: ignore[misc]
    """A forecaster's home-win probability read from a column (Elo's, the market's), as a model.

    Parameters
    ----------
    column : str
        The column holding the probability (or its logit, with ``logit``).
    logit : bool, default False
        The column holds ``log(p / (1 - p))``.

    Attributes
    ----------
    fallback_ : float
        The training home-win rate, given to rows whose column is missing.
    classes_ : numpy.ndarray
    """

    def __init__(self, column: str = "elo_prob", logit: bool = False) -> None:
        self.column = column
        self.logit = logit

    def fit(self, X: pd.DataFrame, y: ArrayLike) -> ProbabilityColumn:
        """Learn the fallback (the home-win rate of ``y``)."""
        if self.column not in X.columns:
            raise ValueError(f"X has no column {self.column!r}")
        self.fallback_ = float(np.mean(_binary(y, len(X)))) if len(X) else 0.5
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """``[P(no home win), P(home win)]`` per row."""
        if self.column not in X.columns:
            raise ValueError(f"X has no column {self.column!r}")
        values = X[self.column].to_numpy(dtype=np.float64)
        p = 1.0 / (1.0 + np.exp(-values)) if self.logit else values
        p = np.where(np.isnan(p), self.fallback_, p)
        return np.column_stack([1.0 - p, p])


def walk_forward(
    frame: pd.DataFrame,
    y: pd.Series,
    make: Callable[[], Any],
    test_seasons: Sequence[str],
    *,
    train_seasons: int | None = None,
    fitted: dict[str, Any] | None = None,
) -> pd.Series:
    """Season by season: fit a fresh ``make()`` on the earlier seasons, predict the next.

    Parameters
    ----------
    frame : pandas.DataFrame
        Features with a ``season`` column, every game (unfinished and tied ones too).
    y : pandas.Series
        Aligned with ``frame``: 1 home win, 0 home loss, NaN where the game was not decided
        (ties, unplayed); those rows are predicted but never trained on.
    make : callable
        Returns an unfitted estimator (``fit(X, y)``, ``predict_proba(X)``).
    test_seasons : sequence of str
        The seasons to predict, each from the seasons before it only.
    train_seasons : int, optional
        Train on at most this many seasons before each test season (all when None).
    fitted : dict, optional
        Filled with each test season's fitted model, by season.

    Returns
    -------
    pandas.Series
        P(home win) for the rows of the test seasons (index of ``frame``).
    """
    seasons = frame["season"].astype(str)
    order = sorted(seasons.unique())
    out = []
    for season in test_seasons:
        earlier = [s for s in order if s < season]
        if train_seasons is not None:
            earlier = earlier[-train_seasons:]
        train = seasons.isin(earlier) & y.notna()
        test = seasons == season
        if not test.any() or not train.any():
            continue
        model = clone(make()).fit(frame[train], y[train].astype(int).to_numpy())
        if fitted is not None:
            fitted[season] = model
        p = model.predict_proba(frame[test])[:, 1]
        out.append(pd.Series(p, index=frame.index[test]))
    if not out:
        return pd.Series(dtype="float64")
    return pd.concat(out)
