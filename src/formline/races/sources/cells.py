"""A CSV file read as stripped text cells with their physical line numbers, within the ingest
bounds, and the rejects found while parsing it.

The bounds are the ingest settings ``INGEST_MAX_FILE_MB`` (the decompressed text),
``INGEST_MAX_LINE_KB`` (one physical line) and ``INGEST_MAX_REJECTS`` (rejects in one file
before the file is refused), with the same messages as the other sources: a file past one is
refused whole and nothing of it is loaded. Any object with ``max_file_mb``, ``max_line_kb`` and
``max_rejects`` attributes is accepted (the ingest settings' ``ReadLimits`` is one). The racing
files are read whole: the size bound is what bounds memory.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError
from formline.races.frames import REJECT_COLUMNS, empty_frame

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Texts = npt.NDArray[np.object_]

_BLOCK = 1 << 20
_PADDING = ('"', " ,", ", ", " \n", "\n ", " \r", "\t", "\xa0")  # signs of cells to strip
_ENCODINGS = ("utf-8", "cp1252", "latin-1")  # latin-1 decodes any bytes


class Limits(Protocol):
    """The ingest bounds a reader respects (``None``: no bound)."""

    @property
    def max_file_mb(self) -> float | None: ...
    @property
    def max_line_kb(self) -> float | None: ...
    @property
    def max_rejects(self) -> int | None: ...


@dataclass(frozen=True)
class ReadLimits:
    """The ingest bounds, with the settings' defaults."""

    max_file_mb: float | None = 64.0
    max_line_kb: float | None = 64.0
    max_rejects: int | None = 10_000


def _read_text(path: Path, limits: Limits, what: str) -> str:
    """The decoded text of ``path`` (plain or gzipped), refused past the size bound."""
    cap = None if limits.max_file_mb is None else int(limits.max_file_mb * 1024 * 1024)
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
            blocks, size = [], 0
            while block := stream.read(_BLOCK):
                size += len(block)
                if cap is not None and size > cap:
                    raise SourceError(
                        f"{path}: more than {limits.max_file_mb:g} MB of text"
                        f"{' once decompressed' if gzipped else ''} (INGEST_MAX_FILE_MB); "
                        "nothing was loaded"
                    )
                blocks.append(block)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from exc
    data = b"".join(blocks).removeprefix(codecs.BOM_UTF8)
    if b"\x00" in data:
        raise SourceError(f"{path}: not {what} (binary data)")
    for encoding in _ENCODINGS:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(encoding)
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


