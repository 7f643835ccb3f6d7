"""Response cache for the read API: in-process TTL by default, Redis when ``REDIS_URL`` is set.

Every backend has the interface of :class:`~formline.cache.base.Cache` (bytes in, bytes out,
a time to live per entry). :class:`~formline.cache.degrading.DegradingCache` wraps a remote
backend so that its failures become misses: the API answers from the store instead;
:class:`~formline.cache.tiered.TieredCache` puts the process's own memory in front of Redis.

redis-py is imported only when Redis is configured (``RedisCache`` is loaded on first access),
so an API worker without Redis does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from formline.cache.base import Cache, cache_key
from formline.cache.degrading import DegradingCache
from formline.cache.factory import build_cache
from formline.cache.memory import MemoryCache
from formline.cache.tiered import TieredCache

if TYPE_CHECKING:
    from formline.cache.redis_cache import RedisCache

__all__ = [
    "Cache",
    "DegradingCache",
    "MemoryCache",
    "RedisCache",
    "TieredCache",
    "build_cache",
    "cache_key",
]


def __getattr__(name: str) -> Any:
    if name == "RedisCache":
        from formline.cache.redis_cache import RedisCache

        return RedisCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
