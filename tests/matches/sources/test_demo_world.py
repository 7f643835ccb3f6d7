"""Invariants of the seeded synthetic football world."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from formline.matches.frames import MATCH_COLUMNS, ODDS_COLUMNS, REJECT_COLUMNS, SourceBatch
from formline.matches.sources.demo import generate_demo_world

NOW = datetime(2025, 11, 6)  # a Thursday, 00:00 UTC: some weekend opening prices are out
MATCH_KEY = ["competition", "season", "home_team", "away_team"]


@pytest.fixture(scope="module")
def world() -> SourceBatch:
    return generate_demo_world(seed=42, now=NOW)


@pytest.fixture(scope="module")
def finished(world: SourceBatch) -> pd.DataFrame:
    return world.matches[world.matches["status"] == "finished"]


@pytest.fixture(scope="module")
def closing(world: SourceBatch, finished: pd.DataFrame) -> pd.DataFrame:
    return _implied(world.odds, finished, "closing")


def _implied(odds: pd.DataFrame, matches: pd.DataFrame, kind: str) -> pd.DataFrame:
    """demo_book's normalised 1X2 probabilities per finished match, with the outcome."""
    rows = odds[(odds["bookmaker"] == "demo_book") & (odds["market"] == "1x2")]
    rows = rows[rows["kind"] == kind]
    wide = rows.pivot_table(index=MATCH_KEY, columns="selection", values="price", observed=True)
    probs = 1.0 / wide[["home", "draw", "away"]]
    probs = probs.div(probs.sum(axis=1), axis=0)
    results = matches.set_index(MATCH_KEY)
    goal_diff = (results["home_goals"] - results["away_goals"]).astype(int)
    probs["outcome"] = goal_diff.clip(-1, 1).map({1: "home", 0: "draw", -1: "away"})
    return probs.dropna()


def _log_loss(probs: pd.DataFrame) -> float:
    picked = probs[["home", "draw", "away"]].to_numpy()[
        np.arange(len(probs)), probs["outcome"].map({"home": 0, "draw": 1, "away": 2}).to_numpy()
    ]
    return float(-np.mean(np.log(picked)))


def test_frames_follow_the_contract(world: SourceBatch) -> None:
    assert dict(world.matches.dtypes.astype(str)) == {
        k: str(pd.Series(dtype=v).dtype) for k, v in MATCH_COLUMNS.items()
    }
    assert list(world.odds.columns) == list(ODDS_COLUMNS)
    assert list(world.rejects.columns) == list(REJECT_COLUMNS)
    assert world.rejects.empty
    m = world.matches
    assert (m["sport"] == "football").all() and (m["source"] == "demo").all()
    assert (m["country"] == "Demoland").all()
    assert m["source_file"].isna().all() and m["source_line"].isna().all()
    assert set(m["competition"]) == {"DEMO1", "DEMO2", "DEMO3"}
    assert set(m["competition_name"]) == {"Demo League 1", "Demo League 2", "Demo League 3"}
    assert sorted(set(m["season"])) == [f"{y}-{y - 1999:02d}" for y in range(2020, 2026)]
    assert m["kickoff_at"].is_monotonic_increasing


def test_same_seed_same_world_and_other_seed_differs(world: SourceBatch) -> None:
    again = generate_demo_world(seed=42, now=NOW)
    pd.testing.assert_frame_equal(world.matches, again.matches)
    pd.testing.assert_frame_equal(world.odds, again.odds)
    other = generate_demo_world(seed=7, now=NOW)
    assert not world.matches.equals(other.matches)
    assert not world.odds["price"].equals(other.odds["price"])


def test_the_default_world_is_3_leagues_of_20_teams_over_6_seasons(world: SourceBatch) -> None:
    """What the README and ``ingest:demo --help`` promise: 3 x 380 x 6 matches."""
    assert len(world.matches) == 3 * 20 * 19 * 6 == 6840
    assert world.matches.groupby("competition")["season"].nunique().tolist() == [6, 6, 6]


def test_double_round_robin_each_season(world: SourceBatch) -> None:
    m = world.matches
    assert len(m) == 3 * 6 * 20 * 19
    assert not m.duplicated(MATCH_KEY).any()
    per_season = m.groupby(["competition", "season"])
    assert (per_season.size() == 20 * 19).all()
    assert (per_season["home_team"].nunique() == 20).all()
    home_games = m.groupby(["competition", "season", "home_team"]).size()
    away_games = m.groupby(["competition", "season", "away_team"]).size()
    assert (home_games == 19).all() and (away_games == 19).all()
    rounds = m.assign(day=m["kickoff_at"].dt.normalize()).groupby(["competition", "season"])
    assert rounds["day"].nunique().between(38, 2 * 38).all()


