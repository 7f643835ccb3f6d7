"""A read-only handle on the store, for the API.

The API never writes, and the database is told so: SQLite connections open an existing file in
``mode=rw`` (a missing file is an error instead of a new empty database) with
``PRAGMA query_only``, and PostgreSQL sessions start with ``default_transaction_read_only``. A
write that slipped into a route would fail loudly instead of changing data. Nothing here migrates:
a store that is missing or not migrated is reported as unavailable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from formline.errors import StoreError, StoreNotFoundError
from formline.settings import normalise_database_url
from formline.store.db import Store, postgres_engine
from formline.store.timeouts import StoreTimeouts

if TYPE_CHECKING:
    import sqlite3

_READ_ONLY_OPTION = "-c default_transaction_read_only=on"


def _sqlite_connector(path: Path) -> Any:
    # Imported here: an API worker on PostgreSQL has no use for sqlite3 (and its library).
    import sqlite3

    uri = f"{path.resolve().as_uri()}?mode=rw"

    def connect() -> sqlite3.Connection:
        if not path.exists():
            # sqlite3 reports a missing file as "unable to open database file"; say which. A
            # StoreError, so the API answers 503 (and /health says the store is down).
            raise StoreNotFoundError(f"no store at {path.name}: run the worker first")
        conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA query_only=ON")
        return conn

    return connect


def open_read_only_store(
    url: str, *, pool_size: int = 8, timeouts: StoreTimeouts | None = None
) -> Store:
    """A :class:`Store` whose connections refuse writes. Connects lazily: never fails here.

    Parameters
    ----------
    url
        The database URL (``sqlite:///PATH`` or ``postgresql://...``).
    pool_size
        Connections kept open per process.
    timeouts
        Connect, statement and pool bounds (see formline.store.timeouts).

    Raises
    ------
    ConfigError
        If the URL names a database formline does not support.
    StoreError
        If a SQLite URL names no file (an in-memory database has nothing to read).
    """
    url = normalise_database_url(url)
    timeouts = timeouts or StoreTimeouts()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise StoreError("the API reads a store file; an in-memory SQLite store is empty")
        engine = create_engine(
            "sqlite://",
            creator=_sqlite_connector(Path(database)),
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=timeouts.pool,
        )
        return Store(engine, timeouts)
    engine = postgres_engine(
        parsed,
        timeouts,
        extra_options=_READ_ONLY_OPTION,
        pool_size=pool_size,
        max_overflow=pool_size,
    )
    return Store(engine, timeouts)
