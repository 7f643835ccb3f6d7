"""One run lock per store and domain: two writers of the same domain never run at once.

The lock is the operating system's or the database's, never a row: it is released when its
holder ends, however it ends (kill -9 included), so a lock is never left behind.

- SQLite: ``fcntl.flock`` on ``<database file>.<domain>.lock``; the file says who holds it.
- PostgreSQL: a session advisory lock keyed by the database, the schema and the domain, held by
  one connection for the length of the run; its ``application_name`` says who holds it.

A second run waits up to ``wait_seconds`` and then refuses with the holder named.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text

from formline.errors import DataError, FormlineError, map_errors
from formline.store.db import Store

_DOMAIN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_POLL_SECONDS = 0.2


class RunLockedError(FormlineError):
    """Another run holds the store's lock for this domain."""


def _refuse(domain: str, holder: str, waited: float) -> RunLockedError:
    return RunLockedError(
        f"another run holds the {domain} lock of this store ({holder}); waited {waited:g} s: "
        "try again when it ends (RUN_LOCK_WAIT_SECONDS sets how long to wait)"
    )


@contextmanager
def run_lock(
    store: Store, domain: str, *, holder: str, wait_seconds: float = 0.0
) -> Iterator[None]:
    """Hold the run lock of ``domain`` on ``store`` for the block.

    Parameters
    ----------
    store
        The store.
    domain
        What the lock protects (``"matches"``): lower-case letters, digits and ``_``.
    holder
        Who asks, for the message another run gets (command, pid, host, job id).
    wait_seconds
        How long to wait for a holder to finish before refusing.

    Raises
    ------
    RunLockedError
        If the lock is still held after ``wait_seconds``.
    DataError
        If ``domain`` is not a plain name.
    """
    if not _DOMAIN.match(domain):
        raise DataError(f"run lock domain {domain!r} must be a plain lower-case name")
    if store.dialect == "sqlite":
        database = store.engine.url.database
        if database and database != ":memory:":
            with _file_lock(Path(f"{database}.{domain}.lock"), domain, holder, wait_seconds):
                yield
            return
        yield  # an in-memory store lives in one process
        return
    with _advisory_lock(store, domain, holder, wait_seconds):
        yield


@contextmanager
def _file_lock(path: Path, domain: str, holder: str, wait_seconds: float) -> Iterator[None]:
    import fcntl

    handle: IO[str] = path.open("a+", encoding="utf-8")
    try:
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    handle.seek(0)
                    holder_now = handle.read().strip() or "unknown"
                    raise _refuse(domain, holder_now, wait_seconds) from None
                time.sleep(min(_POLL_SECONDS, max(wait_seconds - waited, 0.01)))
        handle.seek(0)
        handle.truncate()
        handle.write(holder)
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


@contextmanager
def _advisory_lock(store: Store, domain: str, holder: str, wait_seconds: float) -> Iterator[None]:
    # A connection of its own, outside the pool, for the length of the run: the lock is the
    # session's, released by the server when the session ends.
    key = "formline run lock: " + domain
    with map_errors(f"taking the {domain} run lock"):
        conn = store.engine.connect()
    try:
        with map_errors(f"taking the {domain} run lock"):
            conn.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": f"formline {holder}"[:63]},
            )
            lock_key = conn.execute(
                text(
                    "SELECT hashtextextended(current_database() || '.' || current_schema() "
                    "|| '.' || :key, 0)"
                ),
                {"key": key},
            ).scalar_one()
            conn.commit()
            started = time.monotonic()
            while not conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key}
            ).scalar_one():
                conn.commit()
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    raise _refuse(domain, _advisory_holder(conn, lock_key), wait_seconds)
                time.sleep(min(_POLL_SECONDS, max(wait_seconds - waited, 0.01)))
            conn.commit()
        try:
            yield
        finally:
            with map_errors(f"releasing the {domain} run lock"):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key})
                conn.commit()
    finally:
        conn.close()


def _advisory_holder(conn: Any, lock_key: int) -> str:
    # Advisory locks on a bigint key show its halves as classid and objid.
    row = conn.execute(
        text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid::bigint = ((:k >> 32) & 4294967295) "
            "AND l.objid::bigint = (:k & 4294967295) LIMIT 1"
        ),
        {"k": int(lock_key)},
    ).scalar()
    conn.commit()
    return str(row).removeprefix("formline ") if row else "unknown"


def holder_description(command: str, job_id: int | None) -> str:
    """How a run names itself to the runs it keeps waiting."""
    from formline.store.jobs import HOST

    return f"{command}, pid {os.getpid()} on {HOST}" + (f", job {job_id}" if job_id else "")
