"""The API with Redis: shared entries between processes, warming from the worker, and an
unreachable Redis that degrades to the store without a single error answer."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from api_world import World, settings_for
from fastapi.testclient import TestClient

from formline import __version__
from formline.api import create_app
from formline.pipeline.warm import CacheTarget, warm_api_cache
from formline.store.db import open_store
from support import require_redis


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    """The test Redis URL and a key prefix of this test's own (keys deleted afterwards)."""
    url = require_redis()
    prefix = f"formline-test-{uuid.uuid4().hex[:12]}"
    yield url, prefix
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _metric(client: TestClient, name: str, kind: str) -> float:
    found = re.search(
        rf'^{name}\{{kind="{kind}"\}} ([0-9.e+]+)$', client.get("/metrics").text, re.M
    )
    return float(found.group(1)) if found else 0.0


def test_two_api_processes_share_entries_in_redis(
    world: tuple[str, World], redis_prefix: tuple[str, str]
) -> None:
    url, prefix = redis_prefix
    settings = settings_for(
        world[0], redis_url=url, api_cache_key_prefix=prefix, api_cache_redis_timeout_seconds=5.0
    )
    with TestClient(create_app(settings)) as first:
        body = first.get("/matches", params={"limit": 5}).content
        assert first.get("/health").json()["cache"] == {
            "backend": "redis",
            "healthy": True,
            "error": None,
        }
    keys = [k.decode() for k in redis.Redis.from_url(url).scan_iter(f"{prefix}:*")]
    assert any(k.startswith(f"{prefix}:{__version__}:v1:matches:") for k in keys)
    with TestClient(create_app(settings)) as second:  # another worker, an empty process cache
        assert second.get("/matches", params={"limit": 5}).content == body
        assert _metric(second, "formline_api_cache_hits_total", "matches") == 1
        assert _metric(second, "formline_api_cache_misses_total", "matches") == 0


def test_the_worker_warms_redis_for_the_api(
    world: tuple[str, World], redis_prefix: tuple[str, str]
) -> None:
    url, prefix = redis_prefix
    store = open_store(world[0], migrate=False)
    try:
        warmed = warm_api_cache(store, CacheTarget(redis_url=url, key_prefix=prefix))
        again = warm_api_cache(store, CacheTarget(redis_url=url, key_prefix=prefix))
    finally:
        store.dispose()
    n_matches = len(world[1].current_match_ids)
    assert warmed.snapshot_id == world[1].current_snapshot_id
    assert warmed.written == n_matches + 1 + 2  # each match, the list, the list per competition
    assert (again.written, again.present) == (0, warmed.written)
    settings = settings_for(
        world[0], redis_url=url, api_cache_key_prefix=prefix, api_cache_redis_timeout_seconds=5.0
    )
    with TestClient(create_app(settings)) as client:
        for match_id in world[1].current_match_ids:
            assert client.get(f"/predictions/matches/{match_id}").status_code == 200
        client.get("/predictions")
        assert _metric(client, "formline_api_cache_misses_total", "prediction") == 0
        assert _metric(client, "formline_api_cache_misses_total", "predictions") == 0
        assert _metric(client, "formline_api_cache_hits_total", "prediction") == n_matches
    # The bodies the worker rendered are byte for byte those the API renders itself.
    with TestClient(create_app(settings_for(world[0], api_cache_enabled=False))) as plain:
        match_id = world[1].current_match_ids[0]
        fresh = plain.get(f"/predictions/matches/{match_id}")
    with TestClient(create_app(settings)) as client:
        cached = client.get(f"/predictions/matches/{match_id}")
    assert cached.content == fresh.content and cached.headers["etag"] == fresh.headers["etag"]


def test_an_unreachable_redis_degrades_to_the_store(
    world: tuple[str, World], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    down = "redis://:topsecret@127.0.0.1:1/0"
    with TestClient(create_app(settings_for(world[0], api_cache_enabled=False))) as plain:
        expected = {p: plain.get(p).content for p in ("/predictions", "/competitions", "/models")}
    with TestClient(create_app(settings_for(world[0], redis_url=down))) as client:
        for _ in range(5):
            for path, body in expected.items():
                response = client.get(path)
                assert response.status_code == 200 and response.content == body
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["cache"]["healthy"] is False
        assert "topsecret" not in health.text
        errors = re.search(
            r"^formline_api_cache_errors_total ([0-9.]+)$", client.get("/metrics").text, re.M
        )
        assert errors is not None and float(errors.group(1)) >= 1
    outage = [r for r in caplog.records if "answering from the store" in r.getMessage()]
    assert len(outage) == 1
    assert all("topsecret" not in r.getMessage() for r in caplog.records)


def test_with_redis_the_warm_fills_redis_and_not_the_process_tier(
    world: tuple[str, World], redis_prefix: tuple[str, str]
) -> None:
    """Every worker reads Redis; a body in one process's tier that it was never asked for is
    memory that worker holds for nothing (docs/benchmarks.md, idle worker)."""
    url, prefix = redis_prefix
    settings = settings_for(
        world[0], redis_url=url, api_cache_key_prefix=prefix, api_cache_redis_timeout_seconds=5.0
    )
    with TestClient(create_app(settings)) as client:
        client.get("/competitions")  # the first read of the pointer starts the warm
        context = client.app.state.context  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while context.background and time.monotonic() < deadline:
            time.sleep(0.02)
        keys = list(redis.Redis.from_url(url).scan_iter(f"{prefix}:*:prediction:*"))
        assert len(keys) == len(world[1].current_match_ids)

        def local_predictions() -> list[str]:
            return [k for k in context.cache.local._entries if "prediction" in k]

        assert local_predictions() == []
        match_id = world[1].current_match_ids[0]
        assert client.get(f"/predictions/matches/{match_id}").status_code == 200
        assert len(local_predictions()) == 1  # read from Redis, kept in the tier
        assert _metric(client, "formline_api_cache_hits_total", "prediction") == 1
