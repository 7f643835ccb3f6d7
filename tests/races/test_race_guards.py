"""The races domain's guards on the shared prediction and feature tables (revision 0008), on
SQLite and PostgreSQL: a predicted race or runner is never deleted, not even by raw SQL; a
deleted race takes its feature snapshots with it; a races prediction must name a race."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from race_models import race_model, runners_by_race
from sqlalchemy import text

from formline.domain import get_domain
from formline.errors import StoreError
from formline.races.ingest import ingest_race_demo
from formline.store.db import Store
from formline.store.features import save_feature_snapshots
from formline.store.predictions import publish_snapshot

NOW = datetime(2025, 6, 1)


def _publish(store: Store, race_id: int, runner_ids: list[int]) -> None:
    model_id = race_model(store, NOW)
    n = len(runner_ids)
    frame = pd.DataFrame(
        {
            "race_id": race_id,
            "runner_id": runner_ids,
            "p_win": [1.0 / n] * n,
            "p_place": [min(1.0, 3.0 / n)] * n,
            "model_version_id": model_id,
            "information": "card",
        }
    )
    publish_snapshot(
        store,
        as_of=NOW,
        horizon_days=7,
        feature_version="v",
        predictions=get_domain("races").prediction_rows(frame),
        domain="races",
    )


def test_a_predicted_race_and_its_runners_are_never_deleted(store: Store) -> None:
    ingest_race_demo(store, 2, NOW, n_days=14, n_horses=60, n_jockeys=6, n_trainers=5)
    runners = runners_by_race(store)
    races = sorted(runners)
    predicted, other = races[-1], races[0]
    _publish(store, predicted, runners[predicted])
    with pytest.raises(StoreError, match=r"refusing to delete .*race"), store.begin() as conn:
        conn.execute(text("DELETE FROM races WHERE id = :id"), {"id": predicted})
    with pytest.raises(StoreError, match=r"refusing to delete .*runner"), store.begin() as conn:
        conn.execute(text("DELETE FROM runners WHERE id = :id"), {"id": runners[predicted][0]})
    # An unpredicted race goes, with its runners and its feature snapshots only.
    frame = pd.DataFrame(
        {
            "race_id": [other, predicted],
            "unit": ["", ""],
            "cutoff_at": [NOW, NOW],
            "rating_mu": [25.0, 26.0],
        }
    )
    save_feature_snapshots(
        store, frame, ["rating_mu"], "v", NOW, 0.1, domain="races", event_column="race_id"
    )
    with store.begin() as conn:
        conn.execute(text("DELETE FROM races WHERE id = :id"), {"id": other})
    with store.connect() as conn:
        left = conn.execute(
            text("SELECT event_id FROM feature_snapshots WHERE domain = 'races'")
        ).scalars()
        assert list(left) == [predicted]
        assert conn.execute(text("SELECT count(*) FROM races")).scalar_one() == len(races) - 1


def test_a_prediction_must_name_a_race(store: Store) -> None:
    ingest_race_demo(store, 2, NOW, n_days=14, n_horses=60, n_jockeys=6, n_trainers=5)
    with pytest.raises(StoreError, match="names a race that does not exist"):
        _publish(store, 999_999, [1, 2])
