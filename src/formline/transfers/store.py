"""Writing a transfer batch to the store: leagues, clubs and their aliases and seasons,
players, transfers and rejects, then the clubs' links to the match data's teams.

The batch is staged into temporary tables, then written set-based in one transaction, so a
load that fails leaves the store as it was. Upserts are by natural key (the ``key`` columns, see
:mod:`formline.transfers.frames`), so loading the same data twice changes nothing (every row is
counted unchanged) and a corrected row updates in place.

Linking clubs to teams
----------------------
A club is linked to a team of the store's ``teams`` (any sport) when one of its spellings (its
name or an alias) and one of the team's (its name or a ``team_aliases`` alias) are equal once
both are normalised (:func:`~formline.transfers.identity.normalise`) and stripped of the
club-form words of :data:`CLUB_FORM_WORDS` ("FC", "AFC", "Calcio" ...), and that spelling
names exactly one team. A club whose spellings name two teams is left unlinked. A link, once
made, is kept.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from formline.store.db import Store
from formline.store.staging import create_stage, distinct_from, now_param, stage_rows
from formline.transfers.frames import TransferBatch
from formline.transfers.identity import normalise

CLUB_FORM_WORDS = frozenset(
    ("fc", "afc", "cf", "sc", "ac", "ssc", "fk", "cd", "ud", "sd", "rcd", "sv", "calcio", "club")
)


@dataclass(frozen=True)
class Counts:
    """What a load did to one table: rows inserted, updated in place, found unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def changed(self) -> bool:
        """Whether the load changed anything in this table."""
        return bool(self.inserted or self.updated)


@dataclass(frozen=True)
class TransferLoadReport:
    """What one load changed, per table, and how many clubs it newly linked to a team."""

    tables: dict[str, Counts] = field(default_factory=dict)
    linked_teams: int = 0

    @property
    def changed(self) -> bool:
        """Whether the load changed anything at all."""
        return self.linked_teams > 0 or any(c.changed for c in self.tables.values())


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


def _temporary(conn: Connection, name: str, select_sql: str) -> None:
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} AS {select_sql}"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {name}"))


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
    same = " AND ".join(f'{table}."{c}" = s."{c}"' for c in keys)
    touch = [f'"{c}" = :now' for c in stamps if c == "updated_at"]
    sets = ", ".join([*(f'"{c}" = s."{c}"' for c in values), *touch])
    differs = " OR ".join(distinct_from(dialect, f'{table}."{c}"', f's."{c}"') for c in values)
    updated = conn.execute(
        text(f"UPDATE {table} SET {sets} FROM {source} AS s WHERE {same} AND ({differs})"),
        params,
    ).rowcount
    columns = [*keys, *values]
    exists = " AND ".join(f't."{c}" = s."{c}"' for c in keys)
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
    tables = {"leagues": _merge(conn, "leagues", "tl_leagues", ["key"], league_values)}
    _temporary(
        conn,
        "tl_club_rows",
        "SELECT c.key, c.name, c.country, l.id AS league_id FROM tl_clubs c "
        "LEFT JOIN leagues l ON l.key = c.league_key",
    )
    club_values = ["name", "country", "league_id"]
    tables["clubs"] = _merge(conn, "clubs", "tl_club_rows", ["key"], club_values)
    _temporary(
        conn,
        "tl_alias_rows",
        "SELECT a.alias, a.name, c.id AS club_id, a.rule FROM tl_club_aliases a "
        "JOIN clubs c ON c.key = a.club_key",
    )
    tables["club_aliases"] = _merge(
        conn,
        "club_aliases",
        "tl_alias_rows",
        ["alias"],
        ["name", "club_id", "rule"],
        stamps=("created_at",),
    )
    _temporary(
        conn,
        "tl_season_rows",
        "SELECT c.id AS club_id, s.season, l.id AS league_id FROM tl_club_seasons s "
        "JOIN clubs c ON c.key = s.club_key JOIN leagues l ON l.key = s.league_key",
    )
    tables["club_seasons"] = _merge(
        conn, "club_seasons", "tl_season_rows", ["club_id", "season"], ["league_id"]
    )
    player_values = ["name", "birth_year", "position", "nationality", "identity"]
    tables["players"] = _merge(conn, "players", "tl_players", ["key"], player_values)
    moves = ["from_status", "to_status", "season", "transfer_window", "age", "position", "fee_eur"]
    moves += ["market_value_eur", "moved_on", "observed_at", "sightings", "source"]
    moves += ["source_file", "source_line"]
    _temporary(
        conn,
        "tl_transfer_rows",
        f"SELECT t.key, p.id AS player_id, f.id AS from_club_id, d.id AS to_club_id, "
        f"{_cols(moves, 't.')}, (COALESCE(t.is_loan, 0) = 1) AS is_loan, "
        "(COALESCE(t.loan_return, 0) = 1) AS loan_return FROM tl_transfers t "
        "JOIN players p ON p.key = t.player_key "
        "LEFT JOIN clubs f ON f.key = t.from_club_key LEFT JOIN clubs d ON d.key = t.to_club_key",
    )
    values = ["player_id", "from_club_id", "to_club_id", *moves, "is_loan", "loan_return"]
    tables["transfers"] = _merge(conn, "transfers", "tl_transfer_rows", ["key"], values)
    tables["ingest_rejects"] = _merge(
        conn,
        "ingest_rejects",
        "tl_rejects",
        ["source_file", "source_line", "column"],
        ["source", "reason", "raw"],
        stamps=("created_at",),
    )
    return tables


def _link_form(name: str) -> str:
    return " ".join(w for w in normalise(name).split() if w not in CLUB_FORM_WORDS)


def _link_teams(conn: Connection) -> int:
    """Link unlinked clubs to teams (see the module docstring); returns how many."""
    team_names = conn.execute(
        text("SELECT id, name FROM teams UNION SELECT team_id, alias FROM team_aliases")
    ).all()
    teams: dict[str, set[int]] = {}
    for team_id, name in team_names:
        teams.setdefault(_link_form(name), set()).add(int(team_id))
    if not teams:
        return 0
    spellings = conn.execute(
        text(
            "SELECT c.id, c.name FROM clubs c WHERE c.team_id IS NULL UNION "
            "SELECT c.id, a.name FROM clubs c JOIN club_aliases a ON a.club_id = c.id "
            "WHERE c.team_id IS NULL"
        )
    ).all()
    found: dict[int, set[int]] = {}
    for club_id, name in spellings:
        named = teams.get(_link_form(name), set())
        if len(named) == 1:
            found.setdefault(int(club_id), set()).update(named)
    links = {club: next(iter(ids)) for club, ids in found.items() if len(ids) == 1}
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


def write_transfers(store: Store, batch: TransferBatch) -> TransferLoadReport:
    """Upsert ``batch`` in one transaction, link clubs to teams, and report what changed.

    Raises
    ------
    StoreError
        If the database refuses the load; nothing is written then.
    """
    with store.connect("loading transfers") as conn:
        try:
            _stage(conn, batch)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock before reading
            tables = _write(conn)
            linked = _link_teams(conn)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                for name in _TEMPORARY:
                    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
                conn.commit()
    return TransferLoadReport(tables, linked)
