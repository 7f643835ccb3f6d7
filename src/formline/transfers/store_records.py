"""Writing the transfer tables a batch does not carry: contracts, season stats, signal events and
user events (frames of :mod:`formline.transfers.records`), by natural key.

:class:`RecordWrite` rides along with :func:`~formline.transfers.store.write_transfers` (same
transaction); :func:`write_signals` writes signal rows that name players and clubs by id (the
derived signals) in a transaction of their own. Loading the same rows twice changes nothing.

``signal_events`` has no unique constraint on its natural key (the migration that made it gave
it none), so the writer is what keeps one row per key: two writers racing on the same key could
both insert.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from formline.store.db import Store
from formline.store.load_report import Counts
from formline.store.staging import create_stage, stage_rows
from formline.transfers.records import (
    CONTRACT_COLUMNS,
    SEASON_STAT_COLUMNS,
    SIGNAL_COLUMNS,
    USER_EVENT_COLUMNS,
)
from formline.transfers.store import merge, temporary

_KINDS = {"string": "text", "Int64": "int", "Float64": "float", "datetime64[us]": "timestamp"}
SIGNAL_KEY = [
    "entity_type",
    "player_id",
    "club_id",
    "signal_type",
    "source",
    "effective_from",
    "observed_at",
]
SIGNAL_VALUES = ["value_number", "confidence", "effective_to"]
#: The columns of signal rows that name players and clubs by id (:func:`write_signals`).
SIGNAL_ID_COLUMNS = {
    **{c: "int" if c.endswith("_id") else "text" for c in SIGNAL_KEY[:5]},
    "effective_from": "timestamp",
    "observed_at": "timestamp",
    "value_number": "float",
    "confidence": "float",
    "effective_to": "timestamp",
}
_IDS = (
    "p.id AS player_id, c.id AS club_id FROM {stage} x "
    "LEFT JOIN players p ON p.key = x.player_key LEFT JOIN clubs c ON c.key = x.club_key"
)


def _stage(conn: Connection, name: str, columns: dict[str, str], frame: pd.DataFrame) -> None:
    kinds = {c: _KINDS[d] for c, d in columns.items()}
    create_stage(conn, name, kinds)
    stage_rows(conn, name, kinds, frame)


def _signal_halves(conn: Connection, source: str) -> tuple[str, str]:
    """Split ``source`` into signals naming a player and signals of a club alone, so that each
    half is matched on a plain (indexable) id: ``player_id`` (the index on player and signal
    type) or ``club_id``; the other id may be NULL on both sides."""
    temporary(conn, f"{source}_p", f"SELECT * FROM {source} WHERE player_id IS NOT NULL")
    temporary(conn, f"{source}_c", f"SELECT * FROM {source} WHERE player_id IS NULL")
    return f"{source}_p", f"{source}_c"


def merge_signals(conn: Connection, source: str) -> Counts:
    """Upsert the signal rows (by id) of temporary table ``source`` by their natural key."""
    players_, clubs_ = _signal_halves(conn, source)
    counts = Counts()
    for half, nullable in ((players_, "club_id"), (clubs_, "player_id")):
        counts += merge(
            conn,
            "signal_events",
            half,
            SIGNAL_KEY,
            SIGNAL_VALUES,
            stamps=("created_at",),
            nullable=(nullable,),
            # Many signals share an observed_at (a window's derived ones, a valuation day's):
            # match on the player (or club) and signal type index instead.
            unindexed=("observed_at", "effective_from"),
        )
    return counts


def _same(keys: list[str], nullable: str | None = None) -> str:
    return " AND ".join(
        f'COALESCE(s."{k}", -1) = COALESCE(t."{k}", -1)' if k == nullable else f's."{k}" = t."{k}"'
        for k in keys
    )


def _missing(
    conn: Connection,
    table: str,
    sources: list[tuple[str, str | None]],
    keys: list[str],
    where: str = "",
) -> int:
    """Delete the rows of ``table`` (matching ``where``) whose key is in none of ``sources``
    (temporary tables, each with the key column that may be NULL on both sides, if any)."""
    kept = " UNION ALL ".join(
        f"SELECT t.id FROM {table} t JOIN {source} s ON {_same(keys, nullable)}"
        for source, nullable in sources
    )
    condition = f"{where} AND " if where else ""
    sql = f"DELETE FROM {table} WHERE {condition}id NOT IN ({kept})"
    return int(conn.execute(text(sql)).rowcount)


@dataclass
class RecordWrite:
    """Contracts, season stats, signals and user events (named by keys) to write with a batch.

    With ``replace`` the rows of ``source`` the frames no longer have are deleted, and so are
    players, clubs and leagues the batch no longer has, and every derived signal if the user
    events changed (the demo's reload: the store then holds exactly the new world).
    ``deleted`` counts them per table after the write.
    """

    contracts: pd.DataFrame
    season_stats: pd.DataFrame
    signals: pd.DataFrame
    user_events: pd.DataFrame
    source: str
    replace: bool = False
    derived_source: str = "derived"
    deleted: dict[str, int] | None = None

    temporary: tuple[str, ...] = (
        "tx_contracts",
        "tx_stats",
        "tx_signals",
        "tx_events",
        "tx_contract_rows",
        "tx_stat_rows",
        "tx_signal_rows",
        "tx_event_rows",
        "tx_signal_rows_p",
        "tx_signal_rows_c",
    )

    def stage(self, conn: Connection) -> None:
        """Stage the four frames (keys, not yet ids)."""
        _stage(conn, "tx_contracts", CONTRACT_COLUMNS, self.contracts)
        _stage(conn, "tx_stats", SEASON_STAT_COLUMNS, self.season_stats)
        _stage(conn, "tx_signals", SIGNAL_COLUMNS, self.signals)
        _stage(conn, "tx_events", USER_EVENT_COLUMNS, self.user_events)

    def write(self, conn: Connection) -> dict[str, Counts]:
        """Resolve keys to ids and upsert (and, with ``replace``, delete what is gone)."""
        temporary(
            conn,
            "tx_contract_rows",
            "SELECT x.starts_on, x.expires_on, x.observed_at, x.source, "
            + _IDS.format(stage="tx_contracts"),
        )
        temporary(
            conn,
            "tx_stat_rows",
            "SELECT x.season, x.appearances, x.minutes, x.goals, x.assists, x.observed_at, "
            "x.source, " + _IDS.format(stage="tx_stats"),
        )
        temporary(
            conn,
            "tx_signal_rows",
            "SELECT x.entity_type, x.signal_type, x.value_number, x.source, x.confidence, "
            "x.observed_at, x.effective_from, x.effective_to, " + _IDS.format(stage="tx_signals"),
        )
        temporary(
            conn,
            "tx_event_rows",
            "SELECT x.event_id, x.session_id, x.kind, x.occurred_at, "
            + _IDS.format(stage="tx_events"),
        )
        pair = ["player_id", "club_id"]
        tables = {
            "contracts": merge(
                conn,
                "contracts",
                "tx_contract_rows",
                [*pair, "expires_on"],
                ["starts_on", "observed_at", "source"],
            ),
            "player_season_stats": merge(
                conn,
                "player_season_stats",
                "tx_stat_rows",
                [*pair, "season"],
                ["appearances", "minutes", "goals", "assists", "observed_at", "source"],
            ),
            "signal_events": merge_signals(conn, "tx_signal_rows"),
            "user_events": merge(
                conn,
                "user_events",
                "tx_event_rows",
                ["event_id"],
                ["session_id", "player_id", "club_id", "kind", "occurred_at"],
                stamps=("created_at",),
            ),
        }
        if self.replace:
            self.deleted = self._delete_missing(conn, tables["user_events"].changed)
        return tables

    def _delete_missing(self, conn: Connection, events_changed: bool) -> dict[str, int]:
        mine = f"source = '{self.source}'"
        deleted = {
            "user_events": _missing(conn, "user_events", [("tx_event_rows", None)], ["event_id"]),
            "signal_events": _missing(
                conn,
                "signal_events",
                [("tx_signal_rows_p", "club_id"), ("tx_signal_rows_c", "player_id")],
                SIGNAL_KEY,
                mine,
            ),
            "contracts": _missing(
                conn,
                "contracts",
                [("tx_contract_rows", None)],
                ["player_id", "club_id", "expires_on"],
                mine,
            ),
            "player_season_stats": _missing(
                conn,
                "player_season_stats",
                [("tx_stat_rows", None)],
                ["player_id", "club_id", "season"],
            ),
            "transfers": _missing(conn, "transfers", [("tl_transfer_rows", None)], ["key"]),
        }
        if events_changed or deleted["user_events"]:
            deleted["signal_events"] += int(
                conn.execute(
                    text(f"DELETE FROM signal_events WHERE source = '{self.derived_source}'")
                ).rowcount
            )
        deleted["players"] = _missing(conn, "players", [("tl_players", None)], ["key"])
        deleted["club_seasons"] = _missing(
            conn, "club_seasons", [("tl_season_rows", None)], ["club_id", "season"]
        )
        deleted["club_aliases"] = _missing(
            conn, "club_aliases", [("tl_alias_rows", None)], ["alias"]
        )
        deleted["clubs"] = _missing(conn, "clubs", [("tl_club_rows", None)], ["key"])
        deleted["leagues"] = _missing(conn, "leagues", [("tl_leagues", None)], ["key"])
        return deleted


def write_signals(store: Store, rows: pd.DataFrame) -> Counts:
    """Upsert signal rows naming players and clubs by id (columns :data:`SIGNAL_ID_COLUMNS`) by
    natural key, in one transaction: writing the same rows again changes nothing.

    Raises
    ------
    StoreError
        If the database refuses them (a confidence out of range, an unknown player ...);
        nothing is written then.
    """
    with store.connect("writing signals") as conn:
        try:
            create_stage(conn, "tx_signal_rows", SIGNAL_ID_COLUMNS)
            stage_rows(conn, "tx_signal_rows", SIGNAL_ID_COLUMNS, rows)
            conn.commit()
            driver: Any = conn.connection.dbapi_connection
            driver.commit()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            counts = merge_signals(conn, "tx_signal_rows")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                for name in ("tx_signal_rows", "tx_signal_rows_p", "tx_signal_rows_c"):
                    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
                conn.commit()
    return counts
