"""Loading the demo transfer world into the store: what ``ingest:demo --domain transfers`` will
call (generate with :mod:`formline.transfers.sources.demo`, write with
:func:`formline.transfers.store.write_transfers` and
:class:`~formline.transfers.store_records.RecordWrite`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select

from formline.errors import ConfigError, MixedWorldsError
from formline.store.db import Store
from formline.store.load_report import Counts
from formline.transfers.sources.demo import DEMO_WORLD, SOURCE, generate_transfer_world
from formline.transfers.store import write_transfers
from formline.transfers.store_records import RecordWrite


@dataclass(frozen=True)
class TransferDemoIngest:
    """What a demo load did (a :class:`~formline.store.load_report.LoadReport`): per table rows
    inserted, updated, unchanged and (on a reload) deleted; or ``skipped`` with the reason in
    ``message``."""

    tables: dict[str, Counts] = field(default_factory=dict)
    skipped: bool = False
    message: str = ""

    @property
    def changed(self) -> bool:
        """Whether the load changed anything."""
        return any(c.changed for c in self.tables.values())

    @property
    def notes(self) -> list[str]:
        """Why nothing was loaded, when the load was skipped."""
        return [self.message] if self.message else []

    def summary(self) -> str:
        """One line per table (``table: N inserted, N updated, N unchanged[, N deleted]``), or the
        reason nothing was done."""
        if self.skipped:
            return self.message
        lines = []
        for name, c in self.tables.items():
            tail = f", {c.deleted} deleted" if c.deleted else ""
            lines.append(
                f"{name}: {c.inserted} inserted, {c.updated} updated, {c.unchanged} unchanged{tail}"
            )
        if not self.changed:
            lines.append("the store already held this world: nothing changed")
        return "\n".join(lines)


def _counts(store: Store) -> tuple[int, int]:
    """Demo contracts, and transfers of any other source (real data)."""
    from formline.transfers.tables import contracts, transfers

    with store.connect("counting demo transfers") as conn:
        demo = conn.execute(
            select(func.count()).select_from(contracts).where(contracts.c.source == SOURCE)
        ).scalar_one()
        real = conn.execute(
            select(func.count()).select_from(transfers).where(transfers.c.source != SOURCE)
        ).scalar_one()
    return int(demo), int(real)


def ingest_transfer_demo(
    store: Store,
    seed: int = 42,
    now: datetime | None = None,
    *,
    force: bool = False,
    **world: int,
) -> TransferDemoIngest:
    """Generate the demo transfer world (sized by ``world``: see
    :data:`~formline.transfers.sources.demo.DEMO_WORLD`) and load it in one transaction.

    Without ``force`` a store that already holds the demo world is kept as it is (``skipped``,
    and the message says so). With ``force`` the world is reloaded in one transaction: rows are
    upserted by natural key (so the same seed, sizes and ``now`` change nothing), and rows of
    the old world the new one lacks are deleted (with every derived signal, if the user events
    changed).

    Raises
    ------
    ConfigError
        For a size the demo does not have.
    MixedWorldsError
        If the store holds real transfers (the synthetic world goes into a store of its own).
    StoreError
        If the store refuses the load (nothing is written).
    """
    unknown = sorted(set(world) - set(DEMO_WORLD))
    if unknown:
        raise ConfigError(
            f"--world: the transfer demo has no '{unknown[0]}'; choose from {', '.join(DEMO_WORLD)}"
        )
    existing, real = _counts(store)
    if real:
        raise MixedWorldsError(
            f"{store.display_url} holds {real} transfers of real data; the demo world is "
            "synthetic: load it into a store of its own (another FORMLINE_HOME or DATABASE_URL)"
        )
    if existing and not force:
        return TransferDemoIngest(
            skipped=True,
            message=f"demo transfers already loaded ({existing} contracts); nothing changed; "
            "use --force to reload them",
        )
    generated = generate_transfer_world(seed, now, **world)
    records = RecordWrite(
        generated.contracts,
        generated.season_stats,
        generated.signals,
        generated.user_events,
        source=SOURCE,
        replace=force,
    )
    report = write_transfers(store, generated.batch, also=records)
    deleted = records.deleted or {}
    tables = {
        name: replace(counts, deleted=deleted.get(name, 0))
        for name, counts in report.tables.items()
        if name != "ingest_rejects"
    }
    return TransferDemoIngest(tables)
