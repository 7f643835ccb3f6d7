"""The Redis cache (redis-py's asyncio client), shared by every API worker and the pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from formline.errors import CacheError, map_errors


class RedisCache:
    """Values in Redis under ``prefix + key``, each with its TTL (``SET ... PX``).

    Driver errors (refused or timed-out connections, protocol errors) become
    :class:`~formline.errors.CacheError` through :func:`~formline.errors.map_errors`, whose
    message names the operation and the driver's first line, never the URL. Connections are
    opened lazily, one client per event loop, so the same cache object works under a server's
    loop and under ``asyncio.run`` in the worker.

    Parameters
    ----------
    url
        ``redis://``, ``rediss://`` or ``unix://`` URL.
    prefix
        Prepended to every key (to share a Redis between deployments).
    timeout
        Seconds to wait for a connection or an answer: small, because a slow cache is worse
        than none.
    """

    backend = "redis"

    def __init__(self, url: str, *, prefix: str = "formline:", timeout: float = 0.25) -> None:
        self._url = url
        self._prefix = prefix
        self._timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, Redis] = {}

    def _client(self) -> Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for stale in [other for other in self._clients if other.is_closed()]:
                del self._clients[stale]
            client = Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry_on_timeout=False,
                health_check_interval=30,
            )
            self._clients[loop] = client
        return client

    @asynccontextmanager
    async def _translated(self, what: str) -> AsyncIterator[Redis]:
        # redis-py raises built-in OSError and TimeoutError too (a refused socket, a timeout).
        with map_errors(f"redis {what}", also={OSError: CacheError}):
            yield self._client()

    async def get(self, key: str) -> bytes | None:
        async with self._translated("get") as client:
            value = await client.get(self._prefix + key)
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0:
            return
        async with self._translated("set") as client:
            await client.set(self._prefix + key, value, px=max(1, int(ttl * 1000)))

    async def exists(self, key: str) -> bool:
        async with self._translated("exists") as client:
            return bool(await client.exists(self._prefix + key))

    async def ping(self) -> None:
        async with self._translated("ping") as client:
            await client.ping()

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()
