"""Place probabilities: Harville and Benter's discount against a brute-force enumeration, their
sums, and the discount exponents recovered by maximum likelihood."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from synthetic_races import make_world

from formline.errors import DataError, InvalidParameterError
from formline.races.models import (
    benter_place,
    finish_probabilities,
    fit_discount_exponents,
    harville_place,
)


def _brute_force(p: list[float], exponents: list[float]) -> np.ndarray:
    """(k, places): every ordered top of the race, each place drawn from ``p ** e`` over the
    runners not yet placed, in plain Python."""
    k, places = len(p), min(len(exponents), len(p))
    out = np.zeros((k, len(exponents)))
    for order in permutations(range(k), places):
        prob = 1.0
        for j, runner in enumerate(order):
            weights = [x ** exponents[j] for x in p]
            total = sum(weights)
            taken = sum(weights[i] for i in order[:j])
            prob *= weights[runner] / (total - taken)
        for j, runner in enumerate(order):
            out[runner, j] += prob
    return out


def _races(seed: int, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.dirichlet(np.ones(k) * 0.8) for k in sizes])
    groups = np.repeat(np.arange(len(sizes)) * 3 + 11, sizes)
    order = rng.permutation(p.size)  # rows of races interleaved
    return p[order], groups[order]


@pytest.mark.parametrize("exponents", [[1.0, 1.0, 1.0], [1.0, 0.81, 0.65], [1.0, 1.3, 0.5, 0.7]])
def test_enumeration_matches_a_brute_force_reference(exponents: list[float]) -> None:
    sizes = [1, 2, 3, 4, 5, 6, 4, 7]
    p, groups = _races(0, sizes)
    got = finish_probabilities(p, groups=groups, exponents=exponents)
    for race in np.unique(groups):
        rows = np.flatnonzero(groups == race)
        expected = _brute_force(p[rows].tolist(), exponents)
        np.testing.assert_allclose(got[rows], expected, rtol=1e-10, atol=1e-14)


def test_hand_checked_harville_exacta() -> None:
    p = np.array([0.5, 0.3, 0.2])
    second = finish_probabilities(p, groups=np.zeros(3), exponents=[1.0, 1.0])[:, 1]
    # Runner 0 is 2nd after runner 1 or runner 2 wins: p_1 p_0 / (1 - p_1) + p_2 p_0 / (1 - p_2).
    assert second[0] == pytest.approx(0.3 * 0.5 / 0.7 + 0.2 * 0.5 / 0.8)
    assert second[1] == pytest.approx(0.5 * 0.3 / 0.5 + 0.2 * 0.3 / 0.8)


def test_top_three_sums_to_three_in_races_of_three_or_more_and_everyone_places_otherwise() -> None:
    sizes = [1, 2, 3, 8, 14, 14, 10]
    p, groups = _races(1, sizes)
    for placed in (harville_place(p, groups=groups), benter_place(p, groups=groups)):
        sums = pd.Series(placed).groupby(groups).sum()
        expected = pd.Series(np.minimum(sizes, 3), index=np.arange(len(sizes)) * 3 + 11)
        np.testing.assert_allclose(sums.sort_index(), expected.astype(float), atol=1e-10)
        assert np.all((placed >= p - 1e-12) & (placed <= 1.0 + 1e-12))


def test_the_discount_moves_place_chances_from_favourites_to_longshots() -> None:
    p = np.array([0.6, 0.2, 0.1, 0.05, 0.05])
    groups = np.zeros(5)
    harville = harville_place(p, groups=groups)
    discounted = benter_place(p, groups=groups)
    assert discounted[0] < harville[0] and discounted[-1] > harville[-1]
    np.testing.assert_allclose(benter_place(p, groups=groups, gamma=1.0, delta=1.0), harville)


def test_fourteen_runner_fields_are_handled() -> None:
    p, groups = _races(2, [14] * 300)
    placed = harville_place(p, groups, places=3)
    np.testing.assert_allclose(pd.Series(placed).groupby(groups).sum(), 3.0, atol=1e-10)


def test_the_exponents_are_recovered_by_maximum_likelihood() -> None:
    world = make_world(n_races=2500, seed=3, exponents=(1.0, 0.8, 0.6))
    fitted = fit_discount_exponents(
        world.p_true, groups=world.groups, finish_position=world.runners["finish_position"]
    )
    # Over seeds the fits' spread is about 0.03 (gamma) and 0.015 (delta): 3 of them.
    assert fitted.gamma == pytest.approx(0.8, abs=0.09)
    assert fitted.delta == pytest.approx(0.6, abs=0.05)
    assert fitted.n_races_gamma == fitted.n_races_delta == 2500
    harville_world = make_world(n_races=2500, seed=4, exponents=(1.0,))
    plain = fit_discount_exponents(
        harville_world.p_true,
        groups=harville_world.groups,
        finish_position=harville_world.runners["finish_position"],
    )
    assert plain.gamma == pytest.approx(1.0, abs=0.1)
    assert plain.delta == pytest.approx(1.0, abs=0.06)
    assert plain.gamma > fitted.gamma and plain.delta > fitted.delta


def test_dead_heats_at_a_place_leave_the_race_out_of_that_exponent() -> None:
    p = np.array([0.4, 0.3, 0.2, 0.1, 0.5, 0.3, 0.2])
    groups = np.array([1, 1, 1, 1, 2, 2, 2])
    position = np.array([1, 2, 2, 4, 1, 2, 3])  # race 1: dead heat for 2nd
    fitted = fit_discount_exponents(p, groups=groups, finish_position=position)
    assert (fitted.n_races_gamma, fitted.n_races_delta) == (1, 1)


def test_bad_inputs_are_refused() -> None:
    p, groups = _races(5, [4, 5])
    with pytest.raises(InvalidParameterError, match="exponents"):
        finish_probabilities(p, groups=groups, exponents=[1.0, -0.5])
    with pytest.raises(InvalidParameterError, match="places"):
        harville_place(p, groups=groups, places=0)
    with pytest.raises(DataError, match="sum to 1"):
        harville_place(p * 0.9, groups=groups)
    with pytest.raises(DataError, match="single 1st"):
        fit_discount_exponents(p, groups=groups, finish_position=np.ones(p.size))
