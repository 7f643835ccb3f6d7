"""Task claims: a distributed step for one (step, domain, partition, as_of) runs once.

A task queue delivers at least once (``acks_late``: a worker lost mid-task means the task is
delivered again), so a step may arrive twice. Each delivery records itself in ``job_runs``
first, then claims the step with an insert that does nothing when the key is taken (the
table's primary key decides, in one statement, so two deliveries racing cannot both win). The
winner runs the step and stores its result on the claim; a later delivery finds the claim and
is recorded ``duplicate``, changing nothing. A claim whose holder failed, or died (its job run
is no longer running), is taken over by the next delivery with an update conditional on the
holder it saw, so again only one delivery wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from formline.errors import DataError
from formline.store.db import Store
from formline.store.registry import jsonable
from formline.store.tables import job_runs, task_claims
from formline.store.types import utcnow


@dataclass(frozen=True)
class Claim:
    """A step's claim as one delivery found it.

    ``owned``: this delivery holds it and must run the step; otherwise ``job_run_id`` is the
    delivery that holds it, with its ``status``, ``result`` and ``error``.
    """

    key: str
    owned: bool
    job_run_id: int
    status: str
    result: Any = None
    error: str | None = None


def claim_key(
    step: str, domain: str, partition: str, as_of: datetime, options: Mapping[str, Any]
) -> str:
    """The claim's key: readable step, domain, partition and instant, and a hash of the options
    (the same step with another horizon is another step).

    Raises
    ------
    DataError
        If a part holds the separator ``|`` or the key would exceed 255 characters.
    """
    parts = (step, domain, partition)
    if any("|" in p for p in parts):
        raise DataError(f"task claim: step, domain and partition may not hold '|': {parts}")
    digest = hashlib.sha256(
        json.dumps(jsonable(dict(options)), sort_keys=True).encode("utf-8")
    ).hexdigest()[:16]
    key = f"{step}|{domain}|{partition}|{as_of:%Y-%m-%dT%H:%M:%S}|{digest}"
    if len(key) > 255:
        raise DataError(f"task claim: partition {partition[:40]!r}... makes a key too long")
    return key


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def claim(
    store: Store,
    *,
    key: str,
    step: str,
    domain: str,
    partition: str,
    as_of: datetime,
    job_run_id: int,
) -> Claim:
    """Claim the step for job run ``job_run_id``, or find who holds it.

    Returns
    -------
    Claim
        ``owned`` when the insert created the claim, or when the holder it found had failed or
        was no longer running and the conditional update handed the claim over; otherwise the
        holder's claim as read.
    """
    now = utcnow()
    with store.begin("claiming a task") as conn:
        inserted = conn.execute(
            _insert(conn)(task_claims)
            .values(
                key=key,
                step=step,
                domain=domain,
                partition=partition,
                as_of=as_of,
                status="running",
                job_run_id=job_run_id,
                claimed_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
            .returning(task_claims.c.key)
        ).scalar()
    if inserted is not None:
        return Claim(key, True, job_run_id, "running")
    with store.connect("reading a task claim") as conn:
        row = conn.execute(
            select(task_claims, job_runs.c.status.label("holder_status"))
            .join(job_runs, job_runs.c.id == task_claims.c.job_run_id)
            .where(task_claims.c.key == key)
        ).one()
    held = row.status == "succeeded" or (row.status == "running" and row.holder_status == "running")
    if not held:
        # The holder failed or died: hand the claim over, if no other delivery did first.
        with store.begin("taking over a task claim") as conn:
            taken = conn.execute(
                task_claims.update()
                .where(
                    task_claims.c.key == key,
                    task_claims.c.job_run_id == row.job_run_id,
                    task_claims.c.status == row.status,
                )
                .values(
                    job_run_id=job_run_id,
                    status="running",
                    claimed_at=now,
                    error=None,
                    result=None,
                    finished_at=None,
                )
            ).rowcount
        if taken == 1:
            return Claim(key, True, job_run_id, "running")
        return read_claim(store, key)
    return Claim(key, False, int(row.job_run_id), row.status, row.result, row.error)


def finish_claim(
    store: Store,
    key: str,
    job_run_id: int,
    *,
    status: str,
    result: Any = None,
    error: str | None = None,
) -> None:
    """Record how the holder ``job_run_id`` ended the step: ``succeeded`` with its ``result``
    (JSON-able), or ``failed`` with the ``error``.

    Raises
    ------
    DataError
        If ``job_run_id`` no longer holds the claim (another delivery took it over).
    """
    if status not in ("succeeded", "failed"):
        raise DataError(f"a claim ends succeeded or failed, not {status!r}")
    with store.begin("finishing a task claim") as conn:
        changed = conn.execute(
            task_claims.update()
            .where(task_claims.c.key == key, task_claims.c.job_run_id == job_run_id)
            .values(
                status=status,
                result=None if result is None else jsonable(result),
                error=error,
                finished_at=utcnow(),
            )
        ).rowcount
    if changed != 1:
        raise DataError(f"task claim {key}: job {job_run_id} no longer holds it")


def read_claim(store: Store, key: str) -> Claim:
    """The claim of ``key`` as stored.

    Raises
    ------
    DataError
        If nothing claimed ``key``.
    """
    found = read_claims(store, [key])
    if key not in found:
        raise DataError(f"task claim {key}: no delivery claimed it")
    return found[key]


def read_claims(store: Store, keys: Iterable[str]) -> dict[str, Claim]:
    """The stored claims of ``keys`` (those claimed), by key."""
    wanted = list(keys)
    if not wanted:
        return {}
    with store.connect("reading task claims") as conn:
        rows = conn.execute(select(task_claims).where(task_claims.c.key.in_(wanted))).all()
    return {
        r.key: Claim(r.key, False, int(r.job_run_id), r.status, r.result, r.error) for r in rows
    }
