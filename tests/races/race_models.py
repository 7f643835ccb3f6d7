"""A registered races model version and the stored runners, for tests that publish race
snapshots by hand."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from formline.races.estimators import LinearRaceModel
from formline.store import registry
from formline.store.db import Store


def race_model(store: Store, at: datetime, name: str = "rating") -> int:
    """A new races model version (card information, trained as of ``at``); its id."""
    version = registry.create_model_version(
        store,
        name=name,
        domain="races",
        model_type="rating" if name == "rating" else "conditional-logit",
        horizon_days=7,
        training_as_of=at,
        window_start=at,
        window_end=at,
        feature_version="v",
        feature_names=[],
        uses_market=False,
        hyperparameters={},
        information="card",
    )
    return version.id


def runners_by_race(store: Store) -> dict[int, list[int]]:
    """Each stored race's runner ids, by race id, both in id order."""
    with store.connect() as conn:
        rows = conn.execute(text("SELECT race_id, id FROM runners ORDER BY race_id, id")).all()
    by_race: dict[int, list[int]] = {}
    for race_id, runner_id in rows:
        by_race.setdefault(int(race_id), []).append(int(runner_id))
    return by_race


class PidRecordingModel(LinearRaceModel):
    """The conditional logit, leaving a file named after its process id in ``record_dir`` at
    each fit: which processes a backtest's fits ran in."""

    def __init__(
        self,
        record_dir: str = "",
        features: str = "all",
        alpha: float = 1e-3,
        use_market: bool = True,
        random_state: int = 0,
    ) -> None:
        super().__init__(features, alpha, use_market, random_state)
        self.record_dir = record_dir

    def fit(self, X: Any, y: Any) -> PidRecordingModel:
        """Record the process, then fit."""
        Path(self.record_dir, str(os.getpid())).touch()
        super().fit(X, y)
        return self
