"""Writing a transfer batch to the store: leagues, clubs and their aliases and seasons,
players, transfers and rejects, then the clubs' links to the match data's teams.

The batch is staged into temporary tables, then written set-based in one transaction, so a
load that fails leaves the store as it was. Upserts are by natural key (the ``key`` columns, see
:mod:`formline.transfers.frames`), so loading the same data twice changes nothing (every row is
counted unchanged) and a corrected row updates in place.

Linking clubs to teams
----------------------
Spellings (a club's name and aliases; a team's name and ``team_aliases``) are compared in
their :func:`~formline.transfers.identity.club_form` (normalised, without "FC", "AFC",
"Calcio" ...). An unlinked club is linked to an unlinked team of the store's ``teams`` (any sport):

1. when one of its spellings equals one of the team's, and its spellings name no other team;
2. else, for a team no covered club named and with no spelling of another team's, when one
   of its spellings abbreviates one of exactly one covered club's
   (:func:`~formline.transfers.identity.abbreviates`: "Man United" -> "Manchester United",
   "M'gladbach" -> "Borussia Mönchengladbach");
3. a team that several clubs would take goes to the covered one (a club of a covered league:
   "FC Barcelona", not Ecuador's "Barcelona SC"), and to none if that is not one club.

A link, once made, is kept.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from formline.store.db import Store
from formline.store.load_report import Counts
from formline.store.staging import create_stage, distinct_from, now_param, stage_rows
from formline.transfers.frames import TransferBatch
from formline.transfers.identity import abbreviates as _abbreviates
from formline.transfers.identity import club_form


@dataclass(frozen=True)
class TransferLoadReport:
    """What one load changed, per table, and how many clubs it newly linked to a team."""

    tables: dict[str, Counts] = field(default_factory=dict)
    linked_teams: int = 0

    @property
    def changed(self) -> bool:
        """Whether the load changed anything at all."""
        return self.linked_teams > 0 or any(c.changed for c in self.tables.values())

    @property
    def notes(self) -> list[str]:
        """How many clubs the load newly linked to a team of the match data."""
        return (
            [f"{self.linked_teams} clubs newly linked to a team of the match data"]
            if self.linked_teams
            else []
        )


_KINDS = {"string": "text", "Int64": "int", "Float64": "float", "float64": "float"}
_KINDS |= {"datetime64[us]": "timestamp", "boolean": "int"}
_STAGES = {f"tl_{name}": (name, columns) for name, columns in TransferBatch.frame_columns().items()}
_TEMPORARY = (
    *_STAGES,
    "tl_club_rows",
    "tl_alias_rows",
    "tl_season_rows",
    "tl_transfer_rows",
    "tl_links",
)


def _cols(names: list[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{c}"' for c in names)


def _scalar(conn: Connection, sql: str) -> int:
    return int(conn.execute(text(sql)).scalar_one())


def temporary(conn: Connection, name: str, select_sql: str) -> None:
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} AS {select_sql}"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {name}"))


def _key_equal(
    left: str, right: str, column: str, nullable: tuple[str, ...], unindexed: tuple[str, ...] = ()
) -> str:
    if column in nullable:  # an id column that may be NULL: NULL matches NULL (hashable)
        return f'COALESCE({left}."{column}", -1) = COALESCE({right}."{column}", -1)'
    if column in unindexed:  # SQLite's unary "+" (a no-op) keeps the planner off its index
        return f'+{left}."{column}" = {right}."{column}"'
    return f'{left}."{column}" = {right}."{column}"'


def merge(
    conn: Connection,
    table: str,
    source: str,
    keys: list[str],
    values: list[str],
    *,
    stamps: tuple[str, ...] = ("created_at", "updated_at"),
    nullable: tuple[str, ...] = (),
    unindexed: tuple[str, ...] = (),
) -> Counts:
    """Upsert the rows of temporary table ``source`` (one per key) into ``table`` by ``keys``:
    update those whose ``values`` differ, insert the missing ones. Keys named in ``nullable``
    (integer ids) match when both are NULL; on SQLite, an index on a key named in
    ``unindexed`` is not used for the match (one that SQLite would pick, without statistics,
    over a far more selective one)."""
    dialect = conn.dialect.name
    unindexed = unindexed if dialect == "sqlite" else ()
    params = {"now": now_param(dialect)}
    total = _scalar(conn, f"SELECT count(*) FROM {source}")
    same = " AND ".join(_key_equal(table, "s", c, nullable, unindexed) for c in keys)
    touch = [f'"{c}" = :now' for c in stamps if c == "updated_at"]
    sets = ", ".join([*(f'"{c}" = s."{c}"' for c in values), *touch])
    differs = " OR ".join(distinct_from(dialect, f'{table}."{c}"', f's."{c}"') for c in values)
    updated = conn.execute(
        text(f"UPDATE {table} SET {sets} FROM {source} AS s WHERE {same} AND ({differs})"),
        params,
    ).rowcount
    columns = [*keys, *values]
    exists = " AND ".join(_key_equal("t", "s", c, nullable, unindexed) for c in keys)
    inserted = conn.execute(
        text(
            f"INSERT INTO {table} ({_cols([*columns, *stamps])}) "
            f"SELECT {_cols(columns, 's.')}{''.join(', :now' for _ in stamps)} FROM {source} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {exists})"
        ),
        params,
    ).rowcount
    return Counts(inserted, updated, max(total - inserted - updated, 0))


def _stage(conn: Connection, batch: TransferBatch) -> None:
    conformed = batch.conformed()
    for stage, (name, columns) in _STAGES.items():
        kinds = {c: _KINDS[dtype] for c, dtype in columns.items()}
        create_stage(conn, stage, kinds)
        stage_rows(conn, stage, kinds, getattr(conformed, name))
    conn.commit()  # the rows went in through the driver's own cursor: commit its transaction
    driver: Any = conn.connection.dbapi_connection
    driver.commit()


def _write(conn: Connection) -> dict[str, Counts]:
    league_values = ["name", "country", "tier"]
    tables = {"leagues": merge(conn, "leagues", "tl_leagues", ["key"], league_values)}
    temporary(
        conn,
        "tl_club_rows",
        "SELECT c.key, c.name, c.country, l.id AS league_id FROM tl_clubs c "
        "LEFT JOIN leagues l ON l.key = c.league_key",
    )
    club_values = ["name", "country", "league_id"]
    tables["clubs"] = merge(conn, "clubs", "tl_club_rows", ["key"], club_values)
    temporary(
        conn,
        "tl_alias_rows",
        "SELECT a.alias, a.name, c.id AS club_id, a.rule FROM tl_club_aliases a "
        "JOIN clubs c ON c.key = a.club_key",
    )
    tables["club_aliases"] = merge(
        conn,
        "club_aliases",
        "tl_alias_rows",
        ["alias"],
        ["name", "club_id", "rule"],
        stamps=("created_at",),
    )
    temporary(
        conn,
        "tl_season_rows",
        "SELECT c.id AS club_id, s.season, l.id AS league_id FROM tl_club_seasons s "
        "JOIN clubs c ON c.key = s.club_key JOIN leagues l ON l.key = s.league_key",
    )
    tables["club_seasons"] = merge(
        conn, "club_seasons", "tl_season_rows", ["club_id", "season"], ["league_id"]
    )
    player_values = ["name", "birth_year", "position", "nationality", "identity"]
    tables["players"] = merge(conn, "players", "tl_players", ["key"], player_values)
    moves = ["from_status", "to_status", "season", "transfer_window", "age", "position", "fee_eur"]
    moves += ["market_value_eur", "moved_on", "observed_at", "sightings", "source"]
    moves += ["source_file", "source_line"]
    temporary(
        conn,
        "tl_transfer_rows",
        f"SELECT t.key, p.id AS player_id, f.id AS from_club_id, d.id AS to_club_id, "
        f"{_cols(moves, 't.')}, (COALESCE(t.is_loan, 0) = 1) AS is_loan, "
        "(COALESCE(t.loan_return, 0) = 1) AS loan_return FROM tl_transfers t "
        "JOIN players p ON p.key = t.player_key "
        "LEFT JOIN clubs f ON f.key = t.from_club_key LEFT JOIN clubs d ON d.key = t.to_club_key",
    )
    values = ["player_id", "from_club_id", "to_club_id", *moves, "is_loan", "loan_return"]
    tables["transfers"] = merge(conn, "transfers", "tl_transfer_rows", ["key"], values)
    tables["ingest_rejects"] = merge(
        conn,
        "ingest_rejects",
        "tl_rejects",
        ["source_file", "source_line", "column"],
        ["source", "reason", "raw"],
        stamps=("created_at",),
    )
    return tables


def _link_form(name: str) -> str:
    return club_form(name)


def _team_spellings(conn: Connection) -> dict[int, set[str]]:
    rows = conn.execute(
        text("SELECT id, name FROM teams UNION SELECT team_id, alias FROM team_aliases")
    ).all()
    spellings: dict[int, set[str]] = {}
    for team_id, name in rows:
        spellings.setdefault(int(team_id), set()).add(_link_form(name))
    return spellings


def _club_spellings(conn: Connection) -> tuple[dict[int, set[str]], set[int], set[int]]:
    """Unlinked clubs' spellings, which of them are covered, and the teams already linked."""
    rows = conn.execute(
        text(
            "SELECT c.id, c.name, c.league_id, c.team_id FROM clubs c UNION "
            "SELECT c.id, a.name, c.league_id, c.team_id FROM clubs c "
            "JOIN club_aliases a ON a.club_id = c.id"
        )
    ).all()
    spellings: dict[int, set[str]] = {}
    covered: set[int] = set()
    linked: set[int] = set()
    for club_id, name, league_id, team_id in rows:
        if team_id is not None:
            linked.add(int(team_id))
            continue
        spellings.setdefault(int(club_id), set()).add(_link_form(name))
        if league_id is not None:
            covered.add(int(club_id))
    return spellings, covered, linked