def test_fixtures_are_spread_out(world: SourceBatch) -> None:
    m = world.matches
    sides = pd.concat(
        [
            m[["kickoff_at", side]].set_axis(["kickoff_at", "team"], axis=1)
            for side in ("home_team", "away_team")
        ]
    ).sort_values(["team", "kickoff_at"])
    gaps = sides.groupby("team")["kickoff_at"].diff().dropna()
    assert gaps.min() > pd.Timedelta(days=2)
    weekday = m["kickoff_at"].dt.day_of_week
    assert weekday.isin([5, 6]).mean() > 0.85 and (~weekday.isin([5, 6])).any()
    assert m["kickoff_at"].dt.month.isin([6, 7]).sum() == 0
    assert m["kickoff_at"].dt.strftime("%H:%M").nunique() >= 4


def test_results_before_now_fixtures_after(world: SourceBatch, finished: pd.DataFrame) -> None:
    m = world.matches
    scheduled = m[m["status"] == "scheduled"]
    assert set(m["status"]) == {"finished", "scheduled"}
    assert (finished["kickoff_at"] < NOW).all() and (scheduled["kickoff_at"] >= NOW).all()
    assert (finished["observed_at"] == finished["kickoff_at"] + timedelta(hours=2)).all()
    assert scheduled["observed_at"].isna().all()
    stats = [c for c in MATCH_COLUMNS if c.startswith(("home_", "away_")) and "team" not in c]
    assert scheduled[stats].isna().all().all() and finished[stats].notna().all().all()
    assert (scheduled["season"] == "2025-26").all()
    assert (finished["season"] == "2025-26").any()  # the last season is under way


@pytest.mark.parametrize("now", [datetime(2025, 11, 1, 15, 0), datetime(2025, 3, 15, 12, 45)])
def test_nothing_is_observed_after_now(now: datetime) -> None:
    batch = generate_demo_world(seed=3, now=now, n_leagues=2)
    m = batch.matches
    assert (m["observed_at"].dropna() <= now).all()
    assert (batch.odds["observed_at"] <= now).all()
    assert (batch.odds["captured_at"] <= batch.odds["observed_at"]).all()
    in_play = m[(m["kickoff_at"] < now) & (m["status"] == "scheduled")]
    assert (in_play["kickoff_at"] > now - timedelta(hours=2)).all()


def test_opening_and_closing_times(world: SourceBatch) -> None:
    odds = world.odds.merge(world.matches[[*MATCH_KEY, "kickoff_at", "status"]], on=MATCH_KEY)
    assert len(odds) == len(world.odds)
    opening = odds[odds["kind"] == "opening"]
    closing = odds[odds["kind"] == "closing"]
    assert (closing["observed_at"] == closing["kickoff_at"]).all()
    assert (opening["observed_at"] == opening["kickoff_at"] - timedelta(days=3)).all()
    assert (closing["status"] == "finished").all()
    rows = odds.groupby([*MATCH_KEY, "status"], observed=True).size()
    assert (rows.xs("finished", level="status") == 20).all()  # 2 books x 2 kinds x 5 prices
    assert (rows.xs("scheduled", level="status") == 10).all()  # opening prices only
    announced = world.matches[world.matches["kickoff_at"] - timedelta(days=3) <= NOW]
    assert len(rows) == len(announced)
    assert (odds["kickoff_at"] - timedelta(days=3) <= NOW).all()
    assert set(zip(odds["market"], odds["selection"], odds["line"], strict=True)) == {
        ("1x2", "home", 0.0),
        ("1x2", "draw", 0.0),
        ("1x2", "away", 0.0),
        ("over_under", "over", 2.5),
        ("over_under", "under", 2.5),
    }
    assert set(odds["bookmaker"]) == {"demo_book", "demo_exchange"}
    assert (odds["price"] > 1.01).all()


def test_margins(world: SourceBatch) -> None:
    odds = world.odds.assign(inverse=1.0 / world.odds["price"])
    book = odds.groupby([*MATCH_KEY, "bookmaker", "market", "kind"], observed=True)
    overround = book["inverse"].sum() - 1.0
    demo_book = overround.xs("demo_book", level="bookmaker")
    assert demo_book.between(0.03 - 0.012, 0.07 + 0.012).all()
    assert 0.045 < demo_book.mean() < 0.055
    assert overround.xs("demo_exchange", level="bookmaker").mean() < 0.025


def test_closing_prices_track_outcomes(closing: pd.DataFrame) -> None:
    favourites = closing[closing["home"] > 0.6]
    underdogs = closing[closing["home"] < 0.3]
    assert len(favourites) > 100 and len(underdogs) > 100
    assert (favourites["outcome"] == "home").mean() > 0.55
    assert (underdogs["outcome"] == "home").mean() < 0.35
    # Calibrated on the whole: the mean implied home probability matches the home win rate.
    assert closing["home"].mean() == pytest.approx((closing["outcome"] == "home").mean(), abs=0.02)


def test_closing_is_sharper_than_opening(
    world: SourceBatch, finished: pd.DataFrame, closing: pd.DataFrame
) -> None:
    opening = _implied(world.odds, finished, "opening")
    assert len(opening) == len(closing) == len(finished)
    assert _log_loss(closing) < _log_loss(opening)


