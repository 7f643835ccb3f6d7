"""The shared CSV cell reader: cells and physical line numbers, each rule of :class:`CsvRules`
doing what it says (and nothing when off), the ingest bounds refusing a file whole, bad input
refused with one line naming the file (and line), and the rejects' frame and cap."""

from __future__ import annotations

import codecs
import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from formline.errors import SourceError
from formline.sources.cells import (
    REJECT_COLUMNS,
    CsvRules,
    CsvTable,
    ReadLimits,
    RejectLog,
    read_text,
)

STRICT = CsvRules()  # UTF-8, always stripped, exact widths, rejects show stripped cells
LENIENT = CsvRules(
    encodings=("utf-8", "cp1252", "latin-1"),
    strip="if padded",
    blank_names="Unnamed: {}",
    widths="lenient",
    keep_raw=True,
)
LIMITS = ReadLimits()


def _file(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path: Path, rules: CsvRules = STRICT, required: tuple[str, ...] = ()) -> CsvTable:
    return CsvTable.read(path, what="a test file", required=required, limits=LIMITS, rules=rules)


def test_cells_and_physical_lines_across_blank_records_and_quoted_line_breaks(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, b'a,b\r\n1,2\r\n\r\n,\r\n"x\ny",3\r\n4,5\r\n')
    for rules in (STRICT, LENIENT):
        table = _read(path, rules)
        assert table.header == ["a", "b"]
        assert table.cells.tolist() == [["1", "2"], ["x\ny", "3"], ["4", "5"]]
        assert table.lines.tolist() == [2, 5, 7]  # the quoted cell spans lines 5 and 6
        assert table.malformed == []
        assert table.text("b").tolist() == ["2", "3", "5"]
        assert table.text("absent").tolist() == ["", "", ""]
        assert len(table) == 3
    assert _read(path, STRICT).raw is None
    assert _read(path, LENIENT).raw == [["1", "2"], ["x\ny", "3"], ["4", "5"]]


def test_gzip_and_bom_are_read_the_same_as_plain_text(tmp_path: Path) -> None:
    data = b"a,b\n1,2\n"
    plain = _read(_file(tmp_path, data))
    for other in (
        _file(tmp_path, codecs.BOM_UTF8 + data, "bom.csv"),
        _file(tmp_path, gzip.compress(data), "f.csv.gz"),
    ):
        table = _read(other)
        assert (table.header, table.cells.tolist(), table.lines.tolist()) == (
            plain.header,
            plain.cells.tolist(),
            plain.lines.tolist(),
        )


def test_strip_always_or_only_if_the_text_shows_padding(tmp_path: Path) -> None:
    padded = _file(tmp_path, b"a , b\n 1, 2 \n", "padded.csv")
    assert _read(padded, STRICT).cells.tolist() == [["1", "2"]]
    assert _read(padded, LENIENT).cells.tolist() == [["1", "2"]]
    assert _read(padded, LENIENT).header == ["a", "b"]
    # An ideographic space is white space to str.strip but no sign of padding: "if padded"
    # keeps the cell as read, "always" strips it.
    unpadded = _file(tmp_path, "a,b\n\u3000x,y\n".encode(), "ideographic.csv")
    assert _read(unpadded, STRICT).cells.tolist() == [["x", "y"]]
    assert _read(unpadded, LENIENT).cells.tolist() == [["\u3000x", "y"]]


