"""The job run log: one row per step of a scheduled or manual run, grouped by ``run_id``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from formline.errors import DataError
from formline.store.db import Store
from formline.store.registry import jsonable
from formline.store.tables import JOB_STATUSES, JOB_TRIGGERS, job_runs
from formline.store.types import utcnow

_FINAL_STATUSES = tuple(s for s in JOB_STATUSES if s != "running")


def start_job(
    store: Store,
    *,
    run_id: str,
    step: str,
    triggered_by: str,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Record that ``step`` of run ``run_id`` started; returns the job id for :func:`finish_job`.

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
    with store.begin(f"starting job {step}") as conn:
        job_id = conn.execute(
            job_runs.insert()
            .values(
                run_id=run_id,
                step=step,
                status="running",
                started_at=utcnow(),
                triggered_by=triggered_by,
                params=None if params is None else jsonable(dict(params)),
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
) -> None:
    """Record how a running job ended.

    Parameters
    ----------
    store
        The store.
    job_id
        The id :func:`start_job` returned.
    status
        ``"succeeded"``, ``"failed"`` or ``"skipped"``.
    rows
        Rows the step wrote, if it counts them.
    error
        The error message of a failed step.

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
            )
        )


def list_job_runs(store: Store, run_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Job runs, newest first, optionally of one run only.

    Each dict has the table's columns (``id``, ``run_id``, ``step``, ``status``,
    ``started_at``, ``finished_at``, ``rows``, ``error``, ``triggered_by``, ``params``) and
    ``seconds``: the duration, None while running.
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
