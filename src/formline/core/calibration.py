"""Recalibration of forecast probabilities, fitted on a later fold than the model.

Calibrators are scikit-learn estimators over probabilities: ``fit(p, y)`` learns a map from a
model's probabilities ``p`` to calibrated ones and ``transform(p)`` applies it (multiclass
calibrators also answer ``predict_proba(p)``, the same thing). Fit them on out-of-sample
predictions from a fold after the model's training data, never on the model's own training rows.

- :class:`TemperatureScaling`: one parameter; safe on a few hundred rows.
- :class:`IsotonicCalibration`: per-class isotonic regression; needs a few thousand rows.
- :class:`PlattScaling`: logistic recalibration of a binary probability (over/under).
"""

from __future__ import annotations

import math
from typing import Literal, Protocol, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar  # type: ignore[import-untyped, unused-ignore]
from scipy.special import expit, logsumexp  # type: ignore[import-untyped, unused-ignore]
from sklearn.base import BaseEstimator  # type: ignore[import-untyped, unused-ignore]
from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped, unused-ignore]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]

from formline.core.metrics import as_outcomes, as_probabilities
from formline.errors import NotFittedError

__all__ = [
    "CalibrationMethod",
    "Calibrator",
    "IdentityCalibration",
    "IsotonicCalibration",
    "PlattScaling",
    "TemperatureScaling",
    "make_calibrator",
]

FloatArray = NDArray[np.float64]
CalibrationMethod = Literal["temperature", "isotonic", "none"]

_LOG_FLOOR = 1e-12  # log probabilities are taken after clipping here
_ISOTONIC_FLOOR = 1e-6
_LOG_TEMPERATURE_BOUNDS = (math.log(0.05), math.log(20.0))


class Calibrator(Protocol):
    """What :func:`make_calibrator` returns: ``fit(p, y)`` then ``transform(p)``."""

    def fit(self, p: ArrayLike, y: ArrayLike) -> Self: ...

    def transform(self, p: ArrayLike) -> FloatArray: ...


def _require(estimator: object, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"{type(estimator).__name__} is not fitted yet. Call `.fit()` first.")


