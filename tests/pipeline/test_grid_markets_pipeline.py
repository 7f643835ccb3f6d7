"""``predict:match --markets``: a grid model's markets for one match, from the stored model and
the match's features as of the prediction's as_of."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from formline.domain import get_domain, model_type
from formline.matches.dataset import load_match_frame
from formline.matches.grid_markets import match_grid_markets, score_grid_method
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.predict import upcoming
from formline.pipeline.train import TrainConfig, load_model_bundle, train_model
from formline.store.db import open_store

NOW = datetime(2025, 11, 6)


@pytest.mark.slow
def test_grid_markets_of_a_dixon_coles_prediction(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    ingest_demo(store, seed=5, now=NOW, n_leagues=1, n_teams=10, n_seasons=4)
    config = TrainConfig(model_type="dixon-coles", as_of=NOW, n_splits=2, n_boot=100)
    grid_model = train_model(store, config, tmp_path / "models").version
    rows = upcoming(load_match_frame(store, NOW).frame, NOW, 30)
    assert not rows.empty
    first = rows.iloc[[0]].reset_index(drop=True)
    match_id = int(first["match_id"].iloc[0])

    table = match_grid_markets(store, grid_model, match_id, first["kickoff_at"].iloc[0], NOW)
    assert table is not None
    # The 1X2 of the grid is the model's own (uncalibrated) 1X2 for the same inputs as publishing.
    raw = load_model_bundle(grid_model)["model"].predict_proba(first)[0]
    np.testing.assert_allclose(table[table["market"] == "1x2"]["win"], raw, atol=1e-12)
    assert {"asian handicap", "total goals", "both teams to score", "draw no bet"} <= set(
        table["market"]
    )
    store.dispose()


def test_only_model_types_that_declare_a_grid_have_grid_markets() -> None:
    class Goals:
        def predict_score_grid(self, X: object) -> None: ...

    matches = get_domain("matches")
    goals = Goals()
    # Declared, not probed: a logistic model is not asked for a grid even if it had the method.
    assert score_grid_method(goals, model_type(matches, "logistic")) is None
    assert score_grid_method(goals, model_type(matches, "goals")) == goals.predict_score_grid
    assert [t.name for t in matches.model_types if t.score_grid] == ["goals", "dixon-coles"]
