"""A store written by the release before champion slots moves forward without losing a row:
every published probability is the same before and after, each prediction names its model,
and the old ledger keeps its meaning (statuses, the champion now and in the past)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from formline.store.db import Store, open_store
from formline.store.promotions import Slot, champion_at

T1, T2 = "2024-01-01 00:00:00.000000", "2024-03-01 00:00:00.000000"


def _migrate(store: Store, revision: str) -> None:
    store.run_migration("upgrade", revision)


def _release_0002_store(store: Store) -> None:
    """What formline 0.1 wrote: model A (no prices, E0), B (prices); A deployed, then B
    (archiving A), then a rollback to A (archiving B); a snapshot from each."""
    statements = [
        "INSERT INTO competitions (sport, code, name, created_at) VALUES ('football', 'E0', "
        "'Premier League', :t1)",
        "INSERT INTO teams (sport, name, created_at) VALUES ('football', 'Home', :t1), "
        "('football', 'Away', :t1), ('football', 'Third', :t1)",
        *[
            "INSERT INTO matches (sport, competition_id, season, kickoff_at, home_team_id, "
            f"away_team_id, status, source, created_at, updated_at) VALUES ('football', 1, "
            f"'2023-24', '2024-04-0{i} 15:00:00.000000', {h}, {a}, 'scheduled', 'test', :t1, :t1)"
            for i, (h, a) in enumerate([(1, 2), (2, 3), (3, 1)], start=1)
        ],
        *[
            "INSERT INTO model_versions (name, model_type, version, horizon_days, competition, "
            "training_as_of, window_start, window_end, n_train, n_validation, feature_version, "
            "feature_names, uses_market, hyperparameters, metrics, status, created_at, "
            f"updated_at) VALUES ('{name}', 'logistic', 1, 30, {comp}, {trained}, :t1, :t1, 10, "
            f"5, 'fv', '[]', {market}, '{{}}', '{{}}', '{status}', :t1, :t1)"
            for name, comp, trained, market, status in (
                ("a", "'E0'", ":t1", "false", "deployed"),
                ("b", "NULL", ":t2", "true", "archived"),
            )
        ],
        *[
            "INSERT INTO model_promotions (at, action, model_version_id, "
            f"previous_model_version_id, reason) VALUES (:t2, '{action}', {model}, {previous}, "
            f"'{action}')"
            for action, model, previous in (
                ("deploy", 1, "NULL"),
                ("archive", 1, "NULL"),
                ("deploy", 2, 1),
                ("archive", 2, "NULL"),
                ("rollback", 1, 2),
            )
        ],
        "INSERT INTO prediction_snapshots (model_version_id, as_of, horizon_days, "
        "feature_version, n_predictions, created_at) VALUES (1, :t1, 120, 'fv', 3, :t2), "
        "(2, :t2, 60, 'fv', 2, :t2)",
        *[
            "INSERT INTO predictions (snapshot_id, match_id, p_home, p_draw, p_away, p_over_2_5, "
            f"fair_home, drivers) VALUES ({snapshot}, {match}, {p}, 0.25, {0.75 - p}, 0.5, "
            f"{1 / p}, '[]')"
            for snapshot, match, p in (
                (1, 1, 0.41),
                (1, 2, 0.42),
                (1, 3, 0.43),
                (2, 1, 0.51),
                (2, 2, 0.52),
            )
        ],
        "INSERT INTO publications (name, snapshot_id, published_at) VALUES ('default', 2, :t2)",
    ]
    with store.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"t1": T1, "t2": T2})


def _probabilities(store: Store) -> list[tuple[Any, ...]]:
    with store.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT snapshot_id, match_id, p_home, p_draw, p_away, p_over_2_5, fair_home "
                    "FROM predictions ORDER BY snapshot_id, match_id"
                )
            )
        ]


@pytest.fixture
def old_store(database_url: str) -> Iterator[Store]:
    """A store migrated only as far as revision 0002 (the previous release)."""
    opened = open_store(database_url, migrate=False)
    _migrate(opened, "0002")
    try:
        yield opened
    finally:
        opened.dispose()


def test_a_store_of_the_previous_release_migrates_without_losing_a_row(old_store: Store) -> None:
    store = old_store
    assert store.current_revision() == "0002"
    _release_0002_store(store)
    before = _probabilities(store)
    _migrate(store, "0003_reliability")
    assert store.current_revision() == "0003_reliability"
    assert _probabilities(store) == before
    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT snapshot_id, model_version_id, information FROM predictions")
        ).all()
        assert {(r[0], r[1], r[2]) for r in rows} == {
            (1, 1, "no_market"),
            (2, 2, "market"),
        }
        keys = dict(conn.execute(text("SELECT id, models_key FROM prediction_snapshots")).all())
        assert keys == {1: "1", 2: "2"}
        statuses = dict(conn.execute(text("SELECT name, status FROM model_versions")).all())
        assert statuses == {"a": "deployed", "b": "archived"}
        a_slot = Slot("matches", "E0", "no_market")
        b_slot = Slot("matches", "*", "market")
        # Now: A (rolled back to), and B no longer (archived by the rollback).
        champion = champion_at(conn, a_slot)
        assert champion is not None and champion.name == "a"
        assert champion_at(conn, b_slot) is None
        # In the past: A from its training instant until B replaced it, B after that.
        early = champion_at(conn, a_slot, datetime(2024, 2, 1))
        assert early is not None and early.name == "a"
        assert champion_at(conn, b_slot, datetime(2024, 2, 1)) is None
