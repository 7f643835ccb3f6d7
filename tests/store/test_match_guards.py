"""The matches domain's guards on the generic prediction and feature tables, on SQLite and
PostgreSQL: a predicted match is never deleted (not even by raw SQL), a deleted match takes its
feature snapshots with it, and a prediction of a matches snapshot must name a match."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from snapshot_fixtures import FEATURE_VERSION, add_matches, add_model, frame, publish
from sqlalchemy import func, inspect, select, text

from formline.errors import StoreError
from formline.matches.store import delete_source
from formline.store.db import Store
from formline.store.features import load_feature_snapshot, save_feature_snapshots
from formline.store.tables import feature_snapshots, predicted_events, predictions

T = datetime(2022, 8, 1)


def _count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _features(store: Store, match_ids: list[int]) -> None:
    rows = pd.DataFrame(
        {
            "match_id": match_ids,
            "cutoff_at": [T] * len(match_ids),
            "elo_diff": [1.5] * len(match_ids),
        }
    )
    save_feature_snapshots(
        store,
        rows,
        ["elo_diff"],
        FEATURE_VERSION,
        T,
        0.1,
        domain="matches",
        event_column="match_id",
    )


def test_deleting_a_predicted_match_is_refused_even_with_raw_sql(store: Store) -> None:
    ids = add_matches(store, [T + timedelta(days=1), T + timedelta(days=2)])
    model = add_model(store, "guarded", deploy=True)
    publish(store, model, T, ids[:1])
    n_rows = _count(store, predictions)
    with pytest.raises(StoreError, match=r"refusing to delete .*match"), store.begin() as conn:
        conn.execute(text("DELETE FROM matches WHERE id = :id"), {"id": ids[0]})
    with pytest.raises(StoreError, match="refusing to delete"):
        delete_source(store, "test")
    assert _count(store, predictions) == n_rows == 5
    with store.connect() as conn:
        left = conn.execute(text("SELECT id FROM matches ORDER BY id")).scalars().all()
    assert left == ids
    # The unpredicted match may go; once its snapshot is gone, so may the predicted one.
    with store.begin() as conn:
        conn.execute(text("DELETE FROM matches WHERE id = :id"), {"id": ids[1]})
        conn.execute(text("DELETE FROM publications"))
        conn.execute(text("DELETE FROM prediction_snapshots"))
    assert delete_source(store, "test") == 1


def test_a_deleted_match_takes_its_feature_snapshots_only(store: Store) -> None:
    ids = add_matches(store, [T + timedelta(days=1), T + timedelta(days=2)])
    _features(store, ids)
    assert _count(store, feature_snapshots) == 2
    with store.begin() as conn:
        conn.execute(text("DELETE FROM matches WHERE id = :id"), {"id": ids[0]})
    assert load_feature_snapshot(store, ids[0], T, FEATURE_VERSION, domain="matches") is None
    kept = load_feature_snapshot(store, ids[1], T, FEATURE_VERSION, domain="matches")
    assert kept == {"elo_diff": 1.5}
    assert _count(store, feature_snapshots) == 1


def test_a_matches_prediction_of_no_match_is_refused(store: Store) -> None:
    ids = add_matches(store, [T + timedelta(days=1)])
    model = add_model(store, "guarded", deploy=True)
    with pytest.raises(StoreError, match="names a match that does not exist"):
        publish(store, model, T, [*ids, 999_999])
    assert _count(store, predicted_events) == 0
    publish(store, model, T, ids)
    assert _count(store, predicted_events) == 1 and len(frame(ids)) == 1


def test_no_prediction_table_refers_to_a_domain_event(store: Store) -> None:
    # Issue 10: the old predictions.match_id -> matches.id foreign key cascaded, so deleting a
    # match silently deleted its predictions. The long-form tables name the event without a
    # foreign key (the refusal above is the domain's trigger); the only cascades left are from
    # a snapshot to its own rows, which retention relies on.
    with store.engine.connect() as conn:
        inspector = inspect(conn)
        found = {
            (table, fk["referred_table"], (fk.get("options") or {}).get("ondelete"))
            for table in ("predicted_events", "predictions")
            for fk in inspector.get_foreign_keys(table)
        }
    assert {(t, r, (d or "").upper()) for t, r, d in found} == {
        ("predicted_events", "prediction_snapshots", "CASCADE"),
        ("predicted_events", "model_versions", ""),
        ("predictions", "predicted_events", "CASCADE"),
    }
