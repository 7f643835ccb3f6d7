"""Grid-market rows published with a snapshot leave every API body as it was: the API reads the
1X2 and over/under 2.5 rows it always read, byte for byte."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from api_world import FEATURE_VERSION, NOW, World, prediction_frame, settings_for, window_match_ids
from fastapi.testclient import TestClient
from scipy.stats import poisson
from sqlalchemy import select

import formline.store.predictions as snapshots
from formline.api import create_app
from formline.matches.grid_markets import grid_prediction_rows
from formline.matches.predictions import publish_predictions
from formline.store.db import open_store
from formline.store.tables import predictions

AS_OF = NOW + timedelta(hours=6)
HORIZON = 30
FROZEN = datetime(2025, 11, 6, 7, 0)


def _grids(n: int) -> np.ndarray:
    goals = np.arange(9)
    out = []
    for i in range(n):
        grid = np.outer(poisson.pmf(goals, 1.2 + 0.1 * (i % 5)), poisson.pmf(goals, 1.0))
        out.append(grid / grid.sum())
    return np.stack(out)


def _publish_copy(source: str, target: Path, model_id: int, with_grid: bool) -> str:
    shutil.copy(Path(source.removeprefix("sqlite:///")), target)
    url = f"sqlite:///{target.as_posix()}"
    store = open_store(url)
    try:
        ids = window_match_ids(store, AS_OF, HORIZON)
        frame = prediction_frame(ids)
        if with_grid:
            frame["markets"] = grid_prediction_rows(_grids(len(ids)))
        publish_predictions(
            store,
            model_version_id=model_id,
            as_of=AS_OF,
            horizon_days=HORIZON,
            feature_version=FEATURE_VERSION,
            predictions=frame,
        )
    finally:
        store.dispose()
    return url


def test_grid_rows_change_no_api_body(
    tmp_path: Path, sqlite_world: tuple[str, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The snapshot's created_at and published_at are in the bodies: the same instant for both.
    monkeypatch.setattr(snapshots, "utcnow", lambda: FROZEN)
    source, world = sqlite_world
    plain = _publish_copy(source, tmp_path / "plain.db", world.model_id, with_grid=False)
    grid = _publish_copy(source, tmp_path / "grid.db", world.model_id, with_grid=True)
    store = open_store(grid)
    try:
        match_id = window_match_ids(store, AS_OF, HORIZON)[0]
        with store.connect() as conn:
            markets = set(conn.execute(select(predictions.c.market).distinct()).scalars())
    finally:
        store.dispose()
    assert {"asian_handicap", "total_goals", "1x2", "over_under"} <= markets  # the rows are there
    paths = [
        "/predictions",
        "/predictions?limit=5",
        f"/predictions/matches/{match_id}",
        f"/predictions/history/{match_id}",
        "/matches",
        f"/matches/{match_id}",
        # Pinned as_of: by default both read "now", which differs when two requests straddle
        # a second.
        f"/performance?as_of={AS_OF:%Y-%m-%dT%H:%M:%S}",
        f"/value-bets?as_of={AS_OF:%Y-%m-%dT%H:%M:%S}&min_edge=-0.5",
        "/competitions",
    ]
    with (
        TestClient(create_app(settings_for(plain))) as before,
        TestClient(create_app(settings_for(grid))) as after,
    ):
        for path in paths:
            expected, got = before.get(path), after.get(path)
            assert expected.status_code == 200, path
            assert got.content == expected.content, path
        # And the grid snapshot is the one both serve (a positive control).
        assert str(AS_OF.date()) in after.get("/predictions").text
