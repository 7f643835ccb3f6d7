"""Response cache for the read API: in-process TTL by default, Redis when ``REDIS_URL`` is set.

Every backend has the interface of :class:`~formline.cache.base.Cache` (bytes in, bytes out,
a time to live per entry). :class:`~formline.cache.degrading.DegradingCache` wraps a remote
backend so that its failures become misses: the API answers from the store instead;
:class:`~formline.cache.tiered.TieredCache` puts the process's own memory in front of Redis.
:class:`~formline.cache.redis_cache.RedisCache` talks to Redis through the small client of
:mod:`formline.cache.redis_client`, not redis-py (see there why).
"""

from __future__ import annotations

from formline.cache.base import Cache, cache_key
from formline.cache.degrading import DegradingCache
from formline.cache.factory import build_cache
from formline.cache.memory import MemoryCache
from formline.cache.redis_cache import RedisCache
from formline.cache.tiered import TieredCache

__all__ = [
    "Cache",
    "DegradingCache",
    "MemoryCache",
    "RedisCache",
    "TieredCache",
    "build_cache",
    "cache_key",
]
