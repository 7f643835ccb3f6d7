"""spreadspoke's NFL scores: exact values, the favourite's spread on both sides, rejects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from us_files import lines_of, messages, write
from us_rows import SPREADSPOKE_HEADER as HEADER
from us_rows import SPREADSPOKE_ROWS as ROWS

from formline.matches.sources.us.spreadspoke import read_spreadspoke


def test_games_and_closing_lines(tmp_path: Path) -> None:
    read = read_spreadspoke(write(tmp_path / "spreadspoke_scores.csv", HEADER, ROWS))
    games, lines = read.batch.games, read.batch.lines
    assert (read.rows, read.dropped, len(games)) == (4, 0, 4)
    sb = games.iloc[0]
    assert (sb["sport"], sb["competition"], sb["season"], sb["game_date"]) == (
        "nfl",
        "NFL",
        "2019",
        "2020-02-02",
    )
    assert (sb["home_team"], sb["away_team"], sb["home_score"], sb["away_score"]) == (
        "Kansas City Chiefs",
        "San Francisco 49ers",
        31,
        20,
    )
    assert (sb["neutral"], sb["playoff"], sb["season_type"], sb["status"]) == (
        True,
        True,
        "playoffs",
        "finished",
    )
    assert sb["source_line"] == 2 and pd.isna(sb["start_at"])
    first = lines[lines["source_line"] == 2]
    assert lines_of(first, "spread") == {"home": (-1.5, None), "away": (1.5, None)}
    assert lines_of(first, "total") == {"over": (54.5, None), "under": (54.5, None)}
    # LVR is the favourite's code, matched through the franchise table; the away side gives.
    raiders = lines[lines["source_line"] == 3]
    assert lines_of(raiders, "spread") == {"home": (3.0, None), "away": (-3.0, None)}
    assert games.iloc[2]["home_team_canonical"] == "Las Vegas Raiders"
    pick = lines[lines["source_line"] == 4]
    assert lines_of(pick, "spread") == {"home": (0.0, None), "away": (0.0, None)}
    future = games.iloc[3]
    assert future["status"] == "scheduled" and pd.isna(future["home_score"])
    assert (lines["source_line"] == 5).sum() == 0
    assert set(lines["bookmaker"]) == {"spreadspoke"} and set(lines["kind"]) == {"closing"}


def test_rejects_name_file_line_and_column(tmp_path: Path) -> None:
    rows = [
        ROWS[0].replace("2/2/2020", "2/30/2020"),
        ROWS[1].replace(",30,34,", ",30,,"),
        ROWS[1].replace("LVR", "NYG"),
        ROWS[1].replace(",47.5,", ",-47.5,"),
        ROWS[2].replace("Oakland Raiders", ""),
    ]
    read = read_spreadspoke(write(tmp_path / "s.csv", HEADER, rows))
    assert messages(read.batch.rejects) == [
        "s.csv:2: schedule_date: unparseable date '2/30/2020'",
        "s.csv:3: score_away: missing score (score_home is given)",
        "s.csv:4: team_favorite_id: favourite 'NYG' is neither team",
        "s.csv:5: over_under_line: total '-47.5' is outside [1, 150]",
        "s.csv:6: team_home: missing home team",
    ]
    assert read.batch.games["source_line"].tolist() == [4, 5]  # cell rejects keep the game
    assert (read.rows, read.dropped) == (5, 3)
    lines = read.batch.lines
    assert set(lines.loc[lines["source_line"] == 4, "market"]) == {"total"}
    assert set(lines.loc[lines["source_line"] == 5, "market"]) == {"spread"}
