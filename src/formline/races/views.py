"""Current-form views for serving: horse, jockey and trainer form, and the jockey-horse and
jockey-trainer connections, as of the last refresh (``refresh:views``).

Each view has one row per entity (or pair) with its starts, wins and places (a place is a finish
in the first three, as the race features count it), strike and place rates, the same over the
365 days before ``as_of``, the last run's start and the finishing positions of the last five
runs (``last_position_1`` is the latest; NULL for a run without a finishing position). A start is
a runner result other than withdrawn or took no part, known before ``as_of`` (its
``observed_at``).

* PostgreSQL: materialized views, each with a unique index, refreshed ``CONCURRENTLY`` (readers
  keep reading the previous rows meanwhile).
* SQLite: plain tables, rebuilt as shadows and swapped in (drop, rename) in one transaction
  (readers see the old tables or the new ones).

The instant they are computed as of lives in the one-row table ``race_view_params``, which the
views read, so that all five are always of one ``as_of``. Made by code, idempotently (not by a
migration): :func:`refresh_views` creates whatever is missing, and recreates the views when their
definition changed. :func:`drop_views` takes them away (before a migration drops or alters the
racing tables they read).

Plain SQLAlchemy Core, no pandas: the read API reads the views through :data:`FORM_TABLES`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    TableClause,
    column,
    delete,
    insert,
    select,
    table,
    text,
)

from formline.races.vocabulary import NOT_RUN
from formline.store.db import Store
from formline.store.types import UTCDateTime, as_utc, utcnow

#: How many finishing positions a view keeps, latest first.
LAST_RUNS = 5
#: The recent window of the ``*_365`` columns.
RECENT_DAYS = 365

#: Not on the store's metadata: the views are made by code, not by the migrations.
_view_metadata = MetaData()

#: The one row the views are computed from.
view_params = Table(
    "race_view_params",
    _view_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("recent_since", UTCDateTime(), nullable=False),
    Column("refreshed_at", UTCDateTime(), nullable=False),
    Column("definition", String(64), nullable=False),
)


@dataclass(frozen=True)
class FormView:
    """One view: its name and the runner columns it groups by."""

    name: str
    keys: tuple[str, ...]


HORSE_FORM = FormView("race_horse_form", ("horse_id",))
JOCKEY_FORM = FormView("race_jockey_form", ("jockey_id",))
TRAINER_FORM = FormView("race_trainer_form", ("trainer_id",))
JOCKEY_HORSE = FormView("race_jockey_horse_stats", ("jockey_id", "horse_id"))
JOCKEY_TRAINER = FormView("race_jockey_trainer_stats", ("jockey_id", "trainer_id"))
FORM_VIEWS = (HORSE_FORM, JOCKEY_FORM, TRAINER_FORM, JOCKEY_HORSE, JOCKEY_TRAINER)

#: The columns of every view after its keys.
COUNT_COLUMNS = ("runs", "wins", "places", "runs_365", "wins_365", "places_365")
RATE_COLUMNS = ("strike_rate", "place_rate", "strike_rate_365", "place_rate_365")
POSITION_COLUMNS = tuple(f"last_position_{i}" for i in range(1, LAST_RUNS + 1))
STAMP_COLUMNS = ("last_run_at", "as_of", "refreshed_at")


def _reader(view: FormView) -> TableClause:
    """A lightweight table of the view's columns, typed for reading."""
    return table(
        view.name,
        *(column(k, Integer()) for k in view.keys),
        *(column(c, Integer()) for c in COUNT_COLUMNS),
        *(column(c, Float()) for c in RATE_COLUMNS),
        *(column(c, Integer()) for c in POSITION_COLUMNS),
        *(column(c, UTCDateTime()) for c in STAMP_COLUMNS),
    )


#: The views as tables to select from, by name.
FORM_TABLES: dict[str, TableClause] = {view.name: _reader(view) for view in FORM_VIEWS}


