"""Every command's run, recorded: a ``job_runs`` row with its owner and a heartbeat, the
store's run lock for the command's domain, dead runs and their files cleaned up first, and an
interruption recorded as ``aborted``.

:func:`tracked_run` is what the CLI wraps each command in; the daily pipeline records its
steps under the same ``run_id``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formline.errors import FormlineError
from formline.pipeline.orphans import Cleaned, remove_orphan_files
from formline.store.db import Store
from formline.store.jobs import (
    DeadRun,
    beat,
    fail_training_versions,
    finish_job,
    mark_dead_runs,
    start_job,
)
from formline.store.run_lock import holder_description, run_lock

log = logging.getLogger(__name__)


class Interrupted(BaseException):
    """The run was stopped by a signal (SIGTERM); SIGINT arrives as KeyboardInterrupt."""


def interruption(exc: BaseException) -> BaseException | None:
    """The Ctrl-C or SIGTERM behind ``exc``, if any: ``exc`` itself, or one it was raised from
    or while handling (a signal that lands while a C extension initialises or a library runs
    comes out as that library's error, for example an ImportError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt | Interrupted):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@dataclass(frozen=True)
class RunPolicy:
    """How runs are recorded and locked (from the settings)."""

    triggered_by: str = "manual"
    heartbeat_seconds: float = 30.0
    stale_after_seconds: float = 300.0
    lock_wait_seconds: float = 30.0
    model_dir: Path | None = None


@dataclass
class Run:
    """The run in progress: its ids, and what it may set before it ends."""

    run_id: str
    job_id: int
    rows: int | None = None
    detail: str | None = None
    dead: list[DeadRun] = field(default_factory=list)
    cleaned: Cleaned = field(default_factory=Cleaned)


class _Heartbeat:
    def __init__(self, store: Store, run_id: str, every: float) -> None:
        self._store, self._run_id, self._every = store, run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._every + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                beat(self._store, self._run_id)
            except FormlineError as exc:  # a busy or unreachable store: try again next beat
                log.debug("heartbeat of run %s failed: %s", self._run_id, exc)


@contextmanager
def tracked_run(
    store: Store,
    command: str,
    *,
    params: Mapping[str, Any] | None = None,
    lock_domain: str | None = None,
    policy: RunPolicy | None = None,
) -> Iterator[Run]:
    """Record ``command``'s run in ``job_runs`` for the length of the block.

    In order: take the store's run lock of ``lock_domain`` (None: no lock), fail the runs found
    dead and remove their files, write a ``running`` row owned by this process, beat its
    heartbeat in the background, and record how the block ended: ``succeeded`` (with the
    ``rows`` and ``detail`` the block set on the :class:`Run`), ``failed`` with the error,
    or ``aborted`` when interrupted (Ctrl-C, SIGTERM).

    Raises
    ------
    RunLockedError
        If another run holds the lock past ``policy.lock_wait_seconds``.
    """
    policy = policy or RunPolicy()
    run_id = str(uuid.uuid4())
    with ExitStack() as stack:
        if lock_domain is not None:
            stack.enter_context(
                run_lock(
                    store,
                    lock_domain,
                    holder=holder_description(command, None),
                    wait_seconds=policy.lock_wait_seconds,
                )
            )
        dead = mark_dead_runs(store, policy.stale_after_seconds)
        cleaned = Cleaned()
        if policy.model_dir is not None:
            cleaned = remove_orphan_files(store, policy.model_dir)
        job_id = start_job(
            store,
            run_id=run_id,
            step=command,
            triggered_by=policy.triggered_by,
            params=dict(params or {}),
        )
        run = Run(run_id, job_id, dead=dead, cleaned=cleaned)
        stack.enter_context(_Heartbeat(store, run_id, policy.heartbeat_seconds))
        try:
            yield run
        except BaseException as exc:
            signalled = interruption(exc)
            if signalled is not None:
                why = (
                    "interrupted (SIGINT)"
                    if isinstance(signalled, KeyboardInterrupt)
                    else str(signalled)
                )
                _finish(store, job_id, "aborted", run, error=why)
            else:
                _finish(store, job_id, "failed", run, error=f"{type(exc).__name__}: {exc}")
            raise
        _finish(store, job_id, "succeeded", run)


def _finish(store: Store, job_id: int, status: str, run: Run, error: str | None = None) -> None:
    try:
        if status != "succeeded":
            # A model version this run was training must not stay "training" (the trainer
            # fails it on errors, not on an interruption).
            fail_training_versions(store, job_id, f"{status}: {error}")
        finish_job(store, job_id, status=status, rows=run.rows, error=error, detail=run.detail)
    except FormlineError as exc:  # marked dead meanwhile, or the store is gone: say so only
        log.warning("could not record how job %s ended (%s): %s", job_id, status, exc)
