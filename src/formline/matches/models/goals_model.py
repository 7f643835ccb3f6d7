"""A goals model on the features: Poisson regression of each side's goals, then a score grid.

Where the multinomial logistic model learns from the result alone (win, draw or loss), this
model learns from the score: each side's goals are Poisson with a log-linear rate in the
standardised features, ``log lambda_home = b_h + x . w_h`` and ``log lambda_away = b_a + x . w_a``.
A 4-0 and a 1-0 teach it different things, which makes it a useful ensemble member beside the
logistic model. Dixon and Coles' low-score correction ``rho`` is then fitted by maximum likelihood
on the training scores (draws are more common than independent Poisson says), and the grid gives
1X2, over/under and exact scores from one fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.linear_model import PoissonRegressor
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from formline.matches.models.base import FloatArray, clip_probabilities, not_fitted
from formline.matches.models.dixon_coles import dixon_coles_grid, grid_outcomes, grid_over
from formline.matches.models.feature_models import _FeatureModel

#: Goals per side covered by the score grid (the mass beyond is negligible at football rates).
MAX_GOALS = 10
#: Largest |rho| tried; the grid clips rho further per match to keep every probability >= 0.
_RHO_BOUND = 0.3


class GoalsMatchModel(_FeatureModel):
    """Poisson regression of home and away goals on the standardised features.

    Missing feature values are imputed with the training median, with a missing-value indicator
    per feature that has any. ``alpha`` is the L2 penalty of scikit-learn's
    :class:`~sklearn.linear_model.PoissonRegressor` (its loss is the mean deviance, so the
    penalty's weight does not grow with the number of rows). The default 0.3 is what
    walk-forward cross-validation inside the training windows of the real-data backtest chose
    for the eight larger windows (20,000 matches and more; 1.0 for the three smaller ones),
    see ``benchmarks/regularisation.py``.
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        use_market: bool = True,
        alpha: float = 0.3,
        max_iter: int = 1000,
    ) -> None:
        self.features = features
        self.use_market = use_market
        self.alpha = alpha
        self.max_iter = max_iter

    def _pipeline(self) -> Pipeline:
        return self._linear_pipeline(PoissonRegressor(alpha=self.alpha, max_iter=self.max_iter))

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> GoalsMatchModel:
        """Fit the two goal regressions on ``X`` (features) and ``y`` (home_goals, away_goals)."""
        self._feature_names = self.feature_list()
        matrix = self._matrix(X)
        home = y["home_goals"].to_numpy(dtype=np.float64)
        away = y["away_goals"].to_numpy(dtype=np.float64)
        if np.isnan(home).any() or np.isnan(away).any():
            raise ValueError("targets must be finished matches: home_goals and away_goals known")
        with threadpool_limits(limits=1, user_api="blas"):
            self.home_model_ = self._pipeline().fit(matrix, home)
            self.away_model_ = self._pipeline().fit(matrix, away)
        self.rho_ = 0.0
        self.rho_ = self._fit_rho(X, home.astype(np.int64), away.astype(np.int64))
        return self

    def _fit_rho(self, X: pd.DataFrame, home: np.ndarray, away: np.ndarray) -> float:
        """The low-score correction that maximises the training scores' likelihood."""
        home_rate, away_rate = self.predict_rates(X)
        low = (home <= 1) & (away <= 1)  # only these scores depend on rho (up to normalising)
        if not low.any():
            return 0.0
        capped_home = np.minimum(home, MAX_GOALS)
        capped_away = np.minimum(away, MAX_GOALS)

        def loss(rho: float) -> float:
            grid = dixon_coles_grid(home_rate, away_rate, rho, MAX_GOALS)
            p = grid[np.arange(len(home)), capped_home, capped_away]
            return float(-np.log(np.maximum(p, 1e-300)).sum())

        found = minimize_scalar(loss, bounds=(-_RHO_BOUND, _RHO_BOUND), method="bounded")
        return float(found.x)

    def predict_rates(self, X: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
        """Expected goals of the home and the away side, each (n,)."""
        if not hasattr(self, "home_model_"):
            not_fitted(self)
        matrix = self._matrix(X)
        home: FloatArray = self.home_model_.predict(matrix)
        away: FloatArray = self.away_model_.predict(matrix)
        return home, away

    def predict_score_grid(self, X: pd.DataFrame) -> FloatArray:
        """(n, 11, 11) probabilities of each exact score (home goals, away goals)."""
        home_rate, away_rate = self.predict_rates(X)
        return dixon_coles_grid(home_rate, away_rate, self.rho_, MAX_GOALS)

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n, 3) probabilities of home, draw, away."""
        return clip_probabilities(grid_outcomes(self.predict_score_grid(X)))

    def predict_over_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n,) probability of more than 2.5 goals."""
        return grid_over(self.predict_score_grid(X))

    def explain(self, X: pd.DataFrame) -> FloatArray:
        """Each feature's exact term in ``log(lambda_home / lambda_away)``, signed per outcome:
        ``+term`` for a home win, ``0`` for the draw, ``-term`` for an away win; (n, features, 3).
        """
        if not hasattr(self, "home_model_"):
            not_fitted(self)
        ratio = (self._linear_terms(self.home_model_, X) - self._linear_terms(self.away_model_, X))[
            :, :, 0
        ]
        return np.stack([ratio, np.zeros_like(ratio), -ratio], axis=2)

    def feature_importances(self) -> pd.Series:
        """Mean absolute coefficient (standardised features) over the two goal regressions."""
        n = len(self.feature_names_)
        coef = (
            np.abs(self.home_model_.named_steps["model"].coef_[:n])
            + np.abs(self.away_model_.named_steps["model"].coef_[:n])
        ) / 2.0
        return pd.Series(coef, index=self.feature_names_)
