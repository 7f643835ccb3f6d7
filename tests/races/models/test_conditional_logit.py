"""The conditional logit: recovery of known coefficients, per-race probabilities, invariance to
race-level shifts, dead heats and races without a winner, against a brute-force likelihood."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from synthetic_races import FEATURES, TRUE_BETA, World, make_world

from formline.errors import DataError, InvalidParameterError, NotFittedError
from formline.races.models import ConditionalLogit
from formline.races.models.conditional_logit import penalised_objective


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(n_races=4000, seed=1)


def test_recovers_the_true_coefficients(world: World) -> None:
    model = ConditionalLogit(alpha=0.0).fit(world.runners[FEATURES], world.won, groups=world.groups)
    # 4,000 races: the standard errors are about 0.02; 0.07 is more than 3 of them.
    np.testing.assert_allclose(model.coef_, TRUE_BETA, atol=0.07)
    assert list(model.feature_names_in_) == FEATURES
    assert model.n_races_ == 4000


def test_a_penalty_shrinks_the_coefficients_toward_zero(world: World) -> None:
    X, y, g = world.runners[FEATURES], world.won, world.groups
    free = ConditionalLogit(alpha=0.0).fit(X, y, groups=g)
    shrunk = ConditionalLogit(alpha=0.5).fit(X, y, groups=g)
    assert np.all(np.abs(shrunk.coef_) < np.abs(free.coef_))
    assert shrunk.loss_ > free.loss_


def test_probabilities_sum_to_one_in_every_race(world: World) -> None:
    model = ConditionalLogit().fit(world.runners[FEATURES], world.won, groups=world.groups)
    p = model.predict_proba(world.runners[FEATURES], groups=world.groups)
    sums = pd.Series(p).groupby(world.groups).sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    assert np.all(p > 0.0)


@pytest.mark.parametrize("center", [True, False])
def test_a_constant_added_within_a_race_changes_nothing(world: World, center: bool) -> None:
    X = world.runners[FEATURES]
    rng = np.random.default_rng(5)
    codes, _ = pd.factorize(world.groups)
    shifted = X + rng.normal(scale=10.0, size=(codes.max() + 1, 3))[codes]
    kwargs = {"alpha": 1e-2, "center": center, "standardize": center}
    a = ConditionalLogit(**kwargs).fit(X, world.won, groups=world.groups)
    b = ConditionalLogit(**kwargs).fit(shifted, world.won, groups=world.groups)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        a.predict_proba(X, groups=world.groups),
        b.predict_proba(shifted, groups=world.groups),
        atol=1e-7,
    )


def test_centring_changes_no_unpenalised_fit(world: World) -> None:
    X, y, g = world.runners[FEATURES], world.won, world.groups
    centred = ConditionalLogit(alpha=0.0, center=True).fit(X, y, groups=g)
    raw = ConditionalLogit(alpha=0.0, center=False, standardize=False).fit(X, y, groups=g)
    np.testing.assert_allclose(centred.coef_, raw.coef_, rtol=1e-5)


def _brute_force_loss(
    beta: np.ndarray, X: np.ndarray, groups: np.ndarray, won: np.ndarray, alpha: float
) -> float:
    """The objective race by race in plain Python: dead heats split, winnerless races out."""
    total, n_decided = 0.0, 0
    for race in dict.fromkeys(groups.tolist()):
        rows = [i for i, g in enumerate(groups.tolist()) if g == race]
        winners = [i for i in rows if won[i] == 1]
        if not winners:
            continue
        n_decided += 1
        scores = {i: sum(b * x for b, x in zip(beta, X[i], strict=True)) for i in rows}
        log_norm = math.log(sum(math.exp(s) for s in scores.values()))
        total -= sum((scores[i] - log_norm) / len(winners) for i in winners)
    return total / n_decided + 0.5 * alpha * sum(b * b for b in beta)


def test_the_objective_and_gradient_match_a_brute_force_reference() -> None:
    rng = np.random.default_rng(3)
    groups = np.array([7, 7, 7, 9, 9, 9, 9, 4, 4, 7, 5, 5, 5])
    X = rng.normal(size=(groups.size, 2))
    won = np.array([0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0])  # race 9 a dead heat, race 4 none
    beta = np.array([0.7, -1.3])
    alpha = 0.2
    codes, _ = pd.factorize(groups)
    winners = np.bincount(codes, weights=won)[codes]
    credit = np.where(winners > 0, won / np.maximum(winners, 1), 0.0)
    value, gradient = penalised_objective(beta, X, groups, credit, alpha)
    assert value == pytest.approx(_brute_force_loss(beta, X, groups, won, alpha), rel=1e-12)
    h = 1e-6
    numeric = [
        (
            _brute_force_loss(beta + h * e, X, groups, won, alpha)
            - _brute_force_loss(beta - h * e, X, groups, won, alpha)
        )
        / (2 * h)
        for e in np.eye(2)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)


def test_the_fit_is_at_the_brute_force_optimum() -> None:
    world = make_world(n_races=60, seed=4)
    X = world.runners[FEATURES].to_numpy()
    g, y = world.groups, world.won
    model = ConditionalLogit(alpha=0.0, center=False, standardize=False).fit(X, y, groups=g)
    best = _brute_force_loss(model.coef_, X, g, y, 0.0)
    assert model.loss_ == pytest.approx(best, rel=1e-10)
    for e in np.eye(3):
        assert _brute_force_loss(model.coef_ + 1e-3 * e, X, g, y, 0.0) > best
        assert _brute_force_loss(model.coef_ - 1e-3 * e, X, g, y, 0.0) > best


def test_a_dead_heat_shares_the_credit() -> None:
    """A two-way dead heat fits as the two races where each dead heater won alone."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(8, 1))
    groups = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    won = np.array([1, 1, 0, 0, 0, 1, 0, 0])
    heat = ConditionalLogit(alpha=0.0, center=False, standardize=False).fit(X, won, groups=groups)
    # Race 1 twice, once per dead heater, and race 2 twice: each carries half the weight.
    X2 = np.vstack([X[:4], X[:4], X[4:], X[4:]])
    g2 = np.repeat([1, 3, 2, 4], 4)
    y2 = np.array([1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0])
    split = ConditionalLogit(alpha=0.0, center=False, standardize=False).fit(X2, y2, groups=g2)
    np.testing.assert_allclose(heat.coef_, split.coef_, rtol=1e-6)


