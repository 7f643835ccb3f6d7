"""Choosing the cache backend from configuration values."""

from __future__ import annotations

from collections.abc import Callable

from formline import __version__
from formline.cache.base import Cache
from formline.cache.degrading import DegradingCache
from formline.cache.memory import MemoryCache
from formline.errors import CacheError


def redis_key_prefix(prefix: str) -> str:
    """The Redis key prefix of this formline version: ``<prefix>:<version>:``."""
    return f"{prefix}:{__version__}:"


def build_cache(
    redis_url: str | None,
    *,
    max_bytes: int = 64 * 1024 * 1024,
    prefix: str = "formline",
    on_error: Callable[[CacheError], None] | None = None,
) -> Cache | DegradingCache:
    """The API's cache: Redis (wrapped to degrade to misses) with a URL, else in-process.

    Redis keys are prefixed with ``<prefix>:<version>:`` so that two versions of formline
    sharing a Redis (during a rolling deploy) never read each other's bodies.

    Parameters
    ----------
    redis_url
        ``REDIS_URL``, or None for the in-process cache.
    max_bytes
        Size bound of the in-process cache.
    prefix
        First part of every Redis key.
    on_error
        Called with each Redis failure.
    """
    if redis_url:
        from formline.cache.redis_cache import RedisCache

        redis = RedisCache(redis_url, prefix=redis_key_prefix(prefix))
        return DegradingCache(redis, on_error=on_error)
    return MemoryCache(max_bytes)
