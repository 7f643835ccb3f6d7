"""The goals model: Poisson regressions of each side's goals on the features, a score grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from formline.matches.models import make_model
from formline.matches.models.base import NotFittedError
from formline.matches.models.goals_model import GoalsMatchModel

FEATURES = ["strength_diff", "home_attack", "noise"]
Fitted = tuple[GoalsMatchModel, pd.DataFrame, pd.DataFrame]


def _world(n: int = 4000, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Goals drawn from Poisson rates that depend on two of three features."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "strength_diff": rng.normal(0, 1, n),
            "home_attack": rng.normal(0, 1, n),
            "noise": rng.normal(0, 1, n),
        }
    )
    X.loc[rng.random(n) < 0.05, "noise"] = np.nan
    home_rate = np.exp(0.35 + 0.3 * X["strength_diff"] + 0.15 * X["home_attack"])
    away_rate = np.exp(0.1 - 0.3 * X["strength_diff"])
    y = pd.DataFrame({"home_goals": rng.poisson(home_rate), "away_goals": rng.poisson(away_rate)})
    return X, y


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    X, y = _world()
    return GoalsMatchModel(features=FEATURES, alpha=0.01).fit(X, y), X, y


def test_recovers_the_goal_rates(
    fitted: Fitted,
) -> None:
    model, X, _ = fitted
    home, away = model.predict_rates(X)
    want_home = np.exp(0.35 + 0.3 * X["strength_diff"] + 0.15 * X["home_attack"])
    want_away = np.exp(0.1 - 0.3 * X["strength_diff"])
    assert np.median(np.abs(home / want_home - 1)) < 0.05
    assert np.median(np.abs(away / want_away - 1)) < 0.05
    # Independent Poisson scores: the fitted low-score correction stays near zero.
    assert abs(model.rho_) < 0.08


def test_predictions_are_coherent_distributions(
    fitted: Fitted,
) -> None:
    model, X, _ = fitted
    proba = model.predict_proba(X)
    scores = model.predict_score_grid(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(scores.sum(axis=(1, 2)), 1.0, atol=1e-9)
    over = model.predict_over_proba(X)
    assert ((over > 0) & (over < 1)).all()
    stronger = X["strength_diff"].to_numpy() > 1.5
    assert proba[stronger, 0].mean() > proba[stronger, 2].mean() + 0.2


def test_explain_decomposes_the_log_rate_ratio_exactly(
    fitted: Fitted,
) -> None:
    model, X, _ = fitted
    home, away = model.predict_rates(X)
    terms = model.explain(X)
    assert terms.shape == (len(X), len(FEATURES), 3)
    intercepts = (
        model.home_model_.named_steps["model"].intercept_
        - model.away_model_.named_steps["model"].intercept_
    )
    np.testing.assert_allclose(terms[:, :, 0].sum(axis=1) + intercepts, np.log(home / away))
    np.testing.assert_allclose(terms[:, :, 2], -terms[:, :, 0])
    importance = model.feature_importances()
    assert importance.idxmax() == "strength_diff"
    assert importance["noise"] < importance["home_attack"]


def test_a_draw_heavy_world_fits_a_negative_rho() -> None:
    X, y = _world(6000, seed=9)
    # Turn a third of the 1-0 and 0-1 results into 0-0 and 1-1: more draws than Poisson says.
    rng = np.random.default_rng(1)
    one_nil = (y["home_goals"] + y["away_goals"] == 1) & (rng.random(len(y)) < 0.35)
    y.loc[one_nil, ["home_goals", "away_goals"]] = rng.choice([0, 1], size=one_nil.sum())[:, None]
    model = GoalsMatchModel(features=FEATURES).fit(X, y)
    assert model.rho_ < -0.05


def test_estimator_contract() -> None:
    X, y = _world(500)
    model = make_model("goals", use_market=False)
    assert isinstance(model, GoalsMatchModel)
    assert model.get_params()["alpha"] == 0.3
    with pytest.raises(NotFittedError, match="GoalsMatchModel is not fitted yet"):
        model.predict_proba(X)
    small = GoalsMatchModel(features=FEATURES)
    assert small.fit(X, y) is small
    again = clone(small).fit(X, y)
    np.testing.assert_array_equal(small.predict_proba(X), again.predict_proba(X))
    with pytest.raises(ValueError, match="finished matches"):
        GoalsMatchModel(features=FEATURES).fit(X, y.astype(float).assign(home_goals=np.nan))