def test_blank_header_names_are_named_only_if_the_rules_say(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a, ,c\n1,2,3\n")
    assert _read(path, STRICT).header == ["a", "", "c"]
    assert _read(path, LENIENT).header == ["a", "Unnamed: 1", "c"]


def test_field_counts_exact_or_lenient(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a,b,c\n1,2\n1,2,3,\n1,2,3,4\n1,2,3\n")
    exact = _read(path, STRICT)
    assert exact.malformed == [
        (0, "row has 2 fields, the header 3"),
        (1, "row has 4 fields, the header 3"),
        (2, "row has 4 fields, the header 3"),
    ]
    lenient = _read(path, LENIENT)
    assert lenient.malformed == [
        (0, "truncated row: 2 fields, the header 3"),
        (2, "row has 4 fields, the header 3"),  # an extra empty field is not malformed
    ]
    for table in (exact, lenient):  # short records filled, long ones cut, either way
        assert table.cells.tolist() == [["1", "2", ""], ["1", "2", "3"]] + [["1", "2", "3"]] * 2
        assert table.lines.tolist() == [2, 3, 4, 5]


def test_encodings_are_tried_in_order(tmp_path: Path) -> None:
    cp1252 = _file(tmp_path, "a\nCaf\u00e9 \u20ac5\n".encode("cp1252"), "cp1252.csv")
    assert _read(cp1252, LENIENT).cells.tolist() == [["Caf\u00e9 \u20ac5"]]
    with pytest.raises(SourceError) as raised:
        _read(cp1252, STRICT)
    message = str(raised.value)
    assert message.startswith(f"{cp1252}: not UTF-8 text ('utf-8' codec can't decode byte 0xe9")
    assert "\n" not in message
    undefined = _file(tmp_path, b"a\n\x81\n", "latin1.csv")  # not cp1252: latin-1 takes it
    assert _read(undefined, LENIENT).cells.tolist() == [["\x81"]]
    two = CsvRules(encodings=("utf-8", "ascii"))
    with pytest.raises(SourceError, match=r"not UTF-8 or ASCII text \('ascii' codec"):
        _read(cp1252, two)
    with pytest.raises(ValueError, match="at least one encoding"):
        CsvRules(encodings=())


def test_binary_data_is_refused_naming_what_the_file_is_not(tmp_path: Path) -> None:
    for path in (
        _file(tmp_path, b"a,b\n1,\x002\n"),
        _file(tmp_path, gzip.compress(b"a,b\n\x00\n"), "f.csv.gz"),
    ):
        with pytest.raises(SourceError) as raised:
            _read(path, STRICT)
        assert str(raised.value) == f"{path}: not a test file (binary data)"
        binary = CsvRules(binary="a CSV file")
        with pytest.raises(SourceError) as raised:
            _read(path, binary)
        assert str(raised.value) == f"{path}: not a CSV file (binary data)"


def test_unreadable_files_and_bad_csv(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    with pytest.raises(SourceError, match=rf"^{missing}: cannot read: "):
        _read(missing)
    broken = _file(tmp_path, b"\x1f\x8bnot really gzip", "broken.csv.gz")
    with pytest.raises(SourceError, match=rf"^{broken}: cannot read: "):
        _read(broken)
    # A quoted cell across lines, each short, the cell past the csv module's field limit.
    wide = _file(tmp_path, b'a,b\n1,2\n"' + b"x" * 600 + b"\n" + b"x" * 600 + b'",3\n', "wide.csv")
    saved = csv.field_size_limit(1000)  # process-wide: set for this test, then restored
    try:
        with pytest.raises(SourceError) as raised:
            CsvTable.read(
                wide, what="a test file", limits=ReadLimits(None, None, None), rules=STRICT
            )
    finally:
        csv.field_size_limit(saved)
    assert str(raised.value) == f"{wide}:4: field larger than field limit (1000)"


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a,b\n1,2\n")
    with pytest.raises(SourceError) as raised:
        _read(path, required=("z", "a", "y"))
    assert str(raised.value) == f"{path}: not a test file (missing columns: z, y)"
    empty = _read(_file(tmp_path, b"", "empty.csv"))
    assert (empty.header, empty.cells.shape, empty.lines.tolist()) == ([], (0, 0), [])
    header_only = _read(_file(tmp_path, b"a,b\n", "header.csv"))
    assert header_only.cells.shape == (0, 2)


def test_a_file_over_the_size_bound_is_refused_whole(tmp_path: Path) -> None:
    data = b"a\n" + b"1\n" * 600_000  # 1.2 MB
    plain = _file(tmp_path, data)
    small = ReadLimits(max_file_mb=1)
    with pytest.raises(SourceError) as raised:
        CsvTable.read(plain, what="a test file", limits=small, rules=STRICT)
    assert str(raised.value) == (
        f"{plain}: more than 1 MB of text (INGEST_MAX_FILE_MB); nothing was loaded"
    )
    gzipped = _file(tmp_path, gzip.compress(data), "f.csv.gz")  # small on disk, not inside
    with pytest.raises(SourceError, match="more than 1 MB of text once decompressed"):
        read_text(gzipped, small)
    assert read_text(plain, ReadLimits(None, None, None)) == data.decode()


def test_an_over_long_line_is_refused_naming_it(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a\n1\n" + b"x" * 2049 + b"\n")
    tight = ReadLimits(max_line_kb=2)
    with pytest.raises(SourceError) as raised:
        CsvTable.read(path, what="a test file", limits=tight, rules=LENIENT)
    assert str(raised.value) == (
        f"{path}:3: line longer than 2 KB (INGEST_MAX_LINE_KB); nothing was loaded"
    )
    exactly = _file(tmp_path, b"a\n" + b"x" * 2048 + b"\r\n", "exactly.csv")  # \r\n not counted
    assert len(CsvTable.read(exactly, what="a test file", limits=tight, rules=LENIENT)) == 1


def test_read_text_defaults_to_utf8(tmp_path: Path) -> None:
    path = _file(tmp_path, codecs.BOM_UTF8 + "a\n\u00e9\n".encode())
    assert read_text(path, LIMITS) == "a\n\u00e9\n"
    binary = _file(tmp_path, b"\x00", "binary.csv")
    with pytest.raises(SourceError, match=r"not a CSV file \(binary data\)$"):
        read_text(binary, LIMITS)


def test_rejects_frame_by_line_one_per_cell_with_the_row(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a,b,c\n x ,,\n1\n2,3,4\n")
    for rules, row in ((STRICT, {"a": "x"}), (LENIENT, {"a": " x "})):
        table = _read(path, rules)
        log = RejectLog(table, "test-source")
        b = table.text("b")
        log.add(b == "3", "b", "'{}' is odd", b, fatal=False)
        log.add(b == "3", "b", "a second reason for the same cell", fatal=True)
        log.add(np.array([True, False, False]), "a", "bad", fatal=False)
        frame = log.frame()
        assert frame[["source_line", "column", "reason"]].values.tolist() == [
            [2, "a", "bad"],
            [3, "", "row has 1 fields, the header 3"]
            if rules is STRICT
            else [3, "", "truncated row: 1 fields, the header 3"],
            [4, "b", "'3' is odd"],
        ]
        assert set(frame["source"]) == {"test-source"}
        assert set(frame["source_file"]) == {str(path)}
        assert json.loads(frame["raw"].iloc[0]) == row  # as read, or as stripped
        assert json.loads(frame["raw"].iloc[2]) == {"a": "2", "b": "3", "c": "4"}
        assert log.dropped.tolist() == [False, True, True]
        log.check(ReadLimits(max_rejects=3))
        with pytest.raises(SourceError) as raised:
            log.check(ReadLimits(max_rejects=2))
        assert str(raised.value) == (
            f"{path}: more than 2 rejects (INGEST_MAX_REJECTS), so the file is refused and "
            f"nothing was loaded; the first: {path}:2: a: bad"
        )


def test_no_rejects_is_an_empty_frame_of_the_reject_columns(tmp_path: Path) -> None:
    log = RejectLog(_read(_file(tmp_path, b"a\n1\n")), "test-source")
    frame = log.frame()
    assert frame.empty
    assert {c: str(t) for c, t in frame.dtypes.items()} == REJECT_COLUMNS
    log.check(ReadLimits(max_rejects=0))
