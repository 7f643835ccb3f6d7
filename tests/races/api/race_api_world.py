"""A small racing world for the races API tests: the demo racing world (seed 5, "now"
2025-11-06 12:00 UTC, ten race cards still to run on 2025-11-09), a model of the races domain,
one published snapshot covering every card but one, and the current-form views refreshed.

Predictions are written with ``publish_snapshot`` in the races domain's long shape (event the
race id, unit the runner id as text, markets ``win`` and ``place`` with selection ``yes`` and
line 0, drivers ``[{feature, value, contribution}]``), with simple deterministic numbers, so
the tests depend on the store's contract and not on how any model trains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from races_api_domain import DOMAIN
from sqlalchemy import select

from formline.races.ingest import ingest_race_demo
from formline.races.tables import races, runners
from formline.races.views import refresh_views
from formline.settings import Settings
from formline.store import registry
from formline.store.db import Store
from formline.store.predictions import PredictionRows, publish_snapshot

NOW = datetime(2025, 11, 6, 12)
SEED = 5
FEATURE_VERSION = "raceapitest"


@dataclass(frozen=True)
class RaceWorld:
    """Ids of what :func:`build_race_world` wrote."""

    model_id: int
    snapshot_id: int
    #: The cards the snapshot covers, and the one it leaves out.
    predicted_race_ids: tuple[int, ...]
    unpredicted_race_id: int
    card_day: str
    past_race_id: int


def weights(runner_id: int) -> float:
    """A runner's deterministic weight: its win probability is its share of the race's."""
    return 1.0 + runner_id % 5


def prediction_rows(cards: pd.DataFrame, model_id: int) -> PredictionRows:
    """Win and place rows and drivers for every runner of ``cards`` (race_id, runner_id,
    rating)."""
    share = cards.assign(w=[weights(int(r)) for r in cards["runner_id"]])
    share["p_win"] = share["w"] / share.groupby("race_id")["w"].transform("sum")
    share["p_place"] = (share["p_win"] * 2.5).clip(upper=0.95)
    units = share["runner_id"].astype(str)
    events = pd.DataFrame(
        {
            "event_id": share["race_id"].astype(int),
            "unit": units,
            "model_version_id": model_id,
            "information": "card",
            "drivers": [
                [
                    {"feature": "rating", "value": float(rating), "contribution": 0.01 * rating},
                    {"feature": "draw", "value": None, "contribution": -0.05},
                ]
                for rating in share["rating"].fillna(0)
            ],
        }
    )
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "event_id": share["race_id"].astype(int),
                    "unit": units,
                    "market": market,
                    "selection": "yes",
                    "line": 0.0,
                    "probability": share[column],
                    "fair_odds": 1.0 / share[column],
                }
            )
            for market, column in (("win", "p_win"), ("place", "p_place"))
        ],
        ignore_index=True,
    )
    return PredictionRows(events, rows)


def register_race_model(store: Store) -> int:
    """A completed model version of the races domain."""
    model = registry.create_model_version(
        store,
        name="conditional-logit",
        domain=DOMAIN,
        model_type="conditional-logit",
        horizon_days=7,
        training_as_of=NOW - timedelta(days=30),
        window_start=datetime(2024, 9, 1),
        window_end=NOW - timedelta(days=30),
        feature_version=FEATURE_VERSION,
        feature_names=["rating", "draw"],
        uses_market=False,
        hyperparameters={"l2": 1.0},
        information="card",
    )
    registry.complete_model_version(
        store,
        model.id,
        n_train=900,
        n_validation=100,
        metrics={"pseudo_r2": 0.1},
        market_metrics=None,
        validation=None,
        artifact_path=None,
        artifact_sha256=None,
        train_seconds=1.0,
    )
    return model.id


def future_cards(store: Store) -> pd.DataFrame:
    """race_id, runner_id, rating of every runner of the races after :data:`NOW`."""
    query = (
        select(runners.c.race_id, runners.c.id.label("runner_id"), runners.c.rating)
        .join(races, races.c.id == runners.c.race_id)
        .where(races.c.start_at > NOW)
        .order_by(races.c.start_at, runners.c.id)
    )
    with store.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def publish_cards(store: Store, model_id: int, race_ids: list[int], as_of: datetime) -> int:
    """Publish the deterministic predictions of ``race_ids`` as of ``as_of``."""
    cards = future_cards(store)
    cards = cards[cards["race_id"].isin(race_ids)]
    published = publish_snapshot(
        store,
        as_of=as_of,
        horizon_days=7,
        feature_version=FEATURE_VERSION,
        predictions=prediction_rows(cards, model_id),
        domain=DOMAIN,
    )
    assert published.published
    return published.snapshot_id


def build_race_world(store: Store) -> RaceWorld:
    """Load the demo racing world, publish a snapshot of all cards but the last, refresh the
    views as of :data:`NOW`."""
    ingest_race_demo(store, seed=SEED, now=NOW)
    model_id = register_race_model(store)
    card_ids = [int(i) for i in dict.fromkeys(future_cards(store)["race_id"])]
    predicted, left_out = card_ids[:-1], card_ids[-1]
    snapshot_id = publish_cards(store, model_id, predicted, NOW)
    refresh_views(store, NOW)
    with store.connect() as conn:
        day = conn.execute(select(races.c.race_date).where(races.c.id == left_out)).scalar_one()
        past = conn.execute(
            select(races.c.id).where(races.c.start_at < NOW).order_by(races.c.start_at.desc())
        ).first()
    assert past is not None
    return RaceWorld(model_id, snapshot_id, tuple(predicted), left_out, day, int(past.id))


def settings_for(url: str, **overrides: object) -> Settings:
    """Settings for the API on ``url``: in-process cache, no Redis, no .env file."""
    values: dict[str, object] = {"database_url": url, "redis_url": None, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
