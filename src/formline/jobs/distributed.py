"""``daily:run --distributed``'s prediction step: the partitions (domain, competition) predicted
on the workers as one Celery group, published here once, in one transaction, when all succeeded.

A failed partition stops the publish: the step fails naming each failed partition and why, and
what was published before stays published. The partitions' predictions come back through the
store (each on its task claim), not the result backend, so a duplicate delivery and the
delivery that ran agree, and the snapshot is the one a single process would have published.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
from celery import Celery, group

from formline.domain import plural, resolve_domain
from formline.errors import TaskError
from formline.jobs.app import PREDICT_PARTITION_TASK
from formline.jobs.tasks import PartitionTask, decode_rows
from formline.pipeline.daily import DailyConfig, StepOutcome
from formline.store.claims import Claim, read_claims
from formline.store.db import Store
from formline.store.predictions import PredictionRows, publish_snapshot

#: Seconds between reads of claims still held by another delivery.
_POLL_SECONDS = 0.2


def _why(result: Any) -> str:
    error = result.result
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


def _wait_for_claims(store: Store, keys: dict[str, str], deadline: float) -> dict[str, Claim]:
    """The claims of every partition once none is running (a duplicate delivery answers before
    the delivery holding the claim has finished)."""
    while True:
        claims = read_claims(store, keys.values())
        running = [p for p, k in keys.items() if k in claims and claims[k].status == "running"]
        if not running or time.monotonic() > deadline:
            return claims
        time.sleep(_POLL_SECONDS)


def distributed_predictions(
    app: Celery, *, run_id: str, wait_seconds: float
) -> Callable[[Store, DailyConfig], StepOutcome]:
    """The prediction step of a distributed daily run (for ``run_daily(predict=...)``).

    Parameters
    ----------
    app
        The Celery app (formline.jobs.app.make_celery) whose workers predict.
    run_id
        The daily run's id: each partition's ``job_runs`` row joins it.
    wait_seconds
        How long to wait for every partition.

    Raises
    ------
    TaskError
        When a partition failed or did not finish in time (nothing is published).
    """

    def step(store: Store, config: DailyConfig) -> StepOutcome:
        from formline.pipeline.predict import upcoming_scopes

        domain = resolve_domain(config.domain)
        partitions = upcoming_scopes(store, config.as_of, config.horizon_days, domain)
        events = plural(domain.event_noun)
        if not partitions:
            return StepOutcome("predictions", "succeeded", rows=0, detail=f"no {events} ahead")
        tasks = {
            p: PartitionTask(
                domain=domain.name,
                partition=p,
                as_of=config.as_of.isoformat(),
                horizon_days=config.horizon_days,
                run_id=run_id,
                triggered_by=config.triggered_by,
            )
            for p in partitions
        }
        deadline = time.monotonic() + wait_seconds
        sent = group(
            app.signature(PREDICT_PARTITION_TASK, kwargs=t.as_kwargs()) for t in tasks.values()
        ).apply_async()
        from celery.exceptions import TimeoutError as CeleryTimeout

        try:
            sent.join(timeout=wait_seconds, propagate=False)
        except CeleryTimeout:
            pending = [p for p, r in zip(partitions, sent.results, strict=True) if not r.ready()]
            raise TaskError(
                f"partitions {', '.join(pending)} of {domain.name} did not finish within "
                f"{wait_seconds:g}s; nothing published"
            ) from None
        failed = [
            f"{p}: {_why(r)}" for p, r in zip(partitions, sent.results, strict=True) if r.failed()
        ]
        if failed:
            raise TaskError(
                f"{len(failed)} of {len(partitions)} partitions of {domain.name} failed, nothing "
                f"published: {'; '.join(failed)}"
            )
        keys = {p: t.key for p, t in tasks.items()}
        claims = _wait_for_claims(store, keys, deadline)
        unfinished = [
            f"{p}: {claims[k].status if k in claims else 'never claimed'}"
            + (f" ({claims[k].error})" if k in claims and claims[k].error else "")
            for p, k in keys.items()
            if k not in claims or claims[k].status != "succeeded"
        ]
        if unfinished:
            raise TaskError(
                f"partitions of {domain.name} without a result, nothing published: "
                f"{'; '.join(unfinished)}"
            )
        return _publish(store, config, [claims[keys[p]].result for p in partitions], events)

    return step


def _publish(
    store: Store, config: DailyConfig, results: list[dict[str, Any]], events: str
) -> StepOutcome:
    """Publish every partition's predictions as one snapshot, in one transaction."""
    domain = resolve_domain(config.domain)
    pieces = [decode_rows(r["predictions"]) for r in results if r["predictions"]]
    unpredicted: dict[str, int] = {}
    for r in results:
        for state, n in r["unpredicted"].items():
            unpredicted[state] = unpredicted.get(state, 0) + int(n)
    missed = "".join(
        f"; {n} {events} ({state}) without a champion for that information"
        for state, n in sorted(unpredicted.items())
    )
    if not pieces:
        return StepOutcome(
            "predictions", "succeeded", rows=0, detail=f"no {events} predicted" + missed
        )
    merged = PredictionRows(
        pd.concat([p.events for p in pieces], ignore_index=True),
        pd.concat([p.rows for p in pieces], ignore_index=True),
    )
    snapshot = publish_snapshot(
        store,
        as_of=config.as_of,
        horizon_days=config.horizon_days,
        feature_version=domain.feature_set().schema_hash,
        predictions=merged,
        domain=domain.name,
    )
    state = "new" if snapshot.created else "unchanged"
    if not snapshot.published:
        state += ", not published: the current snapshot is as of a later instant"
    n = sum(int(r["n"]) for r in results)
    return StepOutcome(
        "predictions",
        "succeeded",
        rows=n,
        detail=f"snapshot {snapshot.snapshot_id} ({state}) from {len(results)} partitions{missed}",
        result=snapshot,
    )
