"""A registered races model version and the stored runners, for tests that publish race
snapshots by hand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

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
