"""Calibrators: recover a known distortion, help held-out log loss, leave calibrated data alone."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from formline.core.calibration import (
    IdentityCalibration,
    IsotonicCalibration,
    PlattScaling,
    TemperatureScaling,
    make_calibrator,
)
from formline.core.metrics import evaluate_binary, log_loss
from formline.core.ratings import NotFittedError


def _simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet([3.0, 2.0, 2.5], size=n)
    y = (p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    return y, p


def _sharpen(p: np.ndarray, temperature: float) -> np.ndarray:
    q = p ** (1.0 / temperature)
    return q / q.sum(axis=1, keepdims=True)


def test_temperature_recovers_a_known_distortion() -> None:
    y, p = _simulate(20_000, seed=0)
    sharp = _sharpen(p, 0.7)  # over-confident: p ** (1 / 0.7)
    cal = TemperatureScaling().fit(sharp, y)
    # Undoing p ** (1 / 0.7) needs q ** 0.7 = q ** (1 / T), so T = 1 / 0.7.
    assert cal.temperature_ == pytest.approx(1 / 0.7, rel=0.05)
    np.testing.assert_allclose(cal.transform(sharp), p, atol=0.03)


def test_temperature_is_one_when_already_calibrated() -> None:
    y, p = _simulate(20_000, seed=1)
    cal = TemperatureScaling().fit(p, y)
    assert cal.temperature_ == pytest.approx(1.0, abs=0.04)


@pytest.mark.parametrize("method", ["temperature", "isotonic"])
def test_calibration_helps_held_out_log_loss(method: str) -> None:
    y, p = _simulate(12_000, seed=2)
    distorted = _sharpen(p, 0.6)
    fit_rows, test_rows = slice(0, 6_000), slice(6_000, None)
    cal = make_calibrator(method).fit(distorted[fit_rows], y[fit_rows])  # type: ignore[arg-type]
    calibrated = cal.transform(distorted[test_rows])
    assert log_loss(y[test_rows], calibrated) < log_loss(y[test_rows], distorted[test_rows]) - 0.01
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0, atol=1e-12)
    assert calibrated.min() >= 0.0


def test_isotonic_rows_sum_to_one_and_are_floored() -> None:
    y, p = _simulate(3_000, seed=3)
    cal = IsotonicCalibration().fit(p, y)
    out = cal.predict_proba(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3]]))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-12)
    assert out.min() > 0.0
    assert len(cal.regressors_) == 3


def test_isotonic_refuses_small_samples() -> None:
    y, p = _simulate(500, seed=4)
    with pytest.raises(ValueError, match="min_rows"):
        IsotonicCalibration().fit(p, y)
    assert IsotonicCalibration(min_rows=100).fit(p, y).n_classes_ == 3


def test_identity() -> None:
    y, p = _simulate(50, seed=5)
    out = make_calibrator("none").fit(p, y).transform(p)
    np.testing.assert_allclose(out, p, atol=1e-12)
    assert isinstance(make_calibrator("none"), IdentityCalibration)


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown calibration method"):
        make_calibrator("beta")  # type: ignore[arg-type]


def test_estimator_contract() -> None:
    y, p = _simulate(3_000, seed=6)
    cal = IsotonicCalibration(min_rows=1_000)
    assert cal.get_params() == {"min_rows": 1_000}
    copy = clone(cal)
    assert copy.min_rows == 1_000 and not hasattr(copy, "regressors_")
    assert cal.fit(p, y) is cal
    with pytest.raises(NotFittedError, match="fit"):
        TemperatureScaling().transform(p)
    with pytest.raises(NotFittedError):
        PlattScaling().transform(p[:, 0])


def test_transform_checks_the_number_of_columns() -> None:
    y, p = _simulate(100, seed=7)
    cal = TemperatureScaling().fit(p, y)
    with pytest.raises(ValueError, match="3 columns"):
        cal.transform(np.array([[0.5, 0.5]]))


def test_platt_scaling() -> None:
    rng = np.random.default_rng(8)
    true = rng.uniform(0.25, 0.75, size=20_000)
    y = (rng.random(20_000) < true).astype(int)
    logit = np.log(true / (1 - true))
    over_confident = 1 / (1 + np.exp(-2.0 * logit))
    cal = PlattScaling().fit(over_confident[:10_000], y[:10_000])
    assert cal.slope_ == pytest.approx(0.5, abs=0.08)
    assert cal.intercept_ == pytest.approx(0.0, abs=0.05)
    before = evaluate_binary(y[10_000:], over_confident[10_000:])["log_loss"]
    after = evaluate_binary(y[10_000:], cal.transform(over_confident[10_000:]))["log_loss"]
    assert after < before
    with pytest.raises(ValueError, match="both outcomes"):
        PlattScaling().fit([0.4, 0.6], [1, 1])
