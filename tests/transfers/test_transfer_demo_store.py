"""The demo transfer world in the store, on both stores: loaded in full, kept (and said so)
without ``force``, reloaded in one transaction with it (the same world changes nothing, another
replaces it), refused beside real data; derived signals written by natural key (a rerun of the
same window changes nothing) and read back as of a moment."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, insert, select

from formline.errors import ConfigError, MixedWorldsError
from formline.store.db import Store
from formline.store.load_report import LoadReport
from formline.transfers.demo_ingest import ingest_transfer_demo
from formline.transfers.records import ATTENTION_VELOCITY, DESTINATION_COOCCURRENCE
from formline.transfers.signal_store import derive_signals, read_signals, read_signals_as_of
from formline.transfers.sources.demo import generate_transfer_world
from formline.transfers.tables import (
    TRANSFER_TABLES,
    contracts,
    players,
    signal_events,
    transfers,
    user_events,
)

NOW = datetime(2024, 8, 10)
WORLD = {"n_players": 60, "clubs_per_league": 4, "event_days": 60}


def _counts(store: Store) -> dict[str, int]:
    with store.connect("counting") as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in TRANSFER_TABLES
        }


def test_the_demo_loads_once_and_reloads_in_one_transaction(store: Store) -> None:
    world = generate_transfer_world(42, NOW, **WORLD)
    first = ingest_transfer_demo(store, 42, NOW, **WORLD)
    counts = _counts(store)
    assert counts["transfers"] == len(world.batch.transfers) > 0
    assert counts["players"] == len(world.batch.players)
    assert counts["contracts"] == len(world.contracts)
    assert counts["signal_events"] == len(world.signals)
    assert counts["user_events"] == len(world.user_events)
    assert counts["player_season_stats"] == len(world.season_stats)
    assert first.tables["user_events"].inserted == len(world.user_events)
    assert "transfers: " in first.summary()

    kept = ingest_transfer_demo(store, 42, NOW, **WORLD)
    assert kept.skipped and not kept.changed and isinstance(kept, LoadReport)
    assert kept.notes == [kept.summary()]
    assert "already loaded" in kept.summary() and "--force" in kept.summary()
    again = ingest_transfer_demo(store, 42, NOW, force=True, **WORLD)
    assert not again.changed and "nothing changed" in again.summary()
    assert all(c.unchanged == counts[name] for name, c in again.tables.items())
    assert _counts(store) == counts

    other = generate_transfer_world(43, NOW, **WORLD)
    replaced = ingest_transfer_demo(store, 43, NOW, force=True, **WORLD)
    assert replaced.changed and replaced.tables["transfers"].deleted > 0
    now_held = _counts(store)
    assert now_held["transfers"] == len(other.batch.transfers)
    assert now_held["players"] == len(other.batch.players)
    assert now_held["user_events"] == len(other.user_events)
    assert now_held["signal_events"] == len(other.signals)
    with store.connect("reading") as conn:
        keys = set(conn.execute(select(transfers.c.key)).scalars())
    assert keys == set(other.batch.transfers["key"])


def test_the_demo_is_refused_beside_real_data_and_for_unknown_sizes(store: Store) -> None:
    with pytest.raises(ConfigError, match="no 'n_teams'"):
        ingest_transfer_demo(store, n_teams=3)
    ingest_transfer_demo(store, 1, NOW, **WORLD)
    with store.begin("a real move") as conn:
        player = conn.execute(select(players.c.id).limit(1)).scalar_one()
        conn.execute(
            insert(transfers).values(
                key="real", player_id=player, season=2020, transfer_window="summer",
                is_loan=False, loan_return=False, observed_at=NOW, sightings=1,
                source="transfermarkt-ewenme", created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
    with pytest.raises(MixedWorldsError, match="real data"):
        ingest_transfer_demo(store, 1, NOW, force=True, **WORLD)


def test_derived_signals_are_written_once_per_window_and_read_as_of(store: Store) -> None:
    ingest_transfer_demo(store, 42, NOW, **WORLD)
    first = derive_signals(store, NOW, 14)
    assert first.per_type[ATTENTION_VELOCITY] > 0 and first.per_type[DESTINATION_COOCCURRENCE] > 0
    assert first.counts.inserted == sum(first.per_type.values())
    rerun = derive_signals(store, NOW, 14)
    assert not rerun.counts.changed and rerun.counts.unchanged == first.counts.inserted
    stored = read_signals(store, "source = 'derived'")
    assert len(stored) == first.counts.inserted
    assert (stored["confidence"] == 0.6).all() and (stored["observed_at"] == NOW).all()
    assert stored["value_number"].between(0, 1000).all()
    pairs = stored[stored["signal_type"] == DESTINATION_COOCCURRENCE]
    assert pairs["club_id"].notna().all() and pairs["value_number"].le(100).all()

    # As of the day before, the window's signals are not known; late market values neither.
    before = read_signals_as_of(store, datetime(2024, 8, 9))
    assert not (before["source"] == "derived").any()
    assert (before["observed_at"] <= datetime(2024, 8, 9)).all()
    now = read_signals_as_of(store, NOW)
    assert (now["source"] == "derived").sum() == first.counts.inserted
    assert not now.duplicated(["entity_type", "player_id", "club_id", "signal_type"]).any()
    with store.connect("counting") as conn:
        total = conn.execute(select(func.count()).select_from(signal_events)).scalar_one()
        assert conn.execute(select(func.count()).select_from(user_events)).scalar_one() > 0
        assert conn.execute(select(func.count()).select_from(contracts)).scalar_one() > 0
    assert total > len(now)  # older valuations are kept, and not read as of now
