"""The recent home advantage: follows a mid-season change within weeks, point-in-time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from formline.core.ratings import home_advantage_kernel, margin_kernel, recent_home_advantage


def _seasons_with_a_drop(seed: int, n: int = 1140, drop_at: int = 950) -> pd.DataFrame:
    """Three seasons of a league of 20 equal teams (380 results each): home advantage 0.4
    goals, then none from result ``drop_at`` (the middle of the third season)."""
    rng = np.random.default_rng(seed)
    home = rng.integers(0, 20, n)
    away = (home + rng.integers(1, 20, n)) % 20
    advantage = np.where(np.arange(n) < drop_at, 0.4, 0.0)
    return pd.DataFrame(
        {
            "home_team": home,
            "away_team": away,
            "home_goals": rng.poisson(1.3 + advantage / 2),
            "away_goals": rng.poisson(1.3 - advantage / 2),
        }
    )


def test_it_follows_a_mid_season_drop_in_home_advantage_within_twelve_rounds() -> None:
    # Averaged over seeds so that the test checks the filter, not one draw's noise.
    drop, after = 950, 950 + 120
    before_drop, recent_after, slow_after = [], [], []
    for seed in range(60):
        season = _seasons_with_a_drop(seed, drop_at=drop)
        margin = (season["home_goals"] - season["away_goals"]).to_numpy(dtype=float)
        zeros = np.zeros(len(season), dtype=np.int64)
        slow = margin_kernel(season["home_team"], season["away_team"], zeros, zeros, margin, 20, 1)
        recent = recent_home_advantage(season, expected=slow[0] - slow[1], half_life=60.0)
        before_drop.append(recent["home_advantage_before"].iloc[drop])
        recent_after.append(recent["home_advantage_before"].iloc[after])
        slow_after.append(slow[2][after])
    # It had learnt the 0.4; twelve rounds after the drop it has given up most of it, while the
    # margin ratings' slow home advantage still holds most of what it had.
    assert np.mean(before_drop) == pytest.approx(0.4, abs=0.08)
    assert np.mean(recent_after) < 0.16
    assert np.mean(slow_after) > 0.2


def test_each_value_uses_only_earlier_results() -> None:
    season = _seasons_with_a_drop(3)
    got = recent_home_advantage(season)
    changed = season.copy()
    changed.loc[200:, "home_goals"] += 5  # every later result changes
    again = recent_home_advantage(changed)
    before = "home_advantage_before"
    pd.testing.assert_series_equal(got[before].iloc[:201], again[before].iloc[:201])
    assert not np.allclose(got[before].iloc[201:], again[before].iloc[201:])
    # "after" a row is "before" the next row of the same competition.
    np.testing.assert_allclose(got["home_advantage_after"].iloc[:-1], got[before].iloc[1:])


def test_the_update_rule_is_an_exponentially_weighted_mean_per_competition() -> None:
    competition = np.array([0, 1, 0, 0, 1])
    residual = np.array([1.0, 5.0, np.nan, 0.0, 1.0])
    before, after = home_advantage_kernel(competition, residual, 2, half_life=1.0)
    assert np.isnan(before[0]) and np.isnan(before[1])
    np.testing.assert_allclose(after, [1.0, 5.0, 1.0, (0.5 * 1.0 + 0.0) / 1.5, (2.5 + 1) / 1.5])
    np.testing.assert_allclose(before[2:], [1.0, 1.0, 5.0])


@pytest.mark.parametrize("half_life", [0.0, -1.0, float("nan")])
def test_a_half_life_that_is_not_positive_is_refused(half_life: float) -> None:
    with pytest.raises(ValueError, match="half_life"):
        home_advantage_kernel([0], [1.0], 1, half_life=half_life)


def test_out_of_range_codes_and_ragged_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match="competition codes"):
        home_advantage_kernel([0, 2], [1.0, 1.0], 2)
    with pytest.raises(ValueError, match="one length"):
        home_advantage_kernel([0, 1], [1.0], 2)
