"""No leakage, proven: features as of T never depend on facts observed at or after T."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pandas.testing as pdt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from world import build, small_world

RESULT_VALUES = [
    "home_goals",
    "away_goals",
    "home_shots",
    "away_shots",
    "home_shots_on_target",
    "away_shots_on_target",
    "home_xg",
    "away_xg",
    "home_corners",
    "away_corners",
]


def perturb_future(
    matches: pd.DataFrame, odds: pd.DataFrame, as_of: datetime, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Change or delete every fact observed at or after ``as_of``. Returns the number touched."""
    rng = np.random.default_rng(seed)
    matches, odds = matches.copy(), odds.copy()
    future = matches["observed_at"].notna() & (matches["observed_at"] >= as_of)
    delete = future & (rng.random(len(matches)) < 0.3)
    change = future & ~delete
    for col in RESULT_VALUES:
        bump = rng.integers(1, 4, len(matches))
        if col.endswith("xg"):
            matches.loc[change, col] = matches.loc[change, col] + 0.7
        else:
            matches.loc[change, col] = matches.loc[change, col] + bump[change.to_numpy()]
    matches.loc[delete, RESULT_VALUES] = pd.NA
    matches.loc[delete, "status"] = "scheduled"
    matches.loc[delete, "observed_at"] = pd.NaT
    future_odds = odds["observed_at"] >= as_of
    odds.loc[future_odds, "price"] = odds.loc[future_odds, "price"] * 1.5 + 0.3
    odds = odds[~(future_odds & (rng.random(len(odds)) < 0.3))]
    return matches, odds, int(future.sum() + future_odds.sum())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_teams=st.sampled_from([4, 6]),
    cut_round=st.integers(1, 8),
    offset_hours=st.sampled_from([0, 2, 3, 26, 50]),
)
def test_features_as_of_t_ignore_every_fact_observed_at_or_after_t(
    seed: int, n_teams: int, cut_round: int, offset_hours: int
) -> None:
    matches, odds = small_world(seed, n_teams=n_teams, n_rounds=10, n_competitions=2)
    first_kickoff = matches["kickoff_at"].min()
    as_of = first_kickoff + timedelta(days=7 * cut_round, hours=offset_hours)
    before = build(matches, odds, as_of)
    changed_matches, changed_odds, touched = perturb_future(matches, odds, as_of, seed)
    after = build(changed_matches, changed_odds, as_of)
    pdt.assert_frame_equal(before, after)

    # Positive control: the same rewrite is visible to features built later.
    if touched:
        late = matches["kickoff_at"].max() + timedelta(days=30)
        assert not build(matches, odds, late).equals(build(changed_matches, changed_odds, late))


def test_a_matchs_own_result_and_closing_odds_never_reach_its_features() -> None:
    matches, odds = small_world(7, n_teams=6, n_rounds=6)
    as_of = matches["kickoff_at"].max() + timedelta(days=10)
    target = int(matches["match_id"].iloc[len(matches) // 2])
    base = build(matches, odds, as_of).set_index("match_id").loc[target]

    changed = matches.copy()
    row = changed["match_id"] == target
    changed.loc[row, "home_goals"] = changed.loc[row, "home_goals"] + 5
    changed.loc[row, "home_shots"] = changed.loc[row, "home_shots"] + 9
    changed_odds = odds.copy()
    closing = (changed_odds["match_id"] == target) & (changed_odds["kind"] == "closing")
    assert closing.any()
    changed_odds.loc[closing, "price"] = changed_odds.loc[closing, "price"] * 3
    after = build(changed, changed_odds, as_of).set_index("match_id").loc[target]
    pdt.assert_series_equal(base, after)

    # Positive control: its opening odds (observed before kickoff) do reach it.
    opening = (odds["match_id"] == target) & (odds["kind"] == "opening")
    shifted = odds.copy()
    shifted.loc[opening & (shifted["selection"] == "home"), "price"] = 1.2
    moved = build(matches, shifted, as_of).set_index("match_id").loc[target]
    assert moved["market_p_home"] > base["market_p_home"]


def _two_match_world(observed_offset: timedelta) -> tuple[pd.DataFrame, pd.DataFrame, datetime]:
    """Team 1 plays twice; the first result is observed ``observed_offset`` before the second
    match's kickoff. Odds of the second match are observed at the same instant."""
    kickoff_1 = datetime(2022, 8, 6, 15, 0)
    kickoff_2 = datetime(2022, 8, 13, 15, 0)
    observed = kickoff_2 - observed_offset
    matches = pd.DataFrame(
        {
            "match_id": [1, 2],
            "competition_id": [1, 1],
            "season": ["2022-23", "2022-23"],
            "kickoff_at": [kickoff_1, kickoff_2],
            "home_team_id": [1, 1],
            "away_team_id": [2, 3],
            "status": ["finished", "scheduled"],
            "home_goals": pd.array([3, None], dtype="Int64"),
            "away_goals": pd.array([0, None], dtype="Int64"),
            "home_shots": pd.array([12, None], dtype="Int64"),
            "away_shots": pd.array([4, None], dtype="Int64"),
            "home_shots_on_target": pd.array([6, None], dtype="Int64"),
            "away_shots_on_target": pd.array([1, None], dtype="Int64"),
            "home_xg": pd.array([2.1, None], dtype="Float64"),
            "away_xg": pd.array([0.4, None], dtype="Float64"),
            "home_corners": pd.array([7, None], dtype="Int64"),
            "away_corners": pd.array([2, None], dtype="Int64"),
            "observed_at": pd.to_datetime([observed, None]).astype("datetime64[us]"),
        }
    )
    odds = pd.DataFrame(
        {
            "match_id": [2, 2, 2],
            "bookmaker": ["book_a"] * 3,
            "market": ["1x2"] * 3,
            "selection": ["home", "draw", "away"],
            "line": [0.0] * 3,
            "kind": ["opening"] * 3,
            "price": [1.8, 3.6, 4.5],
            "observed_at": pd.to_datetime([observed] * 3).astype("datetime64[us]"),
        }
    )
    return matches, odds, kickoff_2


def test_a_fact_observed_exactly_at_the_cutoff_is_excluded() -> None:
    matches, odds, kickoff = _two_match_world(timedelta(0))
    features = build(matches, odds, kickoff + timedelta(days=1)).set_index("match_id").loc[2]
    assert features["home_form_matches"] == 0
    assert features["home_elo"] == 1500.0
    assert pd.isna(features["market_p_home"])
    assert pd.isna(features["home_table_position"])


def test_a_fact_observed_one_second_before_the_cutoff_is_included() -> None:
    matches, odds, kickoff = _two_match_world(timedelta(seconds=1))
    features = build(matches, odds, kickoff + timedelta(days=1)).set_index("match_id").loc[2]
    assert features["home_form_matches"] == 1
    assert features["home_form5_goals_for"] == 3
    assert features["home_elo"] > 1500.0
    assert features["home_table_position"] == 1
    assert 0.4 < features["market_p_home"] < 0.6


def test_as_of_cuts_facts_for_scheduled_matches_too() -> None:
    """With as_of before a match's kickoff, the cutoff is as_of, not the kickoff."""
    matches, odds, kickoff = _two_match_world(timedelta(hours=5))
    observed = kickoff - timedelta(hours=5)
    at = build(matches, odds, observed).set_index("match_id").loc[2]
    after = build(matches, odds, observed + timedelta(seconds=1)).set_index("match_id").loc[2]
    assert at["cutoff_at"] == observed
    assert at["home_form_matches"] == 0
    assert after["home_form_matches"] == 1
