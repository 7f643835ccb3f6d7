"""A CSV file read as text cells with their physical line numbers, within the ingest bounds, and
the rejects found while parsing it.

The bounds are the ingest settings ``INGEST_MAX_FILE_MB`` (the decompressed text),
``INGEST_MAX_LINE_KB`` (one physical line) and ``INGEST_MAX_REJECTS`` (rejects in one file
before the file is refused): a file past one is refused whole and nothing of it is loaded. Any
object with ``max_file_mb``, ``max_line_kb`` and ``max_rejects`` attributes is accepted (the
ingest settings' bounds are one). The transfer files are read whole: the size bound is what
bounds memory.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError
from formline.transfers.frames import REJECT_COLUMNS, empty_frame

Bools = npt.NDArray[np.bool_]
Texts = npt.NDArray[np.object_]

_BLOCK = 1 << 20


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


def read_text(path: Path, limits: Limits) -> str:
    """The UTF-8 text of ``path`` (plain or gzipped), refused past the size bound."""
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
        raise SourceError(f"{path}: not a CSV file (binary data)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text ({exc})") from exc


@dataclass
class CsvTable:
    """A CSV file's records as stripped text cells, with each record's first physical line."""

    path: Path
    header: list[str]
    cells: Texts  # (rows, columns)
    lines: npt.NDArray[np.int64]
    #: Records whose field count differs from the header's: (position, reason).
    malformed: list[tuple[int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)

    def text(self, name: str) -> Texts:
        """A column's cells ("" everywhere if the file has no such column)."""
        if name in self.header:
            return self.cells[:, self.header.index(name)]
        return np.full(len(self.lines), "", dtype=object)

    @classmethod
    def read(cls, path: Path, *, what: str, required: tuple[str, ...], limits: Limits) -> CsvTable:
        """Read ``path``; blank records are skipped, line numbers are physical (header: 1).

        Raises
        ------
        SourceError
            If the file cannot be read, is not UTF-8 text, lacks a ``required`` column, or
            passes ``INGEST_MAX_FILE_MB`` or ``INGEST_MAX_LINE_KB``.
        """
        text = read_text(path, limits)
        physical = io.StringIO(text, newline="").readlines()
        if limits.max_line_kb is not None:
            limit = int(limits.max_line_kb * 1024)
            for number, line in enumerate(physical, start=1):
                if len(line.rstrip("\r\n")) > limit:
                    raise SourceError(
                        f"{path}:{number}: line longer than {limits.max_line_kb:g} KB "
                        "(INGEST_MAX_LINE_KB); nothing was loaded"
                    )
            csv.field_size_limit(max(limit, csv.field_size_limit()))
        reader = csv.reader(physical)
        try:
            header = [name.strip() for name in next(reader, [])]
            missing = [name for name in required if name not in header]
            if missing:
                raise SourceError(f"{path}: not {what} (missing columns: {', '.join(missing)})")
            width = len(header)
            rows: list[list[str]] = []
            lines: list[int] = []
            malformed: list[tuple[int, str]] = []
            start = reader.line_num + 1
            for record in reader:
                if any(cell.strip() for cell in record):
                    if len(record) != width:
                        reason = f"row has {len(record)} fields, the header {width}"
                        malformed.append((len(rows), reason))
                    rows.append([cell.strip() for cell in (record + [""] * width)[:width]])
                    lines.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise SourceError(f"{path}:{reader.line_num}: {exc}") from exc
        cells = np.array(rows, dtype=object).reshape(len(rows), width)
        return cls(path, header, cells, np.array(lines, dtype=np.int64), malformed)


@dataclass
class RejectLog:
    """The ``(row, column, reason)`` rejects of one table; fatal ones drop their row."""

    table: CsvTable
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
        """Every reject in :data:`~formline.transfers.frames.REJECT_COLUMNS` form, by line; one
        per cell (its first reason), with the raw row's non-empty cells as JSON."""
        if not self.parts:
            return empty_frame(REJECT_COLUMNS)
        out = pd.concat(self.parts, ignore_index=True).sort_values("pos", kind="stable")
        out = out.drop_duplicates(["pos", "column"])
        positions = out["pos"].to_numpy()
        table = self.table
        out["source"], out["source_file"] = self.source, str(table.path)
        out["source_line"] = table.lines[positions]
        out["raw"] = [
            json.dumps(
                {k: v for k, v in zip(table.header, table.cells[p], strict=True) if v},
                ensure_ascii=False,
            )
            for p in positions
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
        first = frame.iloc[0]
        what = f"{first['column']}: " if first["column"] else ""
        raise SourceError(
            f"{self.table.path}: more than {limits.max_rejects} rejects (INGEST_MAX_REJECTS), "
            f"so the file is refused and nothing was loaded; the first: "
            f"{first['source_file']}:{first['source_line']}: {what}{first['reason']}"
        )


def numbers(text: Texts, unknown: tuple[str, ...] = ()) -> tuple[npt.NDArray[np.float64], Bools]:
    """Text cells as floats, and which cells are given but not numbers. Empty cells and the
    source's ``unknown`` markers (``"NA"``) are NaN and not bad."""
    blank = (text == "") | np.isin(text, list(unknown))
    parsed = pd.to_numeric(pd.Series(np.where(blank, "nan", text)), errors="coerce")
    value = parsed.to_numpy(dtype=float)
    return value, ~blank & ~np.isfinite(value)


def whole_in_range(
    rejects: RejectLog, text: Texts, column: str, low: float, high: float, *, fatal: bool
) -> npt.NDArray[np.float64]:
    """Whole numbers in ``[low, high]`` ("7" or "7.0"; "NA" and "" unknown); a bad cell is NaN
    and a reject."""
    value, bad = numbers(text, ("NA",))
    bad |= np.isfinite(value) & (value != np.floor(value))
    rejects.add(bad, column, "not a whole number: '{}'", text, fatal=fatal)
    out = ~bad & np.isfinite(value) & ((value < low) | (value > high))
    rejects.add(out, column, f"'{{}}' is out of range ({low:g} to {high:g})", text, fatal=fatal)
    return np.where(bad | out, np.nan, value)


def required_text(rejects: RejectLog, text: Texts, column: str) -> None:
    """Reject (the row) every empty cell of a column the row cannot do without."""
    rejects.add(text == "", column, "missing", fatal=True)


def one_of(rejects: RejectLog, text: Texts, column: str, allowed: dict[str, str]) -> Texts:
    """Cells mapped through ``allowed`` (casefolded); any other cell rejects the row."""
    lowered = np.array([t.casefold() for t in text], dtype=object)
    known = np.isin(lowered, list(allowed))
    choices = ", ".join(sorted(allowed))
    rejects.add(~known, column, f"'{{}}' is not one of {choices}", text, fatal=True)
    return np.array([allowed.get(t, "") for t in lowered], dtype=object)
