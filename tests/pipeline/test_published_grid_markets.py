"""Grid markets published with the predictions: a model type with a score grid publishes them
beside its 1X2 and over/under 2.5 rows, readable through the library and shown by
``predict:match``; a model without a grid publishes none."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import formline as fl
from formline.cli import app
from formline.matches.dataset import load_match_frame
from formline.matches.grid_markets import GRID_ROW_COLUMNS, published_grid_markets
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.predict import run_predictions, upcoming
from formline.pipeline.train import TrainConfig, load_model_bundle, train_model
from formline.store import promotions
from formline.store.db import Store, open_store
from formline.store.registry import get_model_version
from formline.store.tables import predictions

NOW = datetime(2025, 11, 6)
HORIZON = 14


def _deployed(store: Store, tmp: Path, model_type: str) -> int:
    config = TrainConfig(model_type=model_type, as_of=NOW, n_splits=2, n_boot=100)
    result = train_model(store, config, tmp / "models")
    if result.decision != "deployed":
        promotions.deploy(store, result.version.id, reason="test", effective_at=NOW)
    return result.version.id


def _rows_by_market(store: Store, snapshot_id: int) -> dict[str, int]:
    query = (
        select(predictions.c.market, func.count())
        .where(predictions.c.snapshot_id == snapshot_id)
        .group_by(predictions.c.market)
    )
    with store.connect("test") as conn:
        return {str(m): int(n) for m, n in conn.execute(query)}


@pytest.mark.slow
def test_a_grid_model_publishes_its_grid_markets(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    ingest_demo(store, seed=5, now=NOW, n_leagues=1, n_teams=10, n_seasons=4)
    model_id = _deployed(store, tmp_path, "dixon-coles")
    result = run_predictions(store, NOW, HORIZON)
    assert result.snapshot_id is not None and len(result.predictions) > 0
    n = len(result.predictions)

    # What the library reads: the published snapshot, one row per match with its grid markets.
    read = fl.read_predictions(store).set_index("match_id")
    assert len(read) == n
    rows = upcoming(load_match_frame(store, NOW).frame, NOW, HORIZON)
    rows = rows.set_index("match_id").loc[read.index].reset_index()
    model = load_model_bundle(get_model_version(store, model_id))["model"]
    grids = model.predict_score_grid(rows)
    for match_id, grid in zip(rows["match_id"], grids, strict=True):
        published = pd.DataFrame(read.loc[match_id, "markets"], columns=GRID_ROW_COLUMNS)
        expected = published_grid_markets(grid)
        order = ["market", "line", "selection"]
        pd.testing.assert_frame_equal(
            published.sort_values(order).reset_index(drop=True),
            expected.sort_values(order).reset_index(drop=True),
            check_dtype=False,
            atol=1e-12,
        )
    # The 1X2 and over/under 2.5 rows are the five they always were, and the wide read of them
    # (what the API pivots) is the run's own calibrated probabilities.
    counts = _rows_by_market(store, result.snapshot_id)
    assert counts["1x2"] == 3 * n and counts["over_under"] == 2 * n
    per_match = len(published_grid_markets(grids[0]))
    assert sum(counts.values()) == (5 + per_match) * n
    wide = result.predictions.set_index("match_id").loc[read.index]
    columns = ["p_home", "p_draw", "p_away", "p_over_2_5"]
    np.testing.assert_allclose(read[columns].to_numpy(), wide[columns].to_numpy(), atol=1e-12)

    # predict:match shows them.
    match_id = int(rows["match_id"].iloc[0])
    env = {"FORMLINE_HOME": str(tmp_path), "DATABASE_URL": None, "REDIS_URL": None}
    shown = CliRunner().invoke(app, ["predict:match", str(match_id)], env=env)
    assert shown.exit_code == 0, shown.stderr
    assert "published grid markets" in shown.stdout
    dc = next(r for r in read.loc[match_id, "markets"] if r["selection"] == "home_or_draw")
    assert f"{dc['probability']:.3f}" in shown.stdout and "home or draw" in shown.stdout
    store.dispose()


@pytest.mark.slow
def test_a_model_without_a_grid_publishes_none(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    ingest_demo(store, seed=5, now=NOW, n_leagues=1, n_teams=10, n_seasons=4)
    _deployed(store, tmp_path, "elo")
    result = run_predictions(store, NOW, HORIZON)
    assert result.snapshot_id is not None
    n = len(result.predictions)
    assert _rows_by_market(store, result.snapshot_id) == {"1x2": 3 * n, "over_under": 2 * n}
    read = fl.read_predictions(store)
    assert len(read) == n and all(m == [] for m in read["markets"])
    env = {"FORMLINE_HOME": str(tmp_path), "DATABASE_URL": None, "REDIS_URL": None}
    match_id = str(int(read["match_id"].iloc[0]))
    shown = CliRunner().invoke(app, ["predict:match", match_id], env=env)
    assert shown.exit_code == 0, shown.stderr
    assert "grid markets" not in shown.stdout
    store.dispose()
