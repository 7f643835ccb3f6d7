"""Warming the API's Redis cache right after a publish, from the worker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from formline.errors import ConfigError
from formline.store.db import Store


@dataclass(frozen=True)
class CacheTarget:
    """The Redis the API processes read (``REDIS_URL``) and how they key and keep entries."""

    redis_url: str
    key_prefix: str = "formline"
    ttl_predictions: int = 3600
    #: Seconds to wait for Redis: a batch job can wait longer than an API request.
    timeout: float = 5.0


@dataclass(frozen=True)
class WarmOutcome:
    """What a warm wrote."""

    snapshot_id: int | None
    written: int
    present: int


def warm_api_cache(store: Store, target: CacheTarget) -> WarmOutcome:
    """Fill Redis with the current snapshot's hot API responses (the list, each competition's
    list, each match's prediction), exactly as the API would render them.

    Only Redis can be warmed from here: an API process's in-process cache lives in that process,
    which warms it itself when it sees the pointer move.

    Raises
    ------
    ConfigError
        If the ``api`` extra (FastAPI, redis-py) is not installed.
    CacheError
        If Redis fails.
    StoreError
        If the store cannot be read.
    """
    try:
        from formline.api.warm import warm_predictions
        from formline.cache.factory import redis_key_prefix
        from formline.cache.redis_cache import RedisCache
    except ImportError as exc:  # the worker may be installed without the API
        raise ConfigError(
            f"warming the API cache needs the api extra (pip install 'formline[api]'): {exc}"
        ) from exc

    ttls = {"predictions": target.ttl_predictions, "prediction": target.ttl_predictions}
    cache = RedisCache(
        target.redis_url, prefix=redis_key_prefix(target.key_prefix), timeout=target.timeout
    )

    async def run() -> WarmOutcome:
        try:
            result = await warm_predictions(store, cache, ttls)
        finally:
            await cache.close()
        return WarmOutcome(result.snapshot_id, result.written, result.present)

    return asyncio.run(run())
