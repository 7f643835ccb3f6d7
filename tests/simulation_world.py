"""The demo store the season-simulation tests share, built once per test process: two leagues,
a goals model (score grid), an Elo model (none) and the market reference, trained as of a month
before the demo's now and not deployed (each test deploys the champions it needs)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

NOW = datetime(2025, 11, 6)
#: The models' training instant, a month before the demo's now: results after it exist.
TRAINED = NOW - timedelta(days=30)

_BUILT: dict[str, tuple[Path, dict[str, int]]] = {}


def simulation_world(factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The store file and the model ids by type (built on first use in this process)."""
    if "world" in _BUILT:
        return _BUILT["world"]
    from formline.pipeline.ingest import ingest_demo
    from formline.pipeline.train import TrainConfig, TrainingData, train_model
    from formline.store.db import open_store

    folder = factory.mktemp("simulation-world")
    store = open_store(f"sqlite:///{folder / 'formline.db'}")
    ingest_demo(store, seed=21, now=NOW, n_leagues=2, n_teams=8, n_seasons=4)
    data = TrainingData(store, TRAINED, leads=())
    ids = {}
    for name, market in (("goals", False), ("elo", False), ("market", True)):
        config = TrainConfig(
            model_type=name, as_of=TRAINED, n_splits=2, n_boot=50, use_market=market
        )
        result = train_model(store, config, folder / "models", data)
        assert result.decision != "deployed", "the tests deploy the champions they need"
        ids[name] = result.version.id
    store.dispose()
    _BUILT["world"] = (folder / "formline.db", ids)
    return _BUILT["world"]
