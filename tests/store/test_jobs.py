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


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def _set(store: Store, job_id: int, **values: object) -> None:
    from formline.store.tables import job_runs

    with store.begin() as conn:
        conn.execute(job_runs.update().where(job_runs.c.id == job_id).values(**values))


def test_runs_carry_their_owner_and_a_heartbeat(store: Store) -> None:
    import os

    from formline.store.jobs import HOST, beat

    job = start_job(store, run_id="r1", step="model:train", triggered_by="manual")
    first = list_job_runs(store)[0]
    assert (first["host"], first["pid"]) == (HOST, os.getpid())
    assert first["heartbeat_at"] is not None
    beat(store, "r1")
    assert list_job_runs(store)[0]["heartbeat_at"] >= first["heartbeat_at"]
    finish_job(store, job, status="skipped", detail="champion trained 2 days before")
    assert list_job_runs(store)[0]["detail"] == "champion trained 2 days before"


def test_a_run_whose_process_is_gone_is_failed_with_its_training_model(store: Store) -> None:
    from registry_fixtures import create_version

    from formline.store.jobs import mark_dead_runs

    alive = start_job(store, run_id="alive", step="ingest:demo", triggered_by="manual")
    dead = start_job(store, run_id="dead", step="model:train", triggered_by="cron")
    pid = _dead_pid()
    _set(store, dead, pid=pid)
    version = create_version(store, "logistic", job_run_id=dead)
    found = mark_dead_runs(store)
    assert [(d.id, d.model_version_ids) for d in found] == [(dead, (version.id,))]
    assert f"process {pid}" in found[0].reason and "gone" in found[0].reason
    rows = {r["id"]: r for r in list_job_runs(store)}
    assert rows[alive]["status"] == "running"  # this very process: alive
    assert rows[dead]["status"] == "failed" and "dead run" in rows[dead]["error"]
    from formline.store.registry import get_model_version

    failed = get_model_version(store, version.id)
    assert failed.status == "failed" and f"job {dead}" in (failed.error or "")
    assert mark_dead_runs(store) == []  # nothing twice


def test_a_run_of_another_host_is_dead_only_when_its_heartbeat_is_stale(store: Store) -> None:
    from datetime import timedelta

    from formline.store.jobs import mark_dead_runs
    from formline.store.types import utcnow

    recent = start_job(store, run_id="a", step="daily:run", triggered_by="cron")
    stale = start_job(store, run_id="b", step="daily:run", triggered_by="cron")
    _set(store, recent, host="elsewhere", pid=1)
    _set(store, stale, host="elsewhere", pid=1, heartbeat_at=utcnow() - timedelta(minutes=10))
    found = mark_dead_runs(store, stale_after=300)
    assert [d.id for d in found] == [stale]
    assert "no heartbeat from process 1 on elsewhere" in found[0].reason


def test_an_interrupted_run_is_aborted(store: Store) -> None:
    job = start_job(store, run_id="r", step="predict:run", triggered_by="manual")
    finish_job(store, job, status="aborted", error="interrupted (SIGINT)")
    assert list_job_runs(store)[0]["status"] == "aborted"
