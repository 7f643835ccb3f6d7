"""A backfill's watermarks: which partitions (source, competition, period) are loaded.

A partition's ``done`` row is written on the connection, and so in the transaction, that loads
its rows: the rows and the watermark commit together or not at all. A ``failed`` row is written
on its own once the load rolled back, with why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select

from formline.store.tables import backfill_partitions

__all__ = ["Watermark", "read_watermarks", "write_watermark"]


@dataclass(frozen=True)
class Watermark:
    """One partition's row of ``backfill_partitions``."""

    source: str
    competition: str
    period: str
    status: str  # "done" or "failed"
    url: str | None = None
    rows: int | None = None
    rejects: int | None = None
    checksum: str | None = None
    fetched_at: datetime | None = None
    error: str | None = None
    updated_at: datetime | None = None


def read_watermarks(conn: Connection, source: str, competition: str) -> dict[str, Watermark]:
    """The watermarks of ``source``'s ``competition``, by period."""
    t = backfill_partitions
    found = conn.execute(
        select(t).where(t.c.source == source, t.c.competition == competition).order_by(t.c.period)
    )
    return {row.period: Watermark(**row._asdict()) for row in found}


def write_watermark(conn: Connection, mark: Watermark) -> None:
    """Record ``mark`` (replacing the partition's row) on ``conn``, in the caller's
    transaction."""
    t = backfill_partitions
    conn.execute(
        delete(t).where(
            t.c.source == mark.source,
            t.c.competition == mark.competition,
            t.c.period == mark.period,
        )
    )
    values = {**mark.__dict__, "updated_at": mark.updated_at or datetime.now(UTC)}
    conn.execute(insert(t).values(**values))
