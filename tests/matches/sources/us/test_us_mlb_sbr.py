"""The SBR MLB file: opening and closing lines, run lines, doubleheaders, rejects."""

from __future__ import annotations

from pathlib import Path

from us_files import lines_of, messages, write

from formline.matches.sources.us.mlb_sbr import read_mlb_sbr

HEADER = (
    "seas,date,v_rot,v_team,v_final,h_rot,h_team,h_final,v_ml_open,v_ml_close,v_rl,v_rl_odds,"
    "h_ml_open,h_ml_close,h_rl,h_rl_odds,ou_open,ou_open_ovr,ou_open_und,ou_close,ou_close_ovr,"
    "ou_close_und,neutral"
)
ROWS = [
    "2016,2016-04-24,963,MIA,1,964,COL,8,135,130,1.5,-150,-155,-150,-1.5,130,10,-110,-110,9.5,"
    "-115,-105,0",
    "2016,2016-04-24,981,MIA,4,982,COL,1,-108,-104,NA,NA,-112,-116,NA,NA,9.5,-114,-106,NA,NA,NA,0",
]


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
