"""The job run log on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from formline.errors import DataError
from formline.store.db import Store
from formline.store.jobs import finish_job, list_job_runs, start_job


def test_a_run_records_its_steps(store: Store) -> None:
    run_id = str(uuid.uuid4())
    ingest = start_job(store, run_id=run_id, step="ingest", triggered_by="cron", params={"n": 1})
    finish_job(store, ingest, status="succeeded", rows=120)
    train = start_job(store, run_id=run_id, step="train", triggered_by="cron")
    finish_job(store, train, status="failed", error="no data")
    start_job(store, run_id=str(uuid.uuid4()), step="ingest", triggered_by="manual")
    steps = list_job_runs(store, run_id=run_id)
    assert [s["step"] for s in steps] == ["train", "ingest"]
    assert (steps[0]["status"], steps[0]["error"], steps[0]["rows"]) == ("failed", "no data", None)
    assert (steps[1]["status"], steps[1]["rows"], steps[1]["params"]) == (
        "succeeded",
        120,
        {"n": 1},
    )
    assert steps[1]["started_at"].tzinfo is not None and steps[1]["seconds"] >= 0
    everything = list_job_runs(store)
    assert len(everything) == 3
    assert (everything[0]["status"], everything[0]["seconds"]) == ("running", None)
    assert len(list_job_runs(store, limit=1)) == 1


def test_bad_transitions_are_refused(store: Store) -> None:
    job = start_job(store, run_id="r1", step="ingest", triggered_by="api")
    with pytest.raises(DataError, match="status must be one of"):
        finish_job(store, job, status="running")
    finish_job(store, job, status="skipped")
    with pytest.raises(DataError, match="already finished"):
        finish_job(store, job, status="succeeded")
    with pytest.raises(DataError, match="does not exist"):
        finish_job(store, 999, status="succeeded")
    with pytest.raises(DataError, match="triggered_by"):
        start_job(store, run_id="r1", step="ingest", triggered_by="someone")
