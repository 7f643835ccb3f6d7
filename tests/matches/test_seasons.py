"""Football seasons for simulate:season on hand-made frames: which season is in progress, the
table of what was known, the games left, the rules, and grids matched to the published 1X2."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from formline.errors import DataError
from formline.matches.seasons import FOOTBALL_SEASONS, rules_for, with_outcomes

AS_OF = datetime(2022, 11, 1)


def _frame() -> pd.DataFrame:
    games = [
        # competition, season, kickoff, home, away, status, home goals, away goals (NaN: unknown)
        ("E0", "2021-22", "2022-05-22", "A", "B", "finished", 1, 0),
        ("E0", "2022-23", "2022-08-06", "A", "B", "finished", 2, 0),
        ("E0", "2022-23", "2022-08-13", "C", "A", "finished", 1, 1),
        ("E0", "2022-23", "2022-08-20", "B", "C", "finished", 0, 3),
        ("E0", "2022-23", "2022-10-31", "C", "B", "finished", np.nan, np.nan),  # result not yet
        ("E0", "2022-23", "2022-11-05", "B", "A", "scheduled", np.nan, np.nan),
        ("E0", "2022-23", "2022-11-12", "A", "C", "postponed", np.nan, np.nan),
        ("E0", "2022-23", "2022-11-19", "B", "D", "cancelled", np.nan, np.nan),
        ("D1", "2021-22", "2022-05-14", "X", "Y", "finished", 2, 2),
    ]
    frame = pd.DataFrame(
        games,
        columns=[
            "competition",
            "season",
            "kickoff_at",
            "home_team",
            "away_team",
            "status",
            "home_goals",
            "away_goals",
        ],
    )
    frame["kickoff_at"] = pd.to_datetime(frame["kickoff_at"])
    frame["finished"] = frame["home_goals"].notna()
    frame["match_id"] = range(1, len(frame) + 1)
    return frame


def test_the_season_in_progress_is_the_table_known_and_the_games_left() -> None:
    season = FOOTBALL_SEASONS.season(_frame(), "E0", AS_OF)
    assert season.season == "2022-23"
    assert season.teams == ["A", "B", "C"]  # D plays only in a cancelled game
    assert season.n_played == 3
    np.testing.assert_array_equal(season.points, [4, 0, 4])
    np.testing.assert_array_equal(season.score_difference, [2, -5, 3])
    np.testing.assert_array_equal(season.scored, [3, 0, 4])
    # The game awaiting its result, the scheduled one and the postponed one are still to play.
    assert list(season.remaining["match_id"]) == [5, 6, 7]
    assert [season.teams[h] for h in season.home] == ["C", "B", "A"]
    assert [season.teams[a] for a in season.away] == ["B", "A", "C"]
    assert season.rules.relegated == 3 and season.rules.top == 4
    assert FOOTBALL_SEASONS.seasons_in_progress(_frame(), AS_OF) == ["E0"]


def test_a_competition_without_a_game_left_has_no_season_in_progress() -> None:
    with pytest.raises(DataError, match=r"no season in progress at 2022-11-01 00:00.*2021-22"):
        FOOTBALL_SEASONS.season(_frame(), "D1", AS_OF)
    with pytest.raises(DataError, match=r"no match of 'SP1' in the store \(it has: D1, E0\)"):
        FOOTBALL_SEASONS.season(_frame(), "SP1", AS_OF)


def test_relegation_rules_by_competition_and_season() -> None:
    assert rules_for("E0", "2022-23").relegated == 3
    assert rules_for("F1", "2022-23").relegated == 4  # Ligue 1 went from 20 clubs to 18
    assert rules_for("F1", "2023-24").relegated == 2
    assert rules_for("DEMO2", "2025-26").relegated == 3
    assert rules_for("B1", "2022-23").relegated is None  # not known: no p_relegation
    assert rules_for("B1", "2022-23", relegated=2).relegated == 2


def test_a_grid_is_rescaled_to_the_published_outcomes_within_each_outcome() -> None:
    rng = np.random.default_rng(0)
    grids = rng.random((4, 6, 6))
    outcomes = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.34, 0.33, 0.33], [0.6, 0.4, 0.0]])
    matched = with_outcomes(grids, outcomes)
    home, away = np.indices((6, 6))
    regions = [home > away, home == away, home < away]
    got = np.stack([matched[:, r].sum(axis=1) for r in regions], axis=1)
    np.testing.assert_allclose(got, outcomes, atol=1e-12)
    np.testing.assert_allclose(matched.sum(axis=(1, 2)), 1.0)
    # Within an outcome the scores keep the model's shape (ratios of cells unchanged).
    for k, region in enumerate(regions[:2]):
        original = grids[0][region] / grids[0][region].sum()
        np.testing.assert_allclose(matched[0][region] / outcomes[0, k], original)
