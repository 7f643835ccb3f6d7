"""OddsPortal files: season from the URL, American moneylines, exhibitions rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from us_files import lines_of, messages, write
from us_rows import ODDSPORTAL_HEADER as HEADER
from us_rows import ODDSPORTAL_ROWS as ROWS

from formline.errors import SourceError
from formline.matches.sources.us.oddsportal import read_oddsportal


def test_games_moneylines_and_seasons(tmp_path: Path) -> None:
    read = read_oddsportal(write(tmp_path / "oddsportal_nba.csv", HEADER, ROWS))
    games, lines = read.batch.games, read.batch.lines
    assert (read.rows, read.dropped, len(games)) == (4, 1, 3)
    finals = games.iloc[0]
    # The 2019-20 finals were played in October 2020: the season is the URL's, not the date's.
    assert (finals["sport"], finals["season"], finals["game_date"]) == (
        "nba",
        "2019-20",
        "2020-10-11",
    )
    assert (finals["neutral"], finals["playoff"], finals["season_type"]) == (
        True,
        True,
        "playoffs",
    )
    assert (finals["home_score"], finals["away_score"]) == (106, 93)
    assert lines_of(lines[lines["source_line"] == 2], "moneyline") == {
        "home": (None, 1.6667),
        "away": (None, 2.3),
    }
    assert set(lines["bookmaker"]) == {"market_avg"} and len(lines) == 2  # "-" is no price
    assert games.iloc[1]["season_type"] == "play_in" and not games.iloc[1]["playoff"]
    assert (games.iloc[2]["season"], games.iloc[2]["season_type"]) == ("2008-09", "preseason")
    assert messages(read.batch.rejects) == [
        "oddsportal_nba.csv:3: season_type: an all-star game ('All Stars'), not a league game"
    ]


def test_nhl_prices_with_decimals_and_bad_cells(tmp_path: Path) -> None:
    url = "https://www.oddsportal.com/hockey/usa/nhl-2021-2022/a-b-c/"
    rows = [
        f"26 Jun 2022,Play Offs,0,Tampa Bay Lightning,Colorado Avalanche,1,2,-110.0,105.5,{url}",
        f"27 Jun 2022,Play Offs,0,Tampa Bay Lightning,Colorado Avalanche,2,2,-110.0,5,{url}",
        f"28 Jun 2022,Play Offs,0,Tampa Bay Lightning,Colorado Avalanche,3,1,-110.0,5,{url}",
        f"29 Jun 2022,Semi,0,Tampa Bay Lightning,Colorado Avalanche,3,1,,,{url}",
    ]
    read = read_oddsportal(write(tmp_path / "oddsportal_nhl.csv", HEADER, rows))
    assert messages(read.batch.rejects) == [
        "oddsportal_nhl.csv:3: points_2: tied final score 2-2: NHL games have no draws",
        "oddsportal_nhl.csv:3: moneyline_2: not an American price: '5' (|odds| below 100)",
        "oddsportal_nhl.csv:4: moneyline_2: not an American price: '5' (|odds| below 100)",
        "oddsportal_nhl.csv:5: season_type: unknown season type 'Semi'",
    ]
    lines = read.batch.lines
    assert lines_of(lines[lines["source_line"] == 2], "moneyline") == {
        "home": (None, 1.9091),
        "away": (None, 2.055),
    }
    assert lines.loc[lines["source_line"] == 4, "selection"].tolist() == ["home"]
    assert read.batch.games["season"].tolist() == ["2021-22", "2021-22"]


def test_a_file_that_names_no_league_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "odds.csv", HEADER, [ROWS[0].replace("nba-2019-2020", "x")])
    with pytest.raises(SourceError, match=r"odds\.csv: an OddsPortal file, but neither"):
        read_oddsportal(path)


def test_an_all_star_game_marked_regular_is_found_by_its_teams(tmp_path: Path) -> None:
    url = "https://www.oddsportal.com/american-football/usa/nfl-2008-2009/afc-nfc-x/"
    rows = [
        f"08 Feb 2009,Regular,0,AFC,NFC,30,21,+105,-125,{url}",
        f"07 Sep 2008,Regular,0,New York Giants,Washington Redskins,16,7,-170,+150,{url}",
        f"08 Sep 2008,Regular,0,Expansion Team,Washington Redskins,16,7,-170,+150,{url}",
    ]
    read = read_oddsportal(write(tmp_path / "oddsportal_nfl.csv", HEADER, rows))
    assert messages(read.batch.rejects) == [
        "oddsportal_nfl.csv:2: team_1: neither 'AFC' nor 'NFC' is an NFL team: an exhibition, "
        "not a league game"
    ]
    games = read.batch.games
    assert games["season"].tolist() == ["2008", "2008"]
    assert games["away_team_canonical"].tolist() == ["Washington Commanders"] * 2
    assert games["home_team_canonical"].tolist() == ["New York Giants", "Expansion Team"]
