"""The library API: point-in-time frames, bitemporal lookups, walk-forward with any estimator."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import formline as fl
from formline.errors import DataError
from formline.pipeline.ingest import ingest_demo
from formline.store.db import Store, open_store

NOW = datetime(2025, 11, 6)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("library") / "formline.db"
    store = open_store(f"sqlite:///{path}")
    ingest_demo(store, seed=5, now=NOW, n_leagues=2, n_teams=10, n_seasons=4)
    return store


def test_the_top_level_names_are_lazy() -> None:
    import subprocess
    import sys

    code = "import sys, formline; print('pandas' in sys.modules, formline.walk_forward.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "walk_forward"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fl.nope  # noqa: B018


def test_list_features_describes_every_feature() -> None:
    catalog = fl.list_features()
    assert list(catalog.columns) == ["name", "group", "description", "uses_market", "version"]
    assert catalog["name"].is_unique and catalog["description"].str.len().min() > 5
    assert catalog["uses_market"].any() and not catalog["uses_market"].all()


def test_historical_features_are_each_rows_own_as_of(demo_store: Store) -> None:
    frame = fl.load_features(demo_store, as_of=NOW)
    finished = frame[frame["finished"]].tail(40)
    names = fl.list_features()["name"].tolist()
    # As of kickoff, a finished match's features are those the frame holds (its own cutoff).
    at_kickoff = fl.get_historical_features(
        demo_store,
        pd.DataFrame({"match_id": finished["match_id"], "as_of": finished["kickoff_at"]}),
        as_of=NOW,
    )
    pd.testing.assert_frame_equal(
        at_kickoff[names].reset_index(drop=True),
        finished[names].reset_index(drop=True),
        check_dtype=False,
    )
    # Thirty days earlier they differ (form, ratings), and never see past the row's instant.
    earlier = finished.assign(as_of=finished["kickoff_at"] - pd.Timedelta(days=30), tag="x")
    before = fl.get_historical_features(demo_store, earlier[["match_id", "as_of", "tag"]], NOW)
    assert (before["tag"] == "x").all() and len(before) == len(earlier)
    assert (pd.to_datetime(before["cutoff_at"]) == earlier["as_of"].to_numpy()).all()
    assert not np.allclose(before["home_elo"], at_kickoff["home_elo"])
    # A far-future instant is capped at kickoff: nothing after the start is ever seen.
    late = finished.assign(as_of=finished["kickoff_at"] + pd.Timedelta(days=60))
    capped = fl.get_historical_features(demo_store, late[["match_id", "as_of"]], NOW)
    pd.testing.assert_frame_equal(
        capped[names].reset_index(drop=True), at_kickoff[names], check_dtype=False
    )


def test_historical_features_refuse_bad_entity_frames(demo_store: Store) -> None:
    with pytest.raises(DataError, match="lacks the column"):
        fl.get_historical_features(demo_store, pd.DataFrame({"match_id": [1]}))
    unknown = pd.DataFrame({"match_id": [10**9], "as_of": [NOW]})
    with pytest.raises(DataError, match="does not have"):
        fl.get_historical_features(demo_store, unknown, NOW)


def test_a_plain_classifier_goes_through_the_same_walk_forward(demo_store: Store) -> None:
    """The logistic model's own pipeline, given as a plain scikit-learn classifier, validates to
    the same probabilities as the registered type: the adapter adds nothing and loses nothing."""
    registered = fl.walk_forward(demo_store, "logistic", NOW, use_market=False)
    pipeline = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.0003, max_iter=2000),
    )
    mine = fl.walk_forward(demo_store, pipeline, NOW, use_market=False)
    assert mine.n_train == registered.n_train > 200
    columns = ["match_id", "fold", "p_home", "p_draw", "p_away", "p_over_2_5"]
    pd.testing.assert_frame_equal(mine.predictions[columns], registered.predictions[columns])
    assert mine.metrics["log_loss"] == pytest.approx(registered.metrics["log_loss"])
    assert "elo_reference" in mine.metrics and "by_lead" in mine.metrics
    assert mine.model.uses_market is False
    assert fl.read_predictions(demo_store).empty
