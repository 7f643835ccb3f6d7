"""The daily run's cache-warm and cleanup steps, recorded in job_runs like the others."""

from __future__ import annotations

import shutil
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, insert, select, update

from formline.pipeline.daily import DailyConfig, run_daily, step_warm_cache
from formline.pipeline.warm import CacheTarget
from formline.store.db import Store, open_store
from formline.store.jobs import list_job_runs
from formline.store.tables import predicted_events, prediction_snapshots, predictions
from support import REPO_ROOT, require_redis

sys.path.insert(0, str(REPO_ROOT / "tests" / "api"))
from api_world import NOW, build_world


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("daily-api") / "formline.db"
    store = open_store(f"sqlite:///{path}")
    build_world(store)
    store.dispose()
    return path


@pytest.fixture
def store(world_file: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "formline.db"
    shutil.copy(world_file, copy)
    return open_store(f"sqlite:///{copy}")


def _count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_daily_run_prunes_old_snapshots(store: Store, tmp_path: Path) -> None:
    # An old snapshot of the deployed model that nothing needs: after its matches' kickoffs.
    with store.begin() as conn:
        old = conn.execute(
            insert(prediction_snapshots)
            .values(domain="matches", model_version_id=1, models_key="1",
                    as_of=NOW + timedelta(days=400),
                    horizon_days=1,
                    feature_version="apitest", n_predictions=1,
                    created_at=datetime.now(UTC) - timedelta(days=200))
            .returning(prediction_snapshots.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            insert(predicted_events).values(snapshot_id=old, event_id=1, unit="",
                                            model_version_id=1, information="no_market",
                                            drivers=[])
        )  # fmt: skip
        conn.execute(
            insert(predictions).values(snapshot_id=old, event_id=1, unit="", market="1x2",
                                       selection="home", line=0.0, probability=0.5)
        )  # fmt: skip
        conn.execute(
            update(prediction_snapshots)
            .where(prediction_snapshots.c.id != old)
            .values(created_at=datetime.now(UTC) - timedelta(days=200))
        )
    n_predictions, n_rows = _count(store, predicted_events), _count(store, predictions)
    config = DailyConfig(
        as_of=NOW,
        skip_ingest=True,
        skip_features=True,
        skip_train=True,
        skip_predictions=True,
        retention_days=90,
        triggered_by="cron",
    )
    result = run_daily(store, config, tmp_path / "models")
    steps = {s.step: s for s in result.steps}
    assert steps["cleanup"].status == "succeeded" and steps["cleanup"].rows == 1
    assert "kept 1 current and 2 needed" in steps["cleanup"].detail
    assert steps["warm_cache"].status == "skipped"
    assert _count(store, prediction_snapshots) == 3
    assert _count(store, predicted_events) == n_predictions - 1
    assert _count(store, predictions) == n_rows - 1
    runs = {r["step"]: r for r in list_job_runs(store, result.run_id)}
    assert (runs["cleanup"]["status"], runs["cleanup"]["rows"]) == ("succeeded", 1)
    assert runs["warm_cache"]["status"] == "skipped"


def test_the_warm_step_fills_redis_or_says_why_not(store: Store) -> None:
    url = require_redis()
    prefix = f"formline-test-{uuid.uuid4().hex[:12]}"
    try:
        config = DailyConfig(as_of=NOW, cache=CacheTarget(redis_url=url, key_prefix=prefix))
        warmed = step_warm_cache(store, config)
        assert warmed.status == "succeeded" and warmed.rows and warmed.rows > 10
        assert len(list(redis.Redis.from_url(url).scan_iter(f"{prefix}:*"))) == warmed.rows
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    down = DailyConfig(as_of=NOW, cache=CacheTarget(redis_url="redis://127.0.0.1:1/0"))
    skipped = step_warm_cache(store, down)
    assert skipped.status == "skipped" and "Redis did not answer" in skipped.detail
    assert step_warm_cache(store, DailyConfig(as_of=NOW)).status == "skipped"
