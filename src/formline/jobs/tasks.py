"""The work of each task, without Celery: plain functions of a store and serialisable arguments.

A task delivered twice runs once: each delivery records a ``job_runs`` row, then claims its
step (formline.store.claims); the delivery that finds the step claimed is recorded
``duplicate`` and changes nothing. The partition's predictions are kept on the claim, so the
run that publishes reads every partition from the store, whichever delivery computed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from formline.domain import get_domain, plural
from formline.errors import ConfigError, DataError
from formline.store.claims import claim, claim_key, finish_claim
from formline.store.db import Store
from formline.store.jobs import fail_training_versions, finish_job, start_job
from formline.store.predictions import PredictionRows
from formline.store.registry import jsonable
from formline.timeutil import parse_instant

#: The step name of a partition's predictions, in ``job_runs`` and on its claim.
PREDICT_PARTITION = "predict_partition"


@dataclass(frozen=True)
class PartitionTask:
    """A partition's prediction step, as a queue carries it (every field JSON-able)."""

    domain: str
    partition: str
    as_of: str
    horizon_days: int
    run_id: str
    triggered_by: str = "manual"

    def as_kwargs(self) -> dict[str, Any]:
        """The task's keyword arguments."""
        return {
            "domain": self.domain,
            "partition": self.partition,
            "as_of": self.as_of,
            "horizon_days": self.horizon_days,
            "run_id": self.run_id,
            "triggered_by": self.triggered_by,
        }

    @property
    def as_of_instant(self) -> datetime:
        """``as_of`` parsed (naive UTC).

        Raises
        ------
        DataError
            If it is not an ISO date or timestamp.
        """
        try:
            return parse_instant(self.as_of, option="as_of")
        except ConfigError as exc:  # an option's error to the parser; a task's bad input here
            raise DataError(f"task {PREDICT_PARTITION}: {exc}") from None

    @property
    def key(self) -> str:
        """The claim key: step, domain, partition, as_of and the options that change it."""
        return claim_key(
            PREDICT_PARTITION,
            self.domain,
            self.partition,
            self.as_of_instant,
            {"horizon_days": self.horizon_days},
        )


def encode_rows(rows: PredictionRows) -> dict[str, Any]:
    """``rows`` as JSON-able columns (NaN as null); floats survive JSON exactly (shortest
    round-trip repr), so the decoded rows publish bit for bit what the encoded ones would."""
    return {
        "events": {c: jsonable(rows.events[c].tolist()) for c in rows.events.columns},
        "rows": {c: jsonable(rows.rows[c].tolist()) for c in rows.rows.columns},
    }


def decode_rows(payload: Mapping[str, Any]) -> PredictionRows:
    """The :class:`PredictionRows` :func:`encode_rows` encoded."""
    return PredictionRows(pd.DataFrame(payload["events"]), pd.DataFrame(payload["rows"]))


def predict_partition(store: Store, task: PartitionTask) -> dict[str, Any]:
    """Predict one partition's events (not published) and keep them on the step's claim.

    Returns
    -------
    dict
        ``key``, ``job_run_id``, ``duplicate`` (True: another delivery holds the step, nothing
        was done; ``holder`` is its job run), ``events``, ``unpredicted``.

    Raises
    ------
    ConfigError
        For an unknown domain.
    DataError
        For an ``as_of`` that is not an instant.
    FormlineError
        Whatever the prediction step raises (the claim and the job run are failed with it).
    """
    from formline.pipeline.predict import run_predictions

    domain = get_domain(task.domain)
    as_of = task.as_of_instant
    params = {
        "domain": domain.name,
        "partition": task.partition,
        "as_of": task.as_of,
        "horizon_days": task.horizon_days,
    }
    job_id = start_job(
        store,
        run_id=task.run_id,
        step=PREDICT_PARTITION,
        triggered_by=task.triggered_by,
        params=params,
    )
    summary: dict[str, Any] = {"key": task.key, "job_run_id": job_id, "duplicate": False}
    owned = False
    try:
        held = claim(
            store,
            key=task.key,
            step=PREDICT_PARTITION,
            domain=domain.name,
            partition=task.partition,
            as_of=as_of,
            job_run_id=job_id,
        )
        if not held.owned:
            finish_job(
                store,
                job_id,
                status="duplicate",
                detail=f"{task.partition}: already claimed by job {held.job_run_id} "
                f"({held.status}); nothing done",
            )
            return {**summary, "duplicate": True, "holder": held.job_run_id}
        owned = True
        result = run_predictions(
            store, as_of, task.horizon_days, publish=False, domain=domain, scope=task.partition
        )
        rows = domain.prediction_rows(result.predictions)
        n = len(result.predictions)
        payload = {
            "n": n,
            "predictions": encode_rows(rows) if n else None,
            "unpredicted": result.unpredicted,
            "models": sorted(m.id for m in result.models),
        }
        finish_claim(store, task.key, job_id, status="succeeded", result=payload)
        finish_job(
            store,
            job_id,
            status="succeeded",
            rows=n,
            detail=f"{task.partition}: {n} {plural(domain.event_noun)} predicted",
        )
        return {**summary, "events": n, "unpredicted": result.unpredicted}
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        _record_failure(store, task.key, job_id, owned, "failed", message)
        raise
    except BaseException as exc:  # the worker stopping it (time limit, shutdown)
        _record_failure(store, task.key, job_id, owned, "aborted", f"interrupted: {exc!r}")
        raise


def _record_failure(
    store: Store, key: str, job_id: int, owned: bool, status: str, message: str
) -> None:
    """Fail the claim (so a retry or redelivery takes it over) and the job run; a store that
    is gone leaves them to the dead-run sweep."""
    from formline.errors import FormlineError

    try:
        if owned:
            finish_claim(store, key, job_id, status="failed", error=message)
        fail_training_versions(store, job_id, f"{status}: {message}")
        finish_job(store, job_id, status=status, error=message)
    except FormlineError:
        pass
