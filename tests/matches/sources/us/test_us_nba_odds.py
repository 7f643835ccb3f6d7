"""The SBR NBA file: end-year seasons, the favourite's spread, play-in games, rejects."""

from __future__ import annotations

from pathlib import Path

from us_files import lines_of, messages, write
from us_rows import NBA_ODDS_HEADER as HEADER
from us_rows import NBA_ODDS_ROWS as ROWS

from formline.matches.sources.us.nba_odds import read_nba_odds


def test_games_and_lines(tmp_path: Path) -> None:
    read = read_nba_odds(write(tmp_path / "nba.csv", HEADER, ROWS))
    games, lines = read.batch.games, read.batch.lines
    assert (read.rows, read.dropped) == (3, 0)
    first = games.iloc[0]
    assert (first["season"], first["game_date"], first["home_team"], first["away_team"]) == (
        "2007-08",
        "2007-10-30",
        "sa",
        "por",
    )
    assert (first["home_team_canonical"], first["away_team_canonical"]) == (
        "San Antonio Spurs",
        "Portland Trail Blazers",
    )
    assert (first["home_score"], first["away_score"], first["season_type"]) == (106, 97, "regular")
    one = lines[lines["source_line"] == 2]
    assert lines_of(one, "spread") == {"home": (-13.0, None), "away": (13.0, None)}
    assert lines_of(one, "total") == {"over": (189.5, None), "under": (189.5, None)}
    assert lines_of(one, "moneyline") == {"home": (None, 1.0714), "away": (None, 10.0)}
    assert games["season_type"].tolist() == ["regular", "play_in", "playoffs"]
    assert games["playoff"].tolist() == [False, False, True]
    away_favourite = lines[lines["source_line"] == 3]
    assert lines_of(away_favourite, "spread") == {"home": (2.5, None), "away": (-2.5, None)}
    finals = lines[lines["source_line"] == 4]
    assert lines_of(finals, "moneyline") == {"home": (None, 2.3), "away": (None, 1.6667)}


def test_rejects(tmp_path: Path) -> None:
    rows = [
        ROWS[0].replace(",97,106,", ",95,95,"),
        ROWS[1].replace("FALSE,FALSE", "TRUE,TRUE"),
        ROWS[2].replace(",away,3,", ",nobody,3,").replace(",-150,", ",0,"),
    ]
    read = read_nba_odds(write(tmp_path / "nba.csv", HEADER, rows))
    assert messages(read.batch.rejects) == [
        "nba.csv:2: score_away: tied final score 95-95: NBA games have no draws",
        "nba.csv:3: playoffs: both a regular-season and a playoff game",
        "nba.csv:4: whos_favored: not home or away: 'nobody'",
        "nba.csv:4: moneyline_away: not an American price: '0' (|odds| below 100)",
    ]
    assert (read.rows, read.dropped, len(read.batch.games)) == (3, 2, 1)
    kept = read.batch.lines
    assert sorted(zip(kept["market"], kept["selection"], strict=True)) == [
        ("moneyline", "home"),
        ("total", "over"),
        ("total", "under"),
    ]