class _MulticlassCalibrator(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Shared validation and the ``predict_proba`` / ``fit_transform`` aliases."""

    n_classes_: int

    def fit(self, p: ArrayLike, y: ArrayLike) -> Self:
        raise NotImplementedError

    def _calibrate(self, probs: FloatArray) -> FloatArray:
        raise NotImplementedError

    def _fit_inputs(self, p: ArrayLike, y: ArrayLike) -> tuple[FloatArray, NDArray[np.int64]]:
        probs = as_probabilities(p)
        outcomes = as_outcomes(y, probs.shape[1], probs.shape[0])
        self.n_classes_ = probs.shape[1]
        return probs, outcomes

    def transform(self, p: ArrayLike) -> FloatArray:
        """Calibrated probabilities.

        Parameters
        ----------
        p : array_like, shape (n, k)
            Probabilities from the model, rows summing to 1, ``k`` as in ``fit``.

        Returns
        -------
        numpy.ndarray, shape (n, k)
            Rows sum to 1.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        ValueError
            If ``p`` is not a valid probability matrix with ``k`` columns.
        """
        _require(self, "n_classes_")
        probs = self._calibrate(as_probabilities(p, self.n_classes_))
        result: FloatArray = probs / probs.sum(axis=1, keepdims=True)
        return result

    def predict_proba(self, p: ArrayLike) -> FloatArray:
        """Same as :meth:`transform`."""
        return self.transform(p)

    def fit_transform(self, p: ArrayLike, y: ArrayLike) -> FloatArray:
        """``fit(p, y).transform(p)``: in-sample, so for inspection rather than evaluation."""
        return self.fit(p, y).transform(p)


class TemperatureScaling(_MulticlassCalibrator):
    """One temperature for all classes: ``q ∝ p ** (1 / temperature_)``.

    Equivalent to dividing the log probabilities (logits) by the temperature and taking a
    softmax. ``temperature_ > 1`` softens over-confident forecasts, ``< 1`` sharpens
    under-confident ones, ``1`` leaves them unchanged. Fitted by minimising the log loss over
    ``log T`` in ``[log 0.05, log 20]`` with a bounded scalar search (deterministic).

    Attributes
    ----------
    temperature_ : float
        The fitted temperature.
    n_classes_ : int
        Number of columns seen in ``fit``.
    """

    temperature_: float

    def fit(self, p: ArrayLike, y: ArrayLike) -> Self:
        """Fit the temperature on probabilities ``p`` and observed classes ``y``.

        Parameters
        ----------
        p : array_like, shape (n, k)
            Out-of-sample probabilities from the model.
        y : array_like, shape (n,)
            Observed class indices.

        Returns
        -------
        TemperatureScaling
            ``self``, fitted.
        """
        probs, outcomes = self._fit_inputs(p, y)
        log_p = np.log(np.maximum(probs, _LOG_FLOOR))
        observed = log_p[np.arange(outcomes.shape[0]), outcomes]

        def loss(log_t: float) -> float:
            inverse = math.exp(-log_t)
            return float(np.mean(logsumexp(log_p * inverse, axis=1) - observed * inverse))

        result = minimize_scalar(
            loss, bounds=_LOG_TEMPERATURE_BOUNDS, method="bounded", options={"xatol": 1e-8}
        )
        self.temperature_ = float(math.exp(result.x))
        return self

    def _calibrate(self, probs: FloatArray) -> FloatArray:
        z = np.log(np.maximum(probs, _LOG_FLOOR)) / self.temperature_
        z -= z.max(axis=1, keepdims=True)
        result: FloatArray = np.exp(z)
        return result


class IsotonicCalibration(_MulticlassCalibrator):
    """Per-class isotonic regression (one-vs-rest), then rows renormalised.

    Each class's probability is mapped through a non-decreasing step function fitted to the
    indicator of that class; values outside the fitted range are clipped to its ends. Mapped
    values are clipped to ``[1e-6, 1]`` (a zero would make the log loss infinite) before the
    rows are renormalised.

    Parameters
    ----------
    min_rows : int, default 2000
        Refuse to fit on fewer rows: isotonic steps overfit small samples (use
        :class:`TemperatureScaling` there).

    Attributes
    ----------
    regressors_ : list of sklearn.isotonic.IsotonicRegression
        One fitted regression per class.
    n_classes_ : int
        Number of columns seen in ``fit``.
    """

    regressors_: list[IsotonicRegression]

    def __init__(self, min_rows: int = 2000) -> None:
        self.min_rows = min_rows

    def fit(self, p: ArrayLike, y: ArrayLike) -> Self:
        """Fit one isotonic regression per class.

        Parameters
        ----------
        p : array_like, shape (n, k)
            Out-of-sample probabilities from the model.
        y : array_like, shape (n,)
            Observed class indices.

        Returns
        -------
        IsotonicCalibration
            ``self``, fitted.

        Raises
        ------
        ValueError
            If there are fewer than ``min_rows`` rows.
        """
        probs, outcomes = self._fit_inputs(p, y)
        if probs.shape[0] < self.min_rows:
            raise ValueError(
                f"isotonic calibration needs at least min_rows={self.min_rows} rows, got "
                f"{probs.shape[0]}; use temperature scaling on small samples"
            )
        self.regressors_ = [
            IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
                probs[:, c], (outcomes == c).astype(np.float64)
            )
            for c in range(probs.shape[1])
        ]
        return self

    def _calibrate(self, probs: FloatArray) -> FloatArray:
        mapped = np.column_stack(
            [reg.predict(probs[:, c]) for c, reg in enumerate(self.regressors_)]
        ).astype(np.float64)
        result: FloatArray = np.clip(mapped, _ISOTONIC_FLOOR, 1.0)
        return result


class IdentityCalibration(_MulticlassCalibrator):
    """No recalibration: ``transform`` validates and returns the probabilities (renormalised)."""

    def fit(self, p: ArrayLike, y: ArrayLike) -> Self:
        """Validate the inputs and record the number of classes.

        Parameters
        ----------
        p : array_like, shape (n, k)
            Probabilities.
        y : array_like, shape (n,)
            Observed class indices.

        Returns
        -------
        IdentityCalibration
            ``self``.
        """
        self._fit_inputs(p, y)
        return self

    def _calibrate(self, probs: FloatArray) -> FloatArray:
        return probs


class PlattScaling(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Logistic recalibration of a binary probability: ``q = expit(a * logit(p) + b)``.

    For over/under (or any yes/no) probabilities. Unpenalised; probabilities are clipped to
    ``[1e-9, 1 - 1e-9]`` before the logit.

    Attributes
    ----------
    slope_ : float
        ``a``; below 1 when the forecasts were over-confident.
    intercept_ : float
        ``b``.
    """

    slope_: float
    intercept_: float

    @staticmethod
    def _logit(p: ArrayLike) -> FloatArray:
        prob = np.asarray(p, dtype=np.float64)
        if prob.ndim != 1:
            raise ValueError(f"binary probabilities must be 1-D, got shape {prob.shape}")
        if not np.all(np.isfinite(prob)) or prob.min(initial=0.0) < 0 or prob.max(initial=1.0) > 1:
            raise ValueError("binary probabilities must be finite and in [0, 1]")
        clipped = np.clip(prob, 1e-9, 1.0 - 1e-9)
        result: FloatArray = np.log(clipped) - np.log1p(-clipped)
        return result

    def fit(self, p: ArrayLike, y: ArrayLike) -> Self:
        """Fit the slope and intercept.

        Parameters
        ----------
        p : array_like, shape (n,)
            Out-of-sample probabilities of the event (e.g. over 2.5 goals).
        y : array_like, shape (n,)
            1 where the event happened, else 0.

        Returns
        -------
        PlattScaling
            ``self``, fitted.

        Raises
        ------
        ValueError
            If the inputs are invalid or ``y`` holds a single value.
        """
        logit = self._logit(p)
        outcomes = as_outcomes(y, 2, logit.shape[0])
        if np.unique(outcomes).size < 2:
            raise ValueError("Platt scaling needs both outcomes (0 and 1) among the rows")
        model = LogisticRegression(C=np.inf, max_iter=1000).fit(logit[:, None], outcomes)
        self.slope_ = float(model.coef_[0, 0])
        self.intercept_ = float(model.intercept_[0])
        return self

    def transform(self, p: ArrayLike) -> FloatArray:
        """Calibrated probabilities of the event.

        Parameters
        ----------
        p : array_like, shape (n,)
            Probabilities of the event.

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        _require(self, "slope_")
        result: FloatArray = expit(self.slope_ * self._logit(p) + self.intercept_)
        return result


def make_calibrator(method: CalibrationMethod, *, min_rows: int = 2000) -> Calibrator:
    """A fresh, unfitted multiclass calibrator by name.

    Parameters
    ----------
    method : {"temperature", "isotonic", "none"}
        :class:`TemperatureScaling`, :class:`IsotonicCalibration` or
        :class:`IdentityCalibration`.
    min_rows : int, default 2000
        Passed to :class:`IsotonicCalibration`.

    Returns
    -------
    Calibrator

    Raises
    ------
    ValueError
        If ``method`` is unknown.
    """
    if method == "temperature":
        return TemperatureScaling()
    if method == "isotonic":
        return IsotonicCalibration(min_rows=min_rows)
    if method == "none":
        return IdentityCalibration()
    raise ValueError(
        f"unknown calibration method {method!r}; use 'temperature', 'isotonic' or 'none'"
    )
