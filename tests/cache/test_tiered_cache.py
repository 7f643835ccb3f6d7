"""The tiered cache: the process's memory in front of the real Redis."""

from __future__ import annotations

import asyncio

import redis
from redis_server import FUNCTIONAL_TIMEOUT, RedisServer

from formline.cache.degrading import DegradingCache
from formline.cache.memory import MemoryCache
from formline.cache.redis_cache import RedisCache
from formline.cache.tiered import TieredCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_redis_hit_is_kept_in_memory_for_the_local_ttl(redis_url: str, key_prefix: str) -> None:
    clock = Clock()
    local = MemoryCache(1 << 20, clock=clock)
    remote = DegradingCache(RedisCache(redis_url, prefix=key_prefix, timeout=FUNCTIONAL_TIMEOUT))
    cache = TieredCache(local, remote, local_ttl=5.0)
    # Another process (the worker's warm) wrote this entry to Redis only.
    redis.Redis.from_url(redis_url).set(f"{key_prefix}k", b"from the worker", px=60_000)

    async def scenario() -> None:
        assert not await local.exists("k")
        assert await cache.get("k") == b"from the worker"
        assert await local.get("k") == b"from the worker"  # now served from memory
        await remote.inner.set("k", b"changed in redis", 60)
        assert await cache.get("k") == b"from the worker"
        clock.now = 6.0  # the local copy expired: Redis again
        assert await cache.get("k") == b"changed in redis"
        await cache.set("mine", b"v", 30)
        assert await local.get("mine") == b"v" and await remote.get("mine") == b"v"
        assert await cache.exists("mine") and cache.backend == "redis"

    asyncio.run(scenario())


def test_memory_keeps_serving_while_redis_is_down(private_redis: RedisServer) -> None:
    cache = TieredCache(
        MemoryCache(1 << 20), DegradingCache(RedisCache(private_redis.url, timeout=0.2)), 60.0
    )

    async def scenario() -> None:
        await cache.set("k", b"v", 60)
        private_redis.stop()
        assert await cache.get("k") == b"v"  # from memory, without asking Redis
        assert cache.healthy
        assert await cache.get("other") is None  # a miss asks Redis: it fails, and it shows
        assert not cache.healthy

    asyncio.run(scenario())