def _proposed_links(conn: Connection) -> dict[int, int]:
    """Club -> team for the unlinked clubs and teams (see the module docstring)."""
    teams = _team_spellings(conn)
    clubs, covered, linked = _club_spellings(conn)
    named: dict[str, set[int]] = {}
    for team_id, forms in teams.items():
        if team_id not in linked:
            for form in forms:
                named.setdefault(form, set()).add(team_id)
    proposals: dict[int, set[int]] = {}
    for club_id, forms in clubs.items():
        found = set().union(*(named.get(f, set()) for f in forms))
        if len(found) == 1:
            proposals[club_id] = found
    claimed = {t for c, found in proposals.items() if c in covered for t in found}
    for team_id, forms in teams.items():
        shared = any(len(named.get(f, ())) > 1 for f in forms)  # a spelling of two teams
        if team_id in linked or team_id in claimed or shared:
            continue
        shortened = {
            club_id
            for club_id in covered - {c for c in proposals if c in covered}
            if any(_abbreviates(t, c) for t in forms for c in clubs[club_id])
        }
        if len(shortened) == 1:
            proposals[shortened.pop()] = {team_id}
    by_team: dict[int, list[int]] = {}
    for club_id, found in proposals.items():
        by_team.setdefault(next(iter(found)), []).append(club_id)
    links = {}
    for team_id, candidates in by_team.items():
        preferred = [c for c in candidates if c in covered] or candidates
        if len(preferred) == 1:
            links[preferred[0]] = team_id
    return links


