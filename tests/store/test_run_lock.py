"""One run lock per store and domain, on SQLite and PostgreSQL: a second writer waits a bounded
time and refuses naming the holder; a holder killed with kill -9 leaves no lock behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from formline.errors import DataError
from formline.store.db import Store
from formline.store.run_lock import RunLockedError, run_lock


def test_a_second_holder_waits_then_refuses_naming_the_first(store: Store) -> None:
    with run_lock(store, "matches", holder="ingest:demo, pid 1 on here"):
        started = time.monotonic()
        with (
            pytest.raises(RunLockedError, match=r"matches lock .*ingest:demo, pid 1 on here"),
            run_lock(store, "matches", holder="daily:run", wait_seconds=0.6),
        ):
            pass
        assert 0.5 <= time.monotonic() - started < 5
        # Another domain is another lock.
        with run_lock(store, "races", holder="races", wait_seconds=0):
            pass
    with run_lock(store, "matches", holder="daily:run", wait_seconds=0):
        pass  # released: free again


def test_a_waiting_holder_gets_the_lock_when_the_first_ends(store: Store) -> None:
    import threading

    release = threading.Event()
    held = threading.Event()

    def first() -> None:
        with run_lock(store, "matches", holder="first"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(10)
    threading.Timer(0.5, release.set).start()
    with run_lock(store, "matches", holder="second", wait_seconds=10):
        pass
    thread.join(10)


def test_bad_domains_are_refused(store: Store) -> None:
    with pytest.raises(DataError, match="plain lower-case"), run_lock(store, "../x", holder="h"):
        pass


_HOLDER = """
import sys, time
from formline.store.db import open_store
from formline.store.run_lock import run_lock
store = open_store(sys.argv[1], migrate=False)
with run_lock(store, "matches", holder="the killed one"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_holder_killed_with_kill_9_leaves_no_lock(store: Store, tmp_path: Path) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_HOLDER), url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(RunLockedError, match="the killed one"),
            run_lock(store, "matches", holder="me", wait_seconds=0),
        ):
            pass
        holder.kill()
        holder.wait(timeout=30)
        with run_lock(store, "matches", holder="me", wait_seconds=10):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)