@dataclass
class Table:
    """A CSV file's records as stripped text cells, with each record's first physical line."""

    path: Path
    header: list[str]
    cells: Texts  # (rows, columns)
    raw: list[list[str]]
    lines: npt.NDArray[np.int64]
    #: Records with fewer fields than the header, or more non-empty ones: (position, reason).
    malformed: list[tuple[int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)

    def text(self, name: str) -> Texts:
        """A column's cells ("" everywhere if the file has no such column)."""
        if name in self.header:
            return self.cells[:, self.header.index(name)]
        return np.full(len(self.lines), "", dtype=object)

    @classmethod
    def read(cls, path: Path, *, what: str, required: Sequence[str] = (), limits: Limits) -> Table:
        """Read ``path`` (UTF-8 with or without BOM, Windows-1252 or latin-1; plain or gzipped).

        Blank records are skipped; line numbers are physical lines (the header is line 1).

        Raises
        ------
        SourceError
            If the file cannot be read, holds binary data, lacks a ``required`` column, or
            passes ``INGEST_MAX_FILE_MB`` or ``INGEST_MAX_LINE_KB``.
        """
        text = _read_text(path, limits, what)
        physical = io.StringIO(text, newline="").readlines()
        limit = None if limits.max_line_kb is None else int(limits.max_line_kb * 1024)
        if limit is not None:
            for number, line in enumerate(physical, start=1):
                if len(line.rstrip("\r\n")) > limit:
                    raise SourceError(
                        f"{path}:{number}: line longer than {limits.max_line_kb:g} KB "
                        "(INGEST_MAX_LINE_KB); nothing was loaded"
                    )
            csv.field_size_limit(max(limit, csv.field_size_limit()))
        padded = text[:1] == " " or any(sign in text for sign in _PADDING)
        reader = csv.reader(physical)
        try:
            first = next(reader, [])
            header = [name.strip() or f"Unnamed: {i}" for i, name in enumerate(first)]
            missing = [name for name in required if name not in header]
            if missing:
                raise SourceError(f"{path}: not {what} (missing columns: {', '.join(missing)})")
            width = len(header)
            rows: list[list[str]] = []
            raw: list[list[str]] = []
            lines: list[int] = []
            malformed: list[tuple[int, str]] = []
            start = reader.line_num + 1
            for record in reader:
                row = [cell.strip() for cell in record] if padded else record
                if any(row):
                    if len(row) < width:
                        malformed.append(
                            (len(rows), f"truncated row: {len(row)} fields, the header {width}")
                        )
                    elif any(row[width:]):
                        malformed.append(
                            (len(rows), f"row has {len(row)} fields, the header {width}")
                        )
                    rows.append((row + [""] * width)[:width])
                    raw.append(record)
                    lines.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise SourceError(f"{path}:{reader.line_num}: {exc}") from exc
        cells = np.array(rows, dtype=object).reshape(len(rows), width)
        return cls(path, header, cells, raw, np.array(lines, dtype=np.int64), malformed)


@dataclass
class RejectLog:
    """The ``(row, column, reason)`` rejects of one table; fatal ones drop their row."""

    table: Table
    source: str
    dropped: Bools = field(init=False)
    parts: list[pd.DataFrame] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dropped = np.zeros(len(self.table), dtype=bool)
        for pos, reason in self.table.malformed:
            self.add(np.arange(len(self.table)) == pos, "", reason, fatal=True)

    def add(self, mask: Bools, column: str, template: str, *values: Any, fatal: bool) -> None:
        """Reject the rows in ``mask``; ``template`` is formatted with their ``values``."""
        positions = np.flatnonzero(mask)
        if positions.size == 0:
            return
        args = zip(*(np.asarray(v, dtype=object)[positions] for v in values), strict=True)
        reasons = [template.format(*a) for a in args] if values else [template] * positions.size
        self.parts.append(pd.DataFrame({"pos": positions, "column": column, "reason": reasons}))
        if fatal:
            self.dropped |= mask

    def frame(self) -> pd.DataFrame:
        """Every reject in :data:`~formline.races.frames.REJECT_COLUMNS` form, by line; one per
        cell (its first reason), with the raw row's non-empty cells as JSON."""
        if not self.parts:
            return empty_frame(REJECT_COLUMNS)
        out = pd.concat(self.parts, ignore_index=True).sort_values("pos", kind="stable")
        out = out.drop_duplicates(["pos", "column"])
        positions = out["pos"].to_numpy()
        table = self.table
        out["source"], out["source_file"] = self.source, str(table.path)
        out["source_line"] = table.lines[positions]
        pairs = [zip(table.header, table.raw[p], strict=False) for p in positions]
        out["raw"] = [
            json.dumps({k: v for k, v in p if v.strip()}, ensure_ascii=False) for p in pairs
        ]
        return out.drop(columns="pos").reset_index(drop=True)

    def check(self, limits: Limits) -> None:
        """Refuse the file if it has more rejects than ``INGEST_MAX_REJECTS``.

        Raises
        ------
        SourceError
            Naming the bound and the first reject.
        """
        frame = self.frame()
        if limits.max_rejects is None or len(frame) <= limits.max_rejects:
            return
        first = frame.sort_values("source_line", kind="stable").iloc[0]
        where = f"{first['source_file']}:{first['source_line']}: "
        what = f"{first['column']}: " if first["column"] else ""
        raise SourceError(
            f"{self.table.path}: more than {limits.max_rejects} rejects (INGEST_MAX_REJECTS), "
            f"so the file is refused and nothing was loaded; the first: {where}{what}"
            f"{first['reason']}"
        )


def numbers(text: Texts) -> Floats:
    """Text cells as floats; empty or unparseable cells become NaN."""
    filled = np.where(text == "", "nan", text)
    with contextlib.suppress(ValueError):
        if "_" not in "".join(filled.ravel()):  # float() would read "1_5" as 15
            return filled.astype(float)
    parsed = pd.to_numeric(pd.Series(filled.ravel()), errors="coerce")
    return parsed.to_numpy(dtype=float).reshape(text.shape)


def whole_numbers(
    table: Table,
    rejects: RejectLog,
    name: str,
    *,
    fatal: bool,
    required: bool = False,
    low: float = 0,
    high: float = 2**31 - 1,
) -> Floats:
    """A column of whole numbers in ``[low, high]`` ("7" or "7.0"); a bad cell is NaN and a
    reject (as is an empty one, if ``required``)."""
    text = table.text(name)
    value = numbers(text)
    given = text != ""
    whole = np.isfinite(value) & (value == np.floor(value))
    bad = given & ~whole
    rejects.add(bad, name, "not a whole number: '{}'", text, fatal=fatal)
    out = given & whole & ((value < low) | (value > high))
    rejects.add(out, name, f"'{{}}' is out of range ({low:g} to {high:g})", text, fatal=fatal)
    if required:
        rejects.add(~given, name, "missing", fatal=True)
    return np.where(bad | out, np.nan, value)


def decimals(
    table: Table,
    rejects: RejectLog,
    name: str,
    *,
    low: float = 0,
    unknown: float | None = None,
    fatal: bool = False,
) -> Floats:
    """A column of numbers at least ``low``; ``unknown`` (a source's sentinel) reads as NaN, a
    bad cell is NaN and a reject."""
    text = table.text(name)
    value = numbers(text)
    given = text != ""
    bad = given & ~np.isfinite(value)
    rejects.add(bad, name, "not a number: '{}'", text, fatal=fatal)
    below = given & np.isfinite(value) & (value < low)
    rejects.add(below, name, f"'{{}}' is below {low:g}", text, fatal=fatal)
    value = np.where(bad | below, np.nan, value)
    if unknown is not None:
        value = np.where(value == unknown, np.nan, value)
    return value


def nullable_ints(values: Floats) -> pd.arrays.IntegerArray:
    """Whole-number floats as a nullable integer array (NaN becomes NA)."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def texts(values: Any) -> pd.Series:
    """Cells as a string series, "" as NA."""
    series = pd.Series(values, dtype="string")
    return series.mask(series == "")
