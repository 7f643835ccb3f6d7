"""``ingest:football-data`` on hostile files: bounded, exit 2 naming the file (and line), and
nothing stored; on good files, it says what it read."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from in_process import error_line, invoke

from formline.matches.sources.football_data import read_football_data
from formline.matches.sources.text_table import ReadLimits

HEADER = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS,B365H,WHH,Referee"
ROW = "E0,10/08/2019,Burnley,Southampton,3,0,H,10,11,2.4,2.5,M Dean"


def stored(home: Path, table: str) -> int:
    path = home / "formline.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def nothing_stored(home: Path) -> bool:
    return all(stored(home, t) == 0 for t in ("matches", "odds", "ingest_rejects"))


def test_a_200_mb_line_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "E0.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"{HEADER}\n{ROW}\n")
        block = "x" * (1 << 20)
        for _ in range(200):
            out.write(block)
        out.write("\n")
    result = invoke(tmp_path / "home", "ingest:football-data", str(path))
    assert result.exit_code == 2
    line = error_line(result)
    assert f"{path}:3: line longer than 64 KB (INGEST_MAX_LINE_KB)" in line
    assert nothing_stored(tmp_path / "home")


def test_a_gzip_bomb_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    good = tmp_path / "D1.csv"
    good.write_text(f"{HEADER}\n{ROW.replace('E0', 'D1')}\n", encoding="utf-8")
    bomb = tmp_path / "E0.csv.gz"
    with gzip.open(bomb, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write(HEADER + "\n")
        for i in range(20_000):  # 1.3 MB of distinct valid rows: no reject stops it first
            out.write(ROW.replace("Burnley", f"Team {i}") + "\n")
    assert bomb.stat().st_size < 1_000_000
    env = {"INGEST_MAX_FILE_MB": "1"}
    result = invoke(tmp_path / "home", "ingest:football-data", str(good), str(bomb), env=env)
    assert result.exit_code == 2
    assert error_line(result).endswith(
        f"{bomb}: more than 1 MB of text once decompressed (INGEST_MAX_FILE_MB); nothing was loaded"
    )
    assert nothing_stored(tmp_path / "home")  # the good file before it is not loaded either
    under = read_football_data(bomb, ReadLimits(max_file_mb=2))  # below the cap: just data
    assert len(under.matches) == 20_000 and under.rejects.empty


def test_a_file_past_the_reject_cap_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "E0.csv"
    rows = [ROW.replace("Burnley", f"Team {i}").replace("10/08", "33/08") for i in range(30)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    result = invoke(home, "ingest:football-data", str(path), env={"INGEST_MAX_REJECTS": "29"})
    assert result.exit_code == 2
    line = error_line(result)
    assert f"{path}: more than 29 rejects (INGEST_MAX_REJECTS)" in line
    assert f"the first: {path}:2: Date: unparseable date '33/08/2019'" in line
    assert nothing_stored(home)
    result = invoke(home, "ingest:football-data", str(path), env={"INGEST_MAX_REJECTS": "30"})
    assert result.exit_code == 0
    assert stored(home, "ingest_rejects") == 30 and stored(home, "matches") == 0


def test_a_bad_limit_setting_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "E0.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    result = invoke(tmp_path, "ingest:football-data", str(path), env={"INGEST_MAX_LINE_KB": "0"})
    assert result.exit_code == 2
    assert "INGEST_MAX_LINE_KB" in error_line(result)


def test_the_ingest_says_what_it_read_and_what_it_ignored(tmp_path: Path) -> None:
    path = tmp_path / "E0.csv"
    iso = ROW.replace("10/08/2019", "2019-08-17")
    path.write_text(f"{HEADER}\n{ROW}\n{iso}\n", encoding="utf-8")
    result = invoke(tmp_path, "ingest:football-data", str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "dates read as dd/mm/yyyy (1 rows in 1 of 1 files), yyyy-mm-dd (1 rows" in out
    assert "odds columns read (2): B365H, WHH; bookmakers stored: bet365, william_hill" in out
    assert "columns ignored (1): Referee (1 files)" in out
    assert "not in football-data files: home_xg, away_xg" in out
