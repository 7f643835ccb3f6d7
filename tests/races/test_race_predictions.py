"""Race snapshots: runner predictions as long rows (win and place per runner), published and
read back wide on both stores, and the refusals before anything is written."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from race_models import race_model, runners_by_race

from formline.domain import get_domain
from formline.errors import DataError
from formline.races.ingest import ingest_race_demo
from formline.races.predictions import latest_race_prediction, prediction_rows
from formline.store.db import Store
from formline.store.predictions import publish_snapshot

AS_OF = datetime(2025, 6, 1)


def _runners() -> pd.DataFrame:
    """Two races of 3 and 2 runners (ids as in the store when the fixture loaded them)."""
    p_win = np.array([0.5, 0.3, 0.2, 0.25, 0.75])
    return pd.DataFrame(
        {
            "race_id": [1, 1, 1, 2, 2],
            "runner_id": [1, 2, 3, 4, 5],
            "p_win": p_win,
            "p_place": [0.9, 0.7, 0.4, 1.0, 1.0],
            "drivers": [[{"feature": "rating_mu", "value": 25.0, "contribution": 0.4}]] * 5,
        }
    )


def _stored(store: Store) -> pd.DataFrame:
    """:func:`_runners` on two races of a small demo world, with their store ids."""
    ingest_race_demo(store, 2, AS_OF, n_days=14, n_horses=60, n_jockeys=6, n_trainers=5)
    by_race = runners_by_race(store)
    first, second = sorted(by_race)[:2]
    frame = _runners()
    frame["race_id"] = [first] * 3 + [second] * 2
    frame["runner_id"] = by_race[first][:3] + by_race[second][:2]
    return frame


def test_a_snapshot_round_trips_runner_for_runner(store: Store) -> None:
    domain = get_domain("races")
    model_id = race_model(store, AS_OF, "conditional-logit-no-market")
    frame = _stored(store).assign(model_version_id=model_id, information="card")
    rows = domain.prediction_rows(frame)
    assert len(rows.events) == 5 and len(rows.rows) == 10
    assert set(rows.rows["unit"]) == {str(r) for r in frame["runner_id"]}
    published = publish_snapshot(
        store,
        as_of=AS_OF,
        horizon_days=7,
        feature_version="v",
        predictions=rows,
        domain="races",
    )
    back = domain.read_snapshot(store, published.snapshot_id)
    assert back["runner_id"].tolist() == frame["runner_id"].tolist()
    np.testing.assert_allclose(back["p_win"], frame["p_win"])
    np.testing.assert_allclose(back["fair_place"], 1.0 / frame["p_place"])
    assert back["drivers"].iloc[0] == frame["drivers"].iloc[0]
    assert set(back["information"]) == {"card"}
    second = int(frame["race_id"].iloc[-1])
    found = latest_race_prediction(store, second)
    assert found is not None
    snapshot_id, is_published, race = found
    assert snapshot_id == published.snapshot_id and is_published
    assert race["runner_id"].tolist() == frame["runner_id"].tolist()[3:]
    assert latest_race_prediction(store, second + 1) is None


def test_bad_predictions_are_refused_before_anything_is_written() -> None:
    frame = _runners()
    with pytest.raises(DataError, match=r"race 1 sum to 0\.9"):
        prediction_rows(frame.assign(p_win=frame["p_win"].where(frame["runner_id"] != 3, 0.1)))
    with pytest.raises(DataError, match="repeat runners"):
        prediction_rows(pd.concat([frame, frame.iloc[[0]]]))
    with pytest.raises(DataError, match="missing columns: p_place"):
        prediction_rows(frame.drop(columns=["p_place"]))
