"""Race snapshots: runner predictions as long rows (win and place per runner), published and
read back wide on both stores, and the refusals before anything is written."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from formline.domain import get_domain
from formline.errors import DataError
from formline.races.predictions import latest_race_prediction, prediction_rows
from formline.store import registry
from formline.store.db import Store
from formline.store.predictions import publish_snapshot

AS_OF = datetime(2025, 6, 1)


def _runners() -> pd.DataFrame:
    p_win = np.array([0.5, 0.3, 0.2, 0.25, 0.75])
    return pd.DataFrame(
        {
            "race_id": [7, 7, 7, 9, 9],
            "runner_id": [70, 71, 72, 90, 91],
            "p_win": p_win,
            "p_place": [0.9, 0.7, 0.4, 1.0, 1.0],
            "drivers": [[{"feature": "rating_mu", "value": 25.0, "contribution": 0.4}]] * 5,
        }
    )


def _model(store: Store) -> int:
    version = registry.create_model_version(
        store,
        name="conditional-logit-no-market",
        domain="races",
        model_type="conditional-logit",
        horizon_days=7,
        training_as_of=AS_OF,
        window_start=datetime(2024, 1, 1),
        window_end=AS_OF,
        feature_version="v",
        feature_names=["rating_mu"],
        uses_market=False,
        hyperparameters={},
        information="card",
    )
    return version.id


def test_a_snapshot_round_trips_runner_for_runner(store: Store) -> None:
    domain = get_domain("races")
    model_id = _model(store)
    frame = _runners().assign(model_version_id=model_id, information="card")
    rows = domain.prediction_rows(frame)
    assert len(rows.events) == 5 and len(rows.rows) == 10
    assert set(rows.rows["unit"]) == {"70", "71", "72", "90", "91"}
    published = publish_snapshot(
        store,
        as_of=AS_OF,
        horizon_days=7,
        feature_version="v",
        predictions=rows,
        domain="races",
    )
    back = domain.read_snapshot(store, published.snapshot_id)
    assert back["runner_id"].tolist() == [70, 71, 72, 90, 91]
    np.testing.assert_allclose(back["p_win"], frame["p_win"])
    np.testing.assert_allclose(back["fair_place"], 1.0 / frame["p_place"])
    assert back["drivers"].iloc[0] == frame["drivers"].iloc[0]
    assert set(back["information"]) == {"card"}
    found = latest_race_prediction(store, 9)
    assert found is not None
    snapshot_id, is_published, race = found
    assert snapshot_id == published.snapshot_id and is_published
    assert race["runner_id"].tolist() == [90, 91]
    assert latest_race_prediction(store, 8) is None


def test_bad_predictions_are_refused_before_anything_is_written() -> None:
    frame = _runners()
    with pytest.raises(DataError, match=r"race 7 sum to 0\.9"):
        prediction_rows(frame.assign(p_win=frame["p_win"].where(frame["runner_id"] != 72, 0.1)))
    with pytest.raises(DataError, match="repeat runners"):
        prediction_rows(pd.concat([frame, frame.iloc[[0]]]))
    with pytest.raises(DataError, match="missing columns: p_place"):
        prediction_rows(frame.drop(columns=["p_place"]))
