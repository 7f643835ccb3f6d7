"""Helpers of the Celery tests: settings on a broker with a queue of the test's own, and a
real worker thread consuming it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from formline.settings import Settings

NOW = datetime(2025, 11, 6)


def celery_settings(database_url: str, broker: str, **extra: Any) -> Settings:
    """Settings for a worker on ``broker`` and a store at ``database_url``, with a queue no
    other test consumes."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "celery_broker_url": broker,
        "celery_task_default_queue": f"formline-test-{uuid.uuid4().hex[:12]}",
        "celery_task_retry_backoff": 0.05,
        "celery_task_retry_backoff_max": 0.2,
        "celery_wait_seconds": 60.0,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


@contextmanager
def running_worker(settings: Settings, concurrency: int = 2) -> Iterator[Any]:
    """The settings' Celery app with a real worker thread consuming its queue (thread pool)."""
    from celery.contrib.testing.worker import start_worker

    from formline.jobs.app import make_celery

    app = make_celery(settings)
    # Without AMQP heartbeats the worker's loop wakes at once to stop (with them, a RabbitMQ
    # worker thread takes 10 s to exit); production keeps Celery's default heartbeat.
    app.conf.broker_heartbeat = 0
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=concurrency,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10.0,
        ):
            yield app
    finally:
        app.conf.formline_stores.dispose()
        app.close()
