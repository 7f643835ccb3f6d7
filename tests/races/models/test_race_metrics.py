"""Race metrics: hand-checked values, agreement with core.grouped, pseudo-R² anchors, and the
paired bootstrap's seeding and coverage of a real difference."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_races import make_world

from formline.core.grouped import grouped_brier_score, grouped_log_loss
from formline.errors import DataError, InvalidParameterError
from formline.races.models import (
    paired_bootstrap,
    per_race_log_likelihood,
    pseudo_r2,
    win_brier,
    winner_log_loss,
)

P = np.array([0.5, 0.3, 0.2, 0.25, 0.25, 0.25, 0.25])
GROUPS = np.array(["a", "a", "a", "b", "b", "b", "b"])
WON = np.array([0, 1, 0, 1, 0, 0, 0])


def _uniform(groups: np.ndarray) -> np.ndarray:
    """1 / field size on every runner."""
    codes = np.unique(groups, return_inverse=True)[1]
    return 1.0 / np.bincount(codes)[codes]


def test_hand_checked_values() -> None:
    assert winner_log_loss(P, WON, groups=GROUPS) == pytest.approx(
        -(np.log(0.3) + np.log(0.25)) / 2
    )
    uniform = np.log(3) + np.log(4)
    assert pseudo_r2(P, WON, groups=GROUPS) == pytest.approx(
        1 + (np.log(0.3) + np.log(0.25)) / uniform
    )
    brier_a = 0.5**2 + 0.7**2 + 0.2**2
    brier_b = 0.75**2 + 3 * 0.25**2
    assert win_brier(P, WON, groups=GROUPS) == pytest.approx((brier_a + brier_b) / 2)
    per_race = per_race_log_likelihood(P, WON, groups=GROUPS)
    assert list(per_race.index) == ["a", "b"]


def test_single_winner_scores_are_core_grouped_scores() -> None:
    world = make_world(n_races=200, seed=0)
    p, y, g = world.p_true, world.won, world.groups
    assert winner_log_loss(p, y, groups=g) == pytest.approx(grouped_log_loss(p, g, y), rel=1e-12)
    assert win_brier(p, y, groups=g) == pytest.approx(grouped_brier_score(p, g, y), rel=1e-12)


def test_uniform_scores_zero_and_the_truth_beats_it() -> None:
    world = make_world(n_races=500, seed=1)
    g = world.groups
    assert pseudo_r2(_uniform(g), world.won, groups=g) == pytest.approx(0.0, abs=1e-12)
    assert pseudo_r2(world.p_true, world.won, groups=g) > 0.1


def test_a_dead_heat_splits_the_credit() -> None:
    won = np.array([1, 1, 0, 1, 0, 0, 0])
    expected = -(0.5 * np.log(0.5) + 0.5 * np.log(0.3) + np.log(0.25)) / 2
    assert winner_log_loss(P, won, groups=GROUPS) == pytest.approx(expected)


def test_the_bootstrap_is_seeded_and_zero_for_identical_models() -> None:
    world = make_world(n_races=300, seed=2)
    p, y, g = world.p_true, world.won, world.groups
    same = paired_bootstrap(p, p, y, groups=g, n_resamples=200)
    assert same.difference == 0.0 and same.difference_low == 0.0 == same.difference_high
    assert not same.excludes_zero
    flat = _uniform(g)
    first = paired_bootstrap(p, flat, y, groups=g, n_resamples=300, random_state=4)
    again = paired_bootstrap(p, flat, y, groups=g, n_resamples=300, random_state=4)
    other = paired_bootstrap(p, flat, y, groups=g, n_resamples=300, random_state=5)
    assert first == again
    assert first.difference_low != other.difference_low


def test_the_bootstrap_finds_a_real_difference_and_matches_the_pseudo_r2_gain() -> None:
    world = make_world(n_races=1500, seed=3)
    p, y, g = world.p_true, world.won, world.groups
    uniform = _uniform(g)
    result = paired_bootstrap(p, uniform, y, groups=g, n_resamples=500)
    assert result.excludes_zero and result.difference_low > 0.0
    assert result.difference_low < result.difference < result.difference_high
    gain = pseudo_r2(p, y, groups=g) - pseudo_r2(uniform, y, groups=g)
    assert result.delta_pseudo_r2 == pytest.approx(gain, rel=1e-10)
    assert result.delta_low < gain < result.delta_high
    assert result.difference == pytest.approx(
        winner_log_loss(uniform, y, groups=g) - winner_log_loss(p, y, groups=g), rel=1e-10
    )
    reverse = paired_bootstrap(uniform, p, y, groups=g, n_resamples=500)
    assert reverse.difference_high < 0.0


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(DataError, match="sum to 1"):
        winner_log_loss(P * 0.5, WON, groups=GROUPS)
    with pytest.raises(DataError, match="no winner"):
        pseudo_r2(P, np.zeros(7), groups=GROUPS)
    with pytest.raises(DataError, match="1 for a winner"):
        win_brier(P, np.full(7, 0.5), groups=GROUPS)
    with pytest.raises(InvalidParameterError, match="confidence"):
        paired_bootstrap(P, P, WON, groups=GROUPS, confidence=1.5)
    with pytest.raises(InvalidParameterError, match="groups"):
        winner_log_loss(P, WON, groups=GROUPS[:3])