def test_football_looks_like_football(finished: pd.DataFrame) -> None:
    f = finished.astype(
        {
            c: "float64"
            for c in finished.columns
            if c.startswith(("home_", "away_")) and "team" not in c
        }
    )
    home_win = (f["home_goals"] > f["away_goals"]).mean()
    away_win = (f["home_goals"] < f["away_goals"]).mean()
    assert home_win > away_win + 0.08
    assert 0.2 < (f["home_goals"] == f["away_goals"]).mean() < 0.32
    assert 2.3 < (f["home_goals"] + f["away_goals"]).mean() < 3.1
    for side in ("home", "away"):
        assert (f[f"{side}_ht_goals"] <= f[f"{side}_goals"]).all()
        assert (f[f"{side}_goals"] <= f[f"{side}_shots_on_target"]).all()
        assert (f[f"{side}_shots_on_target"] <= f[f"{side}_shots"]).all()
        assert 8 < f[f"{side}_shots"].mean() < 16
        assert 0.25 < f[f"{side}_shots_on_target"].sum() / f[f"{side}_shots"].sum() < 0.45
        assert f[f"{side}_xg"].mean() == pytest.approx(f[f"{side}_goals"].mean(), rel=0.1)
        assert 1.0 < f[f"{side}_yellow_cards"].mean() < 2.5
        assert f[f"{side}_red_cards"].mean() < 0.15
    assert np.corrcoef(f["home_xg"], f["home_goals"])[0, 1] > 0.3


def test_bottom_three_are_replaced_each_season(world: SourceBatch) -> None:
    m = world.matches
    seasons = sorted(set(m["season"]))
    teams = m.groupby(["competition", "season"])["home_team"].agg(frozenset)
    for league in ("DEMO1", "DEMO2", "DEMO3"):
        for before, after in pairwise(seasons):
            gone = teams[league, before] - teams[league, after]
            assert len(gone) == 3 and len(teams[league, after] - teams[league, before]) == 3
            table = _table(m[(m["competition"] == league) & (m["season"] == before)])
            assert gone == set(table.index[-3:])
    # A name belongs to one league only, ever, and a relegated team never returns.
    assert (m.groupby("home_team")["competition"].nunique() == 1).all()
    spans = m.groupby("home_team")["season"].agg(lambda s: sorted(set(s)))
    assert all(seasons.index(s[-1]) - seasons.index(s[0]) + 1 == len(s) for s in spans)


def _table(season: pd.DataFrame) -> pd.DataFrame:
    hg, ag = season["home_goals"].astype(int), season["away_goals"].astype(int)
    rows = pd.concat(
        [
            pd.DataFrame({"team": season["home_team"], "gf": hg, "ga": ag}),
            pd.DataFrame({"team": season["away_team"], "gf": ag, "ga": hg}),
        ]
    )
    rows["pts"] = np.select([rows["gf"] > rows["ga"], rows["gf"] == rows["ga"]], [3, 1], 0)
    table = rows.groupby("team")[["pts", "gf", "ga"]].sum()
    table["gd"] = table["gf"] - table["ga"]
    return table.sort_values(["pts", "gd", "gf"], ascending=False)


def test_now_between_seasons_makes_the_last_season_upcoming() -> None:
    now = datetime(2025, 6, 20, 9, 30)
    m = generate_demo_world(seed=1, now=now, n_leagues=1, n_teams=6, n_seasons=2).matches
    last = m[m["season"] == "2025-26"]
    assert len(last) == 30 and (last["status"] == "scheduled").all()
    assert last["kickoff_at"].min() >= datetime(2025, 8, 1)
    assert (m[m["season"] == "2024-25"]["status"] == "finished").all()


def test_moving_now_forward_reveals_the_same_world(world: SourceBatch) -> None:
    later = generate_demo_world(seed=42, now=NOW + timedelta(days=20))
    m_now, m_later = world.matches, later.matches
    assert (m_later["status"] == "finished").sum() > (m_now["status"] == "finished").sum()
    done = m_now["status"] == "finished"
    pd.testing.assert_frame_equal(m_now[done], m_later[done])
    columns = [*MATCH_KEY, "bookmaker", "market", "selection", "kind"]
    known = world.odds.merge(later.odds, on=columns, suffixes=("", "_later"))
    assert len(known) == len(world.odds)
    assert (known["price"] == known["price_later"]).all()


def test_timezone_aware_now_is_converted() -> None:
    aware = datetime(2025, 11, 3, 1, 0, tzinfo=UTC).astimezone()
    naive = datetime(2025, 11, 3, 1, 0)
    sizes = {"n_leagues": 1, "n_teams": 6, "n_seasons": 1}
    pd.testing.assert_frame_equal(
        generate_demo_world(now=aware, **sizes).matches,
        generate_demo_world(now=naive, **sizes).matches,
    )


@pytest.mark.parametrize(
    "sizes", [{"n_teams": 5}, {"n_teams": 2}, {"n_teams": 42}, {"n_leagues": 0}]
)
def test_bad_sizes_are_refused(sizes: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        generate_demo_world(now=NOW, **sizes)


def test_largest_league_fits_a_season() -> None:
    m = generate_demo_world(seed=5, now=NOW, n_leagues=1, n_teams=40, n_seasons=1).matches
    assert len(m) == 40 * 39
    assert m["kickoff_at"].dt.month.isin([6, 7]).sum() == 0
