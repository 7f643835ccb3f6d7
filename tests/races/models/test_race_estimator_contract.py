"""The scikit-learn estimator contract over every race model (as tests/core/
test_estimator_contract.py does for the football models): ``clone``, ``get_params`` and
``set_params``, ``__init__`` storing its arguments only, ``fit`` returning ``self``, learned
state ending in ``_``, predicting leaving the estimator unchanged, and seeded refits agreeing."""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from synthetic_races import FEATURES, make_world

from formline.races.models import BenterModel, ConditionalLogit, PublicModel, RankingModel

WORLD = make_world(n_races=400, seed=11, hidden=0.5)
RUNNERS, GROUPS, WON = WORLD.runners, WORLD.groups, WORLD.won


@dataclass(frozen=True)
class Case:
    """One estimator, how to fit it, and what to ask it once fitted."""

    make: Callable[[], Any]
    fit: Callable[[Any], Any]
    ask: Callable[[Any], list[Any]]


def _on_features(make: Callable[[], Any]) -> Case:
    X = RUNNERS[FEATURES]
    return Case(
        make,
        lambda m: m.fit(X, WON, groups=GROUPS),
        lambda m: [m.predict_proba(X, groups=GROUPS), m.decision_function(X, groups=GROUPS)],
    )


def _on_frame(make: Callable[[], Any]) -> Case:
    return Case(
        make,
        lambda m: m.fit(RUNNERS, WON, groups=GROUPS),
        lambda m: [m.predict_proba(RUNNERS, groups=GROUPS)],
    )


CASES: dict[str, Callable[[], Case]] = {
    "conditional-logit": lambda: _on_features(ConditionalLogit),
    "public": lambda: _on_frame(PublicModel),
    "benter": lambda: _on_frame(lambda: BenterModel(features=FEATURES)),
    "ranking": lambda: _on_frame(
        lambda: RankingModel(features=FEATURES, n_estimators=20, min_child_samples=20)
    ),
    "ranking-lambdarank": lambda: _on_frame(
        lambda: RankingModel(
            features=FEATURES, objective="lambdarank", n_estimators=20, min_child_samples=20
        )
    ),
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]()


def _state(estimator: Any) -> bytes:
    return pickle.dumps(vars(estimator), protocol=pickle.HIGHEST_PROTOCOL)


def _comparable(params: dict[str, Any]) -> dict[str, str]:
    return {name: repr(value) for name, value in params.items()}


def test_init_stores_its_arguments_unchanged_and_nothing_else(case: Case) -> None:
    estimator = case.make()
    params = estimator.get_params(deep=False)
    named = list(inspect.signature(type(estimator).__init__).parameters)[1:]
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
    answers = case.ask(estimator)
    assert _state(estimator) == before
    p = answers[0]
    np.testing.assert_allclose(np.bincount(np.unique(GROUPS, return_inverse=True)[1], p), 1.0)


def test_a_refit_clone_gives_the_same_answers(case: Case) -> None:
    first = case.make()
    if "random_state" in first.get_params(deep=False):
        first.set_params(random_state=7)
    case.fit(first)
    second = case.fit(clone(first))
    for a, b in zip(case.ask(first), case.ask(second), strict=True):
        np.testing.assert_array_equal(a, b)
