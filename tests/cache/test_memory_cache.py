"""The in-process cache: per-entry TTL, a bound on bytes, least recently used goes first."""

from __future__ import annotations

import asyncio

from formline.cache.memory import MemoryCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_own_ttl() -> None:
    clock = Clock()
    cache = MemoryCache(10_000, clock=clock)

    async def scenario() -> None:
        await cache.set("short", b"a", 1.0)
        await cache.set("long", b"b", 10.0)
        assert await cache.get("short") == b"a" and await cache.exists("long")
        clock.now = 1.5
        assert await cache.get("short") is None
        assert await cache.get("long") == b"b"
        clock.now = 11.0
        assert not await cache.exists("long")
        await cache.set("never", b"c", 0)
        assert await cache.get("never") is None

    asyncio.run(scenario())


def test_the_byte_bound_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(3 * (100 + 64))

    async def scenario() -> None:
        for key in ("a", "b", "c"):
            await cache.set(key, b"x" * 100, 60)
        assert await cache.get("a") is not None  # a is now the most recently used
        await cache.set("d", b"x" * 100, 60)
        assert await cache.exists("a") and await cache.exists("d")
        assert not await cache.exists("b")
        await cache.set("huge", b"x" * 10_000, 60)  # larger than the whole cache: not stored
        assert not await cache.exists("huge") and len(cache) == 3
        await cache.ping()
        await cache.close()
        assert len(cache) == 0

    asyncio.run(scenario())
