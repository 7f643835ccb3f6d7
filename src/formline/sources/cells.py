"""A CSV file read whole as text cells with their physical line numbers, within the ingest
bounds, and the rejects found while parsing it.

The bounds are the ingest settings ``INGEST_MAX_FILE_MB`` (the decompressed text),
``INGEST_MAX_LINE_KB`` (one physical line) and ``INGEST_MAX_REJECTS`` (rejects in one file
before the file is refused): a file past one is refused whole and nothing of it is loaded. Any
object with ``max_file_mb``, ``max_line_kb`` and ``max_rejects`` attributes is accepted (the
ingest settings' bounds are one). Files are read whole, so the size bound is what bounds memory.

How a source's files are read (encodings, stripping, blank header names, how strictly a record's
field count must match the header's, what a reject shows of its row) is its
:class:`CsvRules`; everything else is the same for every source.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError

__all__ = [
    "REJECT_COLUMNS",
    "CsvRules",
    "CsvTable",
    "Limits",
    "ReadLimits",
    "RejectLog",
    "read_text",
]

Bools = npt.NDArray[np.bool_]
Texts = npt.NDArray[np.object_]

_BLOCK = 1 << 20
_PADDING = ('"', " ,", ", ", " \n", "\n ", " \r", "\t", "\xa0")  # signs of cells to strip

#: The rejects' columns (name -> dtype), as :meth:`RejectLog.frame` gives them.
REJECT_COLUMNS: dict[str, str] = {
    "source": "string",
    "source_file": "string",
    "source_line": "Int64",
    "column": "string",  # the offending column, or "" for the row as a whole
    "reason": "string",
    "raw": "string",  # the raw row's non-empty cells, as a JSON object
}


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


@dataclass(frozen=True)
class CsvRules:
    """How one source's CSV files are read: what differs between sources.

    Attributes
    ----------
    encodings
        Tried in order on the whole file; the first that decodes it wins (``"latin-1"`` last
        decodes any bytes). If none does, the file is refused: ``not UTF-8 text (...)``.
    strip
        ``"always"``: every cell and header name is stripped of surrounding white space.
        ``"if padded"``: header names always, cells only if the text shows signs of padding (a
        quote, a space or tab beside a separator or line break, a no-break space, a leading
        space); otherwise cells are kept as read.
    blank_names
        A format for blank header names, given the column's position (``"Unnamed: {}"``);
        ``None`` keeps them blank.
    widths
        ``"exact"``: a record whose field count differs from the header's is malformed
        (``row has N fields, the header W``). ``"lenient"``: one with fewer fields is
        malformed (``truncated row: N fields, the header W``), one with more only if an extra
        field is non-empty (``row has N fields, the header W``).
    keep_raw
        Keep the records as read (:attr:`CsvTable.raw`): a reject then shows its row's cells as
        read, not as stripped and cut to the header's width.
    binary
        What a file holding binary data is said not to be (``"a CSV file"``); ``None``: the
        ``what`` the file was read as.
    """

    encodings: tuple[str, ...] = ("utf-8",)
    strip: Literal["always", "if padded"] = "always"
    blank_names: str | None = None
    widths: Literal["exact", "lenient"] = "exact"
    keep_raw: bool = False
    binary: str | None = None

    def __post_init__(self) -> None:
        if not self.encodings:
            raise ValueError("CsvRules needs at least one encoding")


def read_text(
    path: Path,
    limits: Limits,
    *,
    encodings: Sequence[str] = ("utf-8",),
    binary: str = "a CSV file",
) -> str:
    """The decoded text of ``path`` (plain or gzipped, a UTF-8 BOM dropped), refused past the
    size bound; ``encodings`` are tried in order.

    Raises
    ------
    SourceError
        If the file cannot be read, passes ``INGEST_MAX_FILE_MB``, holds binary data (the
        message says it is not ``binary``) or decodes in none of ``encodings``.
    """
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
        raise SourceError(f"{path}: not {binary} (binary data)")
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
    names = " or ".join(encoding.upper() for encoding in encodings)
    raise SourceError(f"{path}: not {names} text ({failure})") from failure


def _width_problem(row: list[str], width: int, widths: str) -> str | None:
    """Why a record of ``row``'s fields does not fit a header ``width`` wide, if it does not."""
    if widths == "exact":
        return None if len(row) == width else f"row has {len(row)} fields, the header {width}"
    if len(row) < width:
        return f"truncated row: {len(row)} fields, the header {width}"
    if any(row[width:]):
        return f"row has {len(row)} fields, the header {width}"
    return None


