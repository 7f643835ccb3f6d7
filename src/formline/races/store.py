"""Writing racing facts to the store: venues, horses, jockeys and trainers (with aliases),
races and their results, runners and theirs, odds, dividends, rejects.

Everything a load writes goes in through a :class:`RaceLoad`: batches are staged into
temporary tables (a chunk at a time if need be), then written set-based in one transaction, so
a load that fails leaves the store as it was. Upserts are by natural key (see
:mod:`formline.races.frames`), so loading the same data twice changes nothing (every row is
counted unchanged) and a corrected row updates in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from formline.races.frames import (
    DIVIDEND_COLUMNS,
    N_CALLS,
    N_RACE_SECTIONS,
    ODDS_COLUMNS,
    RACE_COLUMNS,
    RACE_KEY,
    REJECT_COLUMNS,
    RUNNER_CARD_COLUMNS,
    RUNNER_COLUMNS,
    RaceBatch,
)
from formline.store.db import Store
from formline.store.load_report import Counts
from formline.store.staging import create_stage, distinct_from, now_param, stage_rows


@dataclass(frozen=True)
class RaceLoadReport:
    """What one load changed, per table, and the rows it could not place: runners, odds and
    dividends whose race (or runner) is in neither the load nor the store."""

    tables: dict[str, Counts] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether the load changed anything at all."""
        return any(c.changed for c in self.tables.values())

    @property
    def notes(self) -> list[str]:
        """The rows the load could not place, per table."""
        return [
            f"{count} {name} rows name a race or runner the store does not have"
            for name, count in self.unmatched.items()
            if count
        ]


_KINDS = {"string": "text", "Int64": "int", "Float64": "float", "float64": "float"}
_KINDS |= {"datetime64[us]": "timestamp", "boolean": "int"}


def _stage_columns(columns: dict[str, str]) -> dict[str, str]:
    return {**{name: _KINDS[dtype] for name, dtype in columns.items()}, "_seq": "int"}


_STAGES = {
    "rl_races": (RACE_COLUMNS, "races"),
    "rl_runners": (RUNNER_COLUMNS, "runners"),
    "rl_odds": (ODDS_COLUMNS, "odds"),
    "rl_dividends": (DIVIDEND_COLUMNS, "dividends"),
    "rl_rejects": (REJECT_COLUMNS, "rejects"),
}
_ENTITY_KEY = ["entity_source", "horse_key"]
_RUNNER_KEY = [*RACE_KEY, *_ENTITY_KEY]
_LAST_BY = {
    "rl_races": RACE_KEY,
    "rl_runners": _RUNNER_KEY,
    "rl_odds": [*_RUNNER_KEY, "market", "kind"],
    "rl_dividends": [*RACE_KEY, "pool", "combination"],
    "rl_rejects": ["source_file", "source_line", "column"],
}
#: Entity -> (its table, its alias table, the runner columns naming it, its attributes).
_ENTITIES = {
    "horse": ("horses", "horse_aliases", ("horse_key", "horse_name"), ("country", "sex")),
    "jockey": ("jockeys", "jockey_aliases", ("jockey_key", "jockey_name"), ()),
    "trainer": ("trainers", "trainer_aliases", ("trainer_key", "trainer_name"), ()),
}
_RACE_VALUES = [
    "start_at",
    "name",
    "distance",
    "surface",
    "course",
    "going",
    "race_class",
    "rating_band",
    "prize",
    "field_size",
    "source_race_id",
    "observed_at",
    "source",
    "source_file",
    "source_line",
]
_SECTIONS = [f"leader_section_time_{i}" for i in range(1, N_RACE_SECTIONS + 1)]
_CALLS = [
    f"{kind}_{i}" for kind in ("position", "behind", "section_time") for i in range(1, N_CALLS + 1)
]
_RESULT_VALUES = [
    "status",
    "result_code",
    "finish_position",
    "dead_heat",
    "lengths_behind",
    *_CALLS,
    "finish_time",
    "observed_at",
    "source",
]
_RUNNER_VALUES = [
    *RUNNER_CARD_COLUMNS,
    "jockey_id",
    "trainer_id",
    "observed_at",
    "source",
    "source_file",
    "source_line",
]


