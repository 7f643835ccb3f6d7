"""Retention ranks each deployed model's predictions by when its own domain's events start
(``Domain.event_starts``), on SQLite and PostgreSQL: a second domain whose event ids collide
with match ids keeps the snapshot its track record needs, and a deployed model of a domain that
is not registered keeps every snapshot it predicted in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from snapshot_fixtures import add_matches, add_model, publish
from sqlalchemy import Column, FromClause, Integer, MetaData, Table, select

from formline.domain import Market, ModelType, register_domain, unregister_domain
from formline.store import promotions, registry
from formline.store.db import Store
from formline.store.predictions import PredictionRows, publish_snapshot
from formline.store.retention import prune_snapshots
from formline.store.tables import prediction_snapshots
from formline.store.types import UTCDateTime
from support import unimplemented_methods

T = datetime(2022, 8, 1)
FUTURE = datetime.now(UTC) + timedelta(days=1)  # every snapshot was created before this
TOY = "toy_retention"

# The toy domain's own events table, outside the store's metadata (no migration knows it).
toy_metadata = MetaData()
toy_events = Table(
    "toy_retention_events",
    toy_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("begins", UTCDateTime(), nullable=False),
)


@unimplemented_methods
class ToyDomain:
    """Events with a start of their own, and nothing else the test does not use."""

    name = TOY
    event_noun = "event"
    unit_noun = None
    unit_key = None
    event_key = "event_id"
    start_column = "begins"
    markets = (Market("yes_no", "a binary market", selections=("yes", "no")),)
    model_types = (ModelType("toy", "a toy model", uses_market=False),)
    information_states = ("all",)
    reference_model = "toy"
    market_reference = None
    validation_leads = ()
    sources = ()
    api_routers = ()
    api_cache = None
    scope_column = "group"
    target_columns = ("yes",)
    cli_commands = ()
    season_simulation = None

    def event_starts(self) -> FromClause:
        query = select(toy_events.c.id.label("event_id"), toy_events.c.begins.label("start_at"))
        return query.subquery("toy_starts")


@pytest.fixture
def toy(store: Store) -> Iterator[Store]:
    register_domain(TOY, ToyDomain)
    toy_metadata.create_all(store.engine)
    yield store
    toy_metadata.drop_all(store.engine)
    unregister_domain(TOY)


def _model(store: Store, domain: str) -> int:
    model = registry.create_model_version(
        store,
        name=f"{domain}_model",
        domain=domain,
        model_type="toy",
        horizon_days=30,
        training_as_of=T - timedelta(days=30),
        window_start=T - timedelta(days=400),
        window_end=T - timedelta(days=30),
        feature_version="toy-v1",
        feature_names=["x"],
        uses_market=False,
        hyperparameters={},
        information="all",
    )
    registry.complete_model_version(
        store,
        model.id,
        n_train=10,
        n_validation=5,
        metrics={"log_loss": 0.6},
        market_metrics=None,
        validation=None,
        artifact_path=None,
        artifact_sha256=None,
        train_seconds=None,
    )
    promotions.deploy(store, model.id, reason="test")
    return model.id


def _publish(store: Store, domain: str, model_id: int, as_of: datetime, event_id: int) -> int:
    events = pd.DataFrame({"event_id": [event_id], "drivers": [None]})
    rows = pd.DataFrame(
        {
            "event_id": [event_id, event_id],
            "market": ["yes_no", "yes_no"],
            "selection": ["yes", "no"],
            "line": [0.0, 0.0],
            "probability": [0.6, 0.4],
            "fair_odds": [1 / 0.6, 1 / 0.4],
        }
    )
    return publish_snapshot(
        store,
        as_of=as_of,
        horizon_days=30,
        feature_version="toy-v1",
        predictions=PredictionRows(events, rows),
        domain=domain,
        model_version_id=model_id,
    ).snapshot_id


def _snapshot_ids(store: Store, domain: str) -> set[int]:
    query = select(prediction_snapshots.c.id).where(prediction_snapshots.c.domain == domain)
    with store.connect() as conn:
        return {int(i) for i in conn.execute(query).scalars()}


def test_each_domain_is_ranked_by_its_own_starts(toy: Store) -> None:
    store = toy
    # A match kicking off at T+1.5 days, and a toy event of the same id starting at T+5.
    (match_id,) = add_matches(store, [T + timedelta(days=1, hours=12)])
    with store.begin() as conn:
        conn.execute(toy_events.insert().values(id=match_id, begins=T + timedelta(days=5)))
    model = _model(store, TOY)
    ids: dict[str, Any] = {
        f"s{day}": _publish(store, TOY, model, T + timedelta(days=day), match_id)
        for day in (0, 1, 2, 6)
    }
    # The deployed football model predicted the match twice before its kickoff.
    football = add_model(store, "football", deploy=True)
    early, late = (publish(store, football, T + timedelta(hours=h), [match_id]) for h in (0, 24))

    result = prune_snapshots(store, cutoff=FUTURE)

    # The toy's track record needs s2 (the latest before its own start, T+5): ranked by the
    # match's kickoff (T+1.5) it would have been s1. s6 is after the start but published.
    assert _snapshot_ids(store, TOY) == {ids["s2"], ids["s6"]}
    assert _snapshot_ids(store, "matches") == {late}
    assert early not in _snapshot_ids(store, "matches")
    assert (result.snapshots_deleted, result.kept_current, result.kept_for_evaluation) == (3, 2, 1)


def test_a_deployed_model_of_an_unregistered_domain_keeps_its_snapshots(store: Store) -> None:
    model = _model(store, "gone_domain")
    kept = {_publish(store, "gone_domain", model, T + timedelta(days=d), 1) for d in (0, 1, 2)}
    result = prune_snapshots(store, cutoff=FUTURE)
    assert result.snapshots_deleted == 0
    assert _snapshot_ids(store, "gone_domain") == kept
