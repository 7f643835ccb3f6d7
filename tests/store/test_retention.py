"""Retention on SQLite and PostgreSQL: old snapshots go with their predictions, in one
transaction; the current ones and those the deployed model's evaluation needs stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from snapshot_fixtures import add_matches, add_model, publish
from sqlalchemy import func, select, update

from formline.matches.prediction_reads import settled_predictions
from formline.matches.tables import matches
from formline.store.db import Store
from formline.store.retention import prune_snapshots
from formline.store.tables import predicted_events, prediction_snapshots

T = datetime(2022, 8, 1)
FUTURE = datetime.now(UTC) + timedelta(days=1)  # every snapshot was created before this


def _snapshot_ids(store: Store) -> set[int]:
    with store.connect() as conn:
        return {int(i) for i in conn.execute(select(prediction_snapshots.c.id)).scalars()}


def _prediction_rows(store: Store) -> dict[int, int]:
    snapshot_id = predicted_events.c.snapshot_id
    query = select(snapshot_id, func.count()).group_by(snapshot_id)
    with store.connect() as conn:
        return {int(s): int(n) for s, n in conn.execute(query)}


def _world(store: Store) -> dict[str, int]:
    """Two matches; the deployed model's and another model's snapshots (see the test)."""
    m1, m2 = add_matches(store, [T + timedelta(days=5), T + timedelta(days=6)])
    deployed = add_model(store, "deployed", deploy=True)
    other = add_model(store, "other", deploy=False)
    ids = {
        "s1": publish(store, deployed, T, [m1, m2]),
        "s2": publish(store, deployed, T + timedelta(days=1), [m1]),
        "s3": publish(store, deployed, T + timedelta(days=2), [m1, m2]),
        # After both kickoffs: not a forecast, but the latest publish, so current.
        "s4": publish(store, deployed, T + timedelta(days=10), [m1, m2]),
        "s5": publish(store, other, T + timedelta(days=3), [m1], publication="shadow"),
        "s6": publish(store, other, T + timedelta(days=4), [m1], publication="shadow"),
    }
    with store.begin() as conn:  # both matches are played
        conn.execute(
            update(matches)
            .where(matches.c.id.in_([m1, m2]))
            .values(
                status="finished", home_goals=1, away_goals=0, observed_at=T + timedelta(days=7)
            )
        )
    return {**ids, "deployed": deployed}


def test_prune_keeps_current_and_evaluation_snapshots(store: Store) -> None:
    ids = _world(store)
    before = _prediction_rows(store)
    as_of = T + timedelta(days=30)
    with store.connect() as conn:
        evaluation = settled_predictions(conn, ids["deployed"], settled_from=T, as_of=as_of)
    assert {r["snapshot_id"] for r in evaluation} == {ids["s3"]}

    dry = prune_snapshots(store, cutoff=FUTURE, dry_run=True)
    assert (dry.snapshots_deleted, dry.predictions_deleted, dry.dry_run) == (3, 4, True)
    assert _snapshot_ids(store) == {ids[f"s{i}"] for i in range(1, 7)}

    result = prune_snapshots(store, cutoff=FUTURE)
    assert (result.snapshots_deleted, result.predictions_deleted) == (3, 4)
    assert (result.kept_current, result.kept_for_evaluation) == (2, 1)
    assert _snapshot_ids(store) == {ids["s3"], ids["s4"], ids["s6"]}
    after = _prediction_rows(store)
    assert after == {k: v for k, v in before.items() if k in (ids["s3"], ids["s4"], ids["s6"])}
    with store.connect() as conn:  # the deployed model's evaluation is unchanged
        assert settled_predictions(conn, ids["deployed"], settled_from=T, as_of=as_of) == evaluation
    again = prune_snapshots(store, cutoff=FUTURE)
    assert again.snapshots_deleted == 0


def test_recent_snapshots_are_kept(store: Store) -> None:
    ids = _world(store)
    result = prune_snapshots(store, cutoff=datetime.now(UTC) - timedelta(days=1))
    assert result.snapshots_deleted == 0 and result.kept_current == 0
    assert len(_snapshot_ids(store)) == len([k for k in ids if k.startswith("s")])


def test_without_a_deployed_model_only_current_snapshots_stay(store: Store) -> None:
    m1, m2 = add_matches(store, [T + timedelta(days=5), T + timedelta(days=6)])
    model = add_model(store, "solo", deploy=False)
    first = publish(store, model, T, [m1, m2])
    last = publish(store, model, T + timedelta(days=1), [m1])
    result = prune_snapshots(store, cutoff=FUTURE)
    assert (result.snapshots_deleted, result.predictions_deleted) == (1, 2)
    assert _snapshot_ids(store) == {last} and first not in _prediction_rows(store)
