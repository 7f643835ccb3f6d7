"""The Redis cache against the real Redis: values, TTLs, and driver errors as CacheError."""

from __future__ import annotations

import asyncio

import pytest
from redis_server import FUNCTIONAL_TIMEOUT

from formline.cache.redis_cache import RedisCache
from formline.errors import CacheError


def test_values_round_trip_with_their_ttl(redis_url: str, key_prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=key_prefix, timeout=FUNCTIONAL_TIMEOUT)

    async def scenario() -> None:
        await cache.ping()
        assert await cache.get("k") is None
        await cache.set("k", b"\x00body\n", 30)
        assert await cache.get("k") == b"\x00body\n" and await cache.exists("k")
        await cache.set("brief", b"v", 0.2)
        assert await cache.exists("brief")
        await asyncio.sleep(0.4)
        assert not await cache.exists("brief")
        await cache.set("zero", b"v", 0)
        assert not await cache.exists("zero")
        await cache.close()

    asyncio.run(scenario())
    # A new event loop gets its own connection: the same cache object works under both.
    assert asyncio.run(cache.get("k")) == b"\x00body\n"


def test_the_prefix_separates_deployments(redis_url: str, key_prefix: str) -> None:
    ours, theirs = (
        RedisCache(redis_url, prefix=key_prefix, timeout=FUNCTIONAL_TIMEOUT),
        RedisCache(redis_url, prefix=key_prefix + "x:", timeout=FUNCTIONAL_TIMEOUT),
    )

    async def scenario() -> None:
        await ours.set("k", b"ours", 30)
        assert await theirs.get("k") is None

    asyncio.run(scenario())


def test_an_unreachable_redis_raises_cache_error_without_the_password() -> None:
    cache = RedisCache("redis://:hunter2@127.0.0.1:1/0", timeout=0.2)
    for operation in (cache.get("k"), cache.set("k", b"v", 10), cache.ping(), cache.exists("k")):
        with pytest.raises(CacheError) as raised:
            asyncio.run(operation)
        assert "hunter2" not in str(raised.value)
        assert str(raised.value).startswith("redis ")
