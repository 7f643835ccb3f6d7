"""The scikit-learn estimator contract as checks, shared by every family of estimators' tests
(tests/core/test_estimator_contract.py for the match models, calibrators, pools and ratings;
tests/races/models/test_race_estimator_contract.py for the race models).

Each check takes a :class:`Case`: how to build the estimator, how to fit it and what to ask it
once fitted. A test module lists its cases and runs :data:`CHECKS` over them.
"""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone


@dataclass(frozen=True)
class Case:
    """One estimator, how to fit it, and what to ask it once fitted."""

    make: Callable[[], Any]
    fit: Callable[[Any], Any]
    ask: Callable[[Any], list[Any]]


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


def check_init_stores_its_arguments_unchanged_and_nothing_else(case: Case) -> None:
    estimator = case.make()
    params = estimator.get_params(deep=False)
    init = type(estimator).__init__
    named = [] if init is object.__init__ else list(inspect.signature(init).parameters)[1:]
    assert set(params) == set(named)
    assert set(vars(estimator)) == set(params), "__init__ sets attributes that are not params"
    rebuilt = type(estimator)(**params)
    for name, value in params.items():
        assert getattr(rebuilt, name) is value, f"__init__ changes {name}"


def check_clone_gives_an_unfitted_copy_with_the_same_params(case: Case) -> None:
    estimator = case.fit(case.make())
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    assert _comparable(copy.get_params()) == _comparable(estimator.get_params())
    assert set(vars(copy)) == set(copy.get_params(deep=False))


def check_get_params_and_set_params_round_trip(case: Case) -> None:
    estimator = case.make()
    params = estimator.get_params()
    assert estimator.set_params(**params) is estimator
    assert estimator.get_params() == params
    for name in estimator.get_params(deep=False):
        sentinel = object()
        estimator.set_params(**{name: sentinel})
        assert estimator.get_params(deep=False)[name] is sentinel
        assert getattr(estimator, name) is sentinel


def check_fit_returns_self_and_learned_state_ends_in_an_underscore(case: Case) -> None:
    estimator = case.make()
    params = set(estimator.get_params(deep=False))
    assert case.fit(estimator) is estimator
    learned = [a for a in vars(estimator) if a not in params and not a.startswith("_")]
    assert learned, "fit learned nothing visible"
    assert [a for a in learned if not a.endswith("_")] == []
    assert estimator.get_params(deep=False).keys() == params


def check_predicting_does_not_change_the_estimator(case: Case) -> None:
    estimator = case.fit(case.make())
    before = _state(estimator)
    case.ask(estimator)
    assert _state(estimator) == before


def check_a_refit_clone_gives_the_same_answers(case: Case) -> None:
    """Deterministic, seeded by ``random_state`` where there is randomness."""
    first = case.make()
    if "random_state" in first.get_params(deep=False):
        first.set_params(random_state=7)
    case.fit(first)
    second = case.fit(clone(first))
    _assert_same(case.ask(first), case.ask(second))


#: Every check, for ``pytest.mark.parametrize``.
CHECKS: tuple[Callable[[Case], None], ...] = (
    check_init_stores_its_arguments_unchanged_and_nothing_else,
    check_clone_gives_an_unfitted_copy_with_the_same_params,
    check_get_params_and_set_params_round_trip,
    check_fit_returns_self_and_learned_state_ends_in_an_underscore,
    check_predicting_does_not_change_the_estimator,
    check_a_refit_clone_gives_the_same_answers,
)