def _link_teams(conn: Connection) -> int:
    """Link unlinked clubs to teams (see the module docstring); returns how many."""
    links = _proposed_links(conn)
    if not links:
        return 0
    frame = pd.DataFrame(
        {"club_id": np.array(list(links), dtype=np.int64), "team_id": list(links.values())}
    )
    create_stage(conn, "tl_links", {"club_id": "int", "team_id": "int"})
    stage_rows(conn, "tl_links", {"club_id": "int", "team_id": "int"}, frame)
    return conn.execute(
        text(
            "UPDATE clubs SET team_id = s.team_id, updated_at = :now FROM tl_links AS s "
            "WHERE clubs.id = s.club_id AND clubs.team_id IS NULL"
        ),
        {"now": now_param(conn.dialect.name)},
    ).rowcount


class AlsoWrite(Protocol):
    """More rows written in the same transaction as a batch (the transfer tables a
    :class:`TransferBatch` does not carry: see :mod:`formline.transfers.store_records`)."""

    #: The temporary tables it makes (dropped after the load).
    temporary: tuple[str, ...]

    def stage(self, conn: Connection) -> None:
        """Stage its rows into temporary tables (before the transaction)."""

    def write(self, conn: Connection) -> dict[str, Counts]:
        """Write them, inside the transaction, after the batch's tables; returns the counts."""
        ...


def write_transfers(
    store: Store, batch: TransferBatch, *, also: AlsoWrite | None = None
) -> TransferLoadReport:
    """Upsert ``batch`` (and ``also``'s rows) in one transaction, link clubs to teams, and
    report what changed.

    Raises
    ------
    StoreError
        If the database refuses the load; nothing is written then.
    """
    with store.connect("loading transfers") as conn:
        try:
            _stage(conn, batch)
            if also is not None:
                also.stage(conn)
                conn.commit()
                driver: Any = conn.connection.dbapi_connection
                driver.commit()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock before reading
            tables = _write(conn)
            if also is not None:
                tables |= also.write(conn)
            linked = _link_teams(conn)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                for name in (*_TEMPORARY, *(also.temporary if also else ())):
                    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
                conn.commit()
    return TransferLoadReport(tables, linked)
