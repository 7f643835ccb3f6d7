"""Scores for probabilistic forecasts of ordered outcomes (1X2) and of binary markets (over/under).

Every multiclass function takes outcomes ``y`` of shape ``(n,)`` holding class indices
``0, 1, 2`` (home, draw, away) and probabilities ``p`` of shape ``(n, k)`` whose rows sum to 1
(within ``1e-6``; rows are renormalised before scoring). Missing values are an error: drop the
matches without a forecast first, and score every model on the same matches as the market.
Lower is better for every loss; ``accuracy`` is higher-is-better.

The ranked probability score (:func:`rps`, :func:`per_match_rps`) is for ordered outcomes only,
such as 1X2 (home, draw, away: goal difference falling). For outcomes without an order (the
winner of a race among its runners) it would depend on how the columns happen to be listed:
score those with the log loss or the Brier score, per event with
:mod:`formline.core.grouped`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import (  # type: ignore[import-untyped, unused-ignore]
    accuracy_score,
    brier_score_loss,
)
from sklearn.metrics import log_loss as _sk_log_loss  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "accuracy",
    "as_outcomes",
    "as_probabilities",
    "brier_score",
    "calibration_slope_intercept",
    "evaluate",
    "evaluate_binary",
    "expected_calibration_error",
    "log_loss",
    "per_match_log_loss",
    "per_match_rps",
    "rps",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_SUM_TOL = 1e-6
# sklearn's log loss clips at the machine epsilon of the dtype; the per-match version matches it.
_EPS = float(np.finfo(np.float64).eps)
# Logits of probabilities are taken after clipping to [_LOGIT_EPS, 1 - _LOGIT_EPS].
_LOGIT_EPS = 1e-9
_NEWTON_MAX_ITER = 100


def as_probabilities(p: ArrayLike, n_classes: int | None = None) -> FloatArray:
    """Validate a probability matrix and return it as float64 with rows renormalised.

    Parameters
    ----------
    p : array_like, shape (n, k)
        Probabilities, one row per match.
    n_classes : int, optional
        Required number of columns ``k``.

    Returns
    -------
    numpy.ndarray, shape (n, k)
        A new array whose rows sum to 1 to machine precision.

    Raises
    ------
    ValueError
        If ``p`` is not 2-D with ``k >= 2`` (or ``n_classes``) columns, is empty, holds a
        non-finite value or a value outside ``[0, 1]``, or a row does not sum to 1 within 1e-6.
    """
    arr = np.array(p, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"probabilities must have shape (n, k) with k >= 2, got {arr.shape}")
    if n_classes is not None and arr.shape[1] != n_classes:
        raise ValueError(f"probabilities must have {n_classes} columns, got {arr.shape[1]}")
    if arr.shape[0] == 0:
        raise ValueError("probabilities are empty; need at least one row")
    if not np.all(np.isfinite(arr)):
        raise ValueError("probabilities contain NaN or infinite values; drop those rows first")
    if arr.min() < 0.0 or arr.max() > 1.0:
        raise ValueError("probabilities must lie in [0, 1]")
    sums = arr.sum(axis=1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > _SUM_TOL:
        raise ValueError(f"probability rows must sum to 1; the worst row is off by {worst:.3g}")
    arr /= sums[:, None]
    return arr


def as_outcomes(y: ArrayLike, n_classes: int = 3, n_rows: int | None = None) -> IntArray:
    """Validate outcome class indices and return them as int64.

    Parameters
    ----------
    y : array_like, shape (n,)
        Class indices in ``0 .. n_classes - 1`` (integers, or floats with integer values).
    n_classes : int, default 3
        Number of classes.
    n_rows : int, optional
        Required length (the number of probability rows).

    Returns
    -------
    numpy.ndarray of int64, shape (n,)

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, has the wrong length, or holds a value that is missing, not an
        integer or out of range.
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"outcomes must be 1-D, got shape {arr.shape}")
    if n_rows is not None and arr.shape[0] != n_rows:
        raise ValueError(f"outcomes have {arr.shape[0]} rows but probabilities have {n_rows}")
    as_float = arr.astype(np.float64)
    if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
        raise ValueError("outcomes must be integer class indices without missing values")
    out = as_float.astype(np.int64)
    if out.size and (out.min() < 0 or out.max() >= n_classes):
        raise ValueError(f"outcomes must be class indices in 0..{n_classes - 1}")
    return out


def _check(y: ArrayLike, p: ArrayLike) -> tuple[IntArray, FloatArray]:
    probs = as_probabilities(p)
    return as_outcomes(y, probs.shape[1], probs.shape[0]), probs


def _labels(k: int) -> list[int]:
    return list(range(k))


