"""Combining forecasts: a linear pool with simplex weights and a Benter-style logit pool.

Both take a list of member forecasts, each of shape ``(n, k)`` with rows aligned (the same
matches in the same order). Fit them on out-of-fold predictions (the members predicting matches
they were not trained on), later in time than the members' training data; fitting on in-sample
predictions rewards the most overfitted member.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize  # type: ignore[import-untyped, unused-ignore]
from sklearn.base import BaseEstimator  # type: ignore[import-untyped, unused-ignore]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]

from formline.core.metrics import as_outcomes, as_probabilities
from formline.errors import NotFittedError

__all__ = ["LinearPool", "LogitPool", "fit_ensemble_weights"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_FLOOR = 1e-12  # probabilities are floored here before taking logs


def _members(prob_list: Sequence[ArrayLike], n_members: int | None = None) -> list[FloatArray]:
    """Validated member forecasts, all of one shape."""
    if len(prob_list) == 0:
        raise ValueError("prob_list is empty; pass at least one member forecast")
    if n_members is not None and len(prob_list) != n_members:
        raise ValueError(f"expected {n_members} member forecasts (as in fit), got {len(prob_list)}")
    members = [as_probabilities(p) for p in prob_list]
    shapes = {m.shape for m in members}
    if len(shapes) != 1:
        raise ValueError(f"member forecasts must share one shape (n, k), got {sorted(shapes)}")
    return members


def _fit_weights(members: list[FloatArray], outcomes: IntArray) -> FloatArray:
    rows = np.arange(outcomes.shape[0])
    # The pooled log loss only depends on each member's probability of the observed outcome.
    observed = np.column_stack([m[rows, outcomes] for m in members])
    m = observed.shape[1]
    if m == 1:
        return np.ones(1)

    def loss(w: FloatArray) -> float:
        return float(-np.mean(np.log(np.maximum(observed @ w, _FLOOR))))

    def gradient(w: FloatArray) -> FloatArray:
        pooled = np.maximum(observed @ w, _FLOOR)
        result: FloatArray = -(observed / pooled[:, None]).mean(axis=0)
        return result

    result = minimize(
        loss,
        np.full(m, 1.0 / m),
        jac=gradient,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * m,
        constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0, "jac": lambda w: np.ones(m)}],
        options={"ftol": 1e-12, "maxiter": 1000},
    )
    weights = np.clip(np.asarray(result.x, dtype=np.float64), 0.0, None)
    weights[weights < 1e-9] = 0.0  # SLSQP leaves ~1e-17 residue on inactive members
    normalised: FloatArray = weights / weights.sum()
    return normalised


def fit_ensemble_weights(prob_list: Sequence[ArrayLike], y: ArrayLike) -> FloatArray:
    """Simplex weights minimising the log loss of the linear pool ``sum_i w_i p_i``.

    The loss is convex in the weights, so the optimum is global; it is found by SLSQP from equal
    weights (deterministic). A member that adds nothing gets weight 0 exactly.

    Parameters
    ----------
    prob_list : sequence of array_like, each shape (n, k)
        Member forecasts on the same rows.
    y : array_like, shape (n,)
        Observed class indices.

    Returns
    -------
    numpy.ndarray, shape (len(prob_list),)
        Non-negative weights summing to 1.

    Raises
    ------
    ValueError
        If the list is empty, the forecasts differ in shape or are not valid probabilities, or
        ``y`` does not match them.
    """
    members = _members(prob_list)
    outcomes = as_outcomes(y, members[0].shape[1], members[0].shape[0])
    return _fit_weights(members, outcomes)


def _require(estimator: object, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"{type(estimator).__name__} is not fitted yet. Call `.fit()` first.")


class LinearPool(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Weighted average of member forecasts, weights fitted by :func:`fit_ensemble_weights`.

    Attributes
    ----------
    weights_ : numpy.ndarray, shape (n_members,)
        Non-negative weights summing to 1, in the order of ``prob_list``.
    n_members_ : int
        Number of members seen in ``fit``.
    """

    weights_: FloatArray
    n_members_: int

    def fit(self, prob_list: Sequence[ArrayLike], y: ArrayLike) -> Self:
        """Fit the weights on out-of-fold member forecasts.

        Parameters
        ----------
        prob_list : sequence of array_like, each shape (n, k)
            Member forecasts on the same rows.
        y : array_like, shape (n,)
            Observed class indices.

        Returns
        -------
        LinearPool
            ``self``, fitted.
        """
        self.weights_ = fit_ensemble_weights(prob_list, y)
        self.n_members_ = len(prob_list)
        return self

    def predict_proba(self, prob_list: Sequence[ArrayLike]) -> FloatArray:
        """The pooled forecast ``sum_i weights_[i] * prob_list[i]``.

        Parameters
        ----------
        prob_list : sequence of array_like, each shape (n, k)
            Member forecasts, members in the order used in ``fit``.

        Returns
        -------
        numpy.ndarray, shape (n, k)
            Rows sum to 1.
        """
        _require(self, "weights_")
        members = _members(prob_list, self.n_members_)
        pooled: FloatArray = np.tensordot(self.weights_, np.stack(members), axes=1)
        return pooled


