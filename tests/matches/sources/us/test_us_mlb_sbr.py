"""The SBR MLB file: opening and closing lines, run lines, doubleheaders, rejects."""

from __future__ import annotations

from pathlib import Path

from us_files import lines_of, messages, write
from us_rows import MLB_SBR_HEADER as HEADER
from us_rows import MLB_SBR_ROWS as ROWS

from formline.matches.sources.us.mlb_sbr import read_mlb_sbr


def test_games_lines_and_doubleheaders(tmp_path: Path) -> None:
    read = read_mlb_sbr(write(tmp_path / "mlb.csv", HEADER, ROWS))
    games, lines = read.batch.games, read.batch.lines
    assert (read.rows, read.dropped) == (2, 0)
    assert games["game_number"].tolist() == [1, 2]  # a doubleheader, in the file's order
    first = games.iloc[0]
    assert (first["sport"], first["season"], first["game_date"]) == ("mlb", "2016", "2016-04-24")
    assert (first["home_team"], first["away_team"], first["home_score"], first["away_score"]) == (
        "COL",
        "MIA",
        8,
        1,
    )
    assert (first["home_team_canonical"], first["neutral"]) == ("Colorado Rockies", False)
    one = lines[lines["game_number"] == 1]
    assert lines_of(one, "moneyline", "opening") == {"home": (None, 1.6452), "away": (None, 2.35)}
    assert lines_of(one, "moneyline", "closing") == {"home": (None, 1.6667), "away": (None, 2.3)}
    assert lines_of(one, "spread") == {"home": (-1.5, 2.3), "away": (1.5, 1.6667)}
    assert lines_of(one, "total", "opening") == {"over": (10.0, 1.9091), "under": (10.0, 1.9091)}
    assert lines_of(one, "total", "closing") == {"over": (9.5, 1.8696), "under": (9.5, 1.9524)}
    two = lines[lines["game_number"] == 2]
    assert sorted(set(zip(two["market"], two["kind"], strict=True))) == [
        ("moneyline", "closing"),
        ("moneyline", "opening"),
        ("total", "opening"),
    ]
    assert set(lines["bookmaker"]) == {"sbr"}


def test_rejects(tmp_path: Path) -> None:
    rows = [
        ROWS[0].replace(",1,964,COL,8,", ",8,964,COL,8,"),
        ROWS[1].replace("2016,2016-04-24", "2016,2017-04-24"),
        ROWS[1].replace(",9.5,-114,", ",95,-114,").replace(",NA,NA,NA,0", ",NA,NA,NA,x"),
    ]
    read = read_mlb_sbr(write(tmp_path / "mlb.csv", HEADER, rows))
    assert messages(read.batch.rejects) == [
        "mlb.csv:2: v_final: tied final score 8-8: MLB games have no draws",
        "mlb.csv:3: date: date '2017-04-24' is not in season 2016",
        "mlb.csv:4: neutral: not a yes/no value: 'x'",
        "mlb.csv:4: ou_open: total '95' is outside [1, 40]",
    ]
    assert (read.rows, read.dropped, len(read.batch.games)) == (3, 2, 1)
