"""The degrading wrapper: a failing Redis becomes misses, is skipped for a cooldown, is logged
once per outage, and is used again once it is back. Against a real Redis server that the test
stops and starts."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis_server import RedisServer

from formline.cache.degrading import DegradingCache
from formline.cache.redis_cache import RedisCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_a_miss_logged_once_and_recovery_is_noticed(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="formline.cache")
    clock = Clock()
    errors: list[str] = []
    cache = DegradingCache(
        RedisCache(private_redis.url, timeout=0.2),
        cooldown=5.0,
        on_error=lambda exc: errors.append(str(exc)),
        clock=clock,
    )

    async def scenario() -> None:
        await cache.set("k", b"v", 60)
        assert await cache.get("k") == b"v" and cache.healthy

        private_redis.stop()
        assert await cache.get("k") is None  # a miss, not an exception
        assert not cache.healthy and len(errors) == 1
        for _ in range(10):  # during the cooldown Redis is not asked at all
            assert await cache.get("k") is None
            await cache.set("k", b"v", 60)
        assert len(errors) == 1

        clock.now = 6.0  # cooldown over, still down: asked once more, still a miss
        assert await cache.get("k") is None and len(errors) == 2

        private_redis.start()
        clock.now = 12.0
        await cache.set("k", b"back", 60)
        assert cache.healthy and await cache.get("k") == b"back"

    asyncio.run(scenario())
    messages = [r.getMessage() for r in caplog.records]
    assert sum("answering from the store" in m for m in messages) == 1
    assert messages.count("cache backend redis is back") == 1


def test_ping_reports_the_outage(private_redis: RedisServer) -> None:
    from formline.errors import CacheError

    cache = DegradingCache(RedisCache(private_redis.url, timeout=0.2))
    asyncio.run(cache.ping())
    private_redis.stop()
    with pytest.raises(CacheError):
        asyncio.run(cache.ping())
    assert not cache.healthy
