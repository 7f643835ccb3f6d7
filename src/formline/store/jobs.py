"""The job run log: one row per command and per step of a run, grouped by ``run_id``.

Each row carries its owner (``host``, ``pid``) and a heartbeat. A run whose owner is gone (on
this host: its process no longer exists; elsewhere: no heartbeat for ``stale_after`` seconds) is
dead, and :func:`mark_dead_runs` fails it with why, with the model versions it was training.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from formline.errors import DataError
from formline.store.db import Store
from formline.store.registry import jsonable
from formline.store.tables import JOB_STATUSES, JOB_TRIGGERS, job_runs, model_versions
from formline.store.types import utcnow

HOST = socket.gethostname()[:255]

_FINAL_STATUSES = tuple(s for s in JOB_STATUSES if s != "running")


def start_job(
    store: Store,
    *,
    run_id: str,
    step: str,
    triggered_by: str,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Record that ``step`` of run ``run_id`` started, owned by this process (host, pid, a
    first heartbeat); returns the job id for :func:`finish_job`.

    Parameters
    ----------
    store
        The store.
    run_id
        Groups the steps of one run (a UUID string, at most 36 characters).
    step
        The step's name (``"ingest"``, ``"features"``, ``"train"``, ``"predict"`` ...).
    triggered_by
        ``"manual"``, ``"cron"`` or ``"api"``.
    params
        The step's parameters, for the record (JSON-able).

    Raises
    ------
    DataError
        If ``triggered_by`` is not one of the allowed values.
    """
    if triggered_by not in JOB_TRIGGERS:
        raise DataError(
            f"triggered_by must be one of {', '.join(JOB_TRIGGERS)}, not {triggered_by!r}"
        )
    now = utcnow()
    with store.begin(f"starting job {step}") as conn:
        job_id = conn.execute(
            job_runs.insert()
            .values(
                run_id=run_id,
                step=step,
                status="running",
                started_at=now,
                triggered_by=triggered_by,
                params=None if params is None else jsonable(dict(params)),
                host=HOST,
                pid=os.getpid(),
                heartbeat_at=now,
            )
            .returning(job_runs.c.id)
        ).scalar_one()
    return int(job_id)


def finish_job(
    store: Store,
    job_id: int,
    *,
    status: str,
    rows: int | None = None,
    error: str | None = None,
    detail: str | None = None,
) -> None:
    """Record how a running job ended.

    Parameters
    ----------
    store
        The store.
    job_id
        The id :func:`start_job` returned.
    status
        ``"succeeded"``, ``"failed"``, ``"skipped"`` or ``"aborted"`` (interrupted).
    rows
        Rows the step wrote, if it counts them.
    error
        The error message of a failed or aborted step.
    detail
        What the step did, or why it was skipped.

    Raises
    ------
    DataError
        If ``status`` is not a final status, or the job does not exist or already finished.
    """
    if status not in _FINAL_STATUSES:
        raise DataError(f"status must be one of {', '.join(_FINAL_STATUSES)}, not {status!r}")
    with store.begin(f"finishing job {job_id}") as conn:
        current = conn.execute(select(job_runs.c.status).where(job_runs.c.id == job_id)).scalar()
        if current is None:
            raise DataError(f"job run {job_id} does not exist")
        if current != "running":
            raise DataError(f"job run {job_id} already finished ({current})")
        conn.execute(
            job_runs.update()
            .where(job_runs.c.id == job_id)
            .values(
                status=status,
                finished_at=utcnow(),
                rows=None if rows is None else int(rows),
                error=error,
                detail=detail,
            )
        )


def beat(store: Store, run_id: str) -> None:
    """Refresh the heartbeat of this process's running rows of ``run_id``."""
    with store.begin("job heartbeat") as conn:
        conn.execute(
            job_runs.update()
            .where(
                job_runs.c.run_id == run_id,
                job_runs.c.status == "running",
                job_runs.c.pid == os.getpid(),
                job_runs.c.host == HOST,
            )
            .values(heartbeat_at=utcnow())
        )


