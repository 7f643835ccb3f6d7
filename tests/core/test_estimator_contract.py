"""The scikit-learn estimator contract, over every model type, calibrator, pool and rating system.

For each: ``clone`` works, ``get_params``/``set_params`` round-trip, ``__init__`` stores its
arguments unchanged and sets nothing else, ``fit`` returns ``self``, learned state ends in ``_``,
predicting does not change the estimator, and refitting gives the same predictions (seeded by
``random_state`` where there is randomness). Inputs are small synthetic frames of each kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from estimator_contract import CHECKS, Case
from formline.core.calibration import (
    IdentityCalibration,
    IsotonicCalibration,
    PlattScaling,
    TemperatureScaling,
)
from formline.core.ensemble import LinearPool, LogitPool
from formline.core.ratings import EloRatings, MarginRatings, PiRatings
from formline.matches.features import MATCH_FEATURES
from formline.matches.models.factory import MODEL_TYPES, make_model
from formline.matches.models.feature_models import ClassifierMatchModel

N_MATCHES = 240


def _results() -> pd.DataFrame:
    """Finished matches of eight teams over two seasons, in the order they became known."""
    rng = np.random.default_rng(0)
    teams = [f"team {i}" for i in range(8)]
    home = rng.integers(0, 8, N_MATCHES)
    away = (home + rng.integers(1, 8, N_MATCHES)) % 8
    strength = np.linspace(-0.4, 0.4, 8)
    return pd.DataFrame(
        {
            "match_id": np.arange(N_MATCHES),
            "competition_id": 1,
            "competition": "league",
            "season": np.where(np.arange(N_MATCHES) < N_MATCHES // 2, "2022-23", "2023-24"),
            "kickoff_at": pd.date_range("2022-08-01", periods=N_MATCHES, freq="D"),
            "home_team_id": home,
            "away_team_id": away,
            "home_team": [teams[i] for i in home],
            "away_team": [teams[i] for i in away],
            "home_goals": rng.poisson(np.exp(0.3 + strength[home] - strength[away])),
            "away_goals": rng.poisson(np.exp(0.1 + strength[away] - strength[home])),
        }
    )


def _match_frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    """``X`` with the id columns and every registered feature (market ones as probabilities)."""
    results = _results()
    rng = np.random.default_rng(1)
    features = {name: rng.normal(size=N_MATCHES) for name in MATCH_FEATURES.names}
    X = pd.concat(
        [results.drop(columns=["home_goals", "away_goals"]), pd.DataFrame(features)], axis=1
    )
    market = rng.dirichlet([4.0, 3.0, 3.0], size=N_MATCHES)
    X["market_p_home"], X["market_p_draw"], X["market_p_away"] = market.T
    X.loc[::10, ["market_p_home", "market_p_draw", "market_p_away"]] = np.nan
    X["market_p_over_2_5"] = rng.uniform(0.3, 0.7, N_MATCHES)
    return X, results[["home_goals", "away_goals"]]


def _probabilities(n: int = 400, k: int = 3, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k) * 3.0, size=n)
    y = np.array([rng.choice(k, p=row) for row in p])
    return p, y


def _match_model(make: Callable[[], Any]) -> Case:
    X, y = _match_frame()

    def ask(model: Any) -> list[Any]:
        return [model.predict_proba(X), model.predict_over_proba(X)]

    return Case(make, lambda m: m.fit(X, y), ask)


def _users_classifier() -> Any:
    """A user's own scikit-learn classifier wrapped as a match model (formline.walk_forward)."""
    return ClassifierMatchModel(make_pipeline(SimpleImputer(), LogisticRegression(C=0.1)))


def _multiclass(make: Callable[[], Any]) -> Case:
    p, y = _probabilities()
    return Case(make, lambda c: c.fit(p, y), lambda c: [c.transform(p), c.predict_proba(p)])


def _platt() -> Case:
    p, y = _probabilities(k=2)
    return Case(PlattScaling, lambda c: c.fit(p[:, 1], y), lambda c: [c.transform(p[:, 1])])


def _pool(make: Callable[[], Any]) -> Case:
    members = [_probabilities(seed=s)[0] for s in (3, 4)]
    _, y = _probabilities()
    return Case(make, lambda e: e.fit(members, y), lambda e: [e.predict_proba(members)])


def _ratings(make: Callable[[], Any], query: str, *extra: str) -> Case:
    results = _results()

    def ask(ratings: Any) -> list[Any]:
        return [getattr(ratings, query)("team 0", "team 1", *extra), ratings.history_]

    return Case(make, lambda r: r.fit(results), ask)


CASES: dict[str, Callable[[], Case]] = {
    **{
        f"model-{name}": (lambda name=name: _match_model(lambda: make_model(name)))
        for name in MODEL_TYPES
    },
    "model-classifier": lambda: _match_model(_users_classifier),
    "calibration-temperature": lambda: _multiclass(TemperatureScaling),
    "calibration-isotonic": lambda: _multiclass(lambda: IsotonicCalibration(min_rows=100)),
    "calibration-none": lambda: _multiclass(IdentityCalibration),
    "calibration-platt": _platt,
    "pool-linear": lambda: _pool(LinearPool),
    "pool-logit": lambda: _pool(LogitPool),
    "ratings-elo": lambda: _ratings(EloRatings, "expected_home"),
    "ratings-pi": lambda: _ratings(PiRatings, "expected_goal_difference"),
    "ratings-margin": lambda: _ratings(MarginRatings, "expected_margin", "league"),
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]()


def test_every_model_type_is_covered() -> None:
    assert {f"model-{name}" for name in MODEL_TYPES} <= set(CASES)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_the_estimator_contract(case: Case, check: Callable[[Case], None]) -> None:
    check(case)
