"""A PostgreSQL that stops answering (processes stopped, not down) fails calls within their
bounds, and the store recovers by itself when it answers again. Through a stalling proxy on
loopback: the shared server itself is never stopped."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from formline.errors import StoreError
from formline.store.db import Store, open_store
from formline.store.timeouts import StoreTimeouts
from stalling_proxy import StallingProxy

TIMEOUTS = StoreTimeouts(connect=2, statement=1, pool=1)


@pytest.fixture
def proxy() -> Iterator[StallingProxy]:
    with StallingProxy() as running:
        yield running


def _select_one(store: Store) -> int:
    with store.connect("probing") as conn:
        return int(conn.execute(text("SELECT 1")).scalar_one())


def _timed_failure(store: Store) -> tuple[float, str]:
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        _select_one(store)
    return time.monotonic() - started, str(caught.value)


def test_a_stalled_server_fails_a_pooled_connection_within_the_deadline(
    postgres_url: str, proxy: StallingProxy
) -> None:
    store = open_store(proxy.url(postgres_url), migrate=False, timeouts=TIMEOUTS)
    try:
        assert _select_one(store) == 1  # a pooled connection exists now
        proxy.pause()
        seconds, message = _timed_failure(store)
        # The pre-ping or the query waits the client deadline (statement + 1 s), then gives up.
        assert seconds < 5, seconds
        assert "did not answer within" in message or "timeout" in message, message
        proxy.resume()
        assert _select_one(store) == 1  # a fresh connection: recovered without a restart
    finally:
        proxy.resume()
        store.dispose()


def test_a_stalled_server_fails_a_new_connection_within_the_connect_timeout(
    postgres_url: str, proxy: StallingProxy
) -> None:
    store = open_store(proxy.url(postgres_url), migrate=False, timeouts=TIMEOUTS)
    try:
        proxy.pause()
        seconds, message = _timed_failure(store)
        assert seconds < 5, seconds
        assert "timeout" in message, message
        proxy.resume()
        assert _select_one(store) == 1
    finally:
        proxy.resume()
        store.dispose()


def test_a_slow_statement_is_cancelled_by_the_server(postgres_url: str) -> None:
    store = open_store(postgres_url, migrate=False, timeouts=TIMEOUTS)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match="statement timeout"), store.connect("sleeping") as c:
            c.execute(text("SELECT pg_sleep(10)"))
        assert time.monotonic() - started < 5
        assert _select_one(store) == 1
    finally:
        store.dispose()


def test_the_url_keeps_its_own_options(postgres_url: str) -> None:
    store = open_store(postgres_url, migrate=False, timeouts=TIMEOUTS)
    try:
        with store.connect() as conn:
            path = conn.execute(text("SHOW search_path")).scalar_one()
            timeout = conn.execute(text("SHOW statement_timeout")).scalar_one()
        assert path.startswith("t_") and timeout == "1s"
        assert "statement_timeout" in store.libpq_url() and "connect_timeout=2" in store.libpq_url()
    finally:
        store.dispose()
