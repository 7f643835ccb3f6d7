"""Reloading a source (``ingest:demo --force``) on SQLite and PostgreSQL: one transaction that
keeps match ids and never deletes published predictions; counts say what changed."""

from __future__ import annotations

from datetime import datetime

import pytest
from snapshot_fixtures import add_model, publish
from sqlalchemy import func, select

import formline.matches.store as store_matches
from formline.errors import ReloadRefusedError, StoreError
from formline.matches.prediction_reads import snapshot_predictions
from formline.matches.predictions import read_snapshot_predictions
from formline.matches.sources.demo import generate_demo_world
from formline.matches.store import Counts, replace_source
from formline.matches.tables import matches, odds, teams
from formline.pipeline.ingest import ingest_demo
from formline.store.db import Store
from formline.store.predictions import current_snapshot
from formline.store.tables import predicted_events

NOW = datetime(2024, 10, 1)
WORLD = {"n_leagues": 1, "n_teams": 4, "n_seasons": 2}


def _load(store: Store, *, seed: int = 1, now: datetime = NOW, force: bool = True) -> object:
    return ingest_demo(store, seed=seed, now=now, force=force, **WORLD).report


def _world(store: Store) -> tuple[list[tuple[int, str, object]], int]:
    """Every match (id, status, home goals) and the number of odds rows."""
    with store.connect() as conn:
        rows = conn.execute(
            select(matches.c.id, matches.c.status, matches.c.home_goals).order_by(matches.c.id)
        ).all()
        n_odds = conn.execute(select(func.count()).select_from(odds)).scalar_one()
    return [tuple(r) for r in rows], int(n_odds)


def _publish_upcoming(store: Store) -> tuple[int, list[int]]:
    """A published snapshot of every scheduled demo match; its id and the match ids."""
    with store.connect() as conn:
        ids = [
            int(i)
            for i in conn.execute(
                select(matches.c.id).where(matches.c.status == "scheduled").order_by(matches.c.id)
            ).scalars()
        ]
    assert ids
    snapshot = publish(store, add_model(store, "elo", deploy=True), NOW, ids)
    return snapshot, ids


def test_an_identical_reload_changes_nothing_and_says_so(store: Store) -> None:
    first = _load(store, force=False)
    assert first.matches.inserted == 24 and first.odds.inserted > 0
    before = _world(store)
    again = _load(store)
    assert again.matches == Counts(unchanged=24)
    assert again.odds == Counts(unchanged=first.odds.inserted)
    assert again.teams == Counts(unchanged=first.teams.inserted)
    assert not again.changed
    assert _world(store) == before


def test_a_reload_keeps_the_published_predictions(store: Store) -> None:
    _load(store, force=False)
    snapshot, ids = _publish_upcoming(store)
    before, _ = _world(store)
    # A later "now" in the same season: results come in, the matches keep their ids.
    report = _load(store, now=datetime(2025, 1, 10))
    assert report.matches.updated > 0 and report.matches.inserted == 0
    assert report.matches.deleted == 0
    after, _ = _world(store)
    assert [r[0] for r in after] == [r[0] for r in before]
    assert current_snapshot(store)["id"] == snapshot  # type: ignore[index]
    with store.connect() as conn:  # what the read API serves
        served = snapshot_predictions(conn, snapshot)
    assert sorted(p["id"] for p in served) == ids


def test_a_reload_that_would_delete_predicted_matches_is_refused(store: Store) -> None:
    _load(store, force=False)
    snapshot, ids = _publish_upcoming(store)
    before = _world(store)
    refused = rf"refusing to reload.*snapshot {snapshot} \(published.*the same --seed"
    with pytest.raises(ReloadRefusedError, match=refused):
        _load(store, seed=2)  # another world: none of the old matches survive
    assert _world(store) == before
    assert len(read_snapshot_predictions(store, snapshot)) == len(ids)


def test_a_reload_without_predictions_replaces_the_world(store: Store) -> None:
    _load(store, force=False)
    with store.connect() as conn:
        n_teams = conn.execute(select(func.count()).select_from(teams)).scalar_one()
    report = _load(store, seed=2)
    assert report.matches.inserted == 24 and report.matches.deleted == 24
    assert report.teams.deleted == n_teams
    fresh = generate_demo_world(seed=2, now=NOW, **WORLD)
    rows, n_odds = _world(store)
    assert len(rows) == 24 and n_odds == len(fresh.odds)
    with store.connect() as conn:
        names = set(conn.execute(select(teams.c.name)).scalars())
    assert names == set(fresh.matches["home_team"]) | set(fresh.matches["away_team"])


@pytest.mark.parametrize("step", ["_upsert_odds", "_delete_missing"])
def test_a_failure_mid_reload_leaves_the_previous_world(
    store: Store, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    _load(store, force=False)
    snapshot, ids = _publish_upcoming(store)
    before = _world(store)

    def fail(*_args: object) -> None:
        raise StoreError(f"injected failure in {step}")

    monkeypatch.setattr(store_matches, step, fail)
    with pytest.raises(StoreError, match="injected"):
        _load(store, now=datetime(2025, 1, 10))
    assert _world(store) == before
    with store.connect() as conn:
        of_snapshot = predicted_events.c.snapshot_id == snapshot
        kept = conn.execute(select(func.count()).select_from(predicted_events).where(of_snapshot))
        assert kept.scalar_one() == len(ids)


def test_replace_source_touches_no_other_source(store: Store) -> None:
    other = generate_demo_world(seed=5, now=NOW, **WORLD)
    other.matches["source"] = "other"
    other.matches["competition"] = "OTHER1"
    other.odds["competition"] = "OTHER1"
    store_matches.upsert_batch(store, other)
    # Through the store (ingest:demo refuses a store with data of another source).
    replace_source(store, generate_demo_world(seed=1, now=NOW, **WORLD), "demo")
    report = replace_source(store, generate_demo_world(seed=2, now=NOW, **WORLD), "demo")
    assert report.matches.deleted == 24
    after, _ = _world(store)
    with store.connect() as conn:
        kept = conn.execute(
            select(func.count()).select_from(matches).where(matches.c.source == "other")
        ).scalar_one()
    assert kept == 24 and len(after) == 48
