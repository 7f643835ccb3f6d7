"""Whole tables written aside and swapped in atomically: a shadow table filled in bulk, then
renamed over the live one in one transaction, the live one kept as the previous.

Renames are transactional on SQLite and on PostgreSQL, so a reader sees the complete old table
or the complete new one, never a mix and never no table: on SQLite (WAL) a reader keeps the
snapshot it started with; on PostgreSQL the renames hold an exclusive lock until they commit,
and a reader waiting on it resolves the name again afterwards. Nothing here names a domain: the
caller names the tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, inspect, text

from formline.errors import DataError, map_errors
from formline.store.db import Store
from formline.store.staging import SQLITE_DATETIME_FORMAT

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: Column kinds and their types on (SQLite, PostgreSQL).
_TYPES = {
    "int": ("INTEGER", "BIGINT"),
    "float": ("REAL", "DOUBLE PRECISION"),
    "text": ("TEXT", "TEXT"),
    "timestamp": ("TEXT", "TIMESTAMPTZ"),
}
#: Rows per ``executemany`` batch on SQLite (bounds the Python values held at once).
_SQLITE_BATCH = 50_000


def checked_name(name: str) -> str:
    """``name`` if it is a plain lower-case SQL identifier, else a DataError (names are put in
    SQL text, never bound)."""
    if not _NAME.match(name):
        raise DataError(f"not a table name this store writes: {name!r}")
    return name


def table_exists(store: Store, name: str) -> bool:
    """Whether table ``name`` exists in the store (its schema on PostgreSQL)."""
    with store.connect(f"looking for table {name}") as conn:
        return bool(inspect(conn).has_table(checked_name(name)))


def table_columns(store: Store, name: str) -> list[str]:
    """The column names of table ``name``, in order."""
    with store.connect(f"reading the columns of {name}") as conn:
        return [c["name"] for c in inspect(conn).get_columns(checked_name(name))]


def count_rows(store: Store, name: str) -> int | None:
    """The rows of table ``name``, or None if there is no such table."""
    if not table_exists(store, name):
        return None
    with store.connect(f"counting {name}") as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())


def timestamp_literal(dialect: str, moment: datetime) -> str:
    """``moment`` (naive UTC) as an SQL literal comparable with a timestamp column written
    here (SQLite compares timestamps as text, in SQLAlchemy's format), or by DuckDB."""
    if dialect == "sqlite":
        return f"'{moment.strftime(SQLITE_DATETIME_FORMAT)}'"
    if dialect == "postgresql":
        return f"TIMESTAMPTZ '{moment.isoformat(sep=' ')}+00'"
    return f"TIMESTAMP '{moment.isoformat(sep=' ')}'"


def write_table(store: Store, name: str, data: pa.Table, kinds: Mapping[str, str]) -> int:
    """Replace table ``name`` with the rows of ``data`` (columns typed by ``kinds``: int, float,
    text or timestamp, naive UTC); returns the rows written.

    PostgreSQL is written through ADBC (binary ``COPY`` from Arrow); SQLite through the standard
    library's driver in batches. The table is created and filled in one transaction on SQLite,
    and committed once filled on PostgreSQL: a half-written table is never left under ``name``
    by an error (a killed process may leave one, which the next write replaces).
    """
    checked_name(name)
    dialect = store.dialect
    index = 0 if dialect == "sqlite" else 1
    columns = ", ".join(f'"{c}" {_TYPES[k][index]}' for c, k in kinds.items())
    data = _conform(data, kinds, dialect)
    if dialect == "postgresql":
        with store.begin(f"creating {name}") as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
            conn.execute(text(f"CREATE TABLE {name} ({columns})"))
        import adbc_driver_postgresql.dbapi

        try:
            with (
                map_errors(f"writing {name}"),
                adbc_driver_postgresql.dbapi.connect(store.libpq_url()) as adbc,
            ):
                with adbc.cursor() as cursor:
                    cursor.adbc_ingest(name, data, mode="append")
                adbc.commit()
        except BaseException:
            drop_table(store, name)
            raise
        return int(data.num_rows)
    with _one_transaction(store, f"writing {name}") as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(text(f"CREATE TABLE {name} ({columns})"))
        driver: Any = conn.connection.dbapi_connection
        placeholders = ", ".join("?" for _ in kinds)
        cursor = driver.cursor()
        try:
            for batch in data.to_batches(_SQLITE_BATCH):
                values = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                cursor.executemany(
                    f"INSERT INTO {name} VALUES ({placeholders})", zip(*values, strict=True)
                )
        finally:
            cursor.close()
    return int(data.num_rows)


def _conform(data: pa.Table, kinds: Mapping[str, str], dialect: str) -> pa.Table:
    """``data`` with the columns of ``kinds`` in order, timestamps as the dialect stores them."""
    arrays = []
    for column, kind in kinds.items():
        values = data.column(column)
        if kind == "timestamp":
            values = values.cast(pa.timestamp("us"))
            if dialect == "sqlite":
                values = _sqlite_timestamps(values)
            else:
                values = values.cast(pa.timestamp("us", tz="UTC"))
        elif kind == "int":
            values = values.cast(pa.int64())
        elif kind == "float":
            values = values.cast(pa.float64())
        else:
            values = values.cast(pa.string())
        arrays.append(values)
    return pa.Table.from_arrays(arrays, names=list(kinds))


def _sqlite_timestamps(values: pa.ChunkedArray) -> pa.Array:
    """Timestamps as SQLAlchemy's SQLite text; each distinct one formatted once (a race's
    runners share its times, and formatting is the slow part)."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values.combine_chunks())
    text = pc.strftime(encoded.dictionary, format="%Y-%m-%d %H:%M:%S.%f")
    # %f prints the unit's digits: microseconds here, 26 characters in all.
    return pc.take(pc.utf8_slice_codeunits(text, 0, 26), encoded.indices)


def drop_table(store: Store, name: str) -> None:
    """Drop table ``name`` if it exists."""
    with store.begin(f"dropping {name}") as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {checked_name(name)}"))


@contextmanager
def _one_transaction(store: Store, what: str) -> Iterator[Connection]:
    """A transaction that holds DDL too: Python's sqlite3 opens its implicit transactions only
    before DML, so on SQLite each rename would otherwise commit on its own."""
    with store.begin(what) as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def _rename(conn: Connection, old: str, new: str) -> None:
    conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def _exists(conn: Connection, name: str) -> bool:
    return bool(inspect(conn).has_table(name))


def rename_table(store: Store, old: str, new: str) -> None:
    """Rename ``old`` to ``new``, replacing a table ``new`` (in one transaction)."""
    checked_name(old), checked_name(new)
    with _one_transaction(store, f"renaming {old} to {new}") as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {new}"))
        _rename(conn, old, new)


def swap_in(store: Store, *, shadow: str, live: str, previous: str) -> bool:
    """Put ``shadow`` in place of ``live`` in one transaction, the live table becoming
    ``previous`` (the one before that is dropped, after the swap commits). Returns whether
    there was a live table.

    Raises
    ------
    DataError
        If there is no table ``shadow``.
    """
    for name in (shadow, live, previous):
        checked_name(name)
    retired = checked_name(f"{previous}_retired")
    with _one_transaction(store, f"swapping {shadow} in as {live}") as conn:
        if not _exists(conn, shadow):
            raise DataError(f"there is no table {shadow} to swap in")
        had_live = _exists(conn, live)
        if had_live:
            conn.execute(text(f"DROP TABLE IF EXISTS {retired}"))
            if _exists(conn, previous):
                _rename(conn, previous, retired)
            _rename(conn, live, previous)
        _rename(conn, shadow, live)
    # Dropping a big table takes a while on SQLite: after the swap, not inside it.
    drop_table(store, retired)
    return had_live


def swap_back(store: Store, *, live: str, previous: str) -> None:
    """Exchange ``live`` and ``previous`` in one transaction (a rollback; doing it again
    undoes it).

    Raises
    ------
    DataError
        If either table is missing.
    """
    checked_name(live), checked_name(previous)
    spare = checked_name(f"{live}_swapping")
    with _one_transaction(store, f"swapping {previous} back in as {live}") as conn:
        missing = [n for n in (live, previous) if not _exists(conn, n)]
        if missing:
            raise DataError(f"nothing to roll back to: there is no table {', '.join(missing)}")
        conn.execute(text(f"DROP TABLE IF EXISTS {spare}"))
        _rename(conn, live, spare)
        _rename(conn, previous, live)
        _rename(conn, spare, previous)


def scalar_queries(store: Store, queries: Sequence[str]) -> list[Any]:
    """The first value of each of ``queries``, read in one transaction (one snapshot)."""
    with store.connect("checking a table") as conn, conn.begin():
        return [conn.execute(text(q)).scalar() for q in queries]