def test_races_without_a_winner_are_ignored(world: World) -> None:
    runners = world.runners
    extra = runners[runners["race_id"] < 1300].copy()
    extra["race_id"] += 100_000
    extra["won"] = 0.0
    extra[FEATURES] = np.random.default_rng(2).normal(size=(len(extra), 3)) * 5
    both = pd.concat([runners, extra], ignore_index=True)
    a = ConditionalLogit().fit(runners[FEATURES], runners["won"], groups=runners["race_id"])
    b = ConditionalLogit().fit(both[FEATURES], both["won"], groups=both["race_id"])
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert b.n_races_ == a.n_races_


def test_missing_values_are_refused_or_filled_with_the_race_mean() -> None:
    world = make_world(n_races=300, seed=6, shuffle=False)
    X = world.runners[FEATURES].copy()
    holes = np.random.default_rng(0).random(X.shape) < 0.1
    with_holes = X.mask(holes)
    with pytest.raises(DataError, match="missing"):
        ConditionalLogit().fit(with_holes, world.won, groups=world.groups)
    filled = with_holes.fillna(with_holes.groupby(world.groups).transform("mean")).fillna(0.0)
    for center in (True, False):
        a = ConditionalLogit(missing="race_mean", center=center).fit(
            with_holes, world.won, groups=world.groups
        )
        b = ConditionalLogit(center=center).fit(filled, world.won, groups=world.groups)
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)


def test_errors_say_what_is_wrong(world: World) -> None:
    X = world.runners[FEATURES]
    with pytest.raises(NotFittedError, match="fit"):
        ConditionalLogit().predict_proba(X, groups=world.groups)
    with pytest.raises(InvalidParameterError, match="groups"):
        ConditionalLogit().fit(X, world.won, groups=None)
    with pytest.raises(DataError, match="no race has a winner"):
        ConditionalLogit().fit(X, np.zeros(len(X)), groups=world.groups)
    with pytest.raises(InvalidParameterError, match="alpha"):
        ConditionalLogit(alpha=-1.0).fit(X, world.won, groups=world.groups)
    model = ConditionalLogit().fit(X, world.won, groups=world.groups)
    with pytest.raises(DataError, match="lacks the columns"):
        model.predict_proba(X.drop(columns=["form"]), groups=world.groups)
