"""A CSV read as text cells with line numbers, and the reject log of a parse."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from formline.errors import SourceError
from formline.matches.sources.text_table import ReadLimits, RejectLog, TextTable, floats, parts


def test_reads_cells_as_stripped_text_with_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('A,B\n 1 , x\n,\n"2\nmore",y\n3,z\n', encoding="utf-8")
    table = TextTable.read(path, what="a test table", required=["A"])
    assert table.header == ["A", "B"]
    assert table.text("A").tolist() == ["1", "2\nmore", "3"]
    assert table.lines.tolist() == [2, 4, 6]  # the blank row is skipped; a quoted cell spans 2
    assert table.text("missing").tolist() == ["", "", ""]


def test_reads_gzip_and_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress("Team\nM\xfcnchen\n".encode("cp1252")))
    assert TextTable.read(path, what="a test table").text("Team").tolist() == ["München"]


def test_renames_old_headers_and_lists_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("HT,AT\nA,B\nC,D,extra\n", encoding="utf-8")
    table = TextTable.read(path, what="a test table", renames={"HT": "HomeTeam", "AT": "AwayTeam"})
    assert table.header == ["HomeTeam", "AwayTeam"]
    assert table.ragged == [(1, "row has 3 fields, the header 2")]


def test_refuses_a_file_without_the_required_columns_or_with_binary_data(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("X,Y\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"t\.csv: not a test table \(missing columns: A\)"):
        TextTable.read(path, what="a test table", required=["A"])
    path.write_bytes(b"A\x00B")
    with pytest.raises(SourceError, match="binary data"):
        TextTable.read(path, what="a test table")


def test_the_reject_log_keeps_one_reason_per_cell_with_the_raw_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("A,B\n1,x\n-2,y\n", encoding="utf-8")
    table = TextTable.read(path, what="a test table")
    log = RejectLog(table, path, "test", np.zeros(2, dtype=bool))
    values = floats(table.text("A"))
    log.add(values < 0, "A", "negative value '{}'", table.text("A"), fatal=True)
    log.add(values < 0, "A", "a second reason for the same cell", fatal=False)
    frame = log.frame()
    assert frame[["source_line", "column", "reason"]].values.tolist() == [
        [3, "A", "negative value '-2'"]
    ]
    assert json.loads(frame["raw"].iloc[0]) == {"A": "-2", "B": "y"}
    assert log.dropped.tolist() == [False, True]


def test_parsers_turn_bad_cells_into_nan() -> None:
    text = np.array(["1.5", "", "1_5", "x"], dtype=object)
    np.testing.assert_array_equal(floats(text), [1.5, np.nan, np.nan, np.nan])
    clock = re.compile(r"(\d+):(\d+)")
    got = parts(np.array(["12:30", "bad"], dtype=object), clock, 2)
    np.testing.assert_array_equal(got, [[12, 30], [np.nan, np.nan]])


# --- bounded reading -----------------------------------------------------------------------


def test_a_line_longer_than_the_cap_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("A,B\n1,2\n" + "x" * 3000 + ",y\n3,4\n", encoding="utf-8")
    limits = ReadLimits(max_line_kb=2)
    with pytest.raises(SourceError, match=rf"^{re.escape(str(path))}:3: line longer than 2 KB"):
        TextTable.read(path, what="a test table", limits=limits)
    assert len(TextTable.read(path, what="a test table", limits=ReadLimits()).lines) == 3


def test_a_quoted_record_across_lines_is_bounded_too(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    many = "\n".join(["y" * 500] * 10)  # short lines, one 5 KB cell
    path.write_text(f'A,B\n1,2\n3,"{many}"\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"t\.csv:3: record \(a quoted cell across lines\)"):
        TextTable.read(path, what="a test table", limits=ReadLimits(max_line_kb=2))


def test_a_gzip_bomb_stops_at_the_decompressed_cap(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    rows = "".join(f"{i:07d},x\n" for i in range(120_000))  # 1.2 MB of text
    path.write_bytes(gzip.compress(("A,B\n" + rows).encode()))
    with pytest.raises(SourceError, match=r"more than 1 MB of text once decompressed"):
        TextTable.read(path, what="a test table", limits=ReadLimits(max_file_mb=1))
    assert len(TextTable.read(path, what="a test table").lines) == 120_000


def test_chunks_share_the_header_and_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('A,B\n1,x\n\n2,"y\nz"\n3,w\n4\n', encoding="utf-8")
    chunks = list(TextTable.chunks(path, what="a test table", limits=ReadLimits(chunk_rows=2)))
    assert [c.lines.tolist() for c in chunks] == [[2, 4], [6, 7]]
    assert all(c.header == ["A", "B"] for c in chunks)
    assert chunks[1].short == [(1, "truncated row: 1 fields, the header 2")]
    whole = TextTable.read(path, what="a test table")
    assert whole.lines.tolist() == [2, 4, 6, 7]
    assert whole.text("B").tolist() == ["x", "y\nz", "w", ""]


def test_a_bad_csv_record_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('A,B\n1,2\n3,"' + "q" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"t\.csv:3: field larger than field limit"):
        TextTable.read(path, what="a test table")  # no line cap: the csv module's own limit
