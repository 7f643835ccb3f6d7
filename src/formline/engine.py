"""The DuckDB compute session: load what a computation needs from the store as Arrow, run SQL.

The store stays the system of record; DuckDB runs in-process over Arrow copies of the rows a
computation needs, so feature SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from formline.errors import StoreError, map_errors
from formline.store.db import Store

_ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "text": pa.string(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class InputQuery:
    """A query against the store and the Arrow type kind of each column it returns
    (``int``, ``float``, ``text``, ``bool`` or ``timestamp``; timestamps come back naive UTC)."""

    sql: str
    columns: Mapping[str, str]


def _cast(column: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    if kind == "timestamp":
        if pa.types.is_timestamp(column.type):
            # PostgreSQL hands back timestamptz; Arrow stores UTC, so dropping the zone keeps UTC.
            return column.cast(pa.timestamp("us"))
        # SQLite keeps timestamps as naive UTC text (an all-NULL column arrives as int64).
        return column.cast(pa.string()).cast(pa.timestamp("us"))
    return column.cast(_ARROW_TYPES[kind])


def _fetch_sqlite(store: Store, sql: str) -> list[list[Any]]:
    # Python's own sqlite3 module, never a second SQLite library in the process: two copies of
    # SQLite in one process undo each other's file locks and can corrupt the database.
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall()
        width = len(cursor.description or ())
        cursor.close()
    finally:
        connection.close()
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def _fetch_postgresql(store: Store, sql: str) -> pa.Table:
    import adbc_driver_postgresql.dbapi

    def fetch() -> pa.Table:
        with (
            adbc_driver_postgresql.dbapi.connect(store.libpq_url()) as conn,
            conn.cursor() as cursor,
        ):
            cursor.execute(sql)
            return cursor.fetch_arrow_table()

    return _within(store.timeouts.client_deadline, fetch)


def _within(seconds: float | None, call: Callable[[], pa.Table]) -> pa.Table:
    """``call()`` in a daemon thread, given up after ``seconds``: libpq has no client-side
    deadline, and a server that stopped answering would otherwise hang the worker."""
    if seconds is None:
        return call()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["table"] = call()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="store-fetch", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise StoreError(
            f"reading from the store: the database did not answer within {seconds:g} s"
        )
    if "error" in box:
        raise box["error"]
    table: pa.Table = box["table"]
    return table


def fetch_arrow(store: Store, query: InputQuery) -> pa.Table:
    """Run ``query`` on the store and return its rows as an Arrow table typed by
    ``query.columns`` (timestamps naive UTC).

    PostgreSQL is read through ADBC, which hands back Arrow without a Python object per value;
    SQLite through the standard library's driver.

    Raises
    ------
    StoreError
        If the store refuses the query or does not answer in time (on either backend).
    """
    names = list(query.columns)
    with map_errors("reading from the store"):
        if store.dialect == "postgresql":
            table = _fetch_postgresql(store, query.sql)
            columns = [table.column(i) for i in range(table.num_columns)]
        else:
            raw = _fetch_sqlite(store, query.sql)
            columns = [pa.chunked_array([pa.array(values)]) for values in raw]
    kinds = query.columns.values()
    arrays = [_cast(column, kind) for column, kind in zip(columns, kinds, strict=True)]
    return pa.Table.from_arrays(arrays, names=names)


def compute_session(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection, in UTC, for one computation."""
    with map_errors("starting DuckDB"):
        con = duckdb.connect(database=":memory:")
        con.execute("SET TimeZone = 'UTC'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
    return con


def load_inputs(
    con: duckdb.DuckDBPyConnection, store: Store, queries: Mapping[str, InputQuery]
) -> dict[str, int]:
    """Fetch each query from the store into a DuckDB table of the same name. Returns row counts."""
    counts = {}
    for name, query in queries.items():
        table = fetch_arrow(store, query)
        with map_errors(f"loading {name} into DuckDB"):
            con.register(f"_arrow_{name}", table)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _arrow_{name}")
            con.unregister(f"_arrow_{name}")
        counts[name] = table.num_rows
    return counts
