"""Warming the API's Redis cache right after a publish, from the worker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from formline.domain import all_domains, get_domain
from formline.errors import ConfigError
from formline.store.db import Store


@dataclass(frozen=True)
class CacheTarget:
    """The Redis the API processes read (``REDIS_URL``) and how they key and keep entries."""

    redis_url: str
    key_prefix: str = "formline"
    #: Seconds to keep what is warmed (the responses keyed by snapshot: API_CACHE_TTL_PREDICTIONS).
    ttl_predictions: int = 3600
    #: Seconds to wait for Redis: a batch job can wait longer than an API request.
    timeout: float = 5.0


@dataclass(frozen=True)
class WarmOutcome:
    """What a warm wrote, summed over the domains warmed."""

    #: The newest snapshot warmed (None when no domain has published).
    snapshot_id: int | None
    written: int
    present: int
    #: Each warmed domain's snapshot (None: it has published nothing).
    snapshots: dict[str, int | None] = field(default_factory=dict)


def warm_api_cache(store: Store, target: CacheTarget, domain: str | None = None) -> WarmOutcome:
    """Fill Redis with the current snapshots' hot API responses, exactly as the API would render
    them: those each domain's read API declares (``Domain.api_cache``; for matches the list,
    each competition's list, each match's prediction), kept ``target.ttl_predictions`` seconds.

    Only Redis can be warmed from here: an API process's in-process cache lives in that process,
    which warms it itself when it sees a pointer move.

    Parameters
    ----------
    store
        The store.
    target
        The Redis to fill and how the API keys and keeps entries.
    domain
        Warm only this domain's snapshot (default: every registered domain's).

    Raises
    ------
    ConfigError
        If the ``api`` extra (FastAPI, redis-py) is not installed, or ``domain`` is unknown.
    CacheError
        If Redis fails.
    StoreError
        If the store cannot be read.
    """
    try:
        from formline.api.warm import warm_domain
        from formline.cache.factory import redis_key_prefix
        from formline.cache.redis_cache import RedisCache
    except ImportError as exc:  # the worker may be installed without the API
        raise ConfigError(
            f"warming the API cache needs the api extra (pip install 'formline[api]'): {exc}"
        ) from exc

    domains = all_domains() if domain is None else [get_domain(domain)]
    cache = RedisCache(
        target.redis_url, prefix=redis_key_prefix(target.key_prefix), timeout=target.timeout
    )

    async def run() -> WarmOutcome:
        snapshots: dict[str, int | None] = {}
        written = present = 0
        try:
            for each in domains:
                if each.api_cache is None:
                    continue
                result = await warm_domain(store, cache, each, target.ttl_predictions)
                snapshots[each.name] = result.snapshot_id
                written += result.written
                present += result.present
        finally:
            await cache.close()
        warmed = [i for i in snapshots.values() if i is not None]
        return WarmOutcome(max(warmed, default=None), written, present, snapshots)

    return asyncio.run(run())
