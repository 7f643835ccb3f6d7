"""The stacked SBR NHL file: rows in visitor/home pairs, dates from MMDD and the season."""

from __future__ import annotations

from pathlib import Path

import pytest
from us_files import lines_of, messages, write
from us_rows import NHL_SBR_BUBBLE as BUBBLE
from us_rows import NHL_SBR_GAME as GAME
from us_rows import NHL_SBR_HEADER as HEADER

from formline.matches.sources.us.nhl_sbr import read_nhl_sbr, sbr_year


@pytest.mark.parametrize(
    ("start", "month", "year"),
    [(2014, 10, 2014), (2014, 6, 2015), (2019, 9, 2020), (2019, 8, 2020), (2020, 7, 2021)],
)
def test_the_year_of_an_sbr_date(start: int, month: int, year: int) -> None:
    assert sbr_year(start, month) == year


def test_a_pair_is_one_game(tmp_path: Path) -> None:
    read = read_nhl_sbr(write(tmp_path / "nhl.csv.gz", HEADER, GAME + BUBBLE, gz=True))
    games, lines = read.batch.games, read.batch.lines
    assert (read.rows, read.dropped, len(games)) == (4, 0, 2)
    game = games.iloc[0]
    assert (game["season"], game["game_date"], game["home_team"], game["away_team"]) == (
        "2014-15",
        "2014-10-08",
        "Boston",
        "Philadelphia",
    )
    assert (game["home_score"], game["away_score"], game["neutral"], game["source_line"]) == (
        2,
        3,
        False,
        2,
    )
    assert game["home_team_canonical"] == "Boston Bruins"
    one = lines[lines["source_line"] == 2]
    assert lines_of(one, "moneyline", "opening") == {"home": (None, 1.625), "away": (None, 2.4)}
    assert lines_of(one, "moneyline", "closing") == {"home": (None, 1.6667), "away": (None, 2.3)}
    assert lines_of(one, "spread") == {"home": (-1.5, 2.7), "away": (1.5, 1.5)}
    # The over's price is on the visitor's row, the under's on the home row.
    assert lines_of(one, "total") == {"over": (5.5, 1.9524), "under": (5.5, 1.8696)}
    bubble = games.iloc[1]
    assert (bubble["home_team"], bubble["away_team"], bubble["neutral"]) == (
        "TampaBay",
        "Dallas",
        True,
    )
    assert (bubble["game_date"], bubble["season"]) == ("2020-09-28", "2019-20")
    assert (lines[lines["source_line"] == 4]["market"] == "spread").sum() == 0


def test_unpaired_rows_and_a_rejected_half_reject_the_game(tmp_path: Path) -> None:
    orphan = GAME[0].replace(",1,V,", ",9,V,")
    wrong_date = [row.replace("2014-10-08", "2015-10-08") for row in GAME]
    no_final = [GAME[0], GAME[1].replace(",2.0,-160.0,", ",,-160.0,")]
    rows = [orphan, *wrong_date, *no_final, *BUBBLE]
    read = read_nhl_sbr(write(tmp_path / "nhl.csv", HEADER, rows))
    assert messages(read.batch.rejects) == [
        "nhl.csv:2: no partner row: SBR games are two consecutive rows (visitor, home)",
        "nhl.csv:3: game_date: '2015-10-08' is not the date of MMDD 1008 in season 2014-15"
        " (2014-10-08)",
        "nhl.csv:4: game_date: '2015-10-08' is not the date of MMDD 1008 in season 2014-15"
        " (2014-10-08)",
        "nhl.csv:5: the other row of this game (line 6) was rejected",
        "nhl.csv:6: final: missing score (the other team's row has one)",
    ]
    assert (read.rows, read.dropped, len(read.batch.games)) == (7, 5, 1)
    assert read.batch.games["source_line"].tolist() == [7]
