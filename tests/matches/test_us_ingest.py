"""ingest:us-sports on SQLite and PostgreSQL: every layout stored, reruns change nothing,
rejects kept, one match per game across sources, franchises with their aliases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from formline.errors import StoreError
from formline.matches.us_ingest import ingest_us_sports
from formline.store.db import Store
from support import stored_rows

ODDSPORTAL = (
    "date,season_type,neutral,team_1,team_2,points_1,points_2,moneyline_1,moneyline_2,game_url"
)
URL = "https://www.oddsportal.com/basketball/usa/nba-2019-2020/x-y-abc/"
ODDSPORTAL_NBA = [
    f"22 Oct 2019,Regular,0,Los Angeles Clippers,Los Angeles Lakers,112,102,+105,-125,{URL}",
    # SBR dates it 23 Oct: a day apart, the same score: the same game.
    f"24 Oct 2019,Regular,0,Boston Celtics,Philadelphia 76ers,93,107,+120,-140,{URL}",
    f"16 Feb 2020,All Stars,0,Team LeBron,Team Giannis,157,155,-125,+105,{URL}",
    # The Clippers' second home game against the Lakers that season: a match of its own.
    f"08 Mar 2020,Regular,0,Los Angeles Clippers,Los Angeles Lakers,112,103,-110,-110,{URL}",
]
NBA_ODDS = (
    "season,dates,regular,playoffs,away,home,score_away,score_home,q1_away,q2_away,q3_away,"
    "q4_away,ot_away,q1_home,q2_home,q3_home,q4_home,ot_home,whos_favored,spread,total,"
    "moneyline_away,moneyline_home,h2_spread,h2_total,id_spread,id_total"
)
NBA_ODDS_ROWS = [
    "2020,10/22/2019,TRUE,FALSE,lal,lac,102,112,0,0,0,0,0,0,0,0,0,0,away,1.5,223,-120,100,1,"
    "110,0,1",
    "2020,10/23/2019,TRUE,FALSE,phi,bos,107,93,0,0,0,0,0,0,0,0,0,0,away,2,218,-135,115,1,108,0,1",
]
SPREADSPOKE = (
    "schedule_date,schedule_season,schedule_week,schedule_playoff,team_home,score_home,"
    "score_away,team_away,team_favorite_id,spread_favorite,over_under_line,stadium,"
    "stadium_neutral,weather_temperature,weather_wind_mph,weather_humidity,weather_detail"
)
SPREADSPOKE_ROWS = [
    "10/1/1978,1978,5,FALSE,Oakland Raiders,20,17,Green Bay Packers,PICK,0,31,Coliseum,FALSE,,,,",
    "9/13/2020,2020,1,FALSE,Carolina Panthers,30,34,Las Vegas Raiders,LVR,-3,47.5,BoA,FALSE,,,,",
    "2/2/2020,2019,Superbowl,TRUE,Kansas City Chiefs,31,20,San Francisco 49ers,KC,-1.5,54.5,"
    "Hard Rock Stadium,TRUE,,,,",
    "10/5/2025,2025,5,FALSE,Buffalo Bills,,,New England Patriots,,,,,,,,,",
]
ELO = (
    "date,season,neutral,team1,team2,elo1_pre,elo2_pre,elo_prob1,elo_prob2,elo1_post,elo2_post,"
    "score1,score2"
)
ELO_ROWS = [
    "1978-10-01,1978,0,OAK,GB,1550,1450,0.64,0.36,1555,1445,20,17",
    "2020-09-13,2020,0,CAR,LV,1400,1500,0.45,0.55,1390,1510,30,34",
    # 538 lists the Super Bowl with the 49ers first: the same match, turned round.
    "2020-02-02,2019,1,SF,KC,1650,1600,0.57,0.43,1640,1610,20,31",
    "2025-10-05,2025,0,BUF,NE,1600,1500,0.6,0.4,,,,",
]
MLB = (
    "seas,date,v_rot,v_team,v_final,h_rot,h_team,h_final,v_ml_open,v_ml_close,v_rl,v_rl_odds,"
    "h_ml_open,h_ml_close,h_rl,h_rl_odds,ou_open,ou_open_ovr,ou_open_und,ou_close,ou_close_ovr,"
    "ou_close_und,neutral"
)
MLB_ROWS = [  # a doubleheader, then a tie (a reject)
    "2016,2016-04-24,963,MIA,1,964,COL,8,135,130,1.5,-150,-155,-150,-1.5,130,10,-110,-110,9.5,"
    "-115,-105,0",
    "2016,2016-04-24,981,MIA,4,982,COL,1,-108,-104,NA,NA,-112,-116,NA,NA,9.5,-114,-106,NA,NA,NA,0",
    "2016,2016-04-25,963,MIA,3,964,COL,3,135,130,NA,NA,-155,-150,NA,NA,10,-110,-110,NA,NA,NA,0",
]
NHL = (
    "season,game_date,date_mmdd,rot,vh,team,p1,p2,p3,final,ml_open,ml_close,pl_line,pl_odds,"
    "pl_text,ou_open,ou_open_odds,ou_close,ou_close_odds,source_file"
)
NHL_ROWS = [
    "2014-15,2014-10-08,1008,1,V,Philadelphia,1,2,0,3.0,140.0,130.0,1.5,-200.0,,5.5,-110.0,"
    "5.5,-105.0,x.xlsx",
    "2014-15,2014-10-08,1008,2,H,Boston,2,0,0,2.0,-160.0,-150.0,-1.5,170.0,,5.5,-110.0,5.5,"
    "-115.0,x.xlsx",
]


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _files(folder: Path) -> dict[str, Path]:
    return {
        "oddsportal": _write(folder / "op" / "oddsportal_nba.csv", ODDSPORTAL, ODDSPORTAL_NBA),
        "nba_odds": _write(folder / "nba" / "nba_2008-2024.csv", NBA_ODDS, NBA_ODDS_ROWS),
        "spreadspoke": _write(
            folder / "nfl" / "spreadspoke_scores.csv", SPREADSPOKE, SPREADSPOKE_ROWS
        ),
        "elo": _write(folder / "538" / "nfl_elo.csv", ELO, ELO_ROWS),
        "mlb": _write(folder / "mlb" / "mlb_odds.csv", MLB, MLB_ROWS),
        "nhl": _write(folder / "nhl" / "nhl_odds_rows.csv", NHL, NHL_ROWS),
    }


def _query(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).fetchall()]


_GAMES = (
    "SELECT m.sport, c.code, m.season, m.fixture_key, h.name, a.name, m.status, m.home_goals, "
    "m.away_goals, m.source, m.id FROM matches m JOIN competitions c ON c.id = m.competition_id "
    "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id "
    "ORDER BY m.sport, m.fixture_key, h.name"
)


def test_every_layout_is_stored_and_a_rerun_changes_nothing(store: Store, tmp_path: Path) -> None:
    files = list(_files(tmp_path).values())
    result = ingest_us_sports(store, files)
    counts = {name: c.inserted for name, c in result.report.tables.items()}
    assert counts["competitions"] == 4
    assert counts["matches"] == 10  # NBA 3, NFL 4, MLB 2 (the doubleheader), NHL 1
    assert counts["reference_forecasts"] == 4
    assert _query(store, "SELECT sport, code FROM competitions ORDER BY sport") == [
        ("mlb", "MLB"),
        ("nba", "NBA"),
        ("nfl", "NFL"),
        ("nhl", "NHL"),
    ]
    games = [g[:10] for g in _query(store, _GAMES)]
    assert ("mlb", "MLB", "2016", "2016-04-24#1", "Colorado Rockies", "Miami Marlins",
            "finished", 8, 1, "sbr_mlb") in games  # fmt: skip
    assert ("mlb", "MLB", "2016", "2016-04-24#2", "Colorado Rockies", "Miami Marlins",
            "finished", 1, 4, "sbr_mlb") in games  # fmt: skip
    assert ("nhl", "NHL", "2014-15", "2014-10-08#1", "Boston Bruins", "Philadelphia Flyers",
            "finished", 2, 3, "sbr_nhl") in games  # fmt: skip
    assert ("nfl", "NFL", "2025", "2025-10-05#1", "Buffalo Bills", "New England Patriots",
            "scheduled", None, None, "spreadspoke") in games  # fmt: skip
    # Rejects: file:line: column: reason, kept in ingest_rejects.
    assert sorted(
        Path(r.split(":")[0]).name + ":" + r.split(":", 1)[1] for r in result.rejects
    ) == [
        "mlb_odds.csv:4: v_final: tied final score 3-3: MLB games have no draws",
        "oddsportal_nba.csv:4: season_type: an all-star game ('All Stars'), not a league game",
    ]
    assert len(_query(store, "SELECT * FROM ingest_rejects")) == 2
    # Times: NBA nominal 19:00 New York (EDT: 23:00 UTC), the result 7 hours later.
    kickoff, observed = _query(
        store,
        "SELECT m.kickoff_at, m.observed_at FROM matches m JOIN teams h ON h.id = m.home_team_id "
        "WHERE h.name = 'Boston Celtics'",
    )[0]
    assert pd.Timestamp(kickoff).tz_localize(None) == pd.Timestamp("2019-10-23 23:00")
    assert pd.Timestamp(observed) - pd.Timestamp(kickoff) == pd.Timedelta(hours=7)
    # Lines: the spreadspoke spread has no price; opening lines a day before kickoff.
    spread = _query(
        store,
        "SELECT o.selection, o.line, o.price FROM odds o JOIN matches m ON m.id = o.match_id "
        "JOIN teams h ON h.id = m.home_team_id WHERE h.name = 'Carolina Panthers' "
        "AND o.market = 'spread' ORDER BY o.selection",
    )
    assert spread == [("away", -3.0, None), ("home", 3.0, None)]
    markets = _query(store, "SELECT DISTINCT market, kind FROM odds ORDER BY 1, 2")
    assert markets == [
        ("moneyline", "closing"),
        ("moneyline", "opening"),
        ("spread", "closing"),
        ("total", "closing"),
        ("total", "opening"),
    ]
    opening = _query(
        store,
        "SELECT m.kickoff_at, o.observed_at, o.captured_at FROM odds o JOIN matches m "
        "ON m.id = o.match_id WHERE m.sport = 'nhl' AND o.kind = 'opening' LIMIT 1",
    )[0]
    assert pd.Timestamp(opening[0]) - pd.Timestamp(opening[1]) == pd.Timedelta(days=1)
    assert opening[1] == opening[2]
    before = stored_rows(store)
    forecasts = _query(store, "SELECT * FROM reference_forecasts ORDER BY match_id")
    again = ingest_us_sports(store, files)
    assert not again.report.changed
    assert all(c.inserted == c.updated == 0 for c in again.report.tables.values())
    assert again.report.tables["matches"].unchanged == 10
    assert stored_rows(store) == before
    assert _query(store, "SELECT * FROM reference_forecasts ORDER BY match_id") == forecasts


def test_a_game_of_two_sources_is_one_match_with_both_sources_lines(
    store: Store, tmp_path: Path
) -> None:
    files = _files(tmp_path)
    # OddsPortal first (its own load), SBR later: SBR's row wins, the key stays OddsPortal's.
    ingest_us_sports(store, [files["oddsportal"]])
    later = ingest_us_sports(store, [files["nba_odds"]])
    assert later.report.tables["matches"].inserted == 0
    assert later.report.tables["matches"].updated == 2
    rows = {g[4]: g for g in _query(store, _GAMES)}
    assert len(rows) == 2 and len(_query(store, _GAMES)) == 3
    boston = rows["Boston Celtics"]
    assert boston[3] == "2019-10-24#1"  # the day first stored (OddsPortal's)
    assert boston[7:10] == (93, 107, "sbr_nba")
    books = _query(
        store,
        f"SELECT bookmaker, market, selection, source FROM odds WHERE match_id = {boston[10]} "
        "ORDER BY 1, 2, 3",
    )
    assert books == [
        ("market_avg", "moneyline", "away", "oddsportal"),
        ("market_avg", "moneyline", "home", "oddsportal"),
        ("sbr", "moneyline", "away", "sbr_nba"),
        ("sbr", "moneyline", "home", "sbr_nba"),
        ("sbr", "spread", "away", "sbr_nba"),
        ("sbr", "spread", "home", "sbr_nba"),
        ("sbr", "total", "over", "sbr_nba"),
        ("sbr", "total", "under", "sbr_nba"),
    ]
    kickoff = _query(store, f"SELECT kickoff_at FROM matches WHERE id = {boston[10]}")[0][0]
    assert pd.Timestamp(kickoff).tz_localize(None) == pd.Timestamp("2019-10-23 23:00")
    # Both files again, in one load: nothing changes.
    both = ingest_us_sports(store, [files["nba_odds"], files["oddsportal"]])
    assert not both.report.changed, [(n, c) for n, c in both.report.tables.items() if c.changed]


def test_franchises_are_one_team_with_their_aliases(store: Store, tmp_path: Path) -> None:
    files = _files(tmp_path)
    ingest_us_sports(store, [files["spreadspoke"], files["elo"]])
    raiders = _query(
        store,
        "SELECT a.alias FROM team_aliases a JOIN teams t ON t.id = a.team_id "
        "WHERE t.sport = 'nfl' AND t.name = 'Las Vegas Raiders' ORDER BY 1",
    )
    assert raiders == [("LV",), ("Las Vegas Raiders",), ("OAK",), ("Oakland Raiders",)]
    assert _query(store, "SELECT count(*) FROM teams WHERE sport = 'nfl'") == [(7,)]
    # 538's forecasts sit on spreadspoke's matches; the Super Bowl is turned round.
    forecasts = _query(
        store,
        "SELECT m.fixture_key, h.name, f.p_home, f.p_away, f.rating_home_pre, "
        "f.rating_home_post FROM reference_forecasts f JOIN matches m ON m.id = f.match_id "
        "JOIN teams h ON h.id = m.home_team_id ORDER BY 1",
    )
    assert [(f[0], f[1]) for f in forecasts] == [
        ("1978-10-01#1", "Las Vegas Raiders"),
        ("2020-02-02#1", "Kansas City Chiefs"),
        ("2020-09-13#1", "Carolina Panthers"),
        ("2025-10-05#1", "Buffalo Bills"),
    ]
    assert forecasts[1][2:5] == pytest.approx((0.43, 0.57, 1600.0))
    assert forecasts[3][5] is None  # not played when the file was written
    assert _query(store, "SELECT count(*) FROM matches WHERE sport = 'nfl'") == [(4,)]
    observed = _query(
        store,
        "SELECT m.kickoff_at, f.observed_at FROM reference_forecasts f JOIN matches m "
        "ON m.id = f.match_id LIMIT 1",
    )[0]
    assert observed[0] == observed[1]
    assert isinstance(pd.Timestamp(observed[0]).to_pydatetime(), datetime)


def test_the_downgrade_refuses_while_us_games_are_stored(store: Store, tmp_path: Path) -> None:
    ingest_us_sports(store, [_files(tmp_path)["nhl"]])
    with pytest.raises(StoreError, match="1 matches with a fixture key"):
        store.run_migration("downgrade", "0009_transfers_tables")
    assert store.current_revision() == store.head_revision()
