"""Streaming a football-data.co.uk file: bounded chunks, and the rules that need the whole file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from formline.matches.sources.football_data import FootballDataStream, read_football_data_file
from formline.matches.sources.text_table import ReadLimits

HEADER = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A"


def _file(tmp_path: Path, n: int) -> Path:
    rows = [f"E0,{1 + i % 28:02d}/09/2019,Home {i},Away {i},1,0,H,2.0,3.0,4.0" for i in range(n)]
    path = tmp_path / "E0.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_stream_yields_chunks_of_at_most_chunk_rows(tmp_path: Path) -> None:
    path = _file(tmp_path, 50)
    stream = FootballDataStream(path, ReadLimits(chunk_rows=7))
    sizes = [len(chunk.matches) for chunk in stream.chunks()]
    assert sizes == [7] * 7 + [1]
    whole = read_football_data_file(path, ReadLimits(chunk_rows=7)).batch
    assert len(whole.matches) == 50 and len(whole.odds) == 150


def test_the_file_season_comes_from_its_earliest_date_even_in_a_later_chunk(
    tmp_path: Path,
) -> None:
    rows = [f"E0,{d}/08/2020,H{d},A{d},1,0,H,2.0,3.0,4.0" for d in range(10, 20)]
    rows.append("E0,30/06/2020,Early,Late,1,1,D,2.0,3.0,4.0")  # 2019-20 ran into July 2020
    path = tmp_path / "E0.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    stream = FootballDataStream(path, ReadLimits(chunk_rows=3))
    chunks = list(stream.chunks())
    assert stream.season == "2019-20"
    assert set(pd.concat([c.matches for c in chunks])["season"]) == {""}  # left to the consumer
    batch = read_football_data_file(path, ReadLimits(chunk_rows=3)).batch
    assert set(batch.matches["season"]) == {"2019-20"}
    assert set(batch.odds["season"]) == {"2019-20"}


def test_the_last_played_day_spans_chunks(tmp_path: Path) -> None:
    rows = [
        "E0,10/08/2019,Burnley,Southampton,,,,2.0,3.0,4.0",  # no score, before the last played
        "E0,11/08/2019,Chelsea,Arsenal,1,2,A,2.0,3.0,4.0",
        "E0,12/08/2019,Everton,Watford,0,0,D,2.0,3.0,4.0",
        "E0,20/08/2019,Leeds,Fulham,,,,2.0,3.0,4.0",  # a fixture still to come
    ]
    path = tmp_path / "E0.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    stream = FootballDataStream(path, ReadLimits(chunk_rows=1))
    assert sum(len(c.matches) for c in stream.chunks()) == 4  # the rule is left to the consumer
    assert stream.played_until == pd.Timestamp("2019-08-12").to_datetime64()
    assert "(2019-08-12)" in stream.reason
    batch = read_football_data_file(path, ReadLimits(chunk_rows=1)).batch
    assert list(batch.matches["home_team"]) == ["Chelsea", "Everton", "Leeds"]
    assert list(batch.rejects["source_line"]) == [2]
    assert batch.rejects["reason"].iloc[0] == stream.reason
