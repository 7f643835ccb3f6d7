"""The stored US games of a sport read back as the features' frames, on SQLite and PostgreSQL:
one game per match (two sources, one match), every source's lines, features that build."""

from __future__ import annotations

from pathlib import Path

import pytest

from formline.matches.us_features import FEATURE_SPECS, build_us_features
from formline.matches.us_ingest import ingest_us_sports
from formline.matches.us_reads import read_us_games
from formline.store.db import Store

ODDSPORTAL = (
    "date,season_type,neutral,team_1,team_2,points_1,points_2,moneyline_1,moneyline_2,game_url"
)
URL = "https://www.oddsportal.com/basketball/usa/nba-2019-2020/x-y-abc/"
ODDSPORTAL_ROWS = [
    f"22 Oct 2019,Regular,0,Los Angeles Clippers,Los Angeles Lakers,112,102,+105,-125,{URL}",
    f"24 Oct 2019,Regular,0,Los Angeles Lakers,Los Angeles Clippers,99,101,-150,+130,{URL}",
]
NBA_ODDS = (
    "season,dates,regular,playoffs,away,home,score_away,score_home,q1_away,q2_away,q3_away,"
    "q4_away,ot_away,q1_home,q2_home,q3_home,q4_home,ot_home,whos_favored,spread,total,"
    "moneyline_away,moneyline_home,h2_spread,h2_total,id_spread,id_total"
)
NBA_ODDS_ROWS = [
    "2020,10/22/2019,TRUE,FALSE,lal,lac,102,112,0,0,0,0,0,0,0,0,0,0,away,1.5,223,-120,100,1,"
    "110,0,1",
]


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_stored_games_read_back_with_their_lines(store: Store, tmp_path: Path) -> None:
    files = [
        _write(tmp_path / "oddsportal_nba.csv", ODDSPORTAL, ODDSPORTAL_ROWS),
        _write(tmp_path / "nba_2008-2024.csv", NBA_ODDS, NBA_ODDS_ROWS),
    ]
    ingest_us_sports(store, files)
    with store.connect() as conn:
        data = read_us_games(conn, "nba")
        assert read_us_games(conn, "nfl").games.empty
        with pytest.raises(ValueError, match="not a US sport"):
            read_us_games(conn, "football")
    games = data.games
    assert len(games) == 2  # the 22 October game of both files is one match
    first = games.iloc[0]
    assert (first["home_team"], first["home_score"], first["away_score"]) == (
        "Los Angeles Clippers",
        112.0,
        102.0,
    )
    assert first["source"] == "sbr_nba" and first["observed_at"] > first["kickoff_at"]
    books = set(data.odds.loc[data.odds["match_id"] == first["match_id"], "bookmaker"])
    assert books == {"market_avg", "sbr"}
    f = build_us_features(games, data.odds, spec=FEATURE_SPECS["nba"])
    # The second game: the Clippers' first result is known, the market columns are filled.
    assert f.loc[1, "elo_diff"] < 0 and f.loc[1, "rest_away"] == 2
    assert f[["market_close_logit"]].notna().all().all()
    # The Lakers were favoured by 1.5 away (SBR) and at -125 (OddsPortal): both say the home
    # side is the underdog.
    assert f.loc[0, "spread_logit"] < 0 and f.loc[0, "market_close_logit"] < 0
