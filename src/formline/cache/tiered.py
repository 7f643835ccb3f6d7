"""Two tiers: a small in-process cache in front of a shared remote one (Redis)."""

from __future__ import annotations

from formline.cache.degrading import DegradingCache
from formline.cache.memory import MemoryCache


class TieredCache:
    """Reads the process's own memory first, then the remote cache; writes both.

    A hit in memory costs no network round trip and no copy of a large body out of Redis, which
    is most of the cost of a Redis hit. An entry found only in Redis is kept in memory for
    ``local_ttl`` seconds (its remaining time in Redis is not known), so a response that is not
    keyed by the snapshot (matches, odds) can outlive its Redis entry by at most that long.

    Parameters
    ----------
    local
        This process's cache.
    remote
        The shared cache, wrapped so that its failures are misses.
    local_ttl
        Seconds an entry read from the remote cache stays in memory.
    """

    def __init__(self, local: MemoryCache, remote: DegradingCache, local_ttl: float) -> None:
        self.local = local
        self.remote = remote
        self.local_ttl = local_ttl
        self.backend = remote.backend

    @property
    def healthy(self) -> bool:
        """Whether the remote cache answers (the local one always does)."""
        return self.remote.healthy

    async def get(self, key: str) -> bytes | None:
        value = await self.local.get(key)
        if value is not None:
            return value
        value = await self.remote.get(key)
        if value is not None:
            await self.local.set(key, value, self.local_ttl)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self.local.set(key, value, ttl)
        await self.remote.set(key, value, ttl)

    async def exists(self, key: str) -> bool:
        return await self.local.exists(key) or await self.remote.exists(key)

    async def ping(self) -> None:
        await self.remote.ping()

    async def close(self) -> None:
        await self.local.close()
        await self.remote.close()
