"""Migration 0009_transfers_tables creates exactly the transfer tables, and takes them away
again, on SQLite and PostgreSQL; their CHECK constraints refuse bad rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, insert, inspect
from sqlalchemy.exc import IntegrityError

from formline.errors import StoreError
from formline.store.db import VERSION_TABLE, Store
from formline.transfers.tables import (
    TRANSFER_TABLES,
    clubs,
    leagues,
    players,
    signal_events,
    transfers,
    user_events,
)

T0 = datetime(2020, 1, 1, tzinfo=UTC)
T1 = datetime(2020, 2, 1, tzinfo=UTC)


def _differences(store: Store) -> list[Any]:
    """Differences between the database and the transfer tables alone."""
    only = MetaData(naming_convention=TRANSFER_TABLES[0].metadata.naming_convention)
    for table in TRANSFER_TABLES:
        table.to_metadata(only)
    names = {t.name for t in TRANSFER_TABLES}
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "version_table": VERSION_TABLE,
                "include_name": lambda name, kind, _parent: kind != "table" or name in names,
            },
        )
        return list(compare_metadata(context, only))


def _tables(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_0009_creates_and_drops_the_transfer_tables(store: Store) -> None:
    names = {t.name for t in TRANSFER_TABLES}
    assert store.current_revision() == store.head_revision()
    assert names <= _tables(store)
    assert _differences(store) == []
    store.run_migration("downgrade", "0008_race_guards")
    assert not names & _tables(store)
    missing = {d[1].name for d in _differences(store) if d[0] == "add_table"}
    assert missing == names  # the comparison does see them missing
    store.run_migration("upgrade", "head")
    assert _differences(store) == []


def _parents(store: Store) -> tuple[int, int]:
    """A league, a club and a player; their ids (club, player)."""
    stamps = {"created_at": T0, "updated_at": T0}
    with store.begin("test parents") as conn:
        league = conn.execute(
            insert(leagues).values(key="GB1", name="Premier League", tier=1, **stamps)
        ).inserted_primary_key[0]
        club = conn.execute(
            insert(clubs).values(key="chelsea fc", name="Chelsea FC", league_id=league, **stamps)
        ).inserted_primary_key[0]
        player = conn.execute(
            insert(players).values(key="a b|1990", name="A B", identity="resolved", **stamps)
        ).inserted_primary_key[0]
    return int(club), int(player)


def _signal(player: int, club: int | None = None, **overrides: Any) -> dict[str, Any]:
    row = {
        "entity_type": "player" if club is None else "player_club",
        "player_id": player,
        "club_id": club,
        "signal_type": "market_value",
        "value_number": 1.0e6,
        "source": "test",
        "confidence": 0.6,
        "observed_at": T0,
        "effective_from": T0,
        "effective_to": T1,
        "created_at": T0,
    }
    return row | overrides


def _refused(store: Store, table: Any, row: dict[str, Any]) -> bool:
    try:
        with store.begin("a row a check refuses") as conn:
            conn.execute(insert(table).values(**row))
    except (IntegrityError, StoreError):
        return True
    return False


def test_the_signal_checks_keep_confidence_in_range_and_time_forward(store: Store) -> None:
    club, player = _parents(store)
    assert not _refused(store, signal_events, _signal(player))
    assert not _refused(store, signal_events, _signal(player, club, confidence=1.0))
    assert not _refused(store, signal_events, _signal(player, effective_to=None))
    assert _refused(store, signal_events, _signal(player, confidence=1.01))
    assert _refused(store, signal_events, _signal(player, confidence=-0.1))
    assert _refused(store, signal_events, _signal(player, effective_to=T0))  # empty interval
    assert _refused(store, signal_events, _signal(player, effective_from=T1, effective_to=T0))
    assert _refused(store, signal_events, _signal(player, entity_type="club"))  # names a player
    assert _refused(store, signal_events, _signal(player, entity_type="team"))
    assert _refused(store, signal_events, _signal(player, value_number=None))  # no value


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({}, False),
        ({"transfer_window": "spring"}, True),
        ({"fee_eur": -1.0}, True),
        ({"to": "same"}, True),
    ],
)
def test_the_transfer_checks(store: Store, overrides: dict[str, Any], refused: bool) -> None:
    club, player = _parents(store)
    row: dict[str, Any] = {
        "key": "k",
        "player_id": player,
        "from_club_id": None,
        "to_club_id": club,
        "season": 2019,
        "transfer_window": "summer",
        "is_loan": False,
        "loan_return": False,
        "observed_at": T0,
        "sightings": 1,
        "source": "test",
        "created_at": T0,
        "updated_at": T0,
    }
    changes = dict(overrides)  # the parameter is shared by both stores' runs
    if changes.pop("to", None):
        row["from_club_id"] = club
    assert _refused(store, transfers, row | changes) is refused


def test_user_events_are_views_or_searches_and_unique_by_event_id(store: Store) -> None:
    _, player = _parents(store)
    row = {
        "event_id": "e1",
        "session_id": "s1",
        "player_id": player,
        "kind": "view",
        "occurred_at": T0,
        "created_at": T0,
    }
    assert not _refused(store, user_events, row)
    assert _refused(store, user_events, row)  # the same event id again
    assert _refused(store, user_events, row | {"event_id": "e2", "kind": "click"})
