"""What a load did to the store: per-table counts, and the report every domain's writer gives.

Every domain's writer upserts by natural key and reports, per table, the rows it inserted,
updated in place, found unchanged (value for value) and deleted (a reload's rows its source no
longer has). :class:`LoadReport` is what the shared CLI prints; each domain's report adds its
own lines (rows it could not place, snapshots it invalidated) as ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Counts:
    """What a load did to one table: rows inserted, updated in place, found unchanged (the load
    had them already, value for value), and deleted (a reload's rows its source no longer has)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def changed(self) -> bool:
        """Whether the load changed anything in this table."""
        return bool(self.inserted or self.updated or self.deleted)


@runtime_checkable
class LoadReport(Protocol):
    """The report of one load, as the shared CLI prints it."""

    @property
    def tables(self) -> Mapping[str, Counts]:
        """The counts of every table the load wrote, by name, in the order to show them."""

    @property
    def changed(self) -> bool:
        """Whether the load changed anything at all."""

    @property
    def notes(self) -> Sequence[str]:
        """Lines that belong under the table: rows the load could not place, what a reload
        invalidated (empty when there is nothing to say)."""
