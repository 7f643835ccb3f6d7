"""The conditional logit: a linear score per runner, a softmax within each race.

McFadden's model as Bolton and Chapman (1986) and Benter (1994) used it for races: runner ``i``
of race ``g`` wins with ``p_i = exp(beta . x_i) / sum_{j in g} exp(beta . x_j)``. ``beta`` is
fitted by maximising the winners' log likelihood with an L2 penalty, by L-BFGS with the
analytic gradient. There is no intercept: a constant is the same for every runner of a race and
cancels, and so does anything else constant within a race.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from formline.core.grouped import grouped_cross_entropy, grouped_demean, grouped_softmax
from formline.errors import DataError, InvalidParameterError, NotFittedError
from formline.races.models._inputs import (
    FloatArray,
    feature_matrix,
    race_codes,
    race_sum,
    winner_credit,
)

Missing = Literal["error", "race_mean"]


def _race_means(
    matrix: FloatArray, missing: NDArray[np.bool_], codes: NDArray[np.int64], n_races: int
) -> FloatArray:
    """Each race's mean of each column over its non-missing rows (0 where all are missing)."""
    filled = np.where(missing, 0.0, matrix)
    means = np.zeros((n_races, matrix.shape[1]))
    for column in range(matrix.shape[1]):
        counts = race_sum((~missing[:, column]).astype(np.float64), codes, n_races)
        totals = race_sum(filled[:, column], codes, n_races)
        np.divide(totals, counts, out=means[:, column], where=counts > 0)
    return means


def penalised_objective(
    beta: FloatArray, design: FloatArray, groups: ArrayLike, credit: FloatArray, alpha: float
) -> tuple[float, FloatArray]:
    """The fit's objective and its gradient in ``beta``.

    ``mean over races of -sum_i t_i log softmax(design @ beta)_i + alpha / 2 * ||beta||**2``,
    the mean taken over the races with a winner (``credit`` summing to 1).

    Parameters
    ----------
    beta : numpy.ndarray of shape (d,)
    design : numpy.ndarray of shape (n, d)
    groups : array_like of shape (n,)
    credit : numpy.ndarray of shape (n,)
        Each runner's share of its race's win; each race's sums to 1 or 0.
    alpha : float

    Returns
    -------
    tuple of (float, numpy.ndarray of shape (d,))
    """
    loss, gradient = grouped_cross_entropy(design @ beta, groups, credit)
    n_decided = float(credit.sum())
    value = loss / n_decided + 0.5 * alpha * float(beta @ beta)
    return value, design.T @ gradient / n_decided + alpha * beta


