"""US-sports game features: hand-computed small cases, and the point-in-time rule (changing a
result observed after a cutoff changes no feature of a game before it; a change before the
cutoff does)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formline.matches.us_features import (
    BASE_FEATURES,
    FEATURE_SPECS,
    MARKET_FEATURES,
    build_us_features,
    demargined_moneyline,
)

NBA = FEATURE_SPECS["nba"]
DAY = pd.Timedelta(days=1)


def _games(rows: list[tuple[str, str, str, int | None, int | None]], season: str = "2020-21"):
    """Games from (day, home, away, home score, away score); kickoff 19:00, known 7 h later."""
    kickoff = pd.to_datetime([r[0] for r in rows]) + pd.Timedelta(hours=19)
    scores = [(np.nan if r[3] is None else r[3], np.nan if r[4] is None else r[4]) for r in rows]
    frame = pd.DataFrame(
        {
            "match_id": np.arange(1, len(rows) + 1),
            "season": season,
            "kickoff_at": kickoff.astype("datetime64[us]"),
            "home_team": [r[1] for r in rows],
            "away_team": [r[2] for r in rows],
            "home_score": [s[0] for s in scores],
            "away_score": [s[1] for s in scores],
        }
    )
    frame["observed_at"] = (frame["kickoff_at"] + pd.Timedelta(hours=7)).where(
        frame["home_score"].notna()
    )
    return frame


def test_hand_computed_elo_rest_back_to_back_and_margins() -> None:
    games = _games(
        [
            ("2021-01-01", "A", "B", 110, 100),
            ("2021-01-02", "B", "C", 90, 95),
            ("2021-01-04", "A", "C", 100, 104),
            ("2021-01-05", "C", "A", None, None),  # not played yet: still gets features
        ]
    )
    f = build_us_features(games, spec=NBA)
    # First game: both start at 1300, the home edge alone decides.
    assert f.loc[0, "elo_diff"] == 0.0
    assert f.loc[0, "elo_prob"] == pytest.approx(1 / (1 + 10 ** (-100 / 400)))
    # After A beat B by 10 at home: 538's NBA update, K 20 * (10 + 3)^0.8 / (7.5 + 0.006 * 100).
    expected = 1 / (1 + 10 ** (-100 / 400))
    delta = 20 * (13**0.8 / (7.5 + 0.006 * 100)) * (1 - expected)
    assert f.loc[2, "elo_home"] == pytest.approx(1300 + delta)
    assert f.loc[1, "elo_home"] == pytest.approx(1300 - delta)  # B, before its second game
    # Rest: B played on the 1st and the 2nd (a back-to-back); A had two days off before the 4th.
    assert f.loc[1, "rest_home"] == 1 and f.loc[1, "b2b_home"] == 1
    assert np.isnan(f.loc[1, "rest_away"]) and np.isnan(f.loc[1, "b2b_away"])  # C's first game
    assert f.loc[2, "rest_home"] == 3 and f.loc[2, "b2b_home"] == 0
    # Margins: A +10 then -4; C +5 (away) then +4 (away).
    assert f.loc[3, "margin_last_away"] == pytest.approx(3.0)  # A: (10 - 4) / 2
    assert f.loc[3, "margin_last_home"] == pytest.approx(4.5)  # C: (5 + 4) / 2
    assert f.loc[3, "total_last_home"] == pytest.approx((185 + 204) / 2)  # C's games' totals
    # Venue splits: the home side's home games, the away side's away games.
    assert np.isnan(f.loc[3, "margin_venue_home"]) and np.isnan(f.loc[3, "margin_venue_away"])
    assert f.loc[2, "margin_venue_home"] == pytest.approx(10.0)  # A's one home game
    assert f.loc[2, "margin_venue_away"] == pytest.approx(5.0)  # C's one away game
    # Exponentially weighted, half-life 10 games: weights 2^(-1/10) on +10 and 1 on -4.
    w = 0.5 ** (1 / 10)
    assert f.loc[3, "margin_ewm_away"] == pytest.approx((w * 10 + 1 * -4) / (w + 1))
    assert list(f.index) == list(games.index)
    assert set(BASE_FEATURES) | set(MARKET_FEATURES) <= set(f.columns)


def test_rolling_window_and_rest_cap() -> None:
    spec = dataclasses.replace(NBA, window=2, rest_cap=5)
    games = _games(
        [
            ("2021-01-01", "A", "B", 1, 0),
            ("2021-01-03", "A", "B", 2, 0),
            ("2021-01-05", "A", "B", 3, 0),
            ("2021-01-30", "A", "B", 0, 0),
        ]
    )
    f = build_us_features(games, spec=spec)
    assert f.loc[3, "margin_last_home"] == pytest.approx(2.5)  # the last two: 2 and 3
    assert f.loc[3, "rest_home"] == 5  # 25 days, capped


def test_a_new_season_regresses_the_rating_toward_the_mean() -> None:
    first = _games([("2021-01-01", "A", "B", 130, 90)], season="2020-21")
    second = _games([("2021-11-01", "A", "B", 100, 100)], season="2021-22")
    second["match_id"] = 2
    f = build_us_features(pd.concat([first, second], ignore_index=True), spec=NBA)
    after = f.loc[0, "elo_home"] + (f.loc[1, "elo_home"] - f.loc[0, "elo_home"])  # read back
    assert after == f.loc[1, "elo_home"]
    # 1300 + delta regressed a quarter of the way to 1505.
    expected = 1 / (1 + 10 ** (-100 / 400))
    delta = 20 * (43**0.8 / (7.5 + 0.006 * 100)) * (1 - expected)
    assert f.loc[1, "elo_home"] == pytest.approx(1505 + (1300 + delta - 1505) * 0.75)


def test_a_doubleheader_first_game_is_not_known_at_the_second_kickoff() -> None:
    games = _games([("2021-05-01", "A", "B", 5, 1), ("2021-05-01", "A", "B", None, None)])
    f = build_us_features(games, spec=FEATURE_SPECS["mlb"])
    assert f.loc[1, "elo_diff"] == 0.0 and np.isnan(f.loc[1, "margin_last_home"])


def _odds(match_id: int, kickoff: pd.Timestamp) -> pd.DataFrame:
    rows = [
        ("market_avg", "moneyline", "home", 0.0, 1.5, "closing", kickoff),
        ("market_avg", "moneyline", "away", 0.0, 2.8, "closing", kickoff),
        ("sbr", "moneyline", "home", 0.0, 1.8, "closing", kickoff),
        ("sbr", "moneyline", "away", 0.0, 2.1, "closing", kickoff),
        ("sbr", "moneyline", "home", 0.0, 1.7, "opening", kickoff - DAY),
        ("sbr", "moneyline", "away", 0.0, 2.2, "opening", kickoff - DAY),
        ("sbr", "spread", "home", -6.0, 1.91, "closing", kickoff),
        # Observed after kickoff: never a feature.
        ("sbr", "moneyline", "home", 0.0, 1.1, "opening", kickoff + DAY),
    ]
    return pd.DataFrame(
        rows, columns=["bookmaker", "market", "selection", "line", "price", "kind", "observed_at"]
    ).assign(match_id=match_id)


def test_market_features_demargin_prefer_the_first_bookmaker_and_skip_later_lines() -> None:
    games = _games([("2021-01-01", "A", "B", 110, 100)])
    f = build_us_features(games, _odds(1, games.loc[0, "kickoff_at"]), spec=NBA)
    close = (1 / 1.5) / (1 / 1.5 + 1 / 2.8)  # market_avg first for the NBA
    opening = (1 / 1.7) / (1 / 1.7 + 1 / 2.2)
    assert f.loc[0, "market_close_logit"] == pytest.approx(np.log(close / (1 - close)))
    assert f.loc[0, "market_open_logit"] == pytest.approx(np.log(opening / (1 - opening)))
    from scipy.stats import norm

    p = norm.cdf(6.0 / 12.0)  # favoured by 6 points, sigma 12
    assert f.loc[0, "spread_logit"] == pytest.approx(np.log(p / (1 - p)))
    sbr = demargined_moneyline(_odds(1, games.loc[0, "kickoff_at"]), "closing", ("sbr",))
    assert sbr[1] == pytest.approx((1 / 1.8) / (1 / 1.8 + 1 / 2.1))
    # Without odds the market columns are missing, not made up.
    assert build_us_features(games, spec=NBA)[list(MARKET_FEATURES)].isna().all().all()


TEAMS = ["A", "B", "C", "D"]


@st.composite
def _world(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(6, 30))
    rows = []
    for _i in range(n):
        home, away = draw(st.sampled_from([(a, b) for a in TEAMS for b in TEAMS if a != b]))
        day = pd.Timestamp("2021-01-01") + pd.Timedelta(days=draw(st.integers(0, 40)))
        rows.append(
            (str(day.date()), home, away, draw(st.integers(80, 130)), draw(st.integers(80, 130)))
        )
    rows.sort()
    games = _games(rows)
    seasons = np.where(games["kickoff_at"] < pd.Timestamp("2021-01-20"), "2020-21", "2021-22")
    return games.assign(season=seasons, match_id=np.arange(1, n + 1))


@settings(max_examples=8, deadline=None)
@given(_world(), st.integers(1, 40), st.integers(0, 10**6))
def test_results_observed_after_a_cutoff_change_no_earlier_feature(
    games: pd.DataFrame, cutoff_day: int, seed: int
) -> None:
    cutoff = pd.Timestamp("2021-01-01") + pd.Timedelta(days=cutoff_day, hours=12)
    rng = np.random.default_rng(seed)
    late = (games["observed_at"] >= cutoff).to_numpy()
    changed = games.copy()
    changed.loc[late, "home_score"] = rng.integers(0, 200, int(late.sum()))
    changed.loc[late, "away_score"] = rng.integers(0, 200, int(late.sum()))
    before = (games["kickoff_at"] < cutoff).to_numpy()
    a = build_us_features(games, spec=NBA)[before]
    b = build_us_features(changed, spec=NBA)[before]
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_positive_control_a_result_before_the_cutoff_changes_later_features() -> None:
    games = _games(
        [
            ("2021-01-01", "A", "B", 110, 100),
            ("2021-01-03", "A", "B", 100, 90),
            ("2021-01-05", "B", "A", 100, 90),
        ]
    )
    changed = games.copy()
    changed.loc[0, ["home_score", "away_score"]] = [90, 120]  # observed before the cutoff
    a = build_us_features(games, spec=NBA)
    b = build_us_features(changed, spec=NBA)
    pd.testing.assert_frame_equal(a.iloc[:1], b.iloc[:1])  # the game itself: not yet known
    later = ["elo_diff", "margin_last_home", "margin_ewm_away", "margin_venue_home"]
    assert (a.loc[1:, later] != b.loc[1:, later]).to_numpy().any()


def test_a_neutral_site_has_no_home_edge() -> None:
    games = _games([("2021-01-01", "A", "B", 110, 100)]).assign(neutral=[True])
    assert build_us_features(games, spec=NBA).loc[0, "elo_prob"] == 0.5


@pytest.mark.realdata
def test_the_features_elo_is_538s_on_538s_nfl_file() -> None:
    """The as-of Elo over 538's own NFL games (results known 11 hours after a 13:00 New York
    kickoff, as the ingest has it) gives 538's pre-game probabilities from 2010 on."""
    from formline.matches.team_aliases import canonical_team
    from support import SHARED_DATA

    path = SHARED_DATA / "fivethirtyeight" / "nfl_elo.csv"
    if not path.exists():
        pytest.skip(f"the shared data is not here: {path}")
    raw = pd.read_csv(path).dropna(subset=["score1", "score2"]).reset_index(drop=True)
    kickoff = (pd.to_datetime(raw["date"]) + pd.Timedelta(hours=18)).astype("datetime64[us]")
    games = pd.DataFrame(
        {
            "match_id": np.arange(len(raw)),
            "season": raw["season"].astype(str),
            "kickoff_at": kickoff,
            "observed_at": kickoff + pd.Timedelta(hours=11),
            "home_team": [canonical_team("nfl", t) for t in raw["team1"]],
            "away_team": [canonical_team("nfl", t) for t in raw["team2"]],
            "home_score": raw["score1"],
            "away_score": raw["score2"],
            "neutral": raw["neutral"] == 1,
        }
    )
    f = build_us_features(games, spec=FEATURE_SPECS["nfl"])
    modern = (raw["season"] >= 2010).to_numpy()
    error = np.abs(f["elo_prob"].to_numpy() - raw["elo_prob1"].to_numpy())[modern]
    assert error.mean() < 5e-4 and error.max() < 5e-3
