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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError
from formline.matches.frames import REJECT_COLUMNS, empty_frame

__all__ = ["RejectLog", "TextTable", "floats", "integers", "parts", "strings"]

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Texts = npt.NDArray[np.object_]

_PADDING = ('"', " ,", ", ", " \n", "\n ", " \r", "\t", "\xa0")  # signs of cells to strip


@dataclass
class TextTable:
    """A CSV file as stripped text cells, with each record's physical line number."""

    header: list[str]
    cells: Texts  # (rows, columns)
    raw: list[list[str]]  # the records as read, for the rejects' ``raw``
    lines: npt.NDArray[np.int64]
    ragged: list[tuple[int, str]] = field(default_factory=list)

    def text(self, name: str) -> Texts:
        """A column's cells ("" everywhere if the file has no such column)."""
        if name in self.header:
            return self.cells[:, self.header.index(name)]
        return np.full(len(self.lines), "", dtype=object)

    @classmethod
    def read(
        cls,
        path: Path,
        *,
        what: str,
        required: Sequence[str] = (),
        renames: Mapping[str, str] | None = None,
    ) -> TextTable:
        """Read ``path`` (plain or gzipped; UTF-8 with or without BOM, Windows-1252 or latin-1).

        Blank rows are skipped; a row with more non-empty fields than the header is kept and
        listed in ``ragged``. ``renames`` maps old header names onto current ones when the
        current ones are absent.

        Raises
        ------
        SourceError
            If the file cannot be read, holds binary data or lacks a ``required`` column; the
            message names the file and ``what`` it was expected to be.
        """

        def fail(detail: str) -> SourceError:
            return SourceError(f"{path}: not {what} ({detail})")

        try:
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{path}: cannot read: {exc}") from exc
        if b"\x00" in data:
            raise fail("binary data")
        data = data.removeprefix(codecs.BOM_UTF8)
        for encoding in ("utf-8", "cp1252", "latin-1"):  # latin-1 decodes any bytes
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [name.strip() or f"Unnamed: {i}" for i, name in enumerate(next(reader, []))]
        renames = renames or {}
        if not any(new in header for new in renames.values()):
            header = [renames.get(name, name) for name in header]
        missing = [name for name in required if name not in header]
        if missing:
            raise fail(f"missing columns: {', '.join(missing)}")
        width, start = len(header), reader.line_num + 1
        cells: list[list[str]] = []
        raw: list[list[str]] = []
        lines: list[int] = []
        ragged: list[tuple[int, str]] = []
        padded = any(sign in text for sign in _PADDING) or text[:1] == " " or text[-1:] == " "
        for record in reader:
            row = [cell.strip() for cell in record] if padded else record
            if any(row):  # blank rows and rows of bare commas are padding, not data
                if len(row) > width and any(row[width:]):
                    ragged.append((len(raw), f"row has {len(row)} fields, the header {width}"))
                cells.append((row + [""] * width)[:width])
                raw.append(record)
                lines.append(start)
            start = reader.line_num + 1
        array = np.array(cells, dtype=object).reshape(len(cells), width)
        return cls(header, array, raw, np.array(lines, dtype=np.int64), ragged)


@dataclass
class RejectLog:
    """Collects ``(row, column, reason)`` for one table; fatal ones mark the row as dropped."""

    table: TextTable
    path: Path
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
