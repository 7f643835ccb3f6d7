"""The reference models: the market as a model and Elo ratings only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from formline.matches.models import make_model
from formline.matches.models.base import NotFittedError


def _frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    X = pd.DataFrame(
        {
            "market_p_home": [0.5, np.nan, 0.2, 0.6],
            "market_p_draw": [0.3, np.nan, 0.3, 0.25],
            "market_p_away": [0.2, np.nan, 0.5, 0.15],
            "market_p_over_2_5": [0.55, np.nan, 0.4, 0.6],
            "elo_diff": [50.0, -20.0, -80.0, 120.0],
            "elo_home_expected": [0.65, 0.56, 0.48, 0.74],
        }
    )
    y = pd.DataFrame({"home_goals": [2, 0, 1, 3], "away_goals": [1, 0, 2, 0]})
    return X, y


def test_the_market_model_returns_the_de_margined_odds_and_base_rates_where_missing() -> None:
    X, y = _frame()
    model = make_model("market").fit(X, y)
    p = model.predict_proba(X)
    np.testing.assert_allclose(p[0], [0.5, 0.3, 0.2], atol=1e-6)
    np.testing.assert_allclose(p[1], model.base_rates_, atol=1e-6)  # no odds: base rates
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert model.fallback_share(X) == pytest.approx(0.25)
    over = model.predict_over_proba(X)
    assert over[0] == pytest.approx(0.55) and over[1] == pytest.approx(model.over_rate_)
    assert not np.isnan(X["market_p_home"].iloc[[0, 2, 3]]).any()  # the input is not modified
    assert np.isnan(X["market_p_home"].iloc[1])


def test_the_market_model_refuses_no_market() -> None:
    from formline.errors import ConfigError

    with pytest.raises(ConfigError, match="no-market"):
        make_model("market", use_market=False)


def test_elo_reference_uses_only_elo_features_and_must_be_fitted() -> None:
    X, y = _frame()
    model = make_model("elo")
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict_proba(X)
    y = pd.concat([y] * 10, ignore_index=True)
    X = pd.concat([X] * 10, ignore_index=True)
    model.fit(X, y)
    assert model.feature_names_ == ["elo_diff", "elo_home_expected"]
    assert not model.uses_market
    assert model.predict_proba(X).shape == (len(X), 3)
