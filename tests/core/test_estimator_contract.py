"""The scikit-learn estimator contract, over every model type, calibrator, pool and rating system.

For each: ``clone`` works, ``get_params``/``set_params`` round-trip, ``__init__`` stores its
arguments unchanged and sets nothing else, ``fit`` returns ``self``, learned state ends in ``_``,
predicting does not change the estimator, and refitting gives the same predictions (seeded by
``random_state`` where there is randomness). Inputs are small synthetic frames of each kind.
"""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

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


@dataclass(frozen=True)
class Case:
    """One estimator, how to fit it, and what to ask it once fitted."""

    make: Callable[[], Any]
    fit: Callable[[Any], Any]
    ask: Callable[[Any], list[Any]]


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


def _state(estimator: Any) -> bytes:
    """The estimator's whole state, to compare before and after a call."""
    return pickle.dumps(vars(estimator), protocol=pickle.HIGHEST_PROTOCOL)


def _comparable(params: dict[str, Any]) -> dict[str, str]:
    """Params by repr: ``clone`` copies nested estimators (equal, not identical) and NaN."""
    return {name: repr(value) for name, value in params.items()}


def _assert_same(left: list[Any], right: list[Any]) -> None:
    for a, b in zip(left, right, strict=True):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        else:
            np.testing.assert_array_equal(a, b)


def test_every_model_type_is_covered() -> None:
    assert {f"model-{name}" for name in MODEL_TYPES} <= set(CASES)


def test_init_stores_its_arguments_unchanged_and_nothing_else(case: Case) -> None:
    estimator = case.make()
    params = estimator.get_params(deep=False)
    init = type(estimator).__init__
    named = [] if init is object.__init__ else list(inspect.signature(init).parameters)[1:]
    assert set(params) == set(named)
    assert set(vars(estimator)) == set(params), "__init__ sets attributes that are not params"
    rebuilt = type(estimator)(**params)
    for name, value in params.items():
        assert getattr(rebuilt, name) is value, f"__init__ changes {name}"


def test_clone_gives_an_unfitted_copy_with_the_same_params(case: Case) -> None:
    estimator = case.fit(case.make())
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    assert _comparable(copy.get_params()) == _comparable(estimator.get_params())
    assert set(vars(copy)) == set(copy.get_params(deep=False))


def test_get_params_and_set_params_round_trip(case: Case) -> None:
    estimator = case.make()
    params = estimator.get_params()
    assert estimator.set_params(**params) is estimator
    assert estimator.get_params() == params
    for name in estimator.get_params(deep=False):
        sentinel = object()
        estimator.set_params(**{name: sentinel})
        assert estimator.get_params(deep=False)[name] is sentinel
        assert getattr(estimator, name) is sentinel


def test_fit_returns_self_and_learned_state_ends_in_an_underscore(case: Case) -> None:
    estimator = case.make()
    params = set(estimator.get_params(deep=False))
    assert case.fit(estimator) is estimator
    learned = [a for a in vars(estimator) if a not in params and not a.startswith("_")]
    assert learned, "fit learned nothing visible"
    assert [a for a in learned if not a.endswith("_")] == []
    assert estimator.get_params(deep=False).keys() == params


def test_predicting_does_not_change_the_estimator(case: Case) -> None:
    estimator = case.fit(case.make())
    before = _state(estimator)
    case.ask(estimator)
    assert _state(estimator) == before


def test_a_refit_clone_gives_the_same_answers(case: Case) -> None:
    """Deterministic, seeded by ``random_state`` where there is randomness."""
    first = case.make()
    if "random_state" in first.get_params(deep=False):
        first.set_params(random_state=7)
    case.fit(first)
    second = case.fit(clone(first))
    _assert_same(case.ask(first), case.ask(second))