def _cols(names: list[str] | tuple[str, ...], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{c}"' for c in names)


def _same(left: str, right: str, names: list[str]) -> str:
    return " AND ".join(f'{left}."{c}" = {right}."{c}"' for c in names)


def _scalar(conn: Connection, sql: str) -> int:
    return int(conn.execute(text(sql)).scalar_one())


def _temporary(
    conn: Connection, name: str, select_sql: str, *, index: list[str] | None = None
) -> int:
    """(Re)create temporary table ``name`` from ``select_sql``; returns its row count."""
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} AS {select_sql}"))
    if index:
        conn.execute(text(f"CREATE INDEX ix_{name} ON {name} ({_cols(index)})"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {name}"))
    return _scalar(conn, f"SELECT count(*) FROM {name}")


def _merge(
    conn: Connection,
    table: str,
    source: str,
    keys: list[str],
    values: list[str],
    *,
    stamps: tuple[str, ...] = ("created_at", "updated_at"),
) -> Counts:
    """Upsert the rows of temporary table ``source`` (one per key) into ``table`` by ``keys``:
    update those whose ``values`` differ, insert the missing ones."""
    dialect = conn.dialect.name
    params = {"now": now_param(dialect)}
    total = _scalar(conn, f"SELECT count(*) FROM {source}")
    updated = 0
    if values:
        touch = [f'"{c}" = :now' for c in stamps if c == "updated_at"]
        sets = ", ".join([*(f'"{c}" = s."{c}"' for c in values), *touch])
        differs = " OR ".join(distinct_from(dialect, f'{table}."{c}"', f's."{c}"') for c in values)
        updated = conn.execute(
            text(
                f"UPDATE {table} SET {sets} FROM {source} AS s "
                f"WHERE {_same(table, 's', keys)} AND ({differs})"
            ),
            params,
        ).rowcount
    columns = [*keys, *values]
    inserted = conn.execute(
        text(
            f"INSERT INTO {table} ({_cols([*columns, *stamps])}) "
            f"SELECT {_cols(columns, 's.')}{''.join(', :now' for _ in stamps)} FROM {source} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {_same('t', 's', keys)}) "
            "ORDER BY s._seq ON CONFLICT DO NOTHING"
        ),
        params,
    ).rowcount
    return Counts(inserted, updated, max(total - inserted - updated, 0))


class RaceLoad:
    """One racing load being staged on a connection (see :func:`staged_race_load`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._seq = 0
        self._written = False
        for name, (columns, _) in _STAGES.items():
            create_stage(conn, name, _stage_columns(columns))
        self._commit()

    def _commit(self) -> None:
        # The rows go in through the driver's own cursor (stage_rows): commit its transaction.
        self.conn.commit()
        driver: Any = self.conn.connection.dbapi_connection
        driver.commit()

    def add(self, batch: RaceBatch) -> None:
        """Stage ``batch`` (conformed here); a later row of the same natural key wins."""
        if self._written:
            raise RuntimeError("RaceLoad.add after write")
        conformed = batch.conformed()
        for name, (columns, attribute) in _STAGES.items():
            frame = getattr(conformed, attribute)
            frame["_seq"] = np.arange(self._seq, self._seq + len(frame), dtype=np.int64)
            self._seq += len(frame)
            stage_rows(self.conn, name, _stage_columns(columns), frame)
        self._commit()

    def write(self) -> RaceLoadReport:
        """Upsert everything staged, set-based, in the connection's transaction."""
        self._written = True
        conn = self.conn
        self._commit()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock before reading
        for name, keys in _LAST_BY.items():
            columns = [*_STAGES[name][0], "_seq"]
            _temporary(
                conn,
                f"{name}_last",
                f"SELECT {_cols(columns)} FROM (SELECT {_cols(columns)}, ROW_NUMBER() OVER "
                f"(PARTITION BY {_cols(keys)} ORDER BY _seq DESC) AS _rn FROM {name}) AS d "
                "WHERE _rn = 1",
                index=keys,
            )
        tables: dict[str, Counts] = {"race_venues": self._venues()}
        for entity in _ENTITIES:
            tables[_ENTITIES[entity][0]] = self._entities(entity)
        tables["races"], tables["race_results"] = self._races()
        runners, results, runners_unmatched = self._runners()
        tables["runners"], tables["runner_results"] = runners, results
        tables["race_odds"], odds_unmatched = self._odds()
        tables["race_dividends"], dividends_unmatched = self._dividends()
        tables["ingest_rejects"] = self._rejects()
        unmatched = {
            "runners": runners_unmatched,
            "race_odds": odds_unmatched,
            "race_dividends": dividends_unmatched,
        }
        return RaceLoadReport(tables, unmatched)

    def _venues(self) -> Counts:
        conn = self.conn
        total = _temporary(
            conn,
            "rl_venues",
            "SELECT venue, venue_name, country, timezone, _seq FROM (SELECT venue, venue_name, "
            "country, timezone, _seq, ROW_NUMBER() OVER (PARTITION BY venue ORDER BY _seq) "
            "AS _rn FROM rl_races_last) AS d WHERE _rn = 1",
        )
        inserted = conn.execute(
            text(
                "INSERT INTO race_venues (code, name, country, timezone, created_at) "
                "SELECT v.venue, COALESCE(v.venue_name, v.venue), v.country, v.timezone, :now "
                "FROM rl_venues v WHERE NOT EXISTS (SELECT 1 FROM race_venues t "
                "WHERE t.code = v.venue) ORDER BY v._seq ON CONFLICT DO NOTHING"
            ),
            {"now": now_param(conn.dialect.name)},
        ).rowcount
        return Counts(inserted=inserted, unchanged=total - inserted)

    def _entities(self, entity: str) -> Counts:
        """New entities (and an alias of their own) for keys no alias knows; attributes the
        load gives update the entity in place."""
        conn = self.conn
        table, aliases, (key, name), attributes = _ENTITIES[entity]
        attrs = {"name": name, **{a: f"{entity}_{a}" for a in attributes}}
        selected = ", ".join(f'"{src}" AS "{dst}"' for dst, src in attrs.items())
        total = _temporary(
            conn,
            f"rl_{table}",
            f"SELECT source, source_key, {_cols(list(attrs))}, _seq FROM (SELECT "
            f'entity_source AS source, "{key}" AS source_key, {selected}, _seq, ROW_NUMBER() '
            f'OVER (PARTITION BY entity_source, "{key}" ORDER BY _seq DESC) AS _rn '
            f'FROM rl_runners_last WHERE "{key}" IS NOT NULL) AS d WHERE _rn = 1',
            index=["source", "source_key"],
        )
        params = {"now": now_param(conn.dialect.name)}
        known = (
            f"SELECT 1 FROM {aliases} a WHERE a.source = s.source AND a.source_key = s.source_key"
        )
        inserted = conn.execute(
            text(
                f"INSERT INTO {table} (key, {_cols(list(attrs))}, created_at, updated_at) "
                f"SELECT s.source || ':' || s.source_key, {_cols(list(attrs), 's.')}, :now, :now "
                f"FROM rl_{table} s WHERE NOT EXISTS ({known}) ORDER BY s._seq "
                "ON CONFLICT DO NOTHING"
            ),
            params,
        ).rowcount
        conn.execute(
            text(
                f"INSERT INTO {aliases} (source, source_key, {entity}_id, created_at) "
                f"SELECT s.source, s.source_key, e.id, :now FROM rl_{table} s "
                f"JOIN {table} e ON e.key = s.source || ':' || s.source_key "
                f"WHERE NOT EXISTS ({known}) ON CONFLICT DO NOTHING"
            ),
            params,
        )
        _temporary(
            conn,
            f"rl_{entity}_ids",
            f"SELECT s.source, s.source_key, a.{entity}_id, {_cols(list(attrs), 's.')} "
            f"FROM rl_{table} s JOIN {aliases} a "
            "ON a.source = s.source AND a.source_key = s.source_key",
            index=["source", "source_key"],
        )
        dialect = conn.dialect.name
        sets = ", ".join(f'"{a}" = COALESCE(s."{a}", {table}."{a}")' for a in attrs)
        differs = " OR ".join(
            f'(s."{a}" IS NOT NULL AND {distinct_from(dialect, f"{table}.{a}", f"s.{a}")})'
            for a in attrs
        )
        updated = conn.execute(
            text(
                f"UPDATE {table} SET {sets}, updated_at = :now FROM rl_{entity}_ids AS s "
                f"WHERE {table}.id = s.{entity}_id AND ({differs})"
            ),
            params,
        ).rowcount
        return Counts(inserted, updated, max(total - inserted - updated, 0))

    def _races(self) -> tuple[Counts, Counts]:
        conn = self.conn
        values = [c for c in _RACE_VALUES if c != "observed_at"]
        _temporary(
            conn,
            "rl_race_rows",
            f"SELECT v.id AS venue_id, {_cols(RACE_KEY[1:], 'r.')}, {_cols(values, 'r.')}, "
            "r.card_observed_at AS observed_at, r._seq FROM rl_races_last r "
            "JOIN race_venues v ON v.code = r.venue",
        )
        races = _merge(conn, "races", "rl_race_rows", ["venue_id", *RACE_KEY[1:]], _RACE_VALUES)
        keys = " UNION ".join(
            f"SELECT {_cols(RACE_KEY)} FROM {t}"
            for t in ("rl_races_last", "rl_runners_last", "rl_odds_last", "rl_dividends_last")
        )
        _temporary(
            conn,
            "rl_race_ids",
            f"SELECT {_cols(RACE_KEY, 'k.')}, r.id AS race_id FROM ({keys}) AS k "
            "JOIN race_venues v ON v.code = k.venue JOIN races r ON r.venue_id = v.id "
            "AND r.race_date = k.race_date AND r.race_number = k.race_number",
            index=RACE_KEY,
        )
        _temporary(
            conn,
            "rl_race_result_rows",
            f"SELECT i.race_id, {_cols(_SECTIONS, 'r.')}, r.result_observed_at AS observed_at, "
            f"r.source, r._seq FROM rl_races_last r "
            f"JOIN rl_race_ids i ON {_same('i', 'r', RACE_KEY)} "
            "WHERE r.result_observed_at IS NOT NULL",
        )
        values = [*_SECTIONS, "observed_at", "source"]
        return races, _merge(conn, "race_results", "rl_race_result_rows", ["race_id"], values)

    def _runners(self) -> tuple[Counts, Counts, int]:
        conn = self.conn
        card = list(RUNNER_CARD_COLUMNS)
        total = _scalar(conn, "SELECT count(*) FROM rl_runners_last")
        _temporary(
            conn,
            "rl_runner_rows",
            f"SELECT i.race_id, h.horse_id, {_cols(card, 'x.')}, j.jockey_id, t.trainer_id, "
            "x.card_observed_at AS observed_at, x.source, x.source_file, x.source_line, x._seq "
            f"FROM rl_runners_last x JOIN rl_race_ids i ON {_same('i', 'x', RACE_KEY)} "
            "JOIN rl_horse_ids h ON h.source = x.entity_source AND h.source_key = x.horse_key "
            "LEFT JOIN rl_jockey_ids j ON j.source = x.entity_source "
            "AND j.source_key = x.jockey_key "
            "LEFT JOIN rl_trainer_ids t ON t.source = x.entity_source "
            "AND t.source_key = x.trainer_key",
        )
        placed = _scalar(conn, "SELECT count(*) FROM rl_runner_rows")
        runners = _merge(conn, "runners", "rl_runner_rows", ["race_id", "horse_id"], _RUNNER_VALUES)
        keys = " UNION ".join(
            f"SELECT {_cols(_RUNNER_KEY)} FROM {t}" for t in ("rl_runners_last", "rl_odds_last")
        )
        _temporary(
            conn,
            "rl_runner_ids",
            f"SELECT {_cols(_RUNNER_KEY, 'k.')}, r.id AS runner_id FROM ({keys}) AS k "
            f"JOIN rl_race_ids i ON {_same('i', 'k', RACE_KEY)} "
            "JOIN horse_aliases a ON a.source = k.entity_source AND a.source_key = k.horse_key "
            "JOIN runners r ON r.race_id = i.race_id AND r.horse_id = a.horse_id",
            index=_RUNNER_KEY,
        )
        results = [c for c in _RESULT_VALUES if c not in ("observed_at", "dead_heat")]
        _temporary(
            conn,
            "rl_runner_result_rows",
            f"SELECT i.runner_id, {_cols(results, 'x.')}, "
            "(COALESCE(x.dead_heat, 0) = 1) AS dead_heat, "
            "x.result_observed_at AS observed_at, x._seq FROM rl_runners_last x "
            f"JOIN rl_runner_ids i ON {_same('i', 'x', _RUNNER_KEY)} "
            "WHERE x.result_observed_at IS NOT NULL AND x.status IS NOT NULL",
        )
        merged = _merge(
            conn, "runner_results", "rl_runner_result_rows", ["runner_id"], _RESULT_VALUES
        )
        return runners, merged, total - placed

    def _odds(self) -> tuple[Counts, int]:
        conn = self.conn
        total = _scalar(conn, "SELECT count(*) FROM rl_odds_last")
        values = ["value", "captured_at", "observed_at", "source"]
        placed = _temporary(
            conn,
            "rl_odds_rows",
            f"SELECT i.runner_id, x.market, x.kind, {_cols(values, 'x.')}, x._seq "
            f"FROM rl_odds_last x JOIN rl_runner_ids i ON {_same('i', 'x', _RUNNER_KEY)}",
        )
        keys = ["runner_id", "market", "kind"]
        return _merge(conn, "race_odds", "rl_odds_rows", keys, values), total - placed

    def _dividends(self) -> tuple[Counts, int]:
        conn = self.conn
        total = _scalar(conn, "SELECT count(*) FROM rl_dividends_last")
        values = ["dividend", "observed_at", "source"]
        placed = _temporary(
            conn,
            "rl_dividend_rows",
            f"SELECT i.race_id, x.pool, x.combination, {_cols(values, 'x.')}, x._seq "
            f"FROM rl_dividends_last x JOIN rl_race_ids i ON {_same('i', 'x', RACE_KEY)}",
        )
        keys = ["race_id", "pool", "combination"]
        return _merge(conn, "race_dividends", "rl_dividend_rows", keys, values), total - placed

    def _rejects(self) -> Counts:
        keys = ["source_file", "source_line", "column"]
        return _merge(
            self.conn,
            "ingest_rejects",
            "rl_rejects_last",
            keys,
            ["source", "reason", "raw"],
            stamps=("created_at",),
        )

    def drop(self) -> None:
        """Drop the load's temporary tables (best effort: the connection may be broken)."""
        with contextlib.suppress(Exception):
            found = [
                *(_STAGES),
                *(f"{n}_last" for n in _STAGES),
                "rl_venues",
                *(f"rl_{t}" for t, _, _, _ in _ENTITIES.values()),
                *(f"rl_{e}_ids" for e in _ENTITIES),
                "rl_race_rows",
                "rl_race_ids",
                "rl_race_result_rows",
                "rl_runner_rows",
                "rl_runner_ids",
                "rl_runner_result_rows",
                "rl_odds_rows",
                "rl_dividend_rows",
            ]
            for name in found:
                self.conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
            self.conn.commit()


@contextmanager
def staged_race_load(store: Store, what: str = "loading races") -> Iterator[RaceLoad]:
    """A :class:`RaceLoad` on one connection of ``store``, written in one transaction.

    Batches are staged into temporary tables only (the store's tables are untouched) until
    :meth:`RaceLoad.write`; the block commits when it ends and rolls back if it raises, so a
    load that fails leaves the store as it was.
    """
    with store.connect(what) as conn:
        load = RaceLoad(conn)
        try:
            yield load
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            load.drop()


def upsert_races(store: Store, *batches: RaceBatch) -> RaceLoadReport:
    """Write ``batches`` in one transaction and report what changed.

    Raises
    ------
    StoreError
        If the database refuses the load; nothing is written then.
    """
    with staged_race_load(store) as load:
        for batch in batches:
            load.add(batch)
        return load.write()
