"""Choosing the cache backend from configuration values."""

from __future__ import annotations

from collections.abc import Callable

from formline import __version__
from formline.cache.base import Cache
from formline.cache.degrading import DegradingCache
from formline.cache.memory import MemoryCache
from formline.cache.tiered import TieredCache
from formline.errors import CacheError


def redis_key_prefix(prefix: str) -> str:
    """The Redis key prefix of this formline version: ``<prefix>:<version>:``."""
    return f"{prefix}:{__version__}:"


def build_cache(
    redis_url: str | None,
    *,
    max_bytes: int = 64 * 1024 * 1024,
    prefix: str = "formline",
    local_ttl: float = 5.0,
    redis_timeout: float = 0.25,
    on_error: Callable[[CacheError], None] | None = None,
) -> Cache:
    """The API's cache: in-process without Redis; with Redis, Redis (degrading to misses when it
    fails) behind a small in-process tier.

    Redis keys are prefixed with ``<prefix>:<version>:`` so that two versions of formline
    sharing a Redis (during a rolling deploy) never read each other's bodies.

    Parameters
    ----------
    redis_url
        ``REDIS_URL``, or None for the in-process cache only.
    max_bytes
        Size bound of the in-process cache (or tier).
    prefix
        First part of every Redis key.
    local_ttl
        Seconds an entry read from Redis is kept in process (0: no in-process tier).
    redis_timeout
        Seconds to wait for Redis to connect or answer.
    on_error
        Called with each Redis failure.
    """
    local = MemoryCache(max_bytes)
    if not redis_url:
        return local
    from formline.cache.redis_cache import RedisCache

    remote = DegradingCache(
        RedisCache(redis_url, prefix=redis_key_prefix(prefix), timeout=redis_timeout),
        on_error=on_error,
    )
    if local_ttl <= 0:
        return remote
    return TieredCache(local, remote, local_ttl)
