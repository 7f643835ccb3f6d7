"""A CSV file read as text cells with line numbers, and the rejects found while parsing it.

Sources read every cell as text and parse it themselves, so a bad value becomes a reject
(``file:line: column: reason``, kept with the raw row) instead of a crash or a silent NA.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError
from formline.matches.frames import REJECT_COLUMNS, empty_frame

__all__ = [
    "UNBOUNDED",
    "ReadLimits",
    "RejectLog",
    "TextTable",
    "floats",
    "integers",
    "parts",
    "strings",
]

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Texts = npt.NDArray[np.object_]

_PADDING = ('"', " ,", ", ", " \n", "\n ", " \r", "\t", "\xa0")  # signs of cells to strip


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what reading one file may cost: the settings ``INGEST_MAX_FILE_MB``,
    ``INGEST_MAX_LINE_KB`` and ``INGEST_MAX_REJECTS`` (``None``: no bound)."""

    max_file_mb: float | None = 64.0  # decompressed text
    max_line_kb: float | None = 64.0  # one physical line, and one record across lines
    max_rejects: int | None = 10_000  # rejects in one file before the file is refused
    chunk_rows: int = 2_000  # rows parsed at a time (memory stays bounded by a chunk)

    @property
    def max_bytes(self) -> int | None:
        """``max_file_mb`` in bytes."""
        return None if self.max_file_mb is None else int(self.max_file_mb * 1024 * 1024)

    @property
    def max_line_chars(self) -> int | None:
        """``max_line_kb`` in characters (one byte each in the files' encodings, mostly)."""
        return None if self.max_line_kb is None else int(self.max_line_kb * 1024)


UNBOUNDED = ReadLimits(max_file_mb=None, max_line_kb=None, max_rejects=None)

_BLOCK = 1 << 20  # bytes read (and decompressed) at a time
_ENCODINGS = ("utf-8", "cp1252", "latin-1")  # latin-1 decodes any bytes


class _Lines:
    """The physical lines of a plain or gzipped file, decoded, read a block at a time.

    Raises :class:`SourceError` as soon as the decompressed text passes ``max_bytes``, a line or
    the record being read passes ``max_line_chars``, or a block holds NUL bytes, so neither a
    gzip bomb nor a file without line breaks is ever held in memory.
    """

    def __init__(
        self, path: Path, limits: ReadLimits, binary: SourceError, name: str | None = None
    ) -> None:
        self.path, self.limits, self.binary = path, limits, binary
        self.name = name or str(path)  # what messages call the file
        self.number = 0  # physical lines handed out so far
        self.total = 0  # decompressed bytes read so far
        self.record_start = 1  # the line the record being read starts on
        self.record_chars = 0
        self.padded = False  # whether some cell may carry padding to strip (sticky)
        self.encoding = 0  # index into _ENCODINGS; a block that fails moves it on for good
        self._pending = b""
        self._queue: list[str] = []
        self._done = False
        self._first = True
        try:
            raw = path.open("rb")
            magic = raw.read(2)
            raw.seek(0)
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read: {exc}") from exc
        self._raw = raw
        self._stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if magic == b"\x1f\x8b" else raw
        if limits.max_bytes is not None or limits.max_line_chars is not None:
            self._check_bounds()

    def _check_bounds(self) -> None:
        """Refuse a file over the size cap, or with a line over the line cap, before parsing
        any of it: one pass over the (decompressed) bytes that keeps a block at a time, so
        neither a gzip bomb nor a file of valid rows past the cap costs memory."""
        cap, limit = self.limits.max_bytes, self.limits.max_line_chars
        size, line, current = 0, 1, 0
        try:
            if cap is not None and self._stream is self._raw and self.path.stat().st_size > cap:
                cap = None if limit is not None else cap  # find a long line first, if any
                if cap is not None:
                    raise self._too_big()
            while block := self._stream.read(_BLOCK):
                size += len(block)
                if limit is not None:
                    pieces = block.split(b"\n")
                    for piece in pieces[:-1]:
                        if current + len(piece) > limit + 1:  # + 1: a "\r" before the "\n"
                            raise self._too_long(line, "line")
                        line, current = line + 1, 0
                    current += len(pieces[-1])
                    if current > limit + 1:
                        raise self._too_long(line, "line")
                if self.limits.max_bytes is not None and size > self.limits.max_bytes:
                    raise self._too_big()
            self._stream.seek(0)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.name}: cannot read: {exc}") from exc

    def _too_big(self) -> SourceError:
        return SourceError(
            f"{self.name}: more than {self.limits.max_file_mb:g} MB of text"
            f"{' once decompressed' if self._stream is not self._raw else ''} "
            "(INGEST_MAX_FILE_MB); nothing was loaded"
        )

    def close(self) -> None:
        """Close the file."""
        with contextlib.suppress(OSError):
            self._stream.close()
            self._raw.close()

    def start_record(self) -> None:
        """The caller finished a record: the next line starts the next one."""
        self.record_start, self.record_chars = self.number + 1, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        while not self._queue:
            if self._done:
                raise StopIteration
            self._fill()
        line = self._queue.pop()
        self.number += 1
        self.record_chars += len(line)
        limit = self.limits.max_line_chars
        if limit is not None:
            if len(line.rstrip("\r\n")) > limit:
                raise self._too_long(self.number, "line")
            if self.record_chars > limit:
                raise self._too_long(self.record_start, "record (a quoted cell across lines)")
        return line

    def _too_long(self, line: int, what: str) -> SourceError:
        return SourceError(
            f"{self.name}:{line}: {what} longer than {self.limits.max_line_kb:g} KB "
            "(INGEST_MAX_LINE_KB); nothing was loaded"
        )

    def _fill(self) -> None:
        """Read one block and queue its complete lines (the rest waits for the next block)."""
        try:
            block = self._stream.read(_BLOCK)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.name}: cannot read: {exc}") from exc
        self.total += len(block)
        cap = self.limits.max_bytes
        if cap is not None and self.total > cap:  # a file that grew since it was checked
            raise self._too_big()
        if b"\x00" in block:
            raise self.binary
        if self._first:
            block, self._first = block.removeprefix(codecs.BOM_UTF8), False
        data = self._pending + block
        if block:
            cut = data.rfind(b"\n") + 1 or (data.rfind(b"\r", 0, len(data) - 1) + 1)
            data, self._pending = data[:cut], data[cut:]
        else:
            self._done, self._pending = True, b""
        limit = self.limits.max_line_chars
        if limit is not None and len(self._pending) > limit:
            newlines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
            raise self._too_long(self.number + newlines + 1, "line")
        text = self._decode(data)
        if text[:1] == " " or text[-1:] == " " or any(sign in text for sign in _PADDING):
            self.padded = True
        self._queue = list(io.StringIO(text, newline=""))
        self._queue.reverse()

    def _decode(self, data: bytes) -> str:
        while True:
            try:
                return data.decode(_ENCODINGS[self.encoding])
            except UnicodeDecodeError:
                self.encoding += 1


