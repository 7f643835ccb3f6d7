"""The Redis cache, shared by every API worker and the pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from formline.cache.redis_client import RedisClient, RedisProtocolError, RedisReplyError
from formline.errors import CacheError


class RedisCache:
    """Values in Redis under ``prefix + key``, each with its TTL (``SET ... PX``).

    Failures (refused or timed-out connections, error replies, broken protocol) become
    :class:`~formline.errors.CacheError`, whose message names the operation and the error type,
    never the URL. Connections are opened lazily, one client per event loop, so the same cache
    object works under a server's loop and under ``asyncio.run`` in the worker.

    Parameters
    ----------
    url
        ``redis://``, ``rediss://`` or ``unix://`` URL (see :mod:`formline.cache.redis_client`).
    prefix
        Prepended to every key (to share a Redis between deployments).
    timeout
        Seconds to wait for a connection or an answer: small, because a slow cache is worse
        than none.

    Raises
    ------
    ConfigError
        If the URL is not one the client supports.
    """

    backend = "redis"

    def __init__(self, url: str, *, prefix: str = "formline:", timeout: float = 0.25) -> None:
        self._url = url
        self._prefix = prefix.encode()
        self._timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, RedisClient] = {}
        RedisClient(url, timeout=timeout)  # a URL it cannot use is a ConfigError now, not later

    def _client(self) -> RedisClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for stale in [other for other in self._clients if other.is_closed()]:
                del self._clients[stale]
            client = RedisClient(self._url, timeout=self._timeout)
            self._clients[loop] = client
        return client

    @asynccontextmanager
    async def _translated(self, what: str) -> AsyncIterator[RedisClient]:
        try:
            yield self._client()
        except (TimeoutError, OSError, EOFError, RedisReplyError, RedisProtocolError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise CacheError(f"redis {what}: {type(exc).__name__} {detail}".strip()) from exc

    def _key(self, key: str) -> bytes:
        return self._prefix + key.encode()

    async def get(self, key: str) -> bytes | None:
        async with self._translated("get") as client:
            value = await client.execute(b"GET", self._key(key))
            if value is not None and not isinstance(value, bytes):
                raise RedisProtocolError(f"GET answered a {type(value).__name__}")
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0:
            return
        milliseconds = b"%d" % max(1, int(ttl * 1000))
        async with self._translated("set") as client:
            await client.execute(b"SET", self._key(key), value, b"PX", milliseconds)

    async def exists(self, key: str) -> bool:
        async with self._translated("exists") as client:
            return bool(await client.execute(b"EXISTS", self._key(key)))

    async def ping(self) -> None:
        async with self._translated("ping") as client:
            await client.execute(b"PING")

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()
