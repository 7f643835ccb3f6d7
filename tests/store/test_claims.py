"""Task claims on SQLite and PostgreSQL: one delivery of a step wins, the others are
duplicates, a failed or dead holder is taken over."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import pytest

from formline.errors import DataError
from formline.store.claims import claim, claim_key, finish_claim, read_claim
from formline.store.db import Store
from formline.store.jobs import finish_job, start_job

AS_OF = datetime(2025, 11, 6)


def _delivery(store: Store) -> int:
    return start_job(store, run_id=str(uuid.uuid4()), step="predict_partition", triggered_by="cron")


def _claim(store: Store, key: str, job: int) -> object:
    return claim(
        store,
        key=key,
        step="predict_partition",
        domain="d",
        partition="P1",
        as_of=AS_OF,
        job_run_id=job,
    )


def test_the_key_names_the_step_and_hashes_the_options() -> None:
    key = claim_key("predict_partition", "d", "P1", AS_OF, {"horizon_days": 7})
    assert key.startswith("predict_partition|d|P1|2025-11-06T00:00:00|")
    assert key != claim_key("predict_partition", "d", "P1", AS_OF, {"horizon_days": 8})
    assert key == claim_key("predict_partition", "d", "P1", AS_OF, {"horizon_days": 7})
    with pytest.raises(DataError, match="may not hold"):
        claim_key("predict_partition", "d", "a|b", AS_OF, {})


def test_a_second_delivery_is_a_duplicate_and_sees_the_result(store: Store) -> None:
    key = claim_key("predict_partition", "d", "P1", AS_OF, {})
    first, second = _delivery(store), _delivery(store)
    won = _claim(store, key, first)
    assert won.owned and won.job_run_id == first
    running = _claim(store, key, second)
    assert not running.owned and (running.job_run_id, running.status) == (first, "running")
    finish_claim(store, key, first, status="succeeded", result={"events": 3, "p": [0.1, 0.9]})
    finish_job(store, first, status="succeeded")
    third = _claim(store, key, _delivery(store))
    assert not third.owned
    assert (third.status, third.result) == ("succeeded", {"events": 3, "p": [0.1, 0.9]})


def test_a_failed_or_dead_holder_is_taken_over(store: Store) -> None:
    key = claim_key("predict_partition", "d", "P1", AS_OF, {})
    first = _delivery(store)
    assert _claim(store, key, first).owned
    finish_claim(store, key, first, status="failed", error="StoreError: gone")
    finish_job(store, first, status="failed", error="StoreError: gone")
    retry = _delivery(store)
    assert _claim(store, key, retry).owned
    # The holder died (its job run was failed by mark_dead_runs) with the claim still running.
    finish_job(store, retry, status="failed", error="dead run")
    redelivered = _delivery(store)
    assert _claim(store, key, redelivered).owned
    assert read_claim(store, key).job_run_id == redelivered
    with pytest.raises(DataError, match="no longer holds it"):
        finish_claim(store, key, retry, status="succeeded", result={})


def test_racing_deliveries_one_wins(store: Store) -> None:
    key = claim_key("predict_partition", "d", "P1", AS_OF, {})
    jobs = [_delivery(store) for _ in range(6)]
    barrier = threading.Barrier(len(jobs))
    owned: list[bool] = []

    def deliver(job: int) -> None:
        barrier.wait()
        owned.append(_claim(store, key, job).owned)  # type: ignore[attr-defined]

    threads = [threading.Thread(target=deliver, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(owned) == [False] * 5 + [True]
