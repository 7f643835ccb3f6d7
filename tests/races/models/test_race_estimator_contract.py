"""The scikit-learn estimator contract (tests/estimator_contract.py) over every race model, and
win probabilities that sum to one in every race."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from synthetic_races import FEATURES, make_world

from estimator_contract import CHECKS, Case
from formline.races.models import BenterModel, ConditionalLogit, PublicModel, RankingModel

WORLD = make_world(n_races=400, seed=11, hidden=0.5)
RUNNERS, GROUPS, WON = WORLD.runners, WORLD.groups, WORLD.won


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


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_the_estimator_contract(case: Case, check: Callable[[Case], None]) -> None:
    check(case)


def test_win_probabilities_sum_to_one_in_every_race(case: Case) -> None:
    p = case.ask(case.fit(case.make()))[0]
    np.testing.assert_allclose(np.bincount(np.unique(GROUPS, return_inverse=True)[1], p), 1.0)
