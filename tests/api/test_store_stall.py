"""A PostgreSQL that stops answering (its processes stopped, not down): the API answers 503 with
Retry-After within a bounded time, /health too, and recovers by itself when the database
answers again. Through a stalling proxy on loopback; the shared server is never stopped."""

from __future__ import annotations

import time

from api_world import settings_for
from fastapi.testclient import TestClient

from formline.api import create_app
from formline.store.db import Store
from stalling_proxy import StallingProxy

STORE_TIMEOUT = 1.0
#: What a request may take while the store is stalled: the pointer read and the body's reads,
#: each bounded by the store timeout plus a second of grace, and some slack for a busy machine.
BOUND = 2 * (STORE_TIMEOUT + 1.0) + 2.0


def _timed(client: TestClient, path: str) -> tuple[float, int, dict[str, str]]:
    started = time.monotonic()
    response = client.get(path)
    return time.monotonic() - started, response.status_code, dict(response.headers)


def test_a_stalled_store_is_503_within_a_bound_and_recovers(postgres_url: str) -> None:
    from formline.store.db import open_store

    migrated: Store = open_store(postgres_url, migrate=False)
    migrated.migrate()
    migrated.dispose()
    with StallingProxy() as proxy:
        settings = settings_for(
            proxy.url(postgres_url),
            api_store_timeout=STORE_TIMEOUT,
            api_pointer_ttl_seconds=0.0,
            api_cache_enabled=False,
        )
        with TestClient(create_app(settings)) as client:
            assert client.get("/health").status_code == 200
            assert client.get("/matches").status_code == 200
            proxy.pause()
            try:
                for path in ("/health", "/matches", "/predictions", "/health"):
                    seconds, status, headers = _timed(client, path)
                    assert status == 503, (path, status)
                    assert headers.get("retry-after") == "5", path
                    assert seconds < BOUND, (path, seconds)
            finally:
                proxy.resume()
            # Recovered without a restart: the stalled connections were dropped.
            deadline = time.monotonic() + 10
            while client.get("/health").status_code != 200:
                assert time.monotonic() < deadline, "the API did not recover"
                time.sleep(0.2)
            assert client.get("/matches").status_code == 200
