"""Writing match facts to the store: competitions, teams and aliases, matches, odds, rejects.

Everything a load writes goes in through a :class:`StagedLoad` (:func:`upsert_batch` and
:func:`replace_source` for a batch held whole, :func:`staged_load` for one fed a chunk at a
time): rows are staged into temporary tables, then written set-based in one transaction, so a
load that fails leaves the store as it was and memory is bounded by a chunk, not by the load.
Upserts are by natural key, so loading the same data twice changes nothing and a corrected row
updates in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select, text

from formline.errors import ReloadRefusedError
from formline.matches.frames import (
    MATCH_COLUMNS,
    ODDS_COLUMNS,
    REJECT_COLUMNS,
    SIDE_STATS,
    SourceBatch,
    conform,
)
from formline.matches.tables import competitions, matches, odds, team_aliases, teams
from formline.store.db import Store
from formline.store.load_report import Counts
from formline.store.staging import create_stage, distinct_from, now_param, stage_rows
from formline.store.tables import feature_snapshots, ingest_rejects
from formline.store.types import utcnow

_RESULT_COLUMNS = [
    "home_goals",
    "away_goals",
    "home_ht_goals",
    "away_ht_goals",
    *[f"{side}_{stat}" for stat in SIDE_STATS for side in ("home", "away")],
]

#: A match's natural key as a source spells it (see formline.matches.frames).
_KEY = ["sport", "competition", "season", "home_team", "away_team", "fixture_key"]
#: The odds' natural key besides their match.
_ODDS_KEY = ["bookmaker", "market", "selection", "line", "kind"]
_ODDS_VALUES = ["price", "captured_at", "observed_at", "source"]
#: The match's natural key in the store.
_MATCH_KEY = ["competition_id", "season", "home_team_id", "away_team_id", "fixture_key"]

_MATCH_STAGE = {
    "key_id": "int",
    "kickoff_at": "timestamp",
    "status": "text",
    **dict.fromkeys(_RESULT_COLUMNS, "int"),
    "home_xg": "float",
    "away_xg": "float",
    "observed_at": "timestamp",
    "source": "text",
    "source_file": "text",
    "source_line": "int",
}
_MATCH_VALUES = [c for c in _MATCH_STAGE if c != "key_id"]

_ODDS_STAGE = {
    "key_id": "int",
    "bookmaker": "text",
    "market": "text",
    "selection": "text",
    "line": "float",
    "kind": "text",
    "price": "float",
    "captured_at": "timestamp",
    "observed_at": "timestamp",
    "source": "text",
}

_REJECT_STAGE = {
    "source": "text",
    "source_file": "text",
    "source_line": "int",
    "column": "text",
    "reason": "text",
    "raw": "text",
}


@dataclass(frozen=True)
class MatchLoadReport:
    """What one load changed, per table; ``odds_unmatched`` counts odds rows whose match is in
    neither the batch nor the store (not stored)."""

    competitions: Counts = field(default_factory=Counts)
    teams: Counts = field(default_factory=Counts)
    matches: Counts = field(default_factory=Counts)
    odds: Counts = field(default_factory=Counts)
    rejects: Counts = field(default_factory=Counts)
    odds_unmatched: int = 0
    #: Feature snapshots a reload dropped because the data under them changed.
    feature_snapshots_deleted: int = 0

    def __add__(self, other: MatchLoadReport) -> MatchLoadReport:
        return MatchLoadReport(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def tables(self) -> dict[str, Counts]:
        """The counts of every table, by name."""
        return {
            "competitions": self.competitions,
            "teams": self.teams,
            "matches": self.matches,
            "odds": self.odds,
            "rejects": self.rejects,
        }

    @property
    def changed(self) -> bool:
        """Whether the load changed anything at all."""
        return any(c.changed for c in self.tables.values()) or bool(self.feature_snapshots_deleted)

    @property
    def notes(self) -> list[str]:
        """Odds rows the load could not place, and feature snapshots a reload dropped."""
        notes = []
        if self.odds_unmatched:
            notes.append(
                f"{self.odds_unmatched} odds rows name a match the store does not have (not stored)"
            )
        if self.feature_snapshots_deleted:
            notes.append(
                f"{self.feature_snapshots_deleted} feature snapshots of the reloaded data "
                "deleted: run features:build"
            )
        return notes


def _merge(
    conn: Connection,
    table: str,
    source_sql: str,
    keys: list[str],
    values: list[str],
    total: int,
    *,
    inserts: tuple[str, ...] = (),
    created: tuple[str, ...] = ("created_at", "updated_at"),
    touch: tuple[str, ...] = ("updated_at",),
) -> Counts:
    """Upsert the rows of ``source_sql`` (columns ``keys``, ``values`` and ``inserts``, one row
    per key) into ``table`` by ``keys``, set-based: update the rows whose ``values`` differ,
    insert the missing ones (with ``inserts`` too, and ``created`` set to now). ``total`` is the
    number of source rows; the rest are unchanged."""
    dialect = conn.dialect.name
    params = {"now": now_param(dialect)}
    sets = ", ".join([*(f'"{c}" = s."{c}"' for c in values), *(f'"{c}" = :now' for c in touch)])
    same_key = " AND ".join(f'{table}."{k}" = s."{k}"' for k in keys)
    differs = " OR ".join(distinct_from(dialect, f'{table}."{c}"', f's."{c}"') for c in values)
    updated = 0
    if values:
        updated = conn.execute(
            text(
                f"UPDATE {table} SET {sets} FROM ({source_sql}) AS s "
                f"WHERE {same_key} AND ({differs})"
            ),
            params,
        ).rowcount
    columns = ", ".join(f'"{c}"' for c in [*keys, *values, *inserts, *created])
    selected = ", ".join(
        [*(f's."{c}"' for c in [*keys, *values, *inserts]), *(":now" for _ in created)]
    )
    present = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
    inserted = conn.execute(
        text(
            f"INSERT INTO {table} ({columns}) SELECT {selected} FROM ({source_sql}) AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {present}) "
            "ON CONFLICT DO NOTHING"
        ),
        params,
    ).rowcount
    return Counts(inserted, updated, max(total - inserted - updated, 0))


def merge_rows(
    conn: Connection, table: str, source_sql: str, keys: list[str], values: list[str], total: int
) -> Counts:
    """Upsert the rows of ``source_sql`` (one per ``keys``) into ``table`` set-based: update
    those whose ``values`` differ, insert the missing ones (``created_at``/``updated_at`` set
    to now), and count the rest of ``total`` as unchanged. For a domain table written beside a
    staged load (the reference forecasts), on the load's connection."""
    return _merge(conn, table, source_sql, keys, values, total)


