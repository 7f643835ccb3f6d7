"""The Redis cache against the real Redis: values, TTLs, and driver errors as CacheError."""

from __future__ import annotations

import asyncio

import pytest
import redis
from redis_server import RedisServer

from formline.cache.redis_cache import RedisCache
from formline.errors import CacheError


def test_values_round_trip_with_their_ttl(redis_url: str, key_prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=key_prefix)

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
        RedisCache(redis_url, prefix=key_prefix),
        RedisCache(redis_url, prefix=key_prefix + "x:"),
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


def test_the_database_of_the_url_is_selected(private_redis: RedisServer) -> None:
    port = private_redis.port
    for url in (f"redis://127.0.0.1:{port}/3", f"redis://127.0.0.1:{port}?db=3"):
        cache = RedisCache(url, prefix="p:")
        asyncio.run(cache.set(url, b"v", 30))
        assert redis.Redis(port=port, db=3).get(f"p:{url}") == b"v"
        assert redis.Redis(port=port, db=0).get(f"p:{url}") is None


def test_a_password_is_sent_and_a_wrong_one_is_a_cache_error_that_does_not_quote_it(
    private_redis: RedisServer,
) -> None:
    port = private_redis.port
    redis.Redis(port=port).config_set("requirepass", "s3cret-pw")
    asyncio.run(RedisCache(f"redis://:s3cret-pw@127.0.0.1:{port}/0", prefix="p:").ping())
    asyncio.run(RedisCache(f"redis://default:s3cret-pw@127.0.0.1:{port}/0").ping())
    for url in (f"redis://127.0.0.1:{port}/0", f"redis://:wrong-pw@127.0.0.1:{port}/0"):
        with pytest.raises(CacheError) as raised:
            asyncio.run(RedisCache(url).get("k"))
        assert str(raised.value).startswith("redis get: ResponseError")
        assert "pw" not in str(raised.value)


def test_an_error_reply_is_a_cache_error_and_the_connection_stays_usable(
    redis_url: str, key_prefix: str
) -> None:
    redis.Redis.from_url(redis_url).rpush(f"{key_prefix}list", b"x")
    cache = RedisCache(redis_url, prefix=key_prefix)

    async def scenario() -> None:
        with pytest.raises(CacheError, match="redis get: ResponseError WRONGTYPE"):
            await cache.get("list")
        await cache.set("k", b"fine", 30)
        assert await cache.get("k") == b"fine"
        await cache.close()

    asyncio.run(scenario())


def test_connections_closed_by_the_server_are_replaced_without_an_error(
    private_redis: RedisServer,
) -> None:
    cache = RedisCache(private_redis.url, prefix="p:")
    admin = redis.Redis(port=private_redis.port)

    async def scenario() -> None:
        await asyncio.gather(*(cache.set(f"k{i}", b"v%d" % i, 30) for i in range(4)))
        assert admin.client_kill_filter(_type="normal", skip_me=True) >= 1
        assert [await cache.get(f"k{i}") for i in range(4)] == [b"v%d" % i for i in range(4)]
        await cache.close()

    asyncio.run(scenario())


def test_concurrent_large_values_each_come_back_whole(redis_url: str, key_prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=key_prefix)
    values = {f"k{i}": bytes([i]) * 200_000 + b"\r\n$-1\r\n" for i in range(40)}

    async def scenario() -> list[bytes | None]:
        await asyncio.gather(*(cache.set(k, v, 30) for k, v in values.items()))
        found = await asyncio.gather(*(cache.get(k) for k in values))
        await cache.close()
        return list(found)

    assert asyncio.run(scenario()) == list(values.values())


def test_a_bad_url_is_a_cache_error_at_first_use() -> None:
    cache = RedisCache("redis://:hunter2@127.0.0.1:notaport/0")
    with pytest.raises(CacheError) as raised:
        asyncio.run(cache.get("k"))
    assert "hunter2" not in str(raised.value)