class ConditionalLogit(BaseEstimator):  # type: ignore[misc]
    """Softmax within each race over a linear score, L2-regularised.

    The objective is the mean over races of ``-sum_i t_i log p_i`` plus
    ``alpha / 2 * ||beta_s||**2``, with ``t_i`` the runner's share of the win (1 for the winner,
    ``1 / m`` to each of ``m`` dead heaters) and ``beta_s`` the coefficients of the standardised
    features. Races without a winner are left out of the fit.

    Parameters
    ----------
    alpha : float, default 1e-3
        L2 penalty per race; 0 for the plain maximum likelihood fit.
    center : bool, default True
        Subtract each race's mean from every feature (features relative to the field). The
        likelihood does not change; the standardisation (and so the penalty) then sees only
        the within-race spread.
    standardize : bool, default True
        Divide each feature by its standard deviation over the training rows (after centring)
        before the penalised fit; ``coef_`` is reported in the features' own units.
    missing : {"error", "race_mean"}, default "error"
        ``"race_mean"`` replaces a missing value by the mean of the feature over the race's other
        runners (0 when the whole race lacks it), so the runner is scored as average on it.
    max_iter : int, default 500
        L-BFGS iterations.
    tol : float, default 1e-8
        L-BFGS projected-gradient tolerance.

    Attributes
    ----------
    coef_ : numpy.ndarray of shape (n_features,)
        ``beta`` in the units of the (centred) features.
    scale_ : numpy.ndarray of shape (n_features,)
        The standard deviations the fit divided by (ones without standardisation).
    feature_names_in_ : numpy.ndarray of str
        Column names, when ``X`` was a frame.
    n_features_in_, n_races_, n_iter_ : int
    loss_ : float
        Mean negative log likelihood per race at the optimum (without the penalty).
    """

    def __init__(
        self,
        alpha: float = 1e-3,
        center: bool = True,
        standardize: bool = True,
        missing: Missing = "error",
        max_iter: int = 500,
        tol: float = 1e-8,
    ) -> None:
        self.alpha = alpha
        self.center = center
        self.standardize = standardize
        self.missing = missing
        self.max_iter = max_iter
        self.tol = tol

    def _design(self, X: Any, groups: ArrayLike | None, fitted: bool) -> tuple[FloatArray, Any]:
        names = (
            list(self.feature_names_in_) if fitted and hasattr(self, "feature_names_in_") else None
        )
        matrix, columns = feature_matrix(X, names)
        if fitted and matrix.shape[1] != self.n_features_in_:
            raise DataError(f"X has {matrix.shape[1]} features; fitted on {self.n_features_in_}")
        codes, n_races = race_codes(groups, matrix.shape[0])
        missing = np.isnan(matrix)
        if self.missing not in ("error", "race_mean"):
            raise InvalidParameterError(
                f"missing must be 'error' or 'race_mean', not {self.missing!r}"
            )
        if missing.any() and self.missing == "error":
            raise DataError("X has missing values; impute them or use missing='race_mean'")
        if np.isinf(matrix).any():
            raise DataError("X has infinite values")
        if self.center:
            design = np.where(missing, 0.0, grouped_demean(matrix, codes))
        elif missing.any():
            design = np.where(missing, _race_means(matrix, missing, codes, n_races)[codes], matrix)
        else:
            design = matrix
        return design, (codes, n_races, columns)

    def fit(self, X: Any, y: ArrayLike, *, groups: ArrayLike) -> ConditionalLogit:
        """Fit ``beta`` on runners ``X``, winners ``y`` (1 for a winner) and races ``groups``.

        Raises
        ------
        InvalidParameterError
            If a parameter is out of range, or the shapes disagree.
        DataError
            If ``X`` has missing values (with ``missing="error"``) or no race has a winner.
        """
        if not (np.isfinite(self.alpha) and self.alpha >= 0.0):
            raise InvalidParameterError(f"alpha must be >= 0, got {self.alpha!r}")
        design, (codes, n_races, columns) = self._design(X, groups, fitted=False)
        credit = winner_credit(y, codes, n_races)
        decided = race_sum(credit, codes, n_races) > 0.0
        if not decided.any():
            raise DataError("no race has a winner: nothing to fit")
        keep = decided[codes]
        design, credit, codes = design[keep], credit[keep], codes[keep]
        scale = design.std(axis=0) if self.standardize else np.ones(design.shape[1])
        scale = np.where(scale > 0.0, scale, 1.0)
        standardised = design / scale

        result = minimize(
            penalised_objective,
            np.zeros(design.shape[1]),
            args=(standardised, codes, credit, self.alpha),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15},
        )
        if not result.success and result.nit >= self.max_iter:
            warnings.warn(
                f"ConditionalLogit did not converge in {self.max_iter} iterations; raise max_iter",
                ConvergenceWarning,
                stacklevel=2,
            )
        beta = np.asarray(result.x, dtype=np.float64)
        self.coef_ = beta / scale
        self.scale_ = scale
        self.n_features_in_ = design.shape[1]
        if columns is not None:
            self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_races_ = int(decided.sum())
        self.n_iter_ = int(result.nit)
        self.loss_ = float(result.fun) - 0.5 * self.alpha * float(beta @ beta)
        return self

    def decision_function(self, X: Any, *, groups: ArrayLike) -> FloatArray:
        """Each runner's score ``beta . x`` (relative to its race when ``center``)."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("ConditionalLogit is not fitted yet. Call `.fit()` first.")
        design, _ = self._design(X, groups, fitted=True)
        scores: FloatArray = design @ self.coef_
        return scores

    def predict_proba(self, X: Any, *, groups: ArrayLike) -> FloatArray:
        """Each runner's win probability; they sum to 1 within each race.

        Returns
        -------
        numpy.ndarray of shape (n_runners,)
        """
        return grouped_softmax(self.decision_function(X, groups=groups), groups)
