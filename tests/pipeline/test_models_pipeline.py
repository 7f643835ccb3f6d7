"""Training, promotion, prediction, backtest and the daily run, end to end on a small demo world."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, text

from formline.errors import ModelNotFoundError
from formline.matches.backtest import BACKTEST_COLUMNS
from formline.matches.predictions import read_snapshot_predictions
from formline.pipeline.backtest import run_backtest, write_backtest
from formline.pipeline.daily import DailyConfig, run_daily, training_due
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.predict import run_predictions
from formline.pipeline.train import TrainConfig, train_model
from formline.store import promotions
from formline.store.db import Store, open_store
from formline.store.jobs import list_job_runs
from formline.store.predictions import current_snapshot
from formline.store.tables import model_promotions, predicted_events, prediction_snapshots

NOW = datetime(2025, 11, 6)


@pytest.fixture
def demo_store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    ingest_demo(store, seed=21, now=NOW, n_leagues=2, n_teams=10, n_seasons=4)
    return store


def _count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_no_deployed_model_means_no_prediction(demo_store: Store) -> None:
    with pytest.raises(ModelNotFoundError, match="no deployed model"):
        run_predictions(demo_store, NOW, 30)
    assert _count(demo_store, prediction_snapshots) == 0


def test_train_validates_walk_forward_and_promotes_by_the_rule(
    demo_store: Store, tmp_path: Path
) -> None:
    config = TrainConfig(model_type="logistic", as_of=NOW, n_splits=4, n_boot=500)
    first = train_model(demo_store, config, tmp_path / "models")
    version = first.version
    assert version.n_train > 500
    assert version.n_validation > 100
    assert first.metrics["n"] == version.n_validation
    for key in ("log_loss", "brier", "rps", "accuracy", "ece", "calibration_slope"):
        assert np.isfinite(first.metrics[key])
    # The market comparison is on the same matches.
    assert first.market_metrics is not None
    assert first.metrics["on_market_matches"]["n"] == first.market_metrics["n"]
    # The first model is judged against the Elo reference; the reason records the test.
    assert "elo reference" in first.reason
    expected_status = "deployed" if first.decision == "deployed" else "completed"
    assert version.status == expected_status

    # Same data, settings and seed: the same model and probabilities.
    again = train_model(demo_store, config, tmp_path / "models")
    assert again.metrics["log_loss"] == pytest.approx(first.metrics["log_loss"], abs=1e-12)
    if first.decision == "deployed":
        # An identical challenger cannot beat the champion: it stays completed, with the reason.
        assert again.decision == "kept" and again.version.status == "completed"
        assert "does not beat champion" in again.reason
    with demo_store.connect() as conn:
        actions = [r[0] for r in conn.execute(select(model_promotions.c.action))]
    assert len(actions) == 2


def test_predictions_publish_once_and_replay_reproduces(demo_store: Store, tmp_path: Path) -> None:
    result = train_model(
        demo_store, TrainConfig(model_type="logistic", as_of=NOW, n_splits=4), tmp_path / "m"
    )
    if result.decision != "deployed":
        promotions.deploy(demo_store, result.version.id, reason="test: deploy by hand")
    published = run_predictions(demo_store, NOW, 40)
    assert published.created and published.snapshot_id is not None
    frame = read_snapshot_predictions(demo_store, published.snapshot_id)
    assert len(frame) == len(published.predictions) > 0
    total = frame[["p_home", "p_draw", "p_away"]].sum(axis=1)
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    assert frame["p_over_2_5"].between(0, 1).all()
    assert all(len(d) == 5 for d in frame["drivers"])  # exact linear terms per prediction
    np.testing.assert_allclose(frame["fair_home"], 1 / frame["p_home"])
    snapshot = current_snapshot(demo_store)
    assert snapshot is not None and snapshot["id"] == published.snapshot_id

    rerun = run_predictions(demo_store, NOW, 40)
    assert not rerun.created and rerun.snapshot_id == published.snapshot_id
    assert _count(demo_store, prediction_snapshots) == 1

    # Later facts arrive (results of matches after NOW); replaying NOW reproduces the numbers.
    with demo_store.begin() as conn:
        conn.execute(
            text(
                "UPDATE matches SET status = 'finished', home_goals = 2, away_goals = 1, "
                "observed_at = kickoff_at WHERE status = 'scheduled'"
            )
        )
    replay = run_predictions(demo_store, NOW, 40, publish=False)
    pd.testing.assert_frame_equal(
        replay.predictions.drop(columns=["drivers"]).reset_index(drop=True),
        published.predictions.drop(columns=["drivers"]).reset_index(drop=True),
    )


def test_backtest_refits_walk_forward_without_seeing_later_results(
    demo_store: Store, tmp_path: Path
) -> None:
    config = TrainConfig(model_type="elo", lookback_days=0)
    start, end = datetime(2024, 7, 1), datetime(2025, 11, 6)
    result = run_backtest(demo_store, start, end, config, refit="season")
    out = tmp_path / "backtest.csv"
    write_backtest(result, out)
    written = pd.read_csv(out)
    assert list(written.columns) == BACKTEST_COLUMNS
    assert written["match_id"].is_unique
    assert result.refits == 2
    # Kickoffs carry their zone (ISO 8601, +00:00) and every row its season.
    assert written["kickoff_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00").all()
    assert set(written["season"]) == {"2024-25", "2025-26"}
    kickoffs = pd.to_datetime(written["kickoff_at"])
    assert (kickoffs >= pd.Timestamp(start, tz="UTC")).all()
    first_season = written[kickoffs < pd.Timestamp(2025, 7, 1, tz="UTC")]

    # Rewrite every result of the second test season: the first season's predictions stay.
    with demo_store.begin() as conn:
        conn.execute(
            text("UPDATE matches SET home_goals = home_goals + 4 WHERE kickoff_at >= :t"),
            {"t": "2025-07-01 00:00:00.000000"},
        )
    again = run_backtest(demo_store, start, end, config, refit="season").frame
    again = again[again["kickoff_at"] < datetime(2025, 7, 1)]
    np.testing.assert_allclose(
        again[["p_home", "p_draw", "p_away"]].to_numpy(),
        first_season[["p_home", "p_draw", "p_away"]].to_numpy(),
        atol=1e-6,
    )


def test_daily_run_records_every_step_and_stops_at_a_failure(
    demo_store: Store, tmp_path: Path
) -> None:
    config = DailyConfig(as_of=NOW, horizon_days=30, skip_train=True)
    with pytest.raises(ModelNotFoundError):
        run_daily(demo_store, config, tmp_path / "models")
    runs = list_job_runs(demo_store)
    by_step = {r["step"]: r for r in runs}
    assert by_step["ingest"]["status"] == "skipped"
    assert by_step["features"]["status"] == "succeeded"
    assert by_step["train"]["status"] == "skipped"
    assert by_step["predictions"]["status"] == "failed"
    assert "no deployed model" in by_step["predictions"]["error"]
    assert _count(demo_store, predicted_events) == 0

    for use_market in (True, False):  # a champion for each information state
        trained = train_model(
            demo_store,
            TrainConfig(model_type="logistic", as_of=NOW, n_splits=4, use_market=use_market),
            tmp_path / "m",
        )
        if trained.decision != "deployed":
            promotions.deploy(
                demo_store, trained.version.id, reason="test: deploy by hand", effective_at=NOW
            )
    full = run_daily(
        demo_store, DailyConfig(as_of=NOW, horizon_days=30, triggered_by="cron"), tmp_path / "m"
    )
    steps = {s.step: s for s in full.steps}
    assert steps["train"].status == "skipped"  # the champion is younger than retrain_days
    assert steps["predictions"].status == "succeeded"
    assert steps["predictions"].rows and steps["predictions"].rows > 0
    assert all(r["triggered_by"] == "cron" for r in list_job_runs(demo_store, full.run_id))
    assert training_due(demo_store, DailyConfig(as_of=NOW, force_train=True))[0]
    assert training_due(demo_store, DailyConfig(as_of=datetime(2025, 11, 14)))[0]
    assert not training_due(demo_store, DailyConfig(as_of=datetime(2025, 11, 12)))[0]


def test_optuna_search_keeps_its_study_in_the_store(demo_store: Store, tmp_path: Path) -> None:
    import optuna

    config = TrainConfig(
        model_type="lightgbm",
        as_of=NOW,
        n_splits=3,
        trials=2,
        n_boot=200,
        hyperparameters={"n_estimators": 50},
    )
    result = train_model(demo_store, config, tmp_path / "models")
    url = demo_store.engine.url.render_as_string(hide_password=False)
    summaries = optuna.get_all_study_summaries(storage=url)
    assert len(summaries) == 1
    assert summaries[0].study_name.startswith("lightgbm:")
    assert summaries[0].n_trials == 2
    tuned = {k: result.version.hyperparameters[k] for k in summaries[0].best_trial.params}
    assert tuned == pytest.approx(summaries[0].best_trial.params)
    # The same settings again: the study is complete, so no new trials and the same choice.
    again = train_model(demo_store, config, tmp_path / "models")
    assert optuna.get_all_study_summaries(storage=url)[0].n_trials == 2
    assert again.version.hyperparameters == result.version.hyperparameters