def per_match_log_loss(y: ArrayLike, p: ArrayLike) -> FloatArray:
    """Negative log probability of the observed outcome, one value per match.

    Probabilities are clipped at the float64 machine epsilon, as in scikit-learn.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    yy, pp = _check(y, p)
    observed = pp[np.arange(yy.shape[0]), yy]
    result: FloatArray = -np.log(np.clip(observed, _EPS, 1.0 - _EPS))
    return result


def log_loss(y: ArrayLike, p: ArrayLike) -> float:
    """Mean negative log likelihood (natural log) of the observed outcomes.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities.

    Returns
    -------
    float
    """
    yy, pp = _check(y, p)
    return float(_sk_log_loss(yy, pp, labels=_labels(pp.shape[1])))


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Multiclass Brier score: mean over matches of ``sum_k (p_k - onehot_k)**2``.

    Not halved: it ranges over ``[0, 2]``; uniform 1X2 forecasts score ``2/3``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities.

    Returns
    -------
    float
    """
    yy, pp = _check(y, p)
    return float(brier_score_loss(yy, pp, labels=_labels(pp.shape[1]), scale_by_half=False))


def per_match_rps(y: ArrayLike, p: ArrayLike) -> FloatArray:
    """Ranked probability score per match, for ordered outcomes only (1X2), columns in order.

    Columns must follow the outcomes' natural order (home, draw, away): reordering them changes
    the score. For unordered outcomes (race runners) use :func:`per_match_log_loss`, the Brier
    score or :mod:`formline.core.grouped` instead.

    ``RPS = sum_{j=1}^{K-1} (P_j - O_j)**2 / (K - 1)`` with cumulative forecast ``P_j`` and
    cumulative outcome ``O_j``; for 1X2, ``((P_home - O_home)**2 + (P_home+draw - O_home+draw)**2)
    / 2``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities, columns in outcome order.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Values in ``[0, 1]``.
    """
    yy, pp = _check(y, p)
    k = pp.shape[1]
    cum_p = np.cumsum(pp, axis=1)[:, :-1]
    # O_j = 1 once the observed class is at or before j.
    cum_o = (yy[:, None] <= np.arange(k - 1)[None, :]).astype(np.float64)
    result: FloatArray = ((cum_p - cum_o) ** 2).sum(axis=1) / (k - 1)
    return result


def rps(y: ArrayLike, p: ArrayLike) -> float:
    """Mean ranked probability score (see :func:`per_match_rps`): ordered outcomes only.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities, columns in outcome order.

    Returns
    -------
    float
    """
    return float(per_match_rps(y, p).mean())


def accuracy(y: ArrayLike, p: ArrayLike) -> float:
    """Share of matches whose most probable class happened (ties go to the lower index).

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities.

    Returns
    -------
    float
    """
    yy, pp = _check(y, p)
    return float(accuracy_score(yy, np.argmax(pp, axis=1)))


def _binned_gap(prob: FloatArray, hit: FloatArray, n_bins: int) -> float:
    """``sum_b (n_b / n) |mean(prob in b) - mean(hit in b)|`` over equal-width bins on [0, 1]."""
    bins = np.minimum((prob * n_bins).astype(np.int64), n_bins - 1)
    sum_prob = np.bincount(bins, weights=prob, minlength=n_bins)
    sum_hit = np.bincount(bins, weights=hit, minlength=n_bins)
    # |sum_prob - sum_hit| / n equals (n_b / n) * |mean gap| per bin; empty bins add 0.
    return float(np.abs(sum_prob - sum_hit).sum() / prob.shape[0])


