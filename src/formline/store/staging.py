"""Bulk loading: stage a frame into a temporary table, then upsert from it in one statement.

Row-by-row ORM inserts are far too slow for a million odds rows. Instead each load copies its
rows into a temporary table (``COPY`` on PostgreSQL, ``executemany`` on SQLite) and lets the
database join and upsert set-based, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, text

#: How SQLAlchemy's SQLite DateTime type writes timestamps; raw SQL must match it exactly,
#: because SQLite compares timestamps as text.
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

_SQL_TYPES = {
    "text": ("TEXT", "TEXT"),
    "int": ("INTEGER", "BIGINT"),
    "float": ("REAL", "DOUBLE PRECISION"),
    "timestamp": ("TEXT", "TIMESTAMPTZ"),
}


def _column_values(series: pd.Series, kind: str) -> list[Any]:
    """One column as Python values sqlite3 accepts, with None for every missing value."""
    missing = series.isna().to_numpy()
    if kind == "timestamp":
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        stamps = pd.Series(pd.to_datetime(uniques))
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        distinct = stamps.dt.strftime(SQLITE_DATETIME_FORMAT).to_numpy(dtype=object)
        values = np.append(distinct, np.array([None], dtype=object))[codes]
    elif kind == "int":
        values = series.astype("Int64").astype(object).to_numpy()
    elif kind == "float":
        values = series.astype("float64").astype(object).to_numpy()
    else:
        values = series.astype("string").astype(object).to_numpy()
    values = np.array(values, dtype=object)  # a writable copy (pandas may hand out views)
    values[missing] = None
    return list(values)


def stage(
    conn: Connection,
    name: str,
    columns: dict[str, str],
    frame: pd.DataFrame,
) -> int:
    """Create temporary table ``name`` with ``columns`` (name -> text/int/float/timestamp) and
    fill it with those columns of ``frame``. Returns the number of rows staged.

    Timestamps in ``frame`` are naive UTC (or timezone-aware, converted to UTC).

    The table lives until the end of the connection's session; it is dropped first if present.
    """
    create_stage(conn, name, columns)
    staged = stage_rows(conn, name, columns, frame)
    if staged and conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {name}"))  # temporary tables get no statistics otherwise
    return staged


def create_stage(conn: Connection, name: str, columns: dict[str, str]) -> None:
    """(Re)create the empty temporary table ``name`` with ``columns`` (see :func:`stage`)."""
    index = 0 if conn.dialect.name == "sqlite" else 1
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    column_sql = ", ".join(f'"{col}" {_SQL_TYPES[kind][index]}' for col, kind in columns.items())
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} ({column_sql})"))


def stage_rows(conn: Connection, name: str, columns: dict[str, str], frame: pd.DataFrame) -> int:
    """Append those ``columns`` of ``frame`` to the temporary table ``name`` made by
    :func:`create_stage`, :data:`_COPY_CHUNK` rows at a time (so the text or Python values
    built for the driver stay bounded). Returns the number of rows appended."""
    if frame.empty:
        return 0
    driver: Any = conn.connection.dbapi_connection
    assert driver is not None
    names = ", ".join(f'"{col}"' for col in columns)
    if conn.dialect.name == "postgresql":
        _copy(driver, name, names, columns, frame)
        return len(frame)
    placeholders = ", ".join("?" for _ in columns)
    cursor = driver.cursor()
    try:
        for begin in range(0, len(frame), _COPY_CHUNK):
            chunk = frame.iloc[begin : begin + _COPY_CHUNK]
            rows = zip(
                *(_column_values(chunk[col], kind) for col, kind in columns.items()),
                strict=True,
            )
            cursor.executemany(f"INSERT INTO {name} ({names}) VALUES ({placeholders})", rows)
    finally:
        cursor.close()
    return len(frame)


#: Rows per ``COPY`` write: bounds the text held in memory at once.
_COPY_CHUNK = 100_000
_COPY_NULL = "\\N"


def _copy_text(series: pd.Series, kind: str) -> npt.NDArray[np.object_]:
    """One column in ``COPY ... FROM STDIN`` text format: escaped strings, ``\\N`` for missing.

    Each distinct value is formatted once (odds repeat their timestamps and prices a lot).
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = pd.Series(uniques)
    if kind == "timestamp":
        stamps = pd.to_datetime(distinct)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        out = stamps.dt.strftime("%Y-%m-%d %H:%M:%S.%f+00")
    elif kind == "int":
        out = distinct.astype("Int64").astype("string")
    elif kind == "float":
        out = distinct.astype("float64").astype(str)  # repr: the shortest exact round trip
    else:
        out = distinct.astype("string")
        if out.str.contains(r"[\\\t\n\r]", regex=True).any():
            out = (
                out.str.replace("\\", "\\\\", regex=False)
                .str.replace("\t", "\\t", regex=False)
                .str.replace("\n", "\\n", regex=False)
                .str.replace("\r", "\\r", regex=False)
            )
    formatted = np.append(np.array(out.to_numpy(dtype=object), dtype=object), _COPY_NULL)
    return np.asarray(formatted[codes], dtype=object)  # code -1 (missing) takes the last: NULL


def _copy(driver: Any, name: str, names: str, columns: dict[str, str], frame: pd.DataFrame) -> None:
    """``COPY`` the columns of ``frame`` into ``name``, built as text column-wise (fast)."""
    with driver.cursor() as cursor, cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
        for begin in range(0, len(frame), _COPY_CHUNK):
            chunk = frame.iloc[begin : begin + _COPY_CHUNK]
            cols = [_copy_text(chunk[col], kind).tolist() for col, kind in columns.items()]
            copy.write("\n".join(map("\t".join, zip(*cols, strict=True))) + "\n")


def now_param(dialect: str) -> object:
    """The current UTC time as a bound parameter for raw SQL on ``dialect``."""
    from formline.store.types import utcnow

    now = utcnow()
    if dialect == "sqlite":
        return now.replace(tzinfo=None).strftime(SQLITE_DATETIME_FORMAT)
    return now


def distinct_from(dialect: str, left: str, right: str) -> str:
    """SQL for "left differs from right", treating NULLs as equal values."""
    if dialect == "sqlite":
        return f"({left} IS NOT {right})"
    return f"({left} IS DISTINCT FROM {right})"


def upsert_sql(
    dialect: str,
    table: str,
    columns: Sequence[str],
    select_sql: str,
    conflict: Sequence[str],
    update: Sequence[str],
    touch: Sequence[str] = ("updated_at",),
) -> str:
    """``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` that only rewrites rows whose values changed.

    Rows whose ``update`` columns are all unchanged are left alone (so loading the same data
    twice changes nothing, not even ``updated_at``). Returns the ids of inserted or changed rows.
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    # SQLite needs a WHERE on INSERT ... SELECT ... ON CONFLICT to parse it unambiguously.
    where = " WHERE true" if dialect == "sqlite" else ""
    conflict_sql = ", ".join(f'"{c}"' for c in conflict)
    if not update:
        return (
            f"INSERT INTO {table} ({cols}) {select_sql}{where} "
            f"ON CONFLICT ({conflict_sql}) DO NOTHING RETURNING id"
        )
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in [*update, *touch])
    changed = " OR ".join(
        distinct_from(dialect, f'{table}."{c}"', f'excluded."{c}"') for c in update
    )
    return (
        f"INSERT INTO {table} ({cols}) {select_sql}{where} "
        f"ON CONFLICT ({conflict_sql}) DO UPDATE SET {sets} WHERE {changed} RETURNING id"
    )
