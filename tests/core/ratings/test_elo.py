"""Elo ratings: invariants, a slow reference implementation and the estimator contract."""

from __future__ import annotations

import inspect
import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from formline.core.ratings import (
    EloRatings,
    NotFittedError,
    elo_kernel,
    expected_home_score,
    regress_to_mean,
)


def _results(rows: list[tuple[str, str, int, int, str]], **extra: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["home_team", "away_team", "home_goals", "away_goals", "season"]
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


def _reference(
    home: np.ndarray, away: np.ndarray, hg: np.ndarray, ag: np.ndarray, season: np.ndarray,
    h0: np.ndarray, a0: np.ndarray, k: float, hfa: float, reg: float, mean: float, mov: bool,
) -> tuple[list[float], list[float], list[float], list[float]]:  # fmt: skip
    """Slow pure-Python Elo written from the specification."""
    rating: dict[int, float] = {}
    last: dict[int, int] = {}
    out: tuple[list[float], list[float], list[float], list[float]] = ([], [], [], [])
    for i in range(len(home)):
        for team, start in ((int(home[i]), h0[i]), (int(away[i]), a0[i])):
            if team not in rating:
                rating[team] = float(start)
            elif last[team] != season[i]:
                rating[team] = mean + (rating[team] - mean) * (1 - reg)
            last[team] = int(season[i])
        rh, ra = rating[int(home[i])], rating[int(away[i])]
        expected = 1 / (1 + 10 ** (-(rh - ra + hfa) / 400))
        gd = hg[i] - ag[i]
        actual = 1.0 if gd > 0 else 0.0 if gd < 0 else 0.5
        mult = 1.0
        if mov and gd != 0:
            winner_adv = (rh - ra + hfa) * (1 if gd > 0 else -1)
            mult = math.log(abs(gd) + 1) / math.log(2) * 2.2 / (winner_adv * 0.001 + 2.2)
        delta = k * mult * (actual - expected)
        rating[int(home[i])] = rh + delta
        rating[int(away[i])] = ra - delta
        for lst, value in zip(out, (rh, ra, rh + delta, ra - delta), strict=True):
            lst.append(value)
    return out


class League(NamedTuple):
    """The kernel's array arguments, in its order."""

    home_idx: np.ndarray
    away_idx: np.ndarray
    home_goals: np.ndarray
    away_goals: np.ndarray
    season_idx: np.ndarray
    home_initial: np.ndarray
    away_initial: np.ndarray


def _random_league(n: int, n_teams: int, seed: int) -> League:
    rng = np.random.default_rng(seed)
    home = rng.integers(0, n_teams, n)
    return League(
        home_idx=home,
        away_idx=(home + rng.integers(1, n_teams, n)) % n_teams,
        home_goals=rng.poisson(1.5, n),
        away_goals=rng.poisson(1.1, n),
        season_idx=np.arange(n) * 5 // n,
        home_initial=rng.normal(1500, 50, n),
        away_initial=rng.normal(1500, 50, n),
    )


@pytest.mark.parametrize("use_mov", [True, False])
def test_kernel_matches_slow_reference(use_mov: bool) -> None:
    league = _random_league(500, 20, seed=11)
    params = (24.0, 70.0, 0.3, 1500.0, use_mov)
    fast = elo_kernel(*league, *params)
    slow = _reference(*league, *params)
    for got, want in zip(fast, slow, strict=True):
        assert np.allclose(got, want, rtol=0, atol=1e-9)


def test_home_win_moves_home_up_and_away_down() -> None:
    model = EloRatings().fit(_results([("A", "B", 2, 0, "2022-23")]))
    assert model.ratings_["A"] > 1500 > model.ratings_["B"]
    row = model.history_.iloc[0]
    assert row["home_rating_before"] == row["away_rating_before"] == 1500
    assert row["home_expected"] == pytest.approx(expected_home_score(1500, 1500, 65.0))
    loss = EloRatings().fit(_results([("A", "B", 0, 1, "2022-23")]))
    assert loss.ratings_["A"] < 1500 < loss.ratings_["B"]


def test_zero_sum_within_a_season() -> None:
    league = _random_league(2_000, 18, seed=5)
    start = np.full(2_000, 1500.0)
    league = league._replace(season_idx=np.zeros(2_000), home_initial=start, away_initial=start)
    hb, ab, ha, aa = elo_kernel(*league, 20.0, 65.0, 1 / 3, 1500.0, True)
    assert np.allclose(ha - hb, -(aa - ab))
    model = EloRatings()
    frame = pd.DataFrame(
        {
            "home_team": league.home_idx.astype(str),
            "away_team": league.away_idx.astype(str),
            "home_goals": league.home_goals,
            "away_goals": league.away_goals,
            "season": "2022-23",
        }
    )
    ratings = model.fit(frame).ratings_
    assert sum(ratings.values()) == pytest.approx(1500 * len(ratings))


def test_bigger_margin_bigger_change_with_mov() -> None:
    changes = []
    for goals in (1, 2, 4):
        model = EloRatings().fit(_results([("A", "B", goals, 0, "2022-23")]))
        changes.append(model.ratings_["A"] - 1500)
    assert changes[0] < changes[1] < changes[2]
    flat = [
        EloRatings(use_mov=False).fit(_results([("A", "B", g, 0, "2022-23")])).ratings_["A"]
        for g in (1, 4)
    ]
    assert flat[0] == flat[1]


def test_one_goal_win_between_equals_uses_multiplier_one() -> None:
    mov = EloRatings(home_advantage=0.0).fit(_results([("A", "B", 1, 0, "s")]))
    plain = EloRatings(home_advantage=0.0, use_mov=False).fit(_results([("A", "B", 1, 0, "s")]))
    assert mov.ratings_["A"] == pytest.approx(plain.ratings_["A"]) == pytest.approx(1510.0)


def test_season_regression_on_first_match_of_new_season() -> None:
    rows = [("A", "B", 3, 0, "2021-22"), ("A", "B", 2, 0, "2021-22"), ("B", "A", 1, 1, "2022-23")]
    model = EloRatings(season_regression=0.25).fit(_results(rows))
    end_a = model.history_["home_rating_after"].iloc[1]
    end_b = model.history_["away_rating_after"].iloc[1]
    first = model.history_.iloc[2]
    assert first["away_rating_before"] == pytest.approx(1500 + (end_a - 1500) * 0.75)
    assert first["home_rating_before"] == pytest.approx(1500 + (end_b - 1500) * 0.75)
    assert first["away_rating_before"] == pytest.approx(regress_to_mean(end_a, 1500, 0.25))


def test_promoted_team_starts_below_mean() -> None:
    rows = [
        ("A", "B", 1, 0, "2021-22"),
        ("C", "D", 1, 0, "2021-22"),
        ("A", "E", 1, 0, "2022-23"),  # E is new in the league's second season: promoted
        ("F", "G", 0, 0, "2022-23"),  # F and G play in a competition first seen this season
    ]
    competition = ["E0", "E1", "E0", "SP1"]
    model = EloRatings(promoted_penalty=80.0).fit(_results(rows, competition=competition))
    history = model.history_
    assert history["away_rating_before"].iloc[2] == 1420.0
    assert history["home_rating_before"].iloc[3] == history["away_rating_before"].iloc[3] == 1500
    # Without a competition column everything is one competition: F and G are promoted too.
    single = EloRatings(promoted_penalty=80.0).fit(_results(rows)).history_
    assert single["home_rating_before"].iloc[3] == 1420.0


def test_history_aligned_and_deterministic() -> None:
    league = _random_league(300, 10, seed=2)
    frame = pd.DataFrame(
        {
            "home_team": [f"T{i}" for i in league.home_idx],
            "away_team": [f"T{i}" for i in league.away_idx],
            "home_goals": pd.array(league.home_goals, dtype="Int64"),
            "away_goals": pd.array(league.away_goals, dtype="Int64"),
            "season": pd.array([f"20{10 + s}" for s in league.season_idx], dtype="string"),
        },
        index=pd.RangeIndex(1000, 1300),
    )
    first, second = EloRatings().fit(frame), EloRatings().fit(frame)
    assert first.history_.index.equals(frame.index)
    pd.testing.assert_frame_equal(first.history_, second.history_)
    assert first.ratings_ == second.ratings_
    last = first.history_.iloc[-1]
    assert first.ratings_[frame["home_team"].iloc[-1]] == last["home_rating_after"]
    assert 0 < first.expected_home("T1", "T2") < 1


def test_estimator_contract() -> None:
    model = EloRatings(k=30.0, home_advantage=50.0, mean_rating=1000.0, use_mov=False)
    init_params = set(inspect.signature(EloRatings).parameters)
    assert set(vars(model)) == init_params
    assert model.fit(_results([("A", "B", 1, 0, "s")])) is model
    learned = set(vars(model)) - init_params
    assert learned and all(name.endswith("_") and not name.startswith("_") for name in learned)


def test_unfitted_access_raises_clear_error() -> None:
    model = EloRatings()
    with pytest.raises(
        NotFittedError, match=r"EloRatings is not fitted yet. Call `.fit\(\)` first."
    ):
        _ = model.ratings_
    with pytest.raises(NotFittedError):
        model.expected_home("A", "B")
    assert not hasattr(model, "history_")
    with pytest.raises(AttributeError, match="no attribute"):
        _ = model.nonexistent  # type: ignore[attr-defined]


def test_invalid_input_raises() -> None:
    good = _results([("A", "B", 1, 0, "s")])
    with pytest.raises(ValueError, match="season_regression"):
        EloRatings(season_regression=1.5).fit(good)
    with pytest.raises(ValueError, match="missing columns"):
        EloRatings().fit(good.drop(columns="season"))
    with pytest.raises(ValueError, match="missing values"):
        EloRatings().fit(good.assign(home_goals=pd.array([None], dtype="Int64")))
    with pytest.raises(ValueError, match="play itself"):
        EloRatings().fit(_results([("A", "A", 1, 0, "s")]))
    with pytest.raises(KeyError, match="unknown team"):
        EloRatings().fit(good).expected_home("A", "Z")


def test_kernel_is_finite_on_a_long_random_history() -> None:
    """Timing at 250k matches is benchmarks/core_speed.py's; here, a long history stays finite."""
    league = _random_league(20_000, 400, seed=3)
    out = elo_kernel(*league, 20.0, 65.0, 1 / 3, 1500.0, True)
    assert all(np.isfinite(x).all() for x in out)
