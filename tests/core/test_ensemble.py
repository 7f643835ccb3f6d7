"""Pools: weights find the informative member, pooling never loses in-sample, logit pool
combines independent information."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from formline.core.ensemble import LinearPool, LogitPool, fit_ensemble_weights
from formline.core.metrics import log_loss
from formline.core.ratings import NotFittedError


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _draw(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (p.cumsum(axis=1) < rng.random(p.shape[0])[:, None]).sum(axis=1)


def _truth_and_noise(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet([3.0, 2.0, 2.5], size=n)
    noise = [rng.dirichlet([3.0, 2.0, 2.5], size=n) for _ in range(2)]
    return _draw(truth, rng), truth, noise


def test_weight_goes_to_the_true_probabilities() -> None:
    y, truth, noise = _truth_and_noise(10_000, seed=0)
    weights = fit_ensemble_weights([noise[0], truth, noise[1]], y)
    assert weights[1] > 0.95
    assert np.all(weights >= 0.0)
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_weights_are_deterministic_and_symmetric() -> None:
    y, truth, noise = _truth_and_noise(2_000, seed=1)
    first = fit_ensemble_weights([truth, noise[0]], y)
    np.testing.assert_array_equal(first, fit_ensemble_weights([truth, noise[0]], y))
    np.testing.assert_allclose(fit_ensemble_weights([truth, truth], y), [0.5, 0.5], atol=1e-6)
    np.testing.assert_array_equal(fit_ensemble_weights([truth], y), [1.0])


def test_pooling_is_never_worse_in_sample() -> None:
    rng = np.random.default_rng(2)
    n = 3_000
    truth = rng.dirichlet([3.0, 2.0, 2.5], size=n)
    y = _draw(truth, rng)
    # Three imperfect members: noisy, over-confident, under-confident versions of the truth.
    members = [
        _softmax(np.log(truth) + rng.normal(0.0, 0.5, size=truth.shape)),
        _softmax(1.6 * np.log(truth)),
        _softmax(0.5 * np.log(truth)),
    ]
    pool = LinearPool().fit(members, y)
    pooled = pool.predict_proba(members)
    np.testing.assert_allclose(pooled.sum(axis=1), 1.0, atol=1e-12)
    best = min(log_loss(y, m) for m in members)
    assert log_loss(y, pooled) <= best + 1e-9
    assert np.count_nonzero(pool.weights_) >= 2  # a genuine mixture here


def test_logit_pool_combines_independent_information() -> None:
    """Benter's case: two members see independent halves of the signal."""
    rng = np.random.default_rng(3)
    n = 16_000
    a, b = rng.normal(0.0, 0.8, size=(n, 3)), rng.normal(0.0, 0.8, size=(n, 3))
    y = _draw(_softmax(a + b), rng)
    members = [_softmax(a), _softmax(b)]
    fit_rows, test_rows = slice(0, n // 2), slice(n // 2, None)
    train = [m[fit_rows] for m in members]
    test = [m[test_rows] for m in members]
    logit = LogitPool().fit(train, y[fit_rows])
    linear = LinearPool().fit(train, y[fit_rows])
    logit_loss = log_loss(y[test_rows], logit.predict_proba(test))
    linear_loss = log_loss(y[test_rows], linear.predict_proba(test))
    assert logit_loss < linear_loss - 0.01
    assert linear_loss < min(log_loss(y[test_rows], m) for m in test)
    # The true combination multiplies the two forecasts: coefficient ~1 on each own class.
    diagonal = [
        logit.coef_[k, i * 3 + k] - logit.coef_[(k + 1) % 3, i * 3 + k]
        for i in range(2)
        for k in range(3)
    ]
    np.testing.assert_allclose(diagonal, 1.0, atol=0.2)
    assert logit.predict_proba(test).shape == (n // 2, 3)


def test_estimator_contract_and_errors() -> None:
    y, truth, noise = _truth_and_noise(300, seed=4)
    pool = LogitPool(C=10.0)
    assert clone(pool).get_params() == {"C": 10.0, "max_iter": 1000}
    with pytest.raises(NotFittedError):
        pool.predict_proba([truth])
    with pytest.raises(NotFittedError):
        LinearPool().predict_proba([truth])
    pool.fit([truth, noise[0]], y)
    with pytest.raises(ValueError, match="expected 2"):
        pool.predict_proba([truth])
    with pytest.raises(ValueError, match="share one shape"):
        fit_ensemble_weights([truth, noise[0][:10]], y)
    with pytest.raises(ValueError, match="empty"):
        fit_ensemble_weights([], y)
    with pytest.raises(ValueError, match="missing"):
        LogitPool().fit([truth], np.zeros(300, dtype=int))
