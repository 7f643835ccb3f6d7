"""Read-only test worlds built once per test worker: a SQLite file, or a PostgreSQL schema of
its own (dropped afterwards), each migrated and filled by a ``build`` function."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from formline.store.db import Store, open_store
from support import POSTGRES_URL, require_postgres

W = TypeVar("W")


def sqlite_world(folder: Path, build: Callable[[Store], W]) -> tuple[str, W]:
    """A SQLite store in ``folder`` filled by ``build``: its URL and what ``build`` returned."""
    url = f"sqlite:///{(folder / 'formline.db').as_posix()}"
    store = open_store(url)
    try:
        world = build(store)
    finally:
        store.dispose()
    return url, world


@contextmanager
def postgres_world(prefix: str, build: Callable[[Store], W]) -> Iterator[tuple[str, W]]:
    """A PostgreSQL schema of its own filled by ``build`` (skipped without a server, dropped
    on exit): its URL and what ``build`` returned."""
    require_postgres()
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    store = open_store(url, migrate=False)
    try:
        store.migrate()
        world = build(store)
        yield url, world
    finally:
        store.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
