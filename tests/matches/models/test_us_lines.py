"""The normal margin/totals model: the estimator contract, P(value > threshold) from a known
normal world, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from estimator_contract import CHECKS, Case
from formline.errors import NotFittedError
from formline.matches.models.us_lines import NormalLineModel


def _world(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Margins 3 + 4 * x + N(0, 10)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n)}), 3 + 4 * x + rng.normal(0, 10, n)


CASE = Case(
    make=lambda: NormalLineModel(("x", "noise")),
    fit=lambda m: m.fit(*_world(200)),
    ask=lambda m: [m.predict(_world(50, 1)[0]), m.predict_above(_world(50, 1)[0], 2.5)],
)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_estimator_contract(check) -> None:  # type: ignore[no-untyped-def]
    check(CASE)


def test_recovers_the_mean_and_spread_and_gives_the_normal_tail() -> None:
    X, y = _world()
    model = NormalLineModel(("x", "noise"), alpha=1.0).fit(X, y)
    assert model.sigma_ == pytest.approx(10.0, rel=0.05)
    probe = pd.DataFrame({"x": [0.0, 1.0], "noise": [0.0, 0.0]})
    assert model.predict(probe) == pytest.approx([3.0, 7.0], abs=0.6)
    # P(margin > -(-3.5)) for a home side favoured by 3.5, and a line per row.
    p = model.predict_above(probe, [3.5, 0.0])
    mu = model.predict(probe)
    assert p == pytest.approx(norm.sf(([3.5, 0.0] - mu) / model.sigma_))
    assert p[0] < 0.5 < p[1]


def test_errors() -> None:
    X, y = _world(20)
    with pytest.raises(NotFittedError):
        NormalLineModel(("x",)).predict(X)
    with pytest.raises(ValueError, match="features is empty"):
        NormalLineModel().fit(X, y)
    with pytest.raises(ValueError, match="one finite value"):
        NormalLineModel(("x",)).fit(X, np.r_[y[:-1], np.nan])
    with pytest.raises(ValueError, match="missing feature columns"):
        NormalLineModel(("z",)).fit(X, y)
