"""Publication pointers are keyed by domain: two domains' "default" pointers never move each
other, and a reader that names no domain is told when it must (migration 0005)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from snapshot_fixtures import FEATURE_VERSION, add_matches, add_model, publish
from sqlalchemy import text

from formline.errors import StoreError
from formline.store.db import Store
from formline.store.predictions import PredictionRows, current_snapshot, publish_snapshot
from formline.store.reads import current_pointer, current_pointers

AS_OF = datetime(2022, 9, 1)


def _other_domain_rows(model_id: int) -> PredictionRows:
    events = pd.DataFrame(
        {
            "event_id": [7, 7],
            "unit": ["1", "2"],
            "model_version_id": model_id,
            "information": "no_market",
            "drivers": [[], []],
        }
    )
    rows = pd.DataFrame(
        {
            "event_id": [7, 7],
            "unit": ["1", "2"],
            "market": "win",
            "selection": "win",
            "line": 0.0,
            "probability": [0.6, 0.4],
            "fair_odds": [1 / 0.6, 1 / 0.4],
        }
    )
    return PredictionRows(events, rows)


def test_each_domain_has_its_own_default_pointer(store: Store) -> None:
    model = add_model(store, "logistic", deploy=True)
    ids = add_matches(store, [datetime(2022, 9, 3), datetime(2022, 9, 4)])
    football = publish(store, model, AS_OF, ids)
    other = publish_snapshot(
        store,
        as_of=datetime(2022, 9, 2),
        horizon_days=30,
        feature_version=FEATURE_VERSION,
        predictions=_other_domain_rows(model),
        domain="races_test",
    )
    assert other.published
    # The later snapshot of the other domain did not move the football pointer.
    assert current_snapshot(store, domain="matches")["id"] == football  # type: ignore[index]
    assert current_snapshot(store, domain="races_test")["id"] == other.snapshot_id  # type: ignore[index]
    with store.connect() as conn:
        assert current_pointer(conn, domain="matches").snapshot_id == football  # type: ignore[union-attr]
        # The read API reads every domain's in one statement, and each route its own domain's.
        pointers = current_pointers(conn)
        assert {d: p.snapshot_id for d, p in pointers.items()} == {
            "matches": football,
            "races_test": other.snapshot_id,
        }
        # Naming no domain is only unambiguous while one domain publishes under the name.
        with pytest.raises(
            StoreError, match=r"several domains publish 'default' \(matches, races_test\)"
        ):
            current_pointer(conn)
    with pytest.raises(StoreError, match="several domains publish"):
        current_snapshot(store)
    # A football replay from before its pointer is stored, not published: per domain.
    replay = publish(store, model, datetime(2022, 8, 1), ids)
    assert current_snapshot(store, domain="matches")["id"] == football  # type: ignore[index]
    assert replay != football


def test_the_downgrade_refuses_a_name_two_domains_publish(store: Store) -> None:
    model = add_model(store, "logistic", deploy=True)
    ids = add_matches(store, [datetime(2022, 9, 3)])
    publish(store, model, AS_OF, ids)
    store.run_migration("downgrade", "0004_long_predictions")
    with store.connect() as conn:
        assert conn.execute(text("SELECT name FROM publications")).scalars().all() == ["default"]
    store.run_migration("upgrade", "head")
    with store.connect() as conn:
        assert conn.execute(text("SELECT domain FROM publications")).scalars().all() == ["matches"]
    publish_snapshot(
        store,
        as_of=datetime(2022, 9, 2),
        horizon_days=30,
        feature_version=FEATURE_VERSION,
        predictions=_other_domain_rows(model),
        domain="races_test",
    )
    with pytest.raises(StoreError, match="several domains publish default"):
        store.run_migration("downgrade", "0004_long_predictions")
    assert store.current_revision() == store.head_revision()