@dataclass
class TextTable:
    """A CSV file (or a chunk of its rows) as stripped text cells, with each record's physical
    line number."""

    header: list[str]
    cells: Texts  # (rows, columns)
    raw: list[list[str]]  # the records as read, for the rejects' ``raw``
    lines: npt.NDArray[np.int64]
    ragged: list[tuple[int, str]] = field(default_factory=list)
    short: list[tuple[int, str]] = field(default_factory=list)  # fewer fields than the header

    def text(self, name: str) -> Texts:
        """A column's cells ("" everywhere if the file has no such column)."""
        if name in self.header:
            return self.cells[:, self.header.index(name)]
        return np.full(len(self.lines), "", dtype=object)

    @classmethod
    def read(cls, path: Path, *, limits: ReadLimits = UNBOUNDED, **options: Any) -> TextTable:
        """Read all of ``path`` as one table; ``options`` are those of :meth:`chunks`."""
        whole = ReadLimits(limits.max_file_mb, limits.max_line_kb, limits.max_rejects, 0)
        return next(cls.chunks(path, limits=whole, **options))

    @classmethod
    def chunks(
        cls,
        path: Path,
        *,
        what: str,
        required: Sequence[str] = (),
        renames: Mapping[str, str] | None = None,
        limits: ReadLimits = UNBOUNDED,
        name: str | None = None,
    ) -> Iterator[TextTable]:
        """Stream ``path`` (plain or gzipped; UTF-8 with or without BOM, Windows-1252 or
        latin-1) as tables of at most ``limits.chunk_rows`` rows each (0: one table), sharing
        one header. At least one table is yielded, possibly without rows.

        Blank rows are skipped; a row with more non-empty fields than the header is kept and
        listed in ``ragged``, one with fewer fields than the header in ``short``. ``renames``
        maps old header names onto current ones when the current ones are absent. Line numbers
        are physical lines of the file (the header is line 1).

        Raises
        ------
        SourceError
            If the file cannot be read, holds binary data, lacks a ``required`` column, is
            larger than ``limits.max_file_mb`` (decompressed) or has a line longer than
            ``limits.max_line_kb``; the message names the file (``name``, default the path; and
            the line) and ``what`` it was expected to be.
        """
        shown = name or str(path)

        def fail(detail: str) -> SourceError:
            return SourceError(f"{shown}: not {what} ({detail})")

        if limits.max_line_chars is not None and limits.max_line_chars > csv.field_size_limit():
            csv.field_size_limit(limits.max_line_chars)  # the line cap is the one that speaks
        source = _Lines(path, limits, fail("binary data"), shown)
        try:
            reader = csv.reader(source)
            try:
                first = next(reader, [])
            except csv.Error as exc:
                raise SourceError(f"{shown}:{source.record_start}: {exc}") from exc
            header = [name.strip() or f"Unnamed: {i}" for i, name in enumerate(first)]
            renames = renames or {}
            if not any(new in header for new in renames.values()):
                header = [renames.get(name, name) for name in header]
            missing = [name for name in required if name not in header]
            if missing:
                raise fail(f"missing columns: {', '.join(missing)}")
            width, size = len(header), limits.chunk_rows
            yielded = False
            rows: list[list[str]] = []
            raw: list[list[str]] = []
            lines: list[int] = []
            ragged: list[tuple[int, str]] = []
            short: list[tuple[int, str]] = []
            source.start_record()
            while True:
                start = source.record_start
                try:
                    record = next(reader, None)
                except csv.Error as exc:
                    raise SourceError(f"{shown}:{start}: {exc}") from exc
                if record is None:
                    break
                source.start_record()
                row = [cell.strip() for cell in record] if source.padded else record
                if not any(row):  # blank rows and rows of bare commas are padding, not data
                    continue
                if len(row) > width and any(row[width:]):
                    ragged.append((len(raw), f"row has {len(row)} fields, the header {width}"))
                elif len(row) < width:
                    short.append(
                        (len(raw), f"truncated row: {len(row)} fields, the header {width}")
                    )
                rows.append((row + [""] * width)[:width])
                raw.append(record)
                lines.append(start)
                if size and len(rows) >= size:
                    yield cls._table(header, rows, raw, lines, ragged, short)
                    yielded = True
                    rows, raw, lines, ragged, short = [], [], [], [], []
            if rows or not yielded:
                yield cls._table(header, rows, raw, lines, ragged, short)
        finally:
            source.close()

    @classmethod
    def _table(
        cls,
        header: list[str],
        rows: list[list[str]],
        raw: list[list[str]],
        lines: list[int],
        ragged: list[tuple[int, str]],
        short: list[tuple[int, str]],
    ) -> TextTable:
        array = np.array(rows, dtype=object).reshape(len(rows), len(header))
        return cls(header, array, raw, np.array(lines, dtype=np.int64), ragged, short)


