"""A staged load fed in chunks writes and reports what the whole batch at once does (the demo
world, on SQLite and PostgreSQL), and keeps the last of a key added twice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from formline.matches.frames import SourceBatch
from formline.matches.sources.demo import generate_demo_world
from formline.matches.store import Counts, replace_source, staged_load
from formline.matches.tables import matches, odds
from formline.store.db import Store, open_store

WORLD = {"seed": 3, "now": datetime(2024, 10, 1), "n_leagues": 1, "n_teams": 4, "n_seasons": 2}


def _chunks(batch: SourceBatch, size: int) -> list[SourceBatch]:
    """The batch cut into pieces of ``size`` rows, each frame cut on its own."""
    frames = (batch.matches, batch.odds, batch.rejects)
    n = max(len(f) for f in frames)
    return [SourceBatch(*(f.iloc[i : i + size] for f in frames)) for i in range(0, n, size)]


def _stored(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Matches and odds by position in the store, ids and timestamps left out."""
    match_columns = [c for c in matches.c if c.name not in {"created_at", "updated_at"}]
    odds_columns = [c for c in odds.c if c.name not in {"id", "created_at", "updated_at"}]
    with store.connect() as conn:
        found = conn.execute(select(*match_columns).order_by(matches.c.id)).all()
        prices = conn.execute(select(*odds_columns).order_by(*odds_columns)).all()
    return [tuple(r) for r in found], [tuple(r) for r in prices]


def test_the_demo_world_loads_alike_in_any_chunk_size(database_url: str, tmp_path: Path) -> None:
    batch = generate_demo_world(**WORLD)
    assert len(batch.matches) == 24 and len(batch.odds) > 100
    results = []
    for size in (None, 1, 7, 20_000):
        url = database_url
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{(tmp_path / f'{size}.db').as_posix()}"
        store = open_store(url, migrate=False)
        store.migrate()
        try:
            if size is None:
                report = replace_source(store, batch, "demo")
            else:
                with staged_load(store, "reloading demo data", "demo") as load:
                    for chunk in _chunks(batch, size):
                        load.add(chunk, 1)
                    report = load.replace("demo")
            results.append((report, _stored(store)))
            if not database_url.startswith("sqlite"):  # one schema: start the next one empty
                with store.begin() as conn:
                    for table in ("odds", "matches", "team_aliases", "teams", "competitions"):
                        conn.exec_driver_sql(f"DELETE FROM {table}")
        finally:
            store.dispose()
    reference = results[0]
    assert reference[0].matches == Counts(inserted=24)
    if database_url.startswith("sqlite"):  # ids restart only in fresh databases
        assert all(result == reference for result in results[1:])
    else:
        assert all(result[0] == reference[0] for result in results[1:])


def test_a_key_added_twice_keeps_its_last_row(store: Store) -> None:
    batch = generate_demo_world(**WORLD)
    first = batch.matches.iloc[:1].copy()
    later = first.copy()
    later["home_goals"] = pd.array([9], dtype="Int64")
    prices = batch.odds.iloc[:1].copy()
    cheaper = prices.assign(price=prices["price"] + 1.0)
    with staged_load(store, "loading", "demo") as load:
        load.add(SourceBatch(first, prices))
        load.add(SourceBatch(later, cheaper))
        report = load.write()
    assert report.matches == Counts(inserted=1) and report.odds == Counts(inserted=1)
    with store.connect() as conn:
        goals = conn.execute(select(matches.c.home_goals)).scalars().all()
        price = conn.execute(select(odds.c.price)).scalars().all()
    assert goals == [9] and price == [cheaper["price"].iloc[0]]