class LogitPool(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Benter-style second stage: multinomial logistic regression on members' log-probabilities.

    The features of a row are ``log p_i[k]`` for every member ``i`` and class ``k`` (floored at
    1e-12), so the pool can weight members differently per outcome and correct their biases
    (e.g. a model's draw rate). Unlike the linear pool it multiplies forecasts, which rewards
    members carrying independent information (a model and the market). Fit it out of sample.

    Parameters
    ----------
    C : float, default 1.0
        Inverse L2 regularisation strength (scikit-learn's ``C``; the penalty is not divided by
        the number of rows, so it fades on thousands of rows). ``numpy.inf`` for none.
    max_iter : int, default 1000
        Iterations of the L-BFGS solver.

    Attributes
    ----------
    model_ : sklearn.linear_model.LogisticRegression
        The fitted regression.
    coef_ : numpy.ndarray, shape (k, k * n_members)
        Coefficients; column ``i * k + j`` belongs to ``log p_i[j]``.
    intercept_ : numpy.ndarray, shape (k,)
    n_members_ : int
    n_classes_ : int
    """

    model_: LogisticRegression
    coef_: FloatArray
    intercept_: FloatArray
    n_members_: int
    n_classes_: int

    def __init__(self, C: float = 1.0, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter

    @staticmethod
    def _features(members: list[FloatArray]) -> FloatArray:
        return np.log(np.maximum(np.hstack(members), _FLOOR))

    def fit(self, prob_list: Sequence[ArrayLike], y: ArrayLike) -> Self:
        """Fit the regression on out-of-fold member forecasts.

        Parameters
        ----------
        prob_list : sequence of array_like, each shape (n, k)
            Member forecasts on the same rows.
        y : array_like, shape (n,)
            Observed class indices; every class must occur.

        Returns
        -------
        LogitPool
            ``self``, fitted.

        Raises
        ------
        ValueError
            If the inputs are invalid, a class never occurs or ``C`` is not positive.
        """
        if not self.C > 0:
            raise ValueError(f"C must be positive, got {self.C!r}")
        members = _members(prob_list)
        k = members[0].shape[1]
        outcomes = as_outcomes(y, k, members[0].shape[0])
        missing = sorted(set(range(k)) - set(np.unique(outcomes).tolist()))
        if missing:
            raise ValueError(f"every class must occur to fit the logit pool; missing {missing}")
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(
            self._features(members), outcomes
        )
        self.coef_ = np.asarray(self.model_.coef_, dtype=np.float64)
        self.intercept_ = np.asarray(self.model_.intercept_, dtype=np.float64)
        self.n_members_ = len(members)
        self.n_classes_ = k
        return self

    def predict_proba(self, prob_list: Sequence[ArrayLike]) -> FloatArray:
        """The pooled forecast.

        Parameters
        ----------
        prob_list : sequence of array_like, each shape (n, k)
            Member forecasts, members in the order used in ``fit``.

        Returns
        -------
        numpy.ndarray, shape (n, k)
            Rows sum to 1.
        """
        _require(self, "model_")
        members = _members(prob_list, self.n_members_)
        if members[0].shape[1] != self.n_classes_:
            raise ValueError(
                f"member forecasts must have {self.n_classes_} columns, got {members[0].shape[1]}"
            )
        result: FloatArray = np.asarray(
            self.model_.predict_proba(self._features(members)), dtype=np.float64
        )
        return result