@dataclass
class CsvTable:
    """A CSV file's records as text cells, with each record's first physical line."""

    path: Path
    header: list[str]
    cells: Texts  # (rows, columns)
    lines: npt.NDArray[np.int64]
    #: Records whose field count does not fit the header (:attr:`CsvRules.widths`):
    #: (position, reason).
    malformed: list[tuple[int, str]] = field(default_factory=list)
    #: The records as read, if the rules keep them (:attr:`CsvRules.keep_raw`).
    raw: list[list[str]] | None = None

    def __len__(self) -> int:
        return len(self.lines)

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
        limits: Limits,
        rules: CsvRules,
    ) -> CsvTable:
        """Read ``path`` (plain or gzipped) by ``rules``; blank records are skipped, line
        numbers are physical lines (the header is line 1), a record shorter than the header is
        filled with "" and one longer cut to it.

        Raises
        ------
        SourceError
            If the file cannot be read, holds binary data, decodes in none of the rules'
            encodings, lacks a ``required`` column (the message says it is not ``what``), is
            not valid CSV, or passes ``INGEST_MAX_FILE_MB`` or ``INGEST_MAX_LINE_KB``.
        """
        binary = what if rules.binary is None else rules.binary
        text = read_text(path, limits, encodings=rules.encodings, binary=binary)
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
        strip = rules.strip == "always" or text[:1] == " " or any(sign in text for sign in _PADDING)
        reader = csv.reader(physical)
        try:
            header = [name.strip() for name in next(reader, [])]
            if rules.blank_names is not None:
                header = [name or rules.blank_names.format(i) for i, name in enumerate(header)]
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
                row = [cell.strip() for cell in record] if strip else record
                if any(row):
                    if (reason := _width_problem(row, width, rules.widths)) is not None:
                        malformed.append((len(rows), reason))
                    rows.append((row + [""] * width)[:width])
                    if rules.keep_raw:
                        raw.append(record)
                    lines.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise SourceError(f"{path}:{reader.line_num}: {exc}") from exc
        cells = np.array(rows, dtype=object).reshape(len(rows), width)
        kept = raw if rules.keep_raw else None
        return cls(path, header, cells, np.array(lines, dtype=np.int64), malformed, kept)


@dataclass
class RejectLog:
    """The ``(row, column, reason)`` rejects of one table; fatal ones drop their row. The
    table's malformed records are rejected (whole) from the start."""

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
        """Every reject in :data:`REJECT_COLUMNS` form, by line; one per cell (its first
        reason), with the row's non-empty cells as JSON (as read, if the table kept its
        records, else as stripped)."""
        if not self.parts:
            return pd.DataFrame({n: pd.Series(dtype=t) for n, t in REJECT_COLUMNS.items()})
        out = pd.concat(self.parts, ignore_index=True).sort_values("pos", kind="stable")
        out = out.drop_duplicates(["pos", "column"])
        positions = out["pos"].to_numpy()
        table = self.table
        out["source"], out["source_file"] = self.source, str(table.path)
        out["source_line"] = table.lines[positions]
        records: Any = table.cells if table.raw is None else table.raw
        pairs = [zip(table.header, records[p], strict=False) for p in positions]
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
        first = frame.iloc[0]  # the frame is by line
        what = f"{first['column']}: " if first["column"] else ""
        raise SourceError(
            f"{self.table.path}: more than {limits.max_rejects} rejects (INGEST_MAX_REJECTS), "
            f"so the file is refused and nothing was loaded; the first: "
            f"{first['source_file']}:{first['source_line']}: {what}{first['reason']}"
        )