def _scalar(conn: Connection, sql: str, params: dict[str, object] | None = None) -> int:
    return int(conn.execute(text(sql), params or {}).scalar_one())


def _temporary_table(
    conn: Connection,
    name: str,
    select_sql: str,
    params: dict[str, object] | None = None,
    *,
    unique: str | None = None,
) -> None:
    """(Re)create temporary table ``name`` from ``select_sql``, with a unique index on
    ``unique``, analysed on PostgreSQL (temporary tables get no statistics otherwise)."""
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} AS {select_sql}"), params or {})
    if unique:
        conn.execute(text(f"CREATE UNIQUE INDEX ix_{name} ON {name} ({unique})"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {name}"))


_KINDS = {"string": "text", "Int64": "int", "Float64": "float", "float64": "float"}
_KINDS["datetime64[us]"] = "timestamp"


def _load_columns(columns: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    return {**extra, **{name: _KINDS[dtype] for name, dtype in columns.items()}}


#: The staged load: every row added, with its order (``_seq``) and file (``_file``); matches
#: carry their calendar day and raw record, odds their source line (for the per-file rules).
_LOAD_MATCHES = _load_columns(
    MATCH_COLUMNS, {"_seq": "int", "_file": "int", "_day": "int", "_raw": "text"}
)
_LOAD_ODDS = _load_columns(ODDS_COLUMNS, {"_seq": "int", "_file": "int", "_line": "int"})
_LOAD_REJECTS = _load_columns(REJECT_COLUMNS, {"_file": "int", "_sort": "float"})
_LOAD_FILES = {"_file": "int", "season": "text", "played_until": "int", "reason": "text"}


def _cols(names: list[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{c}"' for c in names)


def _last_per_key(table: str, columns: list[str], keys: list[str], order: str) -> str:
    """The rows of ``table`` (a query) with the last ``order`` of each ``keys`` (NULLs equal)."""
    return (
        f"SELECT {_cols(columns)} FROM (SELECT {_cols(columns)}, ROW_NUMBER() OVER "
        f"(PARTITION BY {_cols(keys)} ORDER BY {order}) AS _rn FROM ({table}) AS v) AS d "
        "WHERE _rn = 1"
    )


class StagedLoad:
    """One load being staged on a connection, inside the caller's transaction.

    Batches are added a chunk at a time (:meth:`add`) into temporary tables, so what the process
    holds is one chunk, never the load; :meth:`write` then upserts everything set-based, as one
    batch holding every row added, in order, would be. Per file, :meth:`finish_file` can give
    the season of its matches and odds and reject its matches left without a score before its
    last played match (known only once the whole file is read).
    """

    def __init__(self, conn: Connection, source: str | None = None) -> None:
        self.conn, self.source = conn, source
        self._seq = 0
        self._files = 0
        self._prepared = False
        for name, columns in (
            ("load_matches", _LOAD_MATCHES),
            ("load_odds", _LOAD_ODDS),
            ("load_rejects", _LOAD_REJECTS),
            ("load_files", _LOAD_FILES),
        ):
            create_stage(conn, name, columns)
        conn.commit()

    def _commit(self) -> None:
        """Commit the staging so far. The rows go in through the driver's own cursor
        (:func:`~formline.store.staging.stage_rows`), which SQLAlchemy does not see: commit
        the driver's transaction too."""
        self.conn.commit()
        driver: Any = self.conn.connection.dbapi_connection
        driver.commit()

    def new_file(self) -> int:
        """A number for the next file (or batch) added."""
        self._files += 1
        return self._files

    def _sequence(self, n: int) -> np.ndarray:
        start, self._seq = self._seq, self._seq + n
        return np.arange(start, start + n, dtype=np.int64)

    def add(self, batch: SourceBatch, file: int | None = None) -> None:
        """Stage ``batch`` (conformed here) as part of ``file`` (default: a file of its own).

        Beside the frames' columns, the matches may carry ``_date`` (the calendar day, for
        :meth:`finish_file`) and ``_raw`` (the raw record, for its reject), the odds ``_line``
        (the source line of their match).
        """
        if self._prepared:
            raise RuntimeError("StagedLoad.add after write")
        file = self.new_file() if file is None else file
        out = batch.conformed()
        m, o, r = out.matches, out.odds, out.rejects
        for frame in (m, o):  # football's fixtures have no key of their own: ""
            frame["fixture_key"] = frame["fixture_key"].fillna("")
        m["_seq"], m["_file"] = self._sequence(len(m)), file
        m["_day"] = _days(batch.matches["_date"]) if "_date" in batch.matches else None
        m["_raw"] = batch.matches["_raw"].to_numpy() if "_raw" in batch.matches else None
        o["_seq"], o["_file"] = self._sequence(len(o)), file
        o["_line"] = batch.odds["_line"].to_numpy() if "_line" in batch.odds else None
        r["_file"], r["_sort"] = file, self._sequence(len(r)).astype(float)
        stage_rows(self.conn, "load_matches", _LOAD_MATCHES, m)
        stage_rows(self.conn, "load_odds", _LOAD_ODDS, o)
        stage_rows(self.conn, "load_rejects", _LOAD_REJECTS, r)
        self._commit()  # temporary tables only: the store's tables are not touched

    def finish_file(
        self,
        file: int,
        *,
        season: str | None = None,
        played_until: np.datetime64 | None = None,
        reason: str = "",
    ) -> None:
        """``file`` is complete: its matches and odds take ``season`` (if given), and its
        matches without a score dated before ``played_until`` become rejects with ``reason``
        (their odds go with them)."""
        day = None
        if played_until is not None:
            day = int(np.asarray(played_until).astype("datetime64[D]").astype(np.int64))
        self.conn.execute(
            text("INSERT INTO load_files VALUES (:file, :season, :day, :reason)"),
            {"file": file, "season": season, "day": day, "reason": reason},
        )
        self._commit()

    def _prepare(self) -> None:
        """Apply the per-file rules once: the stale matches become rejects."""
        if self._prepared:
            return
        self._prepared = True
        conn = self.conn
        self._commit()  # the staging so far; the write transaction starts here
        if conn.dialect.name == "sqlite":
            # Take the write lock first: a deferred transaction whose snapshot predates another
            # writer's commit (a heartbeat during a long load) could never write ("locked").
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        if conn.dialect.name == "postgresql":
            for name in ("load_matches", "load_odds", "load_rejects", "load_files"):
                conn.execute(text(f"ANALYZE {name}"))
        _temporary_table(
            conn,
            "load_stale",
            "SELECT m._file, m.source_line, m.source, m.source_file, m._raw, f.reason "
            "FROM load_matches m JOIN load_files f ON f._file = m._file "
            "WHERE f.played_until IS NOT NULL AND m.status = 'scheduled' "
            "AND m._day < f.played_until",
        )
        conn.execute(text("CREATE INDEX ix_load_stale ON load_stale (_file, source_line)"))
        if _scalar(conn, "SELECT count(*) FROM load_stale"):
            # Each goes right after the file's last reject at or before its line (the file's
            # rejects are in line order), as the file read whole would list it.
            conn.execute(text("CREATE INDEX ix_load_rejects ON load_rejects (_file, source_line)"))
            conn.execute(
                text(
                    "INSERT INTO load_rejects (_file, _sort, source, source_file, source_line, "
                    '"column", reason, raw) SELECT s._file, COALESCE((SELECT max(r._sort) '
                    "FROM load_rejects r WHERE r._file = s._file "
                    "AND r.source_line <= s.source_line) + 0.5, (SELECT min(r._sort) "
                    "FROM load_rejects r WHERE r._file = s._file) - 0.5, 0), s.source, "
                    "s.source_file, s.source_line, '', s.reason, s._raw FROM load_stale s"
                )
            )

    def _matches_sql(self) -> str:
        return _kept_sql("load_matches", MATCH_COLUMNS, "source_line")

    def _odds_sql(self) -> str:
        return _kept_sql("load_odds", ODDS_COLUMNS, "_line")

    def rows(self) -> int:
        """How many match rows the load holds (before a key repeated across files is merged)."""
        self._prepare()
        return _scalar(self.conn, "SELECT count(*) FROM load_matches") - _scalar(
            self.conn, "SELECT count(*) FROM load_stale"
        )

    def rejects(self) -> pd.DataFrame:
        """Every reject added (and made by :meth:`finish_file`), in order, as a frame of
        :data:`~formline.matches.frames.REJECT_COLUMNS`."""
        self._prepare()
        found = self.conn.execute(
            text(
                f"SELECT {_cols(list(REJECT_COLUMNS))} FROM load_rejects "
                "ORDER BY _file, _sort, source_line"
            )
        )
        frame = pd.DataFrame(found.fetchall(), columns=list(REJECT_COLUMNS))
        return conform(frame, REJECT_COLUMNS)

    def bookmakers(self) -> list[str]:
        """The bookmakers of the odds the load holds, sorted."""
        self._prepare()
        found = self.conn.execute(text(f"SELECT DISTINCT bookmaker FROM ({self._odds_sql()}) AS o"))
        return sorted(str(row[0]) for row in found if row[0] is not None)

    def _source_of(self) -> str:
        if self.source is not None:
            return self.source
        for table in ("load_matches", "load_rejects"):
            found = self.conn.execute(
                text(
                    f"SELECT source FROM {table} ORDER BY "
                    f"{'_seq' if table == 'load_matches' else '_file, _sort'} LIMIT 1"
                )
            ).first()
            if found is not None:
                return str(found[0])
        return "unknown"

    def write(self) -> MatchLoadReport:
        """Upsert everything staged (set-based, on the caller's transaction) and report."""
        self._prepare()
        conn, source = self.conn, self._source_of()
        match_columns = [*MATCH_COLUMNS, "_seq"]
        _temporary_table(
            conn,
            "load_matches_last",
            _last_per_key(self._matches_sql(), match_columns, _KEY, "_seq DESC") + " ORDER BY _seq",
        )
        n_matches = _scalar(conn, "SELECT count(*) FROM load_matches_last")
        competitions_counts = teams_counts = Counts()
        if n_matches:
            competitions_counts = _upsert_competitions(conn)
            teams_counts = _upsert_teams(conn)
        # Every staging table is created, empty or not, so that a reload can refer to them all.
        _resolve_keys(conn, self._odds_sql())
        matches_counts = _upsert_matches(conn, n_matches)
        _match_ids(conn)
        n_odds = _stage_odds(conn, source, self._odds_sql())
        odds_counts, unmatched = _upsert_odds(conn, n_odds)
        rejects = _upsert_rejects(conn)
        return MatchLoadReport(
            competitions_counts, teams_counts, matches_counts, odds_counts, rejects, unmatched
        )

    def drop(self) -> None:
        """Drop the load's temporary tables (best effort: the connection may be broken)."""
        names = ["load_matches", "load_odds", "load_rejects", "load_files", "load_stale"]
        names += ["load_matches_last"]
        with contextlib.suppress(Exception):
            for name in names:
                self.conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
            self.conn.commit()

    def replace(self, source: str) -> MatchLoadReport:
        """:meth:`write`, then delete ``source``'s rows the load no longer has (see
        :func:`replace_source`)."""
        return _delete_missing(self.conn, source, self.write())


def _kept_sql(table: str, columns: dict[str, str], line: str) -> str:
    """The rows of staged ``table`` with their file's season, less those of the stale matches
    (``line``: the column holding their match's source line)."""
    others = [c for c in columns if c != "season"]
    return (
        f"SELECT {_cols(others, 'x.')}, COALESCE(f.season, x.season) AS season, x._seq "
        f"FROM {table} x LEFT JOIN load_files f ON f._file = x._file WHERE NOT EXISTS "
        f"(SELECT 1 FROM load_stale s WHERE s._file = x._file AND s.source_line = x.{line})"
    )


def _days(dates: pd.Series) -> pd.arrays.IntegerArray:
    """Calendar dates as days since 1970-01-01 (NA for NaT)."""
    values = dates.to_numpy(dtype="datetime64[D]")
    missing = np.isnat(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values.astype(np.int64)), missing)


@contextmanager
def staged_load(store: Store, what: str, source: str | None = None) -> Iterator[StagedLoad]:
    """A :class:`StagedLoad` on one connection of ``store``, written in one transaction.

    Chunks are staged into temporary tables only, each committed as it comes, so the store's
    own tables are untouched (and other writers, such as a run's heartbeat, are not held up)
    until :meth:`StagedLoad.write` writes everything in one transaction (on SQLite it takes
    the write lock first). The block commits that transaction when it ends and rolls it back
    if it raises, so a load that fails, while reading or writing, leaves the store as it was.
    The temporary tables are dropped when the block ends.
    """
    with store.connect(what) as conn:
        load = StagedLoad(conn, source)
        try:
            yield load
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            load.drop()


def _upsert_competitions(conn: Connection) -> Counts:
    columns = ["sport", "competition", "competition_name", "country", "_seq"]
    first = _last_per_key("SELECT * FROM load_matches_last", columns, columns[:2], "_seq")
    _temporary_table(conn, "stage_competitions", f"{first} ORDER BY _seq")
    return _merge(
        conn,
        "competitions",
        "SELECT sport, competition AS code, COALESCE(competition_name, competition) AS name, "
        "country FROM stage_competitions",
        ["sport", "code"],
        [],
        _scalar(conn, "SELECT count(*) FROM stage_competitions"),
        inserts=("name", "country"),
        created=("created_at",),
    )


def _upsert_teams(conn: Connection) -> Counts:
    """Create a team (and an alias of its own spelling) for every name no alias knows yet."""
    sides = (
        "SELECT sport, home_team AS name, 0 AS side, _seq FROM load_matches_last "
        "UNION ALL SELECT sport, away_team, 1, _seq FROM load_matches_last"
    )
    first = _last_per_key(sides, ["sport", "name", "side", "_seq"], ["sport", "name"], "side, _seq")
    _temporary_table(
        conn,
        "stage_teams",
        "SELECT sport, name, (SELECT source FROM load_matches_last ORDER BY _seq LIMIT 1) "
        f"AS source FROM ({first}) AS f ORDER BY side, _seq",
    )
    now = now_param(conn.dialect.name)
    inserted = conn.execute(
        text(
            "INSERT INTO teams (sport, name, created_at) "
            "SELECT s.sport, s.name, :now FROM stage_teams s "
            "WHERE NOT EXISTS (SELECT 1 FROM team_aliases a "
            "                  WHERE a.sport = s.sport AND a.alias = s.name) "
            "ON CONFLICT (sport, name) DO NOTHING"
        ),
        {"now": now},
    ).rowcount
    conn.execute(
        text(
            "INSERT INTO team_aliases (sport, alias, team_id, source, created_at) "
            "SELECT s.sport, s.name, t.id, s.source, :now FROM stage_teams s "
            "JOIN teams t ON t.sport = s.sport AND t.name = s.name "
            "WHERE NOT EXISTS (SELECT 1 FROM team_aliases a "
            "                  WHERE a.sport = s.sport AND a.alias = s.name) "
            "ON CONFLICT (sport, alias) DO NOTHING"
        ),
        {"now": now},
    )
    names = _scalar(conn, "SELECT count(*) FROM stage_teams")
    return Counts(inserted=inserted, unchanged=names - inserted)


def _resolve_keys(conn: Connection, odds_sql: str) -> None:
    """``stage_keys_raw``: the load's distinct match keys (of its matches and its odds), each
    with a ``key_id``; ``stage_keys``: those resolved to the store's competition and team ids
    (keys naming a competition or team the store does not know are left out)."""
    keys = _cols(_KEY)
    _temporary_table(
        conn,
        "stage_keys_raw",
        f"SELECT ROW_NUMBER() OVER () AS key_id, {keys} FROM (SELECT {keys} FROM "
        f"load_matches_last UNION SELECT {keys} FROM ({odds_sql}) AS o) AS u",
        unique="key_id",
    )
    teams_first = _cols(["home_team", "away_team", "season", "competition", "sport"])
    conn.execute(text(f"CREATE INDEX ix_stage_keys_raw_key ON stage_keys_raw ({teams_first})"))
    _temporary_table(
        conn,
        "stage_keys",
        "SELECT k.key_id, c.id AS competition_id, k.season, k.fixture_key, "
        "ha.team_id AS home_team_id, aa.team_id AS away_team_id "
        "FROM stage_keys_raw k "
        "JOIN competitions c ON c.sport = k.sport AND c.code = k.competition "
        "JOIN team_aliases ha ON ha.sport = k.sport AND ha.alias = k.home_team "
        "JOIN team_aliases aa ON aa.sport = k.sport AND aa.alias = k.away_team",
        unique="key_id",
    )


def _with_key_id(table: str, columns: list[str]) -> str:
    """The rows of ``table`` with the ``key_id`` of their match key, in the order they were
    added (so new rows get their ids in that order); rows with a NULL in their key have none,
    and no match could be resolved for them."""
    same = " AND ".join(f'k."{c}" = x."{c}"' for c in _KEY)
    return (
        f"SELECT k.key_id, {_cols(columns, 'x.')} FROM {table} x "
        f"JOIN stage_keys_raw k ON {same} ORDER BY x._seq"
    )


def _upsert_matches(conn: Connection, total: int) -> Counts:
    _temporary_table(conn, "stage_matches", _with_key_id("load_matches_last", _MATCH_VALUES))
    values = ", ".join(f's."{c}"' for c in _MATCH_VALUES)
    source_sql = (
        f"SELECT s.key_id, k.competition_id, k.season, k.home_team_id, k.away_team_id, "
        "k.fixture_key, "
        f"m_sport.sport, {values} FROM stage_matches s JOIN stage_keys k ON k.key_id = s.key_id "
        "JOIN stage_keys_raw m_sport ON m_sport.key_id = s.key_id"
    )
    return _merge(
        conn,
        "matches",
        source_sql,
        _MATCH_KEY,
        _MATCH_VALUES,
        total,
        inserts=("sport",),
    )


def _match_ids(conn: Connection) -> None:
    """``stage_match_ids``: the store's match id of every resolved batch key."""
    _temporary_table(
        conn,
        "stage_match_ids",
        "SELECT k.key_id, m.id AS match_id FROM stage_keys k "
        "JOIN matches m ON m.competition_id = k.competition_id AND m.season = k.season "
        "AND m.home_team_id = k.home_team_id AND m.away_team_id = k.away_team_id "
        "AND m.fixture_key = k.fixture_key",
        unique="key_id",
    )


def _stage_odds(conn: Connection, source: str, odds_sql: str) -> int:
    """``stage_odds``: the load's odds (``odds_sql``) with their ``key_id``, one row per natural
    key (a key added twice: its last row). Returns how many there are, with those whose match
    key has a NULL (they have no ``key_id`` and will not resolve)."""
    values = [*(c for c in _ODDS_STAGE if c not in ("key_id", "source")), "_seq"]
    keyed = _with_key_id(f"({odds_sql})", [*values, "source"])
    sql = (
        f"SELECT k.key_id, {_cols(values, 'k.')}, COALESCE(k.source, CAST(:source AS TEXT)) "
        f"AS source FROM ({keyed}) AS k"
    )
    _temporary_table(conn, "stage_odds", sql, {"source": source})
    total = _scalar(conn, "SELECT count(*) FROM stage_odds")
    odds_key = ["key_id", *_ODDS_KEY]
    if total != _scalar(
        conn, f"SELECT count(*) FROM (SELECT DISTINCT {_cols(odds_key)} FROM stage_odds) AS d"
    ):
        # Rare (the same odds in two files, or twice in one batch): keep the last of each.
        columns = [*_ODDS_STAGE, "_seq"]
        last = _last_per_key("SELECT * FROM stage_odds", columns, odds_key, "_seq DESC")
        _temporary_table(conn, "stage_odds_last", f"{last} ORDER BY _seq")
        conn.execute(text("DROP TABLE stage_odds"))
        conn.execute(text("ALTER TABLE stage_odds_last RENAME TO stage_odds"))
        total = _scalar(conn, "SELECT count(*) FROM stage_odds")
    nulls = " OR ".join(f'"{c}" IS NULL' for c in _KEY)
    unkeyed = f"SELECT DISTINCT {_cols([*_KEY, *_ODDS_KEY])} FROM ({odds_sql}) AS o WHERE {nulls}"
    return total + _scalar(conn, f"SELECT count(*) FROM ({unkeyed}) AS u")


def _upsert_odds(conn: Connection, total: int) -> tuple[Counts, int]:
    """Upsert ``stage_odds`` against the store's matches (in this load or loaded before); the
    counts and the number of odds rows whose match the store does not have (of ``total``)."""
    resolved = _scalar(
        conn, "SELECT count(*) FROM stage_odds s JOIN stage_match_ids i ON i.key_id = s.key_id"
    )
    columns = ", ".join(f's."{c}"' for c in [*_ODDS_KEY, *_ODDS_VALUES])
    source_sql = (
        f"SELECT i.match_id, {columns} FROM stage_odds s "
        "JOIN stage_match_ids i ON i.key_id = s.key_id"
    )
    counts = _merge(conn, "odds", source_sql, ["match_id", *_ODDS_KEY], _ODDS_VALUES, resolved)
    return counts, total - resolved


def _upsert_rejects(conn: Connection) -> Counts:
    columns = [*_REJECT_STAGE, "_file", "_sort"]
    last = _last_per_key(
        "SELECT * FROM load_rejects",
        columns,
        ["source_file", "source_line", "column"],
        "_file DESC, _sort DESC, source_line DESC",
    )
    _temporary_table(conn, "stage_rejects", f"{last} ORDER BY _file, _sort, source_line")
    return _merge(
        conn,
        "ingest_rejects",
        'SELECT source, source_file, source_line, "column", reason, raw FROM stage_rejects',
        ["source_file", "source_line", "column"],
        ["source", "reason", "raw"],
        _scalar(conn, "SELECT count(*) FROM stage_rejects"),
        created=("created_at",),
        touch=(),
    )


def upsert_batch(store: Store, batch: SourceBatch, *, source: str | None = None) -> MatchLoadReport:
    """Write one source batch in a single transaction and report what changed.

    Matches are upserted by natural key; odds are resolved against the store's matches, those
    of this batch and those loaded before (an odds-only batch updates the odds of stored
    matches). ``source`` names the loader of the odds (default: the batch's matches' source).
    A load too large to hold at once goes through :func:`staged_load` a chunk at a time.

    Raises
    ------
    StoreError
        If the database refuses the load; nothing is written then.
    """
    with staged_load(store, "loading matches", source) as load:
        load.add(batch)
        return load.write()


def replace_source(store: Store, batch: SourceBatch, source: str) -> MatchLoadReport:
    """Make ``source``'s data in the store what ``batch`` holds, in one transaction.

    Rows are upserted by natural key, so a match the batch still has keeps its id (and the
    predictions published for it); ``source``'s matches, odds and rejects the batch no longer
    has are deleted, with the competitions and teams only they used. If the data changed, the
    feature snapshots of ``source``'s matches are deleted (``features:build`` recomputes them).

    Raises
    ------
    ReloadRefusedError
        If a match the batch no longer has is referenced by a stored prediction: a reload never
        destroys what was published, so nothing is written and the error says which snapshots
        hold such matches.
    StoreError
        If the database refuses the load.
    """
    with staged_load(store, f"reloading {source} data", source) as load:
        load.add(batch)
        return load.replace(source)


def _delete_missing(conn: Connection, source: str, report: MatchLoadReport) -> MatchLoadReport:
    """Delete ``source``'s rows that the batch just written on ``conn`` no longer has."""
    params: dict[str, object] = {"source": source}
    kept = "SELECT i.match_id FROM stage_match_ids i JOIN stage_matches s ON s.key_id = i.key_id"
    _temporary_table(
        conn,
        "stage_gone",
        "SELECT id, competition_id, home_team_id, away_team_id FROM matches "
        f"WHERE source = :source AND id NOT IN ({kept})",
        params,
    )
    gone = _scalar(conn, "SELECT count(*) FROM stage_gone")
    if gone:
        _refuse_if_predicted(conn, source)
    _temporary_table(
        conn,
        "stage_odds_kept",
        "SELECT o.id FROM stage_odds s JOIN stage_match_ids i ON i.key_id = s.key_id "
        "JOIN odds o ON o.match_id = i.match_id AND o.bookmaker = s.bookmaker "
        "AND o.market = s.market AND o.selection = s.selection AND o.line = s.line "
        "AND o.kind = s.kind",
        unique="id",
    )
    odds_deleted = conn.execute(
        text(
            "DELETE FROM odds WHERE match_id IN (SELECT id FROM matches WHERE source = :source) "
            "AND id NOT IN (SELECT id FROM stage_odds_kept)"
        ),
        params,
    ).rowcount
    rejects_kept = (
        "SELECT 1 FROM stage_rejects s WHERE s.source_file = ingest_rejects.source_file "
        'AND s.source_line = ingest_rejects.source_line AND s."column" = ingest_rejects."column"'
    )
    rejects_deleted = conn.execute(
        text(f"DELETE FROM ingest_rejects WHERE source = :source AND NOT EXISTS ({rejects_kept})"),
        params,
    ).rowcount
    matches_deleted = teams_deleted = competitions_deleted = 0
    if gone:
        conn.execute(
            text(
                "DELETE FROM feature_snapshots WHERE domain = 'matches' "
                "AND event_id IN (SELECT id FROM stage_gone)"
            )
        )
        matches_deleted = conn.execute(
            text("DELETE FROM matches WHERE id IN (SELECT id FROM stage_gone)")
        ).rowcount
        unused_team = (
            "SELECT t FROM (SELECT home_team_id AS t FROM stage_gone "
            "UNION SELECT away_team_id FROM stage_gone) g WHERE NOT EXISTS "
            "(SELECT 1 FROM matches m WHERE m.home_team_id = g.t OR m.away_team_id = g.t)"
        )
        conn.execute(text(f"DELETE FROM team_aliases WHERE team_id IN ({unused_team})"))
        teams_deleted = conn.execute(
            text(
                "DELETE FROM teams WHERE id IN (SELECT home_team_id FROM stage_gone "
                "UNION SELECT away_team_id FROM stage_gone) AND NOT EXISTS "
                "(SELECT 1 FROM team_aliases a WHERE a.team_id = teams.id)"
            )
        ).rowcount
        competitions_deleted = conn.execute(
            text(
                "DELETE FROM competitions WHERE id IN (SELECT competition_id FROM stage_gone) "
                "AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.competition_id = competitions.id)"
            )
        ).rowcount
    report = replace(
        report,
        competitions=report.competitions + Counts(deleted=competitions_deleted),
        teams=report.teams + Counts(deleted=teams_deleted),
        matches=report.matches + Counts(deleted=matches_deleted),
        odds=report.odds + Counts(deleted=odds_deleted),
        rejects=report.rejects + Counts(deleted=rejects_deleted),
    )
    if report.changed:
        features_deleted = conn.execute(
            text(
                "DELETE FROM feature_snapshots WHERE domain = 'matches' AND event_id IN "
                "(SELECT id FROM matches WHERE source = :source)"
            ),
            params,
        ).rowcount
        report = replace(report, feature_snapshots_deleted=features_deleted)
    return report


def _refuse_if_predicted(conn: Connection, source: str) -> None:
    """Raise if a stored prediction (of a matches snapshot) is of a match in ``stage_gone``."""
    predicted = (
        "FROM predicted_events p JOIN stage_gone g ON g.id = p.event_id "
        "JOIN prediction_snapshots s ON s.id = p.snapshot_id AND s.domain = 'matches' "
    )
    rows = conn.execute(
        text(
            f"SELECT p.snapshot_id, min(pub.name) AS publication {predicted}"
            "LEFT JOIN publications pub ON pub.snapshot_id = p.snapshot_id "
            "GROUP BY p.snapshot_id ORDER BY p.snapshot_id"
        )
    ).fetchall()
    if not rows:
        return
    n_matches = _scalar(conn, f"SELECT count(DISTINCT p.event_id) {predicted}")
    snapshots = ", ".join(
        f"{r.snapshot_id}" + (f" (published as '{r.publication}')" if r.publication else "")
        for r in rows
    )
    raise ReloadRefusedError(
        f"refusing to reload the {source} data: the new data lacks {n_matches} of its stored "
        f"matches that prediction snapshot{'s' if len(rows) > 1 else ''} {snapshots} predicted, "
        "and a reload never deletes published predictions; nothing was changed"
    )


def delete_source(store: Store, source: str) -> int:
    """Delete every match (with its odds and feature snapshots) that ``source`` loaded, and the
    competitions and teams that only it used. Returns the number of matches deleted.
    """
    with store.begin(f"deleting {source} data") as conn:
        comp_ids = [
            r[0]
            for r in conn.execute(
                select(matches.c.competition_id).where(matches.c.source == source).distinct()
            )
        ]
        team_ids = {
            r[0]
            for col in (matches.c.home_team_id, matches.c.away_team_id)
            for r in conn.execute(select(col).where(matches.c.source == source).distinct())
        }
        match_ids = select(matches.c.id).where(matches.c.source == source).scalar_subquery()
        conn.execute(
            feature_snapshots.delete().where(
                (feature_snapshots.c.domain == "matches")
                & feature_snapshots.c.event_id.in_(match_ids)
            )
        )
        conn.execute(odds.delete().where(odds.c.match_id.in_(match_ids)))
        deleted = conn.execute(matches.delete().where(matches.c.source == source)).rowcount
        conn.execute(ingest_rejects.delete().where(ingest_rejects.c.source == source))
        for comp_id in comp_ids:
            if (
                conn.execute(
                    select(matches.c.id).where(matches.c.competition_id == comp_id).limit(1)
                ).first()
                is None
            ):
                conn.execute(competitions.delete().where(competitions.c.id == comp_id))
        for team_id in team_ids:
            used = conn.execute(
                select(matches.c.id)
                .where((matches.c.home_team_id == team_id) | (matches.c.away_team_id == team_id))
                .limit(1)
            ).first()
            if used is None:
                conn.execute(team_aliases.delete().where(team_aliases.c.team_id == team_id))
                conn.execute(teams.delete().where(teams.c.id == team_id))
    return int(deleted)


def add_alias(store: Store, sport: str, alias: str, team_name: str) -> None:
    """Map another spelling (``alias``) onto an existing team, so later loads resolve to it."""
    from formline.errors import DataError

    with store.begin("adding a team alias") as conn:
        team_id = conn.execute(
            select(team_aliases.c.team_id).where(
                (team_aliases.c.sport == sport) & (team_aliases.c.alias == team_name)
            )
        ).scalar()
        if team_id is None:
            raise DataError(f"team '{team_name}': no such {sport} team")
        existing = conn.execute(
            select(team_aliases.c.team_id).where(
                (team_aliases.c.sport == sport) & (team_aliases.c.alias == alias)
            )
        ).scalar()
        if existing is not None and existing != team_id:
            raise DataError(f"alias '{alias}' already names another team")
        if existing is None:
            conn.execute(
                team_aliases.insert().values(
                    sport=sport, alias=alias, team_id=team_id, source="manual", created_at=utcnow()
                )
            )
