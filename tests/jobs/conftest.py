"""Celery fixtures: a small trained demo world (built once per test worker, copied for each
test), settings pointing at it and at a real broker, and a real worker thread consuming a
queue of the test's own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from celery_support import NOW

from formline.store.db import Store
from support import require_rabbitmq, require_redis
from world_stores import sqlite_world


def _build(store: Store) -> Path:
    from formline.pipeline.features import build_features
    from formline.pipeline.ingest import ingest_demo
    from formline.pipeline.train import TrainConfig, train_model
    from formline.store import promotions

    ingest_demo(store, seed=7, now=NOW, n_leagues=3, n_teams=8, n_seasons=3)
    build_features(store, NOW)
    models = Path(str(store.engine.url.database)).parent / "models"
    config = TrainConfig(model_type="elo", as_of=NOW, n_splits=2, n_boot=50, use_market=False)
    result = train_model(store, config, models)
    if result.decision != "deployed":
        promotions.deploy(store, result.version.id, reason="test", effective_at=NOW)
    return models


@pytest.fixture(scope="session")
def _trained_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("celery-world")
    sqlite_world(folder, _build)
    return folder


@pytest.fixture
def world(_trained_world: Path, tmp_path: Path) -> Callable[[str], str]:
    """``world(name)``: the URL of a fresh copy of the trained world (its models included)."""

    def copy(name: str) -> str:
        target = tmp_path / name
        shutil.copytree(_trained_world, target)
        return f"sqlite:///{(target / 'formline.db').as_posix()}"

    return copy


@pytest.fixture
def redis_broker() -> str:
    return require_redis()


@pytest.fixture
def rabbitmq_broker() -> str:
    return require_rabbitmq()
