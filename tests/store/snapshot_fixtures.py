"""Helpers for snapshot tests: fixtures of scheduled matches, models, prediction frames."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select

from formline.matches.frames import SourceBatch
from formline.matches.predictions import publish_predictions
from formline.matches.store import upsert_batch
from formline.matches.tables import matches
from formline.store import promotions, registry
from formline.store.db import Store

FEATURE_VERSION = "snaptest"


def add_matches(store: Store, kickoffs: list[datetime], n_teams: int | None = None) -> list[int]:
    """Scheduled matches kicking off at ``kickoffs`` (each a distinct pair of teams); their ids
    in the same order."""
    n_teams = n_teams or 2 + int((2 * len(kickoffs)) ** 0.5) + 1
    pairs = [(h, a) for h in range(n_teams) for a in range(n_teams) if h != a][: len(kickoffs)]
    assert len(pairs) == len(kickoffs), "not enough teams for that many matches"
    fixtures = pd.DataFrame(
        [
            {
                "sport": "football",
                "competition": "T1",
                "competition_name": "Test League",
                "season": "2022-23",
                "status": "scheduled",
                "source": "test",
                "kickoff_at": kickoff,
                "home_team": f"Team {h}",
                "away_team": f"Team {a}",
            }
            for kickoff, (h, a) in zip(kickoffs, pairs, strict=True)
        ]
    )
    upsert_batch(store, SourceBatch(matches=fixtures, odds=pd.DataFrame(), rejects=pd.DataFrame()))
    with store.connect() as conn:
        by_kickoff = conn.execute(
            select(matches.c.id).where(matches.c.source == "test").order_by(matches.c.id)
        ).scalars()
        return [int(i) for i in by_kickoff][-len(kickoffs) :]


def add_model(store: Store, name: str, *, deploy: bool) -> int:
    """A completed model version, deployed if asked."""
    as_of = datetime(2022, 7, 1)
    model = registry.create_model_version(
        store,
        name=name,
        domain="matches",
        model_type=name,
        horizon_days=30,
        training_as_of=as_of,
        window_start=as_of - timedelta(days=365),
        window_end=as_of,
        feature_version=FEATURE_VERSION,
        feature_names=["elo_diff"],
        uses_market=False,
        hyperparameters={},
    )
    registry.complete_model_version(
        store,
        model.id,
        n_train=10,
        n_validation=5,
        metrics={"log_loss": 1.0},
        market_metrics=None,
        validation=None,
        artifact_path=None,
        artifact_sha256=None,
        train_seconds=None,
    )
    if deploy:
        promotions.deploy(store, model.id, reason="test")
    return model.id


def frame(match_ids: list[int], p_home: float = 0.5) -> pd.DataFrame:
    """Predictions of ``match_ids``, every row with the same ``p_home`` (a marker)."""
    p_draw = 0.25
    return pd.DataFrame(
        {
            "match_id": match_ids,
            "p_home": p_home,
            "p_draw": p_draw,
            "p_away": 1 - p_home - p_draw,
            "p_over_2_5": 0.5,
            "fair_home": 1 / p_home,
            "fair_draw": 1 / p_draw,
            "fair_away": 1 / (1 - p_home - p_draw),
            "fair_over_2_5": 2.0,
            "fair_under_2_5": 2.0,
            "drivers": [[{"feature": "elo_diff", "value": 1.0, "home": 0.1}] for _ in match_ids],
        }
    )


def publish(
    store: Store, model_id: int, as_of: datetime, ids: list[int], publication: str = "default"
) -> int:
    """Publish ``frame(ids)`` as ``model_id``'s snapshot as of ``as_of`` (30 days); its id."""
    return publish_predictions(
        store,
        model_version_id=model_id,
        as_of=as_of,
        horizon_days=30,
        feature_version=FEATURE_VERSION,
        predictions=frame(ids),
        publication=publication,
    ).snapshot_id
