"""Prediction snapshots on SQLite and PostgreSQL: atomic, idempotent publish; reads by match."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from formline.errors import DataError, ModelNotFoundError, SchemaMismatchError, StoreError
from formline.matches.frames import SourceBatch
from formline.matches.predictions import (
    latest_prediction_for_match,
    predictions_for_match,
    publish_predictions,
    read_snapshot_predictions,
)
from formline.matches.store import upsert_batch
from formline.matches.tables import matches
from formline.store.db import Store
from formline.store.predictions import current_snapshot
from formline.store.registry import complete_model_version, create_model_version
from formline.store.tables import predicted_events, prediction_snapshots, predictions

AS_OF = datetime(2022, 8, 1)


def _match_ids(store: Store) -> list[int]:
    """Two scheduled matches to point predictions at."""
    base = {
        "sport": "football",
        "competition": "E0",
        "competition_name": "Premier League",
        "season": "2022-23",
        "status": "scheduled",
        "source": "test",
    }
    fixtures = pd.DataFrame(
        [
            {**base, "kickoff_at": datetime(2022, 8, 5, 19), "home_team": "A", "away_team": "B"},
            {**base, "kickoff_at": datetime(2022, 8, 6, 14), "home_team": "C", "away_team": "D"},
        ]
    )
    upsert_batch(store, SourceBatch(matches=fixtures, odds=pd.DataFrame(), rejects=pd.DataFrame()))
    with store.connect() as conn:
        return [int(i) for i in conn.execute(select(matches.c.id).order_by(matches.c.id)).scalars()]


def _model(store: Store) -> int:
    model = create_model_version(
        store,
        name="logistic",
        domain="matches",
        model_type="logistic_regression",
        horizon_days=7,
        training_as_of=AS_OF,
        window_start=datetime(2020, 1, 1),
        window_end=AS_OF,
        feature_version="abc123",
        feature_names=["elo_diff"],
        uses_market=False,
        hyperparameters={},
    )
    complete_model_version(
        store,
        model.id,
        n_train=10,
        n_validation=5,
        metrics={"log_loss": 1.0},
        market_metrics=None,
        validation=None,
        artifact_path=None,
        artifact_sha256=None,
        train_seconds=None,
    )
    return model.id


def _frame(match_ids: list[int], p_home: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "match_id": match_ids,
            "p_home": p_home,
            "p_draw": 0.25,
            "p_away": 1 - p_home - 0.25,
            "p_over_2_5": 0.55,
            "fair_home": 1 / p_home,
            "fair_draw": 4.0,
            "fair_away": 1 / (0.75 - p_home),
            "fair_over_2_5": 1 / 0.55,
            "fair_under_2_5": 1 / 0.45,
            "drivers": [
                [
                    {
                        "feature": "elo_diff",
                        "value": np.float64(35.0),
                        "contribution": 0.1,
                        "outcome": "home",
                    }
                ]
                for _ in match_ids
            ],
        }
    )


def _publish(
    store: Store, model_id: int, frame: pd.DataFrame, as_of: datetime = AS_OF
) -> tuple[int, bool]:
    published = publish_predictions(
        store,
        model_version_id=model_id,
        as_of=as_of,
        horizon_days=7,
        feature_version="abc123",
        predictions=frame,
    )
    return published.snapshot_id, published.created


def _count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_publish_writes_the_snapshot_and_points_at_it(store: Store) -> None:
    ids, model_id = _match_ids(store), _model(store)
    assert current_snapshot(store) is None
    snapshot_id, written = _publish(store, model_id, _frame(ids))
    assert written
    current = current_snapshot(store)
    assert current is not None
    assert (current["id"], current["model_version_id"], current["n_predictions"]) == (
        snapshot_id,
        model_id,
        2,
    )
    assert current["as_of"] == datetime(2022, 8, 1, tzinfo=UTC)
    assert current["publication"] == "default" and current["published_at"].tzinfo is not None
    read = read_snapshot_predictions(store, snapshot_id)
    assert read["match_id"].tolist() == ids
    assert read["p_home"].tolist() == [0.5, 0.5]
    assert read["drivers"].iloc[0] == [
        {"feature": "elo_diff", "value": 35.0, "contribution": 0.1, "outcome": "home"}
    ]
    assert read_snapshot_predictions(store, 999).empty


def test_publishing_the_same_snapshot_again_writes_nothing(store: Store) -> None:
    ids, model_id = _match_ids(store), _model(store)
    first, _ = _publish(store, model_id, _frame(ids))
    again, written = _publish(store, model_id, _frame(ids, p_home=0.6))
    assert (again, written) == (first, False)
    assert _count(store, prediction_snapshots) == 1
    assert read_snapshot_predictions(store, first)["p_home"].tolist() == [0.5, 0.5]


def test_the_pointer_flips_to_the_new_snapshot(store: Store) -> None:
    ids, model_id = _match_ids(store), _model(store)
    old, _ = _publish(store, model_id, _frame(ids))
    new, written = _publish(
        store, model_id, _frame(ids[:1], p_home=0.6), as_of=datetime(2022, 8, 2)
    )
    assert written and new != old
    current = current_snapshot(store)
    assert current is not None and current["id"] == new
    assert _count(store, predicted_events) == 3
    assert _count(store, predictions) == 15  # five rows a match


def test_a_failed_publish_writes_nothing(store: Store) -> None:
    ids, model_id = _match_ids(store), _model(store)
    old, _ = _publish(store, model_id, _frame(ids))
    bad = _frame(ids)
    bad.loc[1, "p_home"] = 1.5  # violates the CHECK after the snapshot row went in
    with pytest.raises(StoreError, match="publishing predictions"):
        _publish(store, model_id, bad, as_of=datetime(2022, 8, 2))
    unknown = _frame([*ids, 999_999])  # a match that does not exist: the foreign key refuses
    with pytest.raises(StoreError):
        _publish(store, model_id, unknown, as_of=datetime(2022, 8, 3))
    assert _count(store, prediction_snapshots) == 1
    assert _count(store, predicted_events) == 2
    assert _count(store, predictions) == 10
    current = current_snapshot(store)
    assert current is not None and current["id"] == old


def test_bad_input_is_refused_before_writing(store: Store) -> None:
    ids, model_id = _match_ids(store), _model(store)
    with pytest.raises(DataError, match="empty snapshot"):
        _publish(store, model_id, _frame([]))
    with pytest.raises(DataError, match="missing columns: drivers"):
        _publish(store, model_id, _frame(ids).drop(columns="drivers"))
    with pytest.raises(DataError, match="repeat match ids"):
        _publish(store, model_id, _frame([ids[0], ids[0]]))
    with pytest.raises(ModelNotFoundError):
        _publish(store, 999, _frame(ids))
    with pytest.raises(SchemaMismatchError, match="feature version"):
        publish_predictions(
            store,
            model_version_id=model_id,
            as_of=AS_OF,
            horizon_days=7,
            feature_version="other",
            predictions=_frame(ids),
        )
    assert _count(store, prediction_snapshots) == 0


def test_history_and_latest_prediction_per_match(store: Store) -> None:
    ids, model_id = _match_ids(store), _model(store)
    assert latest_prediction_for_match(store, ids[0]) is None
    first, _ = _publish(store, model_id, _frame(ids))
    second, _ = _publish(store, model_id, _frame(ids[:1], p_home=0.6), as_of=datetime(2022, 8, 2))
    history = predictions_for_match(store, ids[0])
    assert history["snapshot_id"].tolist() == [second, first]
    assert history["p_home"].tolist() == [0.6, 0.5]
    assert str(history["as_of"].dt.tz) == "UTC"
    assert history["model_version_id"].tolist() == [model_id, model_id]
    latest = latest_prediction_for_match(store, ids[0])
    assert latest is not None
    assert (latest["snapshot_id"], latest["published"], latest["p_home"]) == (second, True, 0.6)
    # The published snapshot does not cover the second match: fall back to the newest that does.
    fallback = latest_prediction_for_match(store, ids[1])
    assert fallback is not None
    assert (fallback["snapshot_id"], fallback["published"]) == (first, False)
    assert predictions_for_match(store, 999).empty
