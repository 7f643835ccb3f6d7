"""What each feature means, checked on worlds small enough to work out by hand, and against the
reference rating estimators on the demo world."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from world import NO_ODDS, build, frames_from_batch, match_row, rows_frame

from formline.core.ratings import EloRatings, MarginRatings, PiRatings, recent_home_advantage
from formline.matches.features import FEATURE_SET_VERSION, MATCH_FEATURES
from formline.matches.sources.demo import generate_demo_world

DAY = timedelta(days=1)
START = datetime(2022, 8, 6, 15, 0)


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    batch = generate_demo_world(
        seed=11, now=datetime(2025, 11, 6), n_leagues=2, n_teams=8, n_seasons=3
    )
    matches, odds = frames_from_batch(batch.matches, batch.odds)
    features = build(matches, odds, datetime(2025, 11, 6)).set_index("match_id")
    return matches, odds, features


def test_every_registered_feature_is_emitted_in_order(demo: tuple[pd.DataFrame, ...]) -> None:
    features = demo[2]
    assert list(features.columns[1:]) == MATCH_FEATURES.names
    assert len(FEATURE_SET_VERSION) == 16


def test_elo_and_pi_features_match_the_reference_estimators(
    demo: tuple[pd.DataFrame, ...],
) -> None:
    matches, _, features = demo
    finished = matches[matches["status"] == "finished"].sort_values(["observed_at", "match_id"])
    results = (
        finished.drop(columns=["competition"])
        .rename(columns={"competition_id": "competition"})[
            ["home_team", "away_team", "home_goals", "away_goals", "season", "competition"]
        ]
        .astype({"home_goals": "int64", "away_goals": "int64"})
    )
    elo = EloRatings().fit(results)
    got = features.loc[finished["match_id"]]
    np.testing.assert_allclose(got["home_elo"], elo.history_["home_rating_before"], rtol=1e-9)
    np.testing.assert_allclose(got["away_elo"], elo.history_["away_rating_before"], rtol=1e-9)
    np.testing.assert_allclose(got["elo_home_expected"], elo.history_["home_expected"], rtol=1e-9)
    pi = PiRatings().fit(results)
    np.testing.assert_allclose(
        got["home_pi_home"], pi.history_["home_team_home_before"], atol=1e-12
    )
    np.testing.assert_allclose(
        got["away_pi_away"], pi.history_["away_team_away_before"], atol=1e-12
    )
    # Promoted teams exist in the later seasons and start below the mean.
    assert (got["home_elo"] == 1400.0).any()


@pytest.mark.parametrize(
    ("stat", "home_column", "away_column", "k"),
    [
        ("goals", "home_goals", "away_goals", 0.01),
        ("sot", "home_shots_on_target", "away_shots_on_target", 0.01),
        ("shots", "home_shots", "away_shots", 0.02),
    ],
)
def test_margin_rating_features_match_the_reference_estimator(
    demo: tuple[pd.DataFrame, ...], stat: str, home_column: str, away_column: str, k: float
) -> None:
    matches, _, features = demo
    finished = matches[matches["status"] == "finished"].sort_values(["observed_at", "match_id"])
    results = finished.drop(columns=["competition"]).rename(
        columns={"competition_id": "competition"}
    )
    results = results.astype({home_column: "float64", away_column: "float64"})
    ratings = MarginRatings(home_column, away_column, k=k).fit(results)
    got = features.loc[finished["match_id"]]
    history = ratings.history_
    np.testing.assert_allclose(
        got[f"{stat}_rating_diff"],
        history["home_rating_before"] - history["away_rating_before"],
        atol=1e-9,
    )
    # The competition's home advantage moves with every match, so a match reads it as of its
    # cutoff: after the last result observed strictly before kickoff (not after the matches
    # played at the same instant, which the estimator's row order puts "before" it).
    after = pd.DataFrame(
        {
            "competition": results["competition"].to_numpy(),
            "observed_at": results["observed_at"].to_numpy(),
            "advantage": history["home_advantage_after"].to_numpy(),
        }
    ).sort_values("observed_at", kind="stable")
    queries = pd.DataFrame(
        {
            "match_id": finished["match_id"].to_numpy(),
            "competition": results["competition"].to_numpy(),
            "kickoff_at": finished["kickoff_at"].to_numpy(),
        }
    ).sort_values("kickoff_at", kind="stable")

    def as_of_cutoff(after: pd.DataFrame) -> np.ndarray:
        known = pd.merge_asof(
            queries,
            after.drop_duplicates(["competition", "observed_at"], keep="last"),
            left_on="kickoff_at",
            right_on="observed_at",
            by="competition",
            allow_exact_matches=False,
        ).set_index("match_id")
        values: np.ndarray = known.loc[finished["match_id"], "advantage"].to_numpy()
        return values

    want = np.nan_to_num(as_of_cutoff(after), nan=0.0)
    np.testing.assert_allclose(got[f"{stat}_home_advantage"], want, atol=1e-9)
    np.testing.assert_allclose(
        got[f"{stat}_expected_margin"],
        history["home_rating_before"] - history["away_rating_before"] + want,
        atol=1e-9,
    )
    assert got[f"{stat}_home_advantage"].iloc[-1] > 0  # the demo world has a home advantage
    # The recent home advantage: the core's weighted mean of what the ratings left unexplained,
    # read as of the cutoff in the same way.
    recent = recent_home_advantage(
        results,
        expected=history["home_rating_before"] - history["away_rating_before"],
        home_column=home_column,
        away_column=away_column,
        half_life=60.0,
    )
    after["advantage"] = recent["home_advantage_after"].to_numpy()[after.index.to_numpy()]
    want = as_of_cutoff(after)
    np.testing.assert_allclose(got[f"{stat}_recent_home_advantage"], want, atol=1e-9)
    assert got[f"{stat}_recent_home_advantage"].notna().mean() > 0.9


def test_long_form_is_an_exponentially_weighted_mean_of_every_earlier_result(
    demo: tuple[pd.DataFrame, ...],
) -> None:
    matches, _, features = demo
    finished = matches[matches["status"] == "finished"]
    sides = []
    for side, other in (("home", "away"), ("away", "home")):
        sides.append(
            pd.DataFrame(
                {
                    "match_id": finished["match_id"],
                    "side": side,
                    "team": finished[f"{side}_team_id"],
                    "observed_at": finished["observed_at"],
                    "sot_against": finished[f"{other}_shots_on_target"].astype("float64"),
                }
            )
        )
    long = pd.concat(sides).sort_values(["team", "observed_at", "match_id"])
    # The mean of the results before this one (each match reads the state before its cutoff).
    prior = long.groupby("team")["sot_against"].shift(1)
    long["want"] = prior.groupby(long["team"]).transform(
        lambda s: s.ewm(halflife=20.0, ignore_na=True).mean()
    )
    for side in ("home", "away"):
        rows = long[long["side"] == side].set_index("match_id")
        got = features.loc[rows.index, f"{side}_ewm_sot_against"]
        np.testing.assert_allclose(got, rows["want"], atol=1e-9)
    assert features["home_ewm_sot_against"].notna().sum() > 100


def test_market_probabilities_are_de_margined_and_sum_to_one(
    demo: tuple[pd.DataFrame, ...],
) -> None:
    features = demo[2].dropna(subset=["market_p_home"])
    for prefix in ("market", "market_power", "market_multiplicative"):
        total = features[[f"{prefix}_p_{o}" for o in ("home", "draw", "away")]].sum(axis=1)
        np.testing.assert_allclose(total, 1.0, atol=1e-9)
    assert features["market_margin_1x2"].between(0.0, 0.1).all()
    assert (features["market_bookmakers"] == 2).all()


def test_form_is_a_linearly_weighted_mean_of_the_last_n_results() -> None:
    rows = [match_row(i + 1, 1, 10 + i, START + i * 7 * DAY, (i + 1, 0)) for i in range(6)]
    rows.append(match_row(7, 1, 20, START + 42 * DAY, None))
    features = build(rows_frame(rows), NO_ODDS, START + 60 * DAY).set_index("match_id").loc[7]
    # goals 2..6 with weights 1..5 over the last five; 1..6 with weights 5..10 over ten.
    assert features["home_form5_goals_for"] == pytest.approx(70 / 15)
    assert features["home_form10_goals_for"] == pytest.approx(175 / 45)
    assert features["home_form5_points"] == pytest.approx(3.0)
    assert features["home_form_matches"] == 6
    assert features["home_home_form5_goals_for"] == pytest.approx(70 / 15)
    assert features["home_rest_days"] == pytest.approx(7.0)
    assert features["home_matches_14d"] == 2


def test_rest_days_are_capped_and_a_first_match_is_flagged() -> None:
    # Team 1 plays weekly; team 30 plays once, then comes back after two years (promotion).
    rows = [match_row(i + 1, 1, 10 + i, START + i * 7 * DAY, (1, 0)) for i in range(3)]
    rows.append(match_row(4, 30, 1, START + 24 * DAY, (0, 0)))
    rows.append(match_row(5, 30, 40, START + 755 * DAY, None))
    features = build(rows_frame(rows), NO_ODDS, START + 800 * DAY).set_index("match_id")
    # Team 30's first match in the data: no result known, rest at the cap, flagged.
    assert features.loc[4, "home_rest_days"] == pytest.approx(14.0)
    assert features.loc[4, "home_first_match"] == 1
    # Team 1 played 10 days earlier: real rest, not a first match.
    assert features.loc[4, "away_rest_days"] == pytest.approx(10.0)
    assert features.loc[4, "away_first_match"] == 0
    # Back after 731 days: capped (not 731) and flagged as a first match again.
    assert features.loc[5, "home_rest_days"] == pytest.approx(14.0)
    assert features.loc[5, "home_first_match"] == 1
    assert features.loc[3, "home_first_match"] == 0
    assert features["home_rest_days"].max() <= 14.0


def test_head_to_head_is_seen_from_the_home_side() -> None:
    rows = [
        match_row(1, 1, 2, START, (2, 0)),
        match_row(2, 2, 1, START + 14 * DAY, None),
    ]
    features = build(rows_frame(rows), NO_ODDS, START + 30 * DAY).set_index("match_id").loc[2]
    assert features["h2h_meetings"] == 1
    assert features["h2h_home_points"] == 0
    assert features["h2h_home_goal_diff"] == -2


def test_the_league_table_ranks_every_team_of_the_season() -> None:
    rows = [
        match_row(1, 1, 2, START, (3, 0)),
        match_row(2, 3, 4, START, (1, 1)),
        match_row(3, 1, 3, START + 7 * DAY, None),
        match_row(4, 2, 4, START + 7 * DAY, None),
    ]
    features = build(rows_frame(rows), NO_ODDS, START + 10 * DAY).set_index("match_id")
    assert features.loc[3, "home_table_position"] == 1
    assert features.loc[3, "away_table_position"] == 2  # ties with team 4, ahead of team 2
    assert features.loc[4, "away_table_position"] == 2
    assert features.loc[4, "home_table_position"] == 4
    assert features.loc[3, "home_table_points_per_game"] == 3
    assert features.loc[4, "home_table_goal_diff_per_game"] == -3
    assert pd.isna(features.loc[1, "home_table_position"])  # nothing played yet


def test_season_regression_applies_from_a_teams_first_match_of_the_new_season() -> None:
    rows = [match_row(1, 1, 2, START, (4, 0), season="2022-23")]
    rows.append(match_row(2, 1, 3, START + 300 * DAY, None, season="2023-24"))
    features = build(rows_frame(rows), NO_ODDS, START + 400 * DAY).set_index("match_id")
    gain = features.loc[1, "home_elo"]  # 1500 before the first match
    after_first = (
        EloRatings()
        .fit(
            pd.DataFrame(
                {
                    "home_team": ["a"],
                    "away_team": ["b"],
                    "home_goals": [4],
                    "away_goals": [0],
                    "season": ["2022-23"],
                }
            )
        )
        .ratings_["a"]
    )
    assert gain == 1500.0
    expected = 1500.0 + (after_first - 1500.0) * (2.0 / 3.0)
    assert features.loc[2, "home_elo"] == pytest.approx(expected)
    assert features.loc[2, "away_elo"] == 1400.0  # first seen after the first season: promoted


def test_features_do_not_depend_on_the_order_of_the_input_rows(
    demo: tuple[pd.DataFrame, ...],
) -> None:
    # Averages over three or more bookmakers are sums whose float result depends on the order
    # of the terms: the same facts in another row order must still give bit-identical features
    # (a rebuild at the same as_of then rewrites nothing, and training reproduces exactly).
    matches, odds, _ = demo
    book = odds[odds["bookmaker"] == odds["bookmaker"].iloc[0]]
    third = book.assign(bookmaker="third", price=book["price"] * 1.013)
    fourth = book.assign(bookmaker="fourth", price=book["price"] * 0.977)
    odds = pd.concat([odds, third, fourth], ignore_index=True)
    as_of = datetime(2025, 11, 6)
    first = build(matches, odds, as_of).sort_values("match_id", ignore_index=True)
    rng = np.random.default_rng(5)
    for _ in range(3):
        shuffled = build(
            matches.sample(frac=1.0, random_state=rng).reset_index(drop=True),
            odds.sample(frac=1.0, random_state=rng).reset_index(drop=True),
            as_of,
        ).sort_values("match_id", ignore_index=True)
        pd.testing.assert_frame_equal(shuffled, first, check_exact=True)
    assert first["market_bookmakers"].max() == 4
