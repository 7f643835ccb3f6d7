"""A small demo world with a deployed model and three published snapshots, for the API tests.

The matches and odds are the seeded demo world (2 leagues x 10 teams x 4 seasons, "now"
2025-11-06). The model and its predictions are written through the registry and
``publish_predictions`` directly, with simple deterministic probabilities, so these tests depend on
the store's contract and not on how any model trains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import select

from formline.matches.predictions import publish_predictions
from formline.matches.tables import matches
from formline.pipeline.ingest import ingest_demo
from formline.settings import Settings
from formline.store import promotions, registry
from formline.store.db import Store

NOW = datetime(2025, 11, 6)
FEATURE_VERSION = "apitest"
#: (as_of, horizon days) of the published snapshots, oldest first; the last is current.
SNAPSHOTS = ((datetime(2025, 8, 20), 60), (datetime(2025, 10, 1), 30), (NOW, 30))


@dataclass(frozen=True)
class World:
    """Ids of what :func:`build_world` wrote."""

    model_id: int
    snapshot_ids: tuple[int, ...]
    current_match_ids: tuple[int, ...]

    @property
    def current_snapshot_id(self) -> int:
        return self.snapshot_ids[-1]


def probabilities(match_id: int) -> tuple[float, float, float]:
    """A deterministic, varied 1X2 forecast for a match."""
    p_home = 0.30 + (match_id % 7) * 0.05
    p_draw = 0.22 + (match_id % 3) * 0.03
    return p_home, p_draw, 1.0 - p_home - p_draw


def prediction_frame(match_ids: list[int]) -> pd.DataFrame:
    """Predictions in the shape ``publish_predictions`` takes, with one driver per match."""
    rows = []
    for match_id in match_ids:
        p_home, p_draw, p_away = probabilities(match_id)
        rows.append(
            {
                "match_id": match_id,
                "p_home": p_home,
                "p_draw": p_draw,
                "p_away": p_away,
                "p_over_2_5": 0.5,
                "fair_home": 1 / p_home,
                "fair_draw": 1 / p_draw,
                "fair_away": 1 / p_away,
                "fair_over_2_5": 2.0,
                "fair_under_2_5": 2.0,
                "drivers": [
                    {"feature": "elo_diff", "value": float(match_id), "home": 0.1, "draw": 0.0,
                     "away": -0.1},
                ],
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def register_model(store: Store, name: str = "logistic") -> int:
    """A completed and deployed model version."""
    model = registry.create_model_version(
        store,
        name=name,
        domain="matches",
        model_type=name,
        horizon_days=30,
        training_as_of=NOW - timedelta(days=90),
        window_start=datetime(2022, 8, 1),
        window_end=NOW - timedelta(days=90),
        feature_version=FEATURE_VERSION,
        feature_names=["elo_diff", "form_points_5"],
        uses_market=False,
        hyperparameters={"C": 1.0},
    )
    registry.complete_model_version(
        store,
        model.id,
        n_train=500,
        n_validation=100,
        metrics={"log_loss": 0.98, "rps": 0.2, "n": 100},
        market_metrics=None,
        validation=None,
        artifact_path=None,
        artifact_sha256=None,
        train_seconds=1.5,
    )
    promotions.deploy(store, model.id, reason="test world")
    return model.id


def window_match_ids(store: Store, as_of: datetime, horizon_days: int) -> list[int]:
    """Matches kicking off in (as_of, as_of + horizon]."""
    end = as_of + timedelta(days=horizon_days)
    query = (
        select(matches.c.id)
        .where((matches.c.kickoff_at > as_of) & (matches.c.kickoff_at <= end))
        .order_by(matches.c.id)
    )
    with store.connect() as conn:
        return [int(i) for i in conn.execute(query).scalars()]


def publish(store: Store, model_id: int, as_of: datetime, horizon_days: int) -> int:
    """Publish the deterministic predictions of every match in the window."""
    ids = window_match_ids(store, as_of, horizon_days)
    snapshot_id = publish_predictions(
        store,
        model_version_id=model_id,
        as_of=as_of,
        horizon_days=horizon_days,
        feature_version=FEATURE_VERSION,
        predictions=prediction_frame(ids),
    ).snapshot_id
    return snapshot_id


def build_world(store: Store) -> World:
    """Load the demo world, deploy a model and publish :data:`SNAPSHOTS`."""
    ingest_demo(store, seed=21, now=NOW, n_leagues=2, n_teams=10, n_seasons=4)
    model_id = register_model(store)
    snapshot_ids = tuple(publish(store, model_id, as_of, days) for as_of, days in SNAPSHOTS)
    current = tuple(window_match_ids(store, *SNAPSHOTS[-1]))
    return World(model_id, snapshot_ids, current)


def utc(stamp: datetime) -> datetime:
    """``stamp`` as aware UTC."""
    return stamp.replace(tzinfo=UTC)


def settings_for(url: str, **overrides: object) -> Settings:
    """Settings for the API on ``url``: in-process cache, no Redis, no .env file."""
    values: dict[str, object] = {"database_url": url, "redis_url": None, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