def _rate(numerator: str, denominator: str) -> str:
    return (
        f"CASE WHEN {denominator} > 0 THEN "
        f"CAST({numerator} AS DOUBLE PRECISION) / {denominator} END"
    )


def view_sql(view: FormView) -> str:
    """The SELECT that computes ``view`` from the racing tables and ``race_view_params``
    (one statement, the same on both databases)."""
    keys = ", ".join(view.keys)
    key_columns = ", ".join(f"u.{k}" for k in view.keys)
    not_null = " AND ".join(f"u.{k} IS NOT NULL" for k in view.keys)
    not_run = ", ".join(f"'{s}'" for s in NOT_RUN)
    positions = ",\n       ".join(
        f"max(CASE WHEN back = {i} THEN finish_position END) AS last_position_{i}"
        for i in range(1, LAST_RUNS + 1)
    )
    return f"""
WITH starts AS (
    SELECT {key_columns}, x.finish_position, r.start_at,
           CASE WHEN x.finish_position = 1 THEN 1 ELSE 0 END AS won,
           CASE WHEN x.finish_position <= 3 THEN 1 ELSE 0 END AS placed,
           CASE WHEN r.start_at >= p.recent_since THEN 1 ELSE 0 END AS recent,
           ROW_NUMBER() OVER (
               PARTITION BY {key_columns} ORDER BY r.start_at DESC, r.id DESC, u.id DESC
           ) AS back
    FROM runner_results x
    JOIN runners u ON u.id = x.runner_id
    JOIN races r ON r.id = u.race_id
    CROSS JOIN race_view_params p
    WHERE x.observed_at < p.as_of AND r.start_at < p.as_of
      AND x.status NOT IN ({not_run}) AND {not_null}
), totals AS (
    SELECT {keys}, count(*) AS runs, sum(won) AS wins, sum(placed) AS places,
           sum(recent) AS runs_365, sum(won * recent) AS wins_365,
           sum(placed * recent) AS places_365, max(start_at) AS last_run_at,
           {positions}
    FROM starts GROUP BY {keys}
)
SELECT {keys}, runs, wins, places, runs_365, wins_365, places_365,
       {_rate("wins", "runs")} AS strike_rate,
       {_rate("places", "runs")} AS place_rate,
       {_rate("wins_365", "runs_365")} AS strike_rate_365,
       {_rate("places_365", "runs_365")} AS place_rate_365,
       {", ".join(POSITION_COLUMNS)},
       last_run_at, p.as_of, p.refreshed_at
FROM totals CROSS JOIN race_view_params p
"""


#: A fingerprint of every view's definition: views of another one are recreated.
DEFINITION = hashlib.sha256("\n".join(view_sql(v) for v in FORM_VIEWS).encode()).hexdigest()[:16]


def _existing(conn: Connection, names: Sequence[str]) -> int:
    """How many of the tables or materialized views ``names`` exist (in the search path)."""
    params = {f"n{i}": name for i, name in enumerate(names)}
    listed = ", ".join(f":{key}" for key in params)
    if conn.dialect.name == "postgresql":
        query = text(f"SELECT count(to_regclass(n)) FROM unnest(ARRAY[{listed}]) AS n")
    else:
        query = text(
            f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({listed})"
        )
    return int(conn.execute(query, params).scalar_one())


def _exists(conn: Connection, name: str) -> bool:
    return _existing(conn, [name]) == 1


def views_exist(conn: Connection) -> bool:
    """Whether the views have been made (a read before the first refresh finds none), in one
    statement."""
    names = [view_params.name, *(v.name for v in FORM_VIEWS)]
    return _existing(conn, names) == len(names)


def _set_params(conn: Connection, as_of: datetime, refreshed_at: datetime) -> str | None:
    """Point ``race_view_params`` at ``as_of``; returns the definition it held before."""
    previous = conn.execute(select(view_params.c.definition)).scalar()
    conn.execute(delete(view_params))
    conn.execute(
        insert(view_params).values(
            id=1,
            as_of=as_of,
            recent_since=as_of - timedelta(days=RECENT_DAYS),
            refreshed_at=refreshed_at,
            definition=DEFINITION,
        )
    )
    return previous


