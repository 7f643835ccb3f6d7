"""Loading racing sources into the store: what ``ingest:hkjc`` and ``ingest:demo --domain
races`` will call (read with a pure source, write with :mod:`formline.races.store`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from formline.races.demo import generate_race_world
from formline.races.frames import RaceBatch, describe_reject
from formline.races.sources.cells import Limits
from formline.races.sources.hkjc import read_hkjc
from formline.races.store import RaceLoadReport, staged_race_load
from formline.store.db import Store


@dataclass
class RaceIngest:
    """What one ingest read and wrote: data rows and rows loaded per file, the store's counts,
    and the rejects as ``file:line: column: reason`` lines."""

    report: RaceLoadReport
    rows: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    rejects: list[str] = field(default_factory=list)


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


def ingest_race_demo(store: Store, seed: int = 42, now: datetime | None = None) -> RaceIngest:
    """Generate the demo racing world (:func:`~formline.races.demo.generate_race_world`) and
    upsert it."""
    world = generate_race_world(seed, now)
    report, rejects = _write(store, [world.batch], "loading the demo racing world")
    return RaceIngest(report, rejects=rejects)
