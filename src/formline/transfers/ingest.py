"""Loading transfer sources into the store: what ``ingest:transfers`` calls (read with the pure
sources, settle identities with :mod:`formline.transfers.identity`, write with
:mod:`formline.transfers.store`).

Every data row read is a sighting or a row-level reject; the sightings are resolved together,
across files and sources, so a move listed by both clubs and by both sources is one transfer.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from formline.errors import SourceError
from formline.sources.cells import Limits
from formline.store.db import Store
from formline.transfers.frames import REJECT_COLUMNS, conform, describe_reject
from formline.transfers.identity import resolve
from formline.transfers.sources.emordonez import read_emordonez_file
from formline.transfers.sources.ewenme import ewenme_files, read_ewenme_file
from formline.transfers.sources.read import SourceRead
from formline.transfers.store import TransferLoadReport, write_transfers


@dataclass
class TransferIngest:
    """What one ingest read and wrote: data rows per file; the counts of reading (``rows``,
    ``row_rejects``: rows dropped whole) and of identity resolution
    (:func:`~formline.transfers.identity.resolve`: ``sightings`` kept, ``self_moves`` rejected,
    ``transfers``, ``players``, ``ambiguous_players``, ``unresolved_rows``, ...); the store's
    counts; and the rejects as ``file:line: column: reason`` lines."""

    report: TransferLoadReport
    rows: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    rejects: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: rows read, transfers and players stored, what stayed unresolved."""
        c = self.counts
        return (
            f"{len(self.rows)} files, {sum(self.rows.values())} rows: {c.get('transfers', 0)} "
            f"transfers ({c.get('listed_twice_or_more', 0)} listed more than once), "
            f"{c.get('players', 0)} players ({c.get('ambiguous_players', 0)} ambiguous), "
            f"{c.get('unresolved_rows', 0)} rows of unresolved players, "
            f"{len(self.rejects)} rejects kept"
        )


def _header(path: Path) -> str:
    """The first line of a plain or gzipped file."""
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        opener: Any = gzip.open if gzipped else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as stream:
            return str(stream.readline())
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from exc


def read_transfer_files(paths: Sequence[Path], limits: Limits | None = None) -> SourceRead:
    """Read every transfer file under ``paths``, each by its layout (told by its header:
    ``club_involved_name`` is ewenme, ``dealing_club`` emordonez).

    Raises
    ------
    SourceError
        If a path is missing, or a file is of neither layout, unreadable or past a bound.
    """
    reads = []
    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file or folder")
        files = [path]
        if path.is_dir():  # its CSVs (not league-meta.csv) and gzipped CSVs
            files = sorted({*ewenme_files([path]), *path.glob("*.csv.gz")})
        if not files:
            raise SourceError(f"{path}: no transfer files in the folder")
        for file in files:
            header = _header(file)
            if "club_involved_name" in header:
                reads.append(read_ewenme_file(file, limits))
            elif "dealing_club" in header:
                reads.append(read_emordonez_file(file, limits))
            else:
                raise SourceError(f"{file}: not a transfers file of a known layout")
    return SourceRead.concat(reads)


def ingest_transfers(
    store: Store, paths: Sequence[Path], limits: Limits | None = None
) -> TransferIngest:
    """Read the transfer files under ``paths`` (either layout, any mix), resolve clubs,
    players and moves across them, and upsert everything in one transaction.

    Raises
    ------
    SourceError
        If a path is missing or a file is unreadable or past a bound (nothing is written).
    StoreError
        If the store refuses the load (nothing is written).
    """
    read = read_transfer_files(paths, limits)
    resolved = resolve(read.sightings)
    batch = resolved.batch
    batch.rejects = conform(pd.concat([read.rejects, batch.rejects]), REJECT_COLUMNS)
    report = write_transfers(store, batch)
    rejects = [describe_reject(row) for row in batch.rejects.to_dict("records")]
    rows = sum(read.rows.values())
    counts = {"rows": rows, "row_rejects": rows - len(read.sightings), **resolved.counts}
    return TransferIngest(report, read.rows, counts, rejects)


def limits_of(limits: Mapping[str, Any] | None) -> Limits | None:
    """The settings' ingest bounds (``max_file_mb``, ``max_line_kb``, ``max_rejects``) as the
    transfer readers take them."""
    if limits is None:
        return None
    bounds: Limits = SimpleNamespace(
        max_file_mb=limits.get("max_file_mb"),
        max_line_kb=limits.get("max_line_kb"),
        max_rejects=limits.get("max_rejects"),
    )
    return bounds
