"""Margin ratings: the update rule, a slow reference implementation and the contract."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from formline.core.ratings import MarginRatings, NotFittedError, margin_kernel


def _frame(rows: list[tuple[str, str, int, int, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["home_team", "away_team", "home_goals", "away_goals", "season"]
    )


def _reference(
    home: np.ndarray, away: np.ndarray, comp: np.ndarray, season: np.ndarray,
    margin: np.ndarray, k: float, home_k: float, regression: float,
) -> list[list[float]]:  # fmt: skip
    """Slow pure-Python margin ratings, written from the module docstring."""
    rating: dict[int, float] = {}
    advantage: dict[int, float] = {}
    last: dict[int, int] = {}
    out: list[list[float]] = [[] for _ in range(6)]
    for i in range(len(home)):
        h, a, c = int(home[i]), int(away[i]), int(comp[i])
        for team in (h, a):
            if team in last and last[team] != season[i]:
                rating[team] = rating[team] * (1 - regression)
            last[team] = int(season[i])
        before = [rating.get(h, 0.0), rating.get(a, 0.0), advantage.get(c, 0.0)]
        if not np.isnan(margin[i]):
            error = margin[i] - (before[0] - before[1] + before[2])
            rating[h] = before[0] + k * error
            rating[a] = before[1] - k * error
            advantage[c] = before[2] + home_k * error
        after = [rating.get(h, 0.0), rating.get(a, 0.0), advantage.get(c, 0.0)]
        for lst, value in zip(out, [*before, *after], strict=True):
            lst.append(value)
    return out


@pytest.mark.parametrize("params", [(0.01, 0.002, 0.2), (0.05, 0.0, 0.0), (0.2, 0.01, 1.0)])
def test_kernel_matches_slow_reference(params: tuple[float, float, float]) -> None:
    rng = np.random.default_rng(5)
    n, n_teams = 600, 16
    home = rng.integers(0, n_teams, n)
    away = (home + rng.integers(1, n_teams, n)) % n_teams
    comp = rng.integers(0, 3, n)
    season = np.sort(rng.integers(0, 4, n))
    margin = rng.normal(1.0, 3.0, n)
    margin[rng.random(n) < 0.1] = np.nan
    fast = margin_kernel(home, away, comp, season, margin, n_teams, 3, *params)
    slow = _reference(home, away, comp, season, margin, *params)
    for got, want in zip(fast, slow, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_a_home_margin_above_expectation_moves_ratings_and_home_advantage() -> None:
    model = MarginRatings(k=0.1, home_k=0.01).fit(_frame([("A", "B", 3, 0, "2022-23")]))
    assert model.ratings_["A"] == pytest.approx(0.3)
    assert model.ratings_["B"] == pytest.approx(-0.3)
    assert model.home_advantage_["all"] == pytest.approx(0.03)
    assert model.expected_margin("A", "B") == pytest.approx(0.63)


def test_a_missing_statistic_changes_nothing() -> None:
    frame = _frame([("A", "B", 2, 0, "2022-23"), ("B", "A", 1, 1, "2022-23")])
    frame["home_goals"] = frame["home_goals"].astype("float64")
    frame.loc[0, "home_goals"] = np.nan
    history = MarginRatings().fit(frame).history_
    assert history.loc[0, "home_rating_after"] == 0.0
    assert history.loc[1, "home_rating_before"] == 0.0


def test_season_regression_applies_at_a_teams_first_match_of_the_new_season() -> None:
    frame = _frame([("A", "B", 4, 0, "2021-22"), ("A", "C", 0, 0, "2022-23")])
    history = MarginRatings(k=0.1, home_k=0.0, season_regression=0.5).fit(frame).history_
    assert history.loc[0, "home_rating_after"] == pytest.approx(0.4)
    assert history.loc[1, "home_rating_before"] == pytest.approx(0.2)


def test_each_competition_learns_its_own_home_advantage() -> None:
    frame = _frame([("A", "B", 2, 0, "2022-23"), ("C", "D", 0, 2, "2022-23")])
    frame["competition"] = ["E0", "D1"]
    model = MarginRatings(home_k=0.1).fit(frame)
    assert model.home_advantage_["E0"] > 0 > model.home_advantage_["D1"]


def test_follows_the_estimator_contract() -> None:
    model = MarginRatings(k=0.05)
    assert set(inspect.signature(MarginRatings).parameters) == {
        "home_column", "away_column", "k", "home_k", "season_regression"
    }  # fmt: skip
    with pytest.raises(NotFittedError, match="MarginRatings is not fitted yet"):
        _ = model.ratings_
    assert model.fit(_frame([("A", "B", 1, 0, "2022-23")])) is model


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"k": 0.0}, "k must be"),
        ({"home_k": -1.0}, "home_k"),
        ({"season_regression": 2.0}, "season"),
    ],
)
def test_rejects_bad_hyperparameters(params: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MarginRatings(**params).fit(_frame([("A", "B", 1, 0, "2022-23")]))


def test_rejects_a_team_playing_itself() -> None:
    with pytest.raises(ValueError, match="cannot play itself"):
        MarginRatings().fit(_frame([("A", "A", 1, 0, "2022-23")]))