@dataclass
class RejectLog:
    """Collects ``(row, column, reason)`` for one table; fatal ones mark the row as dropped."""

    table: TextTable
    path: Path | str  # what the rejects' source_file says
    source: str
    dropped: Bools
    parts: list[pd.DataFrame] = field(default_factory=list)

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

    def count(self) -> int:
        """How many rejects were added (a cell rejected twice counts twice): cheap, for caps."""
        return sum(len(part) for part in self.parts)

    def first(self) -> tuple[int, str, str]:
        """``(line, column, reason)`` of the earliest reject (by line, then order added)."""
        best = min((int(part["pos"].iloc[0]), i) for i, part in enumerate(self.parts) if len(part))
        part = self.parts[best[1]]
        row = part.iloc[0]
        return int(self.table.lines[best[0]]), str(row["column"]), str(row["reason"])

    def frame(self) -> pd.DataFrame:
        """Every reject in :data:`~formline.matches.frames.REJECT_COLUMNS` form, by line; one per
        cell (its first reason), with the raw row's non-empty cells as JSON."""
        if not self.parts:
            return empty_frame(REJECT_COLUMNS)
        out = pd.concat(self.parts, ignore_index=True).sort_values("pos", kind="stable")
        out = out.drop_duplicates(["pos", "column"])  # one reject per cell, its first reason
        positions = out["pos"].to_numpy()
        out["source"], out["source_file"] = self.source, str(self.path)
        out["source_line"] = self.table.lines[positions]
        pairs = [zip(self.table.header, self.table.raw[p], strict=False) for p in positions]
        out["raw"] = [
            json.dumps({k: v for k, v in p if v.strip()}, ensure_ascii=False) for p in pairs
        ]
        return out


def strings(values: Any) -> pd.Series[str]:
    """Cells as a pandas string series."""
    return pd.Series(values, dtype="string")


def integers(values: Floats) -> pd.arrays.IntegerArray:
    """Whole-number floats as a nullable integer array (NaN becomes NA)."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def floats(text: Texts) -> Floats:
    """Parse text cells as floats; empty or unparseable cells become NaN."""
    filled = np.where(text == "", "nan", text)
    with contextlib.suppress(ValueError):  # some cell is not a number: take the slower path
        if "_" not in "".join(filled.ravel()):  # float() would read "1_5" as 15
            return filled.astype(float)
    parsed = pd.to_numeric(pd.Series(filled.ravel()), errors="coerce")
    return parsed.to_numpy(dtype=float).reshape(text.shape)


def parts(text: Texts, pattern: re.Pattern[str], width: int) -> Floats:
    """The numeric groups of ``pattern`` in each cell, as a (rows, width) matrix; NaN if none."""
    nan = (np.nan,) * width
    found = [m.groups() if (m := pattern.fullmatch(t)) else nan for t in text]
    return np.array(found, dtype=float).reshape(len(text), width)
