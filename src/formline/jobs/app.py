"""The Celery app, built from the settings: broker, result backend, delivery guarantees, limits,
and formline's tasks registered on it.

Delivery: ``acks_late`` (a task is acknowledged when it ends, so a worker lost mid-task means
it is delivered again) with ``task_reject_on_worker_lost`` (a killed worker process requeues
its task instead of acknowledging it); the tasks are idempotent (formline.jobs.tasks), so the
second delivery changes nothing. JSON only: no pickle crosses the broker.
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Celery

from formline.errors import ConfigError
from formline.jobs.retry import backoff_seconds, is_transient
from formline.jobs.tasks import PREDICT_PARTITION, PartitionTask, predict_partition
from formline.settings import Settings
from formline.store.db import Store

#: Task names, as a producer sends them.
PREDICT_PARTITION_TASK = f"formline.{PREDICT_PARTITION}"


def result_backend(settings: Settings) -> str:
    """``CELERY_RESULT_BACKEND``, else the broker's Redis, else ``rpc://`` (replies over
    RabbitMQ).

    Raises
    ------
    ConfigError
        Without ``CELERY_BROKER_URL``.
    """
    broker = settings.celery_broker_url
    if broker is None:
        raise ConfigError("CELERY_BROKER_URL is not set: name a redis:// or amqp:// broker")
    if settings.celery_result_backend:
        return settings.celery_result_backend
    return broker if broker.startswith(("redis://", "rediss://")) else "rpc://"


class _WorkerStores:
    """One store per worker process, opened on first use (after a prefork pool forks)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._store: Store | None = None

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                from formline.store.db import open_store

                self._store = open_store(
                    self._settings.resolved_database_url,
                    create=False,
                    timeouts=self._settings.worker_store_timeouts(),
                )
            return self._store

    def dispose(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.dispose()
                self._store = None


def make_celery(settings: Settings) -> Celery:
    """The Celery app of ``settings``, formline's tasks registered on it.

    Raises
    ------
    ConfigError
        Without ``CELERY_BROKER_URL``.
    """
    backend = result_backend(settings)
    app = Celery(
        "formline", broker=settings.celery_broker_url, backend=backend, set_as_current=False
    )
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_soft_time_limit=settings.celery_task_soft_time_limit,
        task_time_limit=settings.celery_task_time_limit,
        worker_max_tasks_per_child=settings.celery_worker_max_tasks_per_child,
        worker_prefetch_multiplier=settings.celery_worker_prefetch_multiplier,
        task_default_queue=settings.celery_task_default_queue,
        task_track_started=True,
        broker_connection_retry_on_startup=True,
        result_expires=86_400,
        enable_utc=True,
        timezone="UTC",
        worker_hijack_root_logger=False,
    )
    stores = _WorkerStores(settings)
    app.conf.formline_stores = stores

    @app.task(name=PREDICT_PARTITION_TASK, bind=True, shared=False)  # type: ignore[untyped-decorator]
    def predict_partition_task(self: Any, **kwargs: Any) -> dict[str, Any]:
        """One partition's predictions (see formline.jobs.tasks.predict_partition)."""
        try:
            return predict_partition(stores.get(), PartitionTask(**kwargs))
        except Exception as exc:
            if is_transient(exc) and self.request.retries < settings.celery_task_max_retries:
                raise self.retry(
                    exc=exc,
                    countdown=backoff_seconds(
                        self.request.retries,
                        settings.celery_task_retry_backoff,
                        settings.celery_task_retry_backoff_max,
                    ),
                    max_retries=settings.celery_task_max_retries,
                ) from exc
            raise

    return app
