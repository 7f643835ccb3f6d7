"""US games stored beside the football demo world change no football feature, frame,
prediction or API read: the matches domain serves football only for now."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text
from test_us_ingest import _files

from formline.matches.dataset import load_match_frame
from formline.matches.reads import MatchFilter, get_match, list_competitions, list_matches
from formline.matches.us_ingest import ingest_us_sports
from formline.pipeline.features import build_features
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.train import TrainConfig, load_model_bundle, train_model
from formline.store.db import open_store

NOW = datetime(2025, 11, 6)


def _reads(store: object) -> tuple[object, ...]:
    with store.connect() as conn:  # type: ignore[attr-defined]
        total, page = list_matches(conn, MatchFilter(), limit=1000, offset=0)
        return list_competitions(conn), total, page


@pytest.mark.slow
def test_us_games_change_no_football_feature_prediction_or_read(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    ingest_demo(store, seed=5, now=NOW, n_leagues=1, n_teams=10, n_seasons=3)
    model = train_model(store, TrainConfig(model_type="logistic", as_of=NOW, n_splits=2, n_boot=50),
                        tmp_path / "models").version  # fmt: skip
    bundle = load_model_bundle(model)["model"]
    before = build_features(store, NOW)
    frame = load_match_frame(store, NOW).frame
    predicted = bundle.predict_proba(frame)
    reads = _reads(store)

    result = ingest_us_sports(store, list(_files(tmp_path / "us").values()))
    assert result.report.tables["matches"].inserted == 10  # the US games are stored
    with store.connect() as conn:
        found = conn.execute(text("SELECT id FROM matches WHERE sport <> 'football'"))
        us_ids = [int(i) for (i,) in found]
    assert len(us_ids) == 10

    after = build_features(store, NOW)
    pd.testing.assert_frame_equal(after.frame, before.frame)
    assert after.written == 0  # the snapshots built before are the same
    again = load_match_frame(store, NOW).frame
    pd.testing.assert_frame_equal(again, frame)
    np.testing.assert_array_equal(bundle.predict_proba(again), predicted)
    assert _reads(store) == reads
    with store.connect() as conn:
        assert all(get_match(conn, i) is None for i in us_ids)
    store.dispose()
