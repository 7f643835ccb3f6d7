"""``daily:run --distributed``'s prediction step on a real broker and a real worker: the
snapshot is bit for bit the one-process snapshot, a re-run is all duplicates, a failed
partition publishes nothing and says which and why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from celery_support import NOW, celery_settings, running_worker
from sqlalchemy import select

from formline.domain import get_domain, register_domain, unregister_domain
from formline.errors import DataError, TaskError
from formline.jobs.distributed import distributed_predictions
from formline.matches.domain import MatchesDomain
from formline.pipeline.daily import DailyConfig, run_daily
from formline.store.db import Store, open_store
from formline.store.jobs import list_job_runs
from formline.store.tables import predicted_events, predictions, publications


def _config() -> DailyConfig:
    return DailyConfig(
        as_of=NOW,
        skip_ingest=True,
        skip_features=True,
        skip_train=True,
        retention_days=None,
        model_types=("elo",),
    )


def _published(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The published snapshot's events and probability rows, sorted, without the snapshot id."""
    with store.connect() as conn:
        snapshot = conn.execute(select(publications.c.snapshot_id)).scalar_one()
        events = conn.execute(
            select(
                predicted_events.c.event_id,
                predicted_events.c.unit,
                predicted_events.c.model_version_id,
                predicted_events.c.information,
                predicted_events.c.drivers,
            ).where(predicted_events.c.snapshot_id == snapshot)
        ).all()
        rows = conn.execute(
            select(
                predictions.c.event_id,
                predictions.c.market,
                predictions.c.selection,
                predictions.c.line,
                predictions.c.probability,
                predictions.c.fair_odds,
            ).where(predictions.c.snapshot_id == snapshot)
        ).all()
    key = repr
    return sorted(map(tuple, events), key=key), sorted(map(tuple, rows), key=key)


def _partition_rows(store: Store, run_id: str) -> list[dict[str, Any]]:
    return [r for r in list_job_runs(store, run_id=run_id) if r["step"] == "predict_partition"]


def _run(url: str, tmp_path: Path, app: Any | None, run_id: str) -> Any:
    store = open_store(url)
    try:
        predict = (
            None if app is None else distributed_predictions(app, run_id=run_id, wait_seconds=60.0)
        )
        result = run_daily(store, _config(), tmp_path / "models", run_id=run_id, predict=predict)
        return result, _published(store), _partition_rows(store, run_id)
    finally:
        store.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis_broker", "rabbitmq_broker"])
def test_distributed_publishes_the_one_process_snapshot_bit_for_bit(
    broker: str, request: pytest.FixtureRequest, world: Callable[[str], str], tmp_path: Path
) -> None:
    single, single_published, _ = _run(world("single"), tmp_path, None, "single-run")
    assert single.succeeded
    url = world("distributed")
    with running_worker(celery_settings(url, request.getfixturevalue(broker))) as app:
        result, published, partitions = _run(url, tmp_path, app, "distributed-run")
        assert result.succeeded
        # Bit for bit: the floats compare equal, drivers and all.
        assert published == single_published
        assert len(published[0]) > 0 and len(published[1]) == 5 * len(published[0])
        assert sorted(r["params"]["partition"] for r in partitions) == ["DEMO1", "DEMO2", "DEMO3"]
        assert {r["status"] for r in partitions} == {"succeeded"}
        assert sum(r["rows"] for r in partitions) == len(published[0])
        step = next(s for s in result.steps if s.step == "predictions")
        assert "(new) from 3 partitions" in step.detail

        # The same run again: each partition was claimed already, so nothing runs twice.
        again, republished, repeated = _run(url, tmp_path, app, "distributed-again")
    assert again.succeeded and republished == published
    assert {r["status"] for r in repeated} == {"duplicate"}
    assert all("already claimed by job" in r["detail"] for r in repeated)
    assert "(unchanged)" in next(s for s in again.steps if s.step == "predictions").detail


class _BrokenDemo2(MatchesDomain):
    """The matches domain, except that predicting DEMO2 meets bad data."""

    def predict_rows(self, bundle: Any, rows: pd.DataFrame, declared: Any) -> pd.DataFrame:
        if (rows[self.scope_column] == "DEMO2").any():
            raise DataError("demo2.csv:7: home_goals: 'x' is not a number")
        return super().predict_rows(bundle, rows, declared)


@pytest.mark.slow
def test_a_failed_partition_publishes_nothing_and_says_which(
    world: Callable[[str], str], redis_broker: str, tmp_path: Path
) -> None:
    url = world("broken")
    register_domain("matches", _BrokenDemo2)
    try:
        assert isinstance(get_domain("matches"), _BrokenDemo2)
        with running_worker(celery_settings(url, redis_broker)) as app:
            store = open_store(url)
            try:
                step = distributed_predictions(app, run_id="broken-run", wait_seconds=60.0)
                with pytest.raises(TaskError) as raised:
                    run_daily(
                        store, _config(), tmp_path / "models", run_id="broken-run", predict=step
                    )
                with store.connect() as conn:
                    assert conn.execute(select(publications)).all() == []
                rows = {r["params"]["partition"]: r for r in _partition_rows(store, "broken-run")}
                predictions_row = next(
                    r
                    for r in list_job_runs(store, run_id="broken-run")
                    if r["step"] == "predictions"
                )
            finally:
                store.dispose()
    finally:
        unregister_domain("matches")
    message = str(raised.value)
    assert message.startswith("1 of 3 partitions of matches failed, nothing published: DEMO2:")
    assert "DEMO2: DataError: demo2.csv:7: home_goals: 'x' is not a number" in message
    # Bad data is never retried: one delivery of DEMO2, failed with the reason.
    assert rows["DEMO2"]["status"] == "failed" and "not a number" in rows["DEMO2"]["error"]
    assert (rows["DEMO1"]["status"], rows["DEMO3"]["status"]) == ("succeeded", "succeeded")
    assert predictions_row["status"] == "failed" and "DEMO2" in predictions_row["error"]
