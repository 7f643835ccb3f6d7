"""Loading racing sources into the store: what ``ingest:hkjc`` and ``ingest:demo --domain
races`` will call (read with a pure source, write with :mod:`formline.races.store`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from formline.errors import ConfigError
from formline.races.demo import SOURCE as DEMO_SOURCE
from formline.races.demo import generate_race_world
from formline.races.frames import RaceBatch, describe_reject
from formline.races.sources.hkjc import read_hkjc
from formline.races.store import RaceLoadReport, staged_race_load
from formline.sources.cells import Limits
from formline.store.db import Store


@dataclass
class RaceIngest:
    """What one ingest read and wrote: data rows and rows loaded per file, the store's counts,
    and the rejects as ``file:line: column: reason`` lines."""

    report: RaceLoadReport
    rows: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    rejects: list[str] = field(default_factory=list)
    #: A demo load that was kept as it was (``message`` says why).
    skipped: bool = False
    message: str = ""

    def summary(self) -> str:
        """One line: races and runners inserted, updated and unchanged, rejects kept."""
        parts = []
        for name in ("races", "runners"):
            c = self.report.tables.get(name)
            if c is not None:
                parts.append(f"{name} {c.inserted} new, {c.updated} updated, {c.unchanged} same")
        parts.append(f"{len(self.rejects)} rejects kept")
        return "; ".join(parts)


def _write(
    store: Store, batches: Sequence[RaceBatch], what: str
) -> tuple[RaceLoadReport, list[str]]:
    with staged_race_load(store, what) as load:
        for batch in batches:
            load.add(batch)
        report = load.write()
    rejects = pd.concat([b.rejects for b in batches]) if batches else pd.DataFrame()
    return report, [describe_reject(row) for row in rejects.to_dict("records")]


def ingest_hkjc(store: Store, paths: Sequence[Path], limits: Limits | None = None) -> RaceIngest:
    """Read the Hong Kong files under ``paths`` (either layout) and upsert them in one
    transaction.

    Raises
    ------
    SourceError
        If a path is missing or a file is unreadable or past a bound (nothing is written).
    StoreError
        If the store refuses the load (nothing is written).
    """
    read = read_hkjc(paths, limits)
    report, rejects = _write(store, read.batches, "loading Hong Kong races")
    return RaceIngest(report, read.rows, read.loaded, rejects)


#: The demo world's size parameters (``ingest:demo --world NAME=N``).
DEMO_WORLD = ("n_days", "n_horses", "n_jockeys", "n_trainers")


def _demo_races(store: Store) -> int:
    from formline.races.tables import races

    with store.connect("counting demo races") as conn:
        count = conn.execute(
            select(func.count()).select_from(races).where(races.c.source == DEMO_SOURCE)
        ).scalar_one()
    return int(count)


def ingest_race_demo(
    store: Store,
    seed: int = 42,
    now: datetime | None = None,
    *,
    force: bool = False,
    **world: int,
) -> RaceIngest:
    """Generate the demo racing world (:func:`~formline.races.demo.generate_race_world`, sized by
    ``world``: ``n_days``, ``n_horses``, ``n_jockeys``, ``n_trainers``) and upsert it.

    Without ``force`` a store that already holds demo races is kept as it is (``skipped``);
    with it the world is upserted by natural key (the same seed and ``now`` change nothing).

    Raises
    ------
    ConfigError
        For a world parameter the racing demo does not have.
    """
    unknown = sorted(set(world) - set(DEMO_WORLD))
    if unknown:
        raise ConfigError(
            f"--world: the racing demo has no '{unknown[0]}'; choose from {', '.join(DEMO_WORLD)}"
        )
    existing = _demo_races(store)
    if existing and not force:
        return RaceIngest(
            RaceLoadReport(),
            skipped=True,
            message=f"demo races already loaded ({existing} races); use --force to reload them",
        )
    generated = generate_race_world(seed, now, **world)
    report, rejects = _write(store, [generated.batch], "loading the demo racing world")
    return RaceIngest(report, rejects=rejects)


def limits_of(limits: Mapping[str, Any] | None) -> Limits | None:
    """The settings' ingest bounds (``max_file_mb``, ``max_line_kb``, ``max_rejects``) as the
    racing readers take them."""
    if limits is None:
        return None
    bounds: Limits = SimpleNamespace(
        max_file_mb=limits.get("max_file_mb"),
        max_line_kb=limits.get("max_line_kb"),
        max_rejects=limits.get("max_rejects"),
    )
    return bounds