def process_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: os.kill said it exists


@dataclass(frozen=True)
class DeadRun:
    """A job run found dead and marked failed."""

    id: int
    run_id: str
    step: str
    reason: str
    model_version_ids: tuple[int, ...]


def why_dead(row: Mapping[str, Any], now: Any, stale_after: float) -> str | None:
    """Why the running job ``row`` is dead, or None while its owner lives."""
    if row["host"] == HOST and row["pid"] is not None:
        if process_alive(int(row["pid"])):
            return None  # on this host the process table is the truth, not the clock
        return f"its process {row['pid']} on {row['host']} is gone"
    beat_at = row["heartbeat_at"] or row["started_at"]
    if now - beat_at > timedelta(seconds=stale_after):
        owner = f"process {row['pid']} on {row['host']}" if row["host"] else "an older formline"
        return f"no heartbeat from {owner} since {beat_at:%Y-%m-%d %H:%M:%S}Z"
    return None


def mark_dead_runs(store: Store, stale_after: float = 300.0) -> list[DeadRun]:
    """Fail every running job whose owner is gone, and the model versions it was training.

    Parameters
    ----------
    store
        The store.
    stale_after
        Seconds without a heartbeat after which a run owned by another host is dead.

    Returns
    -------
    list[DeadRun]
        The runs marked failed, with why.
    """
    now = utcnow()
    with store.connect("reading running jobs") as conn:
        running = [
            dict(r)
            for r in conn.execute(select(job_runs).where(job_runs.c.status == "running")).mappings()
        ]
    dead: list[DeadRun] = []
    for row in running:
        reason = why_dead(row, now, stale_after)
        if reason is None:
            continue
        message = f"dead run: {reason}"
        with store.begin("failing a dead job run") as conn:
            changed = conn.execute(
                job_runs.update()
                .where(job_runs.c.id == row["id"], job_runs.c.status == "running")
                .values(status="failed", finished_at=now, error=message)
            ).rowcount
            if not changed:
                continue  # it finished meanwhile
            training = _fail_training(conn, row["id"], f"died: {reason}")
        dead.append(DeadRun(row["id"], row["run_id"], row["step"], reason, training))
    return dead


def fail_training_versions(store: Store, job_id: int, why: str) -> tuple[int, ...]:
    """Fail the model versions job ``job_id`` left ``training`` (it was interrupted, say).

    Returns the ids of the versions failed."""
    with store.begin("failing the model versions of a job") as conn:
        return _fail_training(conn, job_id, why)


def _fail_training(conn: Connection, job_id: int, why: str) -> tuple[int, ...]:
    training = tuple(
        int(v)
        for v in conn.execute(
            select(model_versions.c.id).where(
                model_versions.c.job_run_id == job_id, model_versions.c.status == "training"
            )
        ).scalars()
    )
    if training:
        conn.execute(
            model_versions.update()
            .where(model_versions.c.id.in_(training))
            .values(
                status="failed",
                error=f"its training run (job {job_id}) {why}",
                updated_at=utcnow(),
            )
        )
    return training


def list_job_runs(store: Store, run_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Job runs, newest first, optionally of one run only.

    Each dict has the table's columns (``id``, ``run_id``, ``step``, ``status``,
    ``started_at``, ``finished_at``, ``rows``, ``error``, ``triggered_by``, ``params``,
    ``detail``, ``host``, ``pid``, ``heartbeat_at``) and ``seconds``: the duration, None while
    running.
    """
    query = select(job_runs).order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc())
    if run_id is not None:
        query = query.where(job_runs.c.run_id == run_id)
    with store.connect("reading job runs") as conn:
        rows = [dict(r) for r in conn.execute(query.limit(limit)).mappings()]
    for row in rows:
        finished = row["finished_at"]
        row["seconds"] = (
            None if finished is None else (finished - row["started_at"]).total_seconds()
        )
    return rows