def _index(view: FormView, name: str | None = None) -> str:
    target = name or view.name
    return f"CREATE UNIQUE INDEX uq_{view.name} ON {target} ({', '.join(view.keys)})"


def _refresh_postgres(conn: Connection, previous: str | None) -> None:
    stale = previous != DEFINITION
    for view in FORM_VIEWS:
        if stale:
            conn.execute(text(f"DROP MATERIALIZED VIEW IF EXISTS {view.name}"))
        if stale or not _exists(conn, view.name):
            conn.execute(text(f"CREATE MATERIALIZED VIEW {view.name} AS {view_sql(view)}"))
            conn.execute(text(_index(view)))
        else:
            conn.execute(text(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view.name}"))


def _refresh_sqlite(conn: Connection) -> None:
    for view in FORM_VIEWS:
        shadow = f"{view.name}__shadow"
        conn.execute(text(f"DROP TABLE IF EXISTS {shadow}"))
        conn.execute(text(f"CREATE TABLE {shadow} AS {view_sql(view)}"))
    for view in FORM_VIEWS:
        conn.execute(text(f"DROP TABLE IF EXISTS {view.name}"))
        conn.execute(text(f"ALTER TABLE {view.name}__shadow RENAME TO {view.name}"))
        conn.execute(text(_index(view)))


def refresh_views(store: Store, as_of: datetime | None = None) -> dict[str, int]:
    """Recompute every current-form view as of ``as_of``, in one transaction.

    Parameters
    ----------
    store
        The store (writable).
    as_of
        The instant the form is of (default: now): only results observed before it count,
        and the ``*_365`` columns count the runs that started in the 365 days before it.

    Returns
    -------
    dict[str, int]
        Rows per view, by view name.

    Raises
    ------
    StoreError
        If the store refuses (then the previous views stay as they were).
    """
    as_of = as_utc(as_of) if as_of is not None else utcnow()
    with store.begin("refreshing the current-form views") as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one transaction, DDL included
        view_params.create(conn, checkfirst=True)
        previous = _set_params(conn, as_of, utcnow())
        if conn.dialect.name == "postgresql":
            _refresh_postgres(conn, previous)
        else:
            _refresh_sqlite(conn)
        return _counts(conn)


def _counts(conn: Connection) -> dict[str, int]:
    counts: dict[str, int] = {}
    for view in FORM_VIEWS:
        counts[view.name] = conn.execute(text(f"SELECT count(*) FROM {view.name}")).scalar_one()
    return counts


def drop_views(store: Store) -> None:
    """Drop the views and their parameters (a later :func:`refresh_views` makes them again)."""
    with store.begin("dropping the current-form views") as conn:
        kind = "MATERIALIZED VIEW" if conn.dialect.name == "postgresql" else "TABLE"
        for view in FORM_VIEWS:
            conn.execute(text(f"DROP {kind} IF EXISTS {view.name}"))
        view_params.drop(conn, checkfirst=True)


def form_rows(
    conn: Connection, view: FormView, limit: int | None = None, **keys: int
) -> list[dict[str, Any]]:
    """The rows of ``view`` whose key columns equal ``keys``, most runs first (then by key),
    at most ``limit``."""
    reader = FORM_TABLES[view.name]
    query = select(reader)
    for name, value in keys.items():
        query = query.where(reader.c[name] == value)
    order = [reader.c.runs.desc(), *(reader.c[k] for k in view.keys)]
    query = query.order_by(*order).limit(limit)
    return [dict(row) for row in conn.execute(query).mappings()]


def views_as_of(conn: Connection) -> Mapping[str, Any] | None:
    """The ``as_of`` and ``refreshed_at`` of the views (None before the first refresh)."""
    if not _exists(conn, view_params.name):
        return None
    row = conn.execute(select(view_params.c.as_of, view_params.c.refreshed_at)).mappings().first()
    return None if row is None else dict(row)
