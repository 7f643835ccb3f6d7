"""Every published prediction is as good as what was known at its as_of: a champion per
information state, champions as of the instant, and a pointer that only moves forward."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from formline.errors import ModelNotFoundError
from formline.matches.dataset import load_match_frame
from formline.matches.information import information_states
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.leads import frames_at_leads
from formline.pipeline.predict import run_predictions, upcoming
from formline.pipeline.train import TrainConfig, load_model_bundle, train_model
from formline.store import promotions
from formline.store.db import Store, open_store
from formline.store.predictions import current_snapshot
from formline.store.registry import get_model_version

NOW = datetime(2025, 11, 6)


@pytest.fixture
def demo_store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    ingest_demo(store, seed=21, now=NOW, n_leagues=2, n_teams=8, n_seasons=4)
    return store


def _champion(store: Store, tmp: Path, model_type: str, as_of: datetime, market: bool) -> int:
    """Train and deploy (by hand if it does not earn it) a champion as of ``as_of``."""
    config = TrainConfig(
        model_type=model_type, as_of=as_of, n_splits=3, n_boot=200, use_market=market
    )
    result = train_model(store, config, tmp / "models")
    if result.decision != "deployed":
        promotions.deploy(store, result.version.id, reason="test", effective_at=as_of)
    return result.version.id


def test_a_model_that_needs_prices_never_predicts_a_match_without_them(
    demo_store: Store, tmp_path: Path
) -> None:
    market = _champion(demo_store, tmp_path, "market", NOW, market=True)
    result = run_predictions(demo_store, NOW, 60)
    rows = upcoming(load_match_frame(demo_store, NOW).frame, NOW, 60)
    states = information_states(rows)
    priced = set(rows.loc[states == "market", "match_id"])
    assert 0 < len(priced) < len(rows), "the demo world prices matches 3 days ahead only"
    # Only the priced matches are predicted; the rest are counted, not given base rates.
    assert set(result.predictions["match_id"]) == priced
    assert result.unpredicted == {"no_market": len(rows) - len(priced)}
    assert (result.predictions["model_version_id"] == market).all()
    assert (result.predictions["information"] == "market").all()
    # And what the market reference publishes is each match's de-margined price (calibrated
    # walk-forward like every model), never a base rate.
    got = result.predictions.set_index("match_id").loc[sorted(priced)]
    features = rows.set_index("match_id").loc[sorted(priced)]
    bundle = load_model_bundle(get_model_version(demo_store, market))
    prices = features[["market_p_home", "market_p_draw", "market_p_away"]].to_numpy()
    np.testing.assert_allclose(
        got[["p_home", "p_draw", "p_away"]].to_numpy(),
        bundle["calibrator"].transform(prices),
        atol=1e-9,
    )


def test_each_match_gets_the_champion_for_what_was_known(demo_store: Store, tmp_path: Path) -> None:
    with_prices = _champion(demo_store, tmp_path, "logistic", NOW, market=True)
    without = _champion(demo_store, tmp_path, "logistic", NOW, market=False)
    result = run_predictions(demo_store, NOW, 60)
    rows = upcoming(load_match_frame(demo_store, NOW).frame, NOW, 60)
    assert result.unpredicted == {}
    assert len(result.predictions) == len(rows)
    by_match = result.predictions.set_index("match_id")
    states = dict(zip(rows["match_id"], information_states(rows), strict=True))
    for match_id, row in by_match.iterrows():
        expected = with_prices if states[match_id] == "market" else without
        assert row["model_version_id"] == expected
        assert row["information"] == states[match_id]
    # The far-out predictions are real predictions, not a constant.
    far = by_match[by_match["information"] == "no_market"]
    assert far["p_home"].nunique() > len(far) * 0.9
    assert far["p_home"].between(0.05, 0.9).all()  # not the 0.93-0.97 of a model fed NaN prices
    snapshot = current_snapshot(demo_store)
    assert snapshot is not None and snapshot["model_version_id"] is None
    assert snapshot["models_key"] == f"{with_prices},{without}"


def test_a_past_as_of_uses_the_model_deployed_then(demo_store: Store, tmp_path: Path) -> None:
    past = NOW - timedelta(days=60)
    _champion(demo_store, tmp_path, "logistic", NOW, market=False)
    # The champion was trained on results up to NOW: it must not predict as of 60 days earlier.
    with pytest.raises(ModelNotFoundError, match="no model was deployed as of 2025-09-07"):
        run_predictions(demo_store, past, 30)
    earlier = _champion(demo_store, tmp_path, "logistic", past, market=False)
    replay = run_predictions(demo_store, past, 30)
    assert set(replay.predictions["model_version_id"]) == {earlier}
    assert all(m.training_as_of.replace(tzinfo=None) <= past for m in replay.models)
    # The newest champion is still the one trained as of NOW.
    assert [m.id for m in promotions.champions_at(demo_store, "matches").values()] != [earlier]


def test_the_published_pointer_only_moves_forward(demo_store: Store, tmp_path: Path) -> None:
    _champion(demo_store, tmp_path, "logistic", NOW - timedelta(days=60), market=False)
    today = run_predictions(demo_store, NOW, 30)
    assert today.published
    replay = run_predictions(demo_store, NOW - timedelta(days=30), 30)
    assert replay.created and not replay.published
    current = current_snapshot(demo_store)
    assert current is not None and current["id"] == today.snapshot_id


def test_validation_scores_each_lead_with_what_was_known_then(
    demo_store: Store, tmp_path: Path
) -> None:
    config = TrainConfig(model_type="logistic", as_of=NOW, n_splits=3, n_boot=200)
    priced = train_model(demo_store, config, tmp_path / "models")
    far = train_model(
        demo_store, TrainConfig(**{**config.__dict__, "use_market": False}), tmp_path / "models"
    )
    no_market = far.metrics["by_lead"]
    assert list(no_market) == ["0-1d", "1-3d", "3-7d", "7-30d", "30-90d"]
    assert all(s["n"] == far.version.n_validation and s["share"] == 1.0 for s in no_market.values())
    assert no_market["0-1d"]["log_loss"] == pytest.approx(far.metrics["log_loss"])
    # The demo world's prices are observed 3 days before kickoff: a model that needs them is
    # scored at 2 days, never at 5 or more.
    assert list(priced.metrics["by_lead"]) == ["0-1d", "1-3d"]
    # What the leads score is the features as known then: 60 days out, form is older.
    rows = load_match_frame(demo_store, NOW).frame
    rows = rows[rows["finished"]].tail(50).reset_index(drop=True)
    at = frames_at_leads(demo_store, NOW, rows, (60.0,))["30-90d"]
    direct = load_match_frame(
        demo_store,
        NOW,
        queries=pd.DataFrame(
            {"match_id": rows["match_id"], "cutoff_at": rows["kickoff_at"] - timedelta(days=60)}
        ),
    ).frame.set_index("match_id")
    pd.testing.assert_series_equal(
        at.set_index("match_id")["home_form5_points"],
        direct.loc[rows["match_id"], "home_form5_points"],
    )
    assert not at["home_elo"].equals(rows["home_elo"])