def expected_calibration_error(y: ArrayLike, p: ArrayLike, n_bins: int = 10) -> float:
    """Classwise expected calibration error, averaged over classes.

    For each class ``k``, matches are put in ``n_bins`` equal-width bins of ``p[:, k]`` on
    ``[0, 1]``; the class's error is the count-weighted mean of ``|mean p_k - frequency of k|``
    over the bins. The result is the mean of the ``K`` class errors. (Top-label ECE would only
    look at the favourite, which hides a miscalibrated draw column.)

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities.
    n_bins : int, default 10
        Number of equal-width bins.

    Returns
    -------
    float
        In ``[0, 1]``; 0 for perfect calibration (up to binning and sampling noise).

    Raises
    ------
    ValueError
        If ``n_bins < 1``.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    yy, pp = _check(y, p)
    k = pp.shape[1]
    errors = [_binned_gap(pp[:, c], (yy == c).astype(np.float64), n_bins) for c in range(k)]
    return float(np.mean(errors))


def _neg_log_likelihood(design: FloatArray, hit: FloatArray, beta: FloatArray) -> float:
    eta = design @ beta
    # -log L = sum log(1 + e^eta) - hit * eta, computed without overflow.
    return float(np.sum(np.logaddexp(0.0, eta) - hit * eta))


def _logistic_recalibration(prob: FloatArray, hit: FloatArray) -> tuple[float, float]:
    """Unpenalised logistic regression of ``hit`` on ``logit(prob)``: ``(slope, intercept)``.

    Newton's method (IRLS) with step halving on the likelihood: two parameters, so each step
    is a 2x2 solve and the fit takes milliseconds on 100,000 rows.
    """
    clipped = np.clip(prob, _LOGIT_EPS, 1.0 - _LOGIT_EPS)
    logit = np.log(clipped) - np.log1p(-clipped)
    if np.ptp(logit) < 1e-12 or np.all(hit == hit[0]):
        return float("nan"), float("nan")  # constant forecasts or outcomes: not identified
    design = np.column_stack([logit, np.ones_like(clipped)])
    beta = np.array([1.0, 0.0])
    loss = _neg_log_likelihood(design, hit, beta)
    for _ in range(_NEWTON_MAX_ITER):
        mu = 0.5 * (1.0 + np.tanh(0.5 * (design @ beta)))  # the logistic function, overflow-free
        gradient = design.T @ (hit - mu)
        hessian = (design * (mu * (1.0 - mu))[:, None]).T @ design + 1e-12 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while size > 1e-8:
            candidate = beta + size * step
            new_loss = _neg_log_likelihood(design, hit, candidate)
            if new_loss <= loss:
                break
            size *= 0.5
        else:
            break
        beta, converged = candidate, loss - new_loss < 1e-12 * max(loss, 1.0)
        loss = new_loss
        if converged:
            break
    return float(beta[0]), float(beta[1])


def calibration_slope_intercept(y: ArrayLike, p: ArrayLike) -> tuple[float, float]:
    """Logistic recalibration slope and intercept, one-vs-rest classes stacked.

    Each match contributes ``K`` rows ``(logit p_k, 1[y == k])``; an unpenalised logistic
    regression of the indicator on the logit gives ``(slope, intercept)``. Perfect calibration
    gives slope 1 and intercept 0; a slope below 1 means over-confident forecasts (too extreme),
    above 1 under-confident. Probabilities are clipped to ``[1e-9, 1 - 1e-9]`` first. The fit is
    Newton's method (IRLS); it agrees with scikit-learn's unpenalised ``LogisticRegression``.
    Forecasts whose logits are all equal (uniform) give ``(nan, nan)``; forecasts that separate
    the outcomes perfectly give a meaningless value (the maximum-likelihood slope is infinite).

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities.

    Returns
    -------
    tuple of float
        ``(slope, intercept)``.
    """
    yy, pp = _check(y, p)
    hit = (yy[:, None] == np.arange(pp.shape[1])[None, :]).astype(np.float64)
    return _logistic_recalibration(pp.ravel(), hit.ravel())


def evaluate(y: ArrayLike, p: ArrayLike) -> dict[str, float]:
    """Every multiclass score at once.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed class indices.
    p : array_like, shape (n, k)
        Forecast probabilities.

    Returns
    -------
    dict of str to float
        ``log_loss``, ``brier``, ``rps``, ``accuracy``, ``ece`` (classwise, 10 bins),
        ``calibration_slope``, ``calibration_intercept`` and ``n`` (an int, the match count).
    """
    yy, pp = _check(y, p)
    slope, intercept = calibration_slope_intercept(yy, pp)
    return {
        "log_loss": log_loss(yy, pp),
        "brier": brier_score(yy, pp),
        "rps": rps(yy, pp),
        "accuracy": accuracy(yy, pp),
        "ece": expected_calibration_error(yy, pp),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "n": yy.shape[0],
    }


def evaluate_binary(y: ArrayLike, p_over: ArrayLike, n_bins: int = 10) -> dict[str, float]:
    """Scores of a binary forecast such as over 2.5 goals.

    Parameters
    ----------
    y : array_like, shape (n,)
        1 where the event happened (over), 0 otherwise (under).
    p_over : array_like, shape (n,)
        Forecast probability of the event.
    n_bins : int, default 10
        Bins for the calibration error.

    Returns
    -------
    dict of str to float
        ``log_loss``; ``brier`` as the usual binary ``mean((p - y)**2)`` (half the two-column
        multiclass Brier); ``accuracy`` (the event is predicted when ``p >= 0.5``); ``ece``
        (equal-width bins of ``p_over``); ``calibration_slope``, ``calibration_intercept``
        (logistic recalibration on ``logit(p_over)``; NaN when ``y`` has a single value) and
        ``n``.

    Raises
    ------
    ValueError
        If ``p_over`` is not 1-D, holds a missing value or a value outside ``[0, 1]``, ``y``
        is not 0/1 of the same length, or ``n_bins < 1``.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    prob = np.asarray(p_over, dtype=np.float64)
    if prob.ndim != 1:
        raise ValueError(f"p_over must be 1-D, got shape {prob.shape}")
    probs = as_probabilities(np.column_stack([1.0 - prob, prob]))
    yy = as_outcomes(y, 2, prob.shape[0])
    hit = yy.astype(np.float64)
    slope, intercept = _logistic_recalibration(probs[:, 1], hit)
    return {
        "log_loss": float(_sk_log_loss(yy, probs, labels=[0, 1])),
        "brier": float(np.mean((probs[:, 1] - hit) ** 2)),
        "accuracy": float(np.mean((probs[:, 1] >= 0.5) == (yy == 1))),
        "ece": _binned_gap(probs[:, 1], hit, n_bins),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "n": yy.shape[0],
    }
