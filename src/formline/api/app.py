"""The read API: ``create_app(settings)`` builds it; ``formline serve`` runs it with uvicorn.

It reads the store and nothing else (no model, no NumPy), through connections that refuse
writes, and answers from a cache keyed by the published snapshot.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from formline import __version__
from formline.api.context import ApiContext
from formline.api.declared import DomainCache, cache_ttls, domain_cache, domain_routers
from formline.api.errors import install_error_handlers
from formline.api.head import HeadAsGet
from formline.api.hot import HotPath
from formline.api.metrics import ApiMetrics, ASGIApp, MetricsMiddleware, Receive, Scope, Send
from formline.api.routes import health, metrics, models, simulations
from formline.api.warm import warm_snapshot
from formline.cache.factory import build_cache
from formline.cache.tiered import TieredCache
from formline.domain import all_domains
from formline.settings import Settings
from formline.store.readonly import open_read_only_store
from formline.store.reads import Pointer
from formline.store.timeouts import StoreTimeouts

logger = logging.getLogger("formline.api")

DESCRIPTION = """Pre-computed match probabilities, read from formline's store.

The API never computes a prediction and never writes: it serves the snapshot the worker
published last (`formline predict:run`), from a cache keyed by that snapshot. Every read carries
an `ETag` (send it back in `If-None-Match` for a `304`) and a `Cache-Control` header.
"""


class FormlineAPI(FastAPI):
    """FastAPI, with the hot path in front of its entry point (see :mod:`formline.api.hot`)."""

    hot: HotPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self.hot
        if hot is not None and await hot.answer(scope, send):
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, freeze_gc: bool = False) -> FastAPI:
    """Build the read API for the store and cache that ``settings`` name.

    Nothing connects here: a store or cache that is down makes ``/health`` report it and reads
    answer 503 (store) or come from the store (cache), never a failure to start.

    Parameters
    ----------
    settings
        Where the store is (``DATABASE_URL``), the cache (``REDIS_URL``), TTLs, CORS origins.
    freeze_gc
        At start-up, move every object alive into the garbage collector's permanent
        generation (``gc.freeze``), so that full collections stay short and do not show up as
        latency spikes. For a server process, which builds one app and keeps it; not for a
        process that builds many apps (tests), whose frozen cycles would never be freed.

    Returns
    -------
    FastAPI
        The application; its :class:`ApiContext` is ``app.state.context``.

    Raises
    ------
    ConfigError
        If ``DATABASE_URL`` names an unsupported database.
    """
    store = open_read_only_store(
        settings.resolved_database_url,
        timeouts=StoreTimeouts(
            connect=min(settings.database_connect_timeout, settings.api_store_timeout),
            statement=settings.api_store_timeout,
            pool=settings.api_store_timeout,
        ),
    )
    api_metrics = ApiMetrics()
    cache = (
        build_cache(
            settings.redis_url,
            max_bytes=settings.api_cache_max_mb * 1024 * 1024,
            prefix=settings.api_cache_key_prefix,
            local_ttl=settings.api_cache_local_ttl_seconds,
            redis_timeout=settings.api_cache_redis_timeout_seconds,
            on_error=lambda _: api_metrics.cache_errors.inc(),
        )
        if settings.api_cache_enabled
        else None
    )
    domains = all_domains()
    caches = {domain.name: domain_cache(domain) for domain in domains}
    context = ApiContext(
        store=store,
        cache=cache,
        metrics=api_metrics,
        ttls=cache_ttls(settings, caches),
        hot_kinds=frozenset(
            kind.name
            for declared in caches.values()
            if declared is not None
            for kind in declared.kinds
            if kind.hot
        ),
        pointer_ttl=settings.api_pointer_ttl_seconds,
        client_max_age=settings.api_client_max_age,
        retry_after=settings.api_retry_after_seconds,
        store_timeout=settings.api_store_timeout,
    )

    def pointer_moved(domain: str, pointer: Pointer | None) -> None:
        declared = caches.get(domain)
        if pointer is None or context.cache is None or declared is None or not declared.warms:
            return
        context.spawn(_warm(context, declared, pointer))

    context.on_pointer_change = pointer_moved

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if freeze_gc:
            gc.collect()
            gc.freeze()
        yield
        for task in list(context.background):
            task.cancel()
        if context.cache is not None:
            await context.cache.close()
        store.dispose()

    app = FormlineAPI(
        title="formline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.context = context
    # Routes are matched in order: the domains' (the hot ones first), then the shared ones.
    for domain in domains:
        for router in domain_routers(domain):
            app.include_router(router)
    for module in (health, models, simulations, metrics):
        app.include_router(module.router)
    install_error_handlers(app, settings.api_retry_after_seconds)
    origins = list(settings.cors_origin_list)
    if context.cache is not None:
        # Innermost: CORS and metrics wrap what it answers too. A quarter of the cache budget.
        # The same object answers first, in front of everything, what needs no CORS headers.
        hot_bytes = settings.api_cache_max_mb * 1024 * 1024 // 4
        app.hot = HotPath(_unbuilt, context=context, max_bytes=hot_bytes, cors=bool(origins))
        app.add_middleware(_inner, hot=app.hot)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["If-None-Match"],
            expose_headers=["ETag", "Retry-After"],
            allow_credentials=False,
        )
    app.add_middleware(MetricsMiddleware, metrics=api_metrics)
    app.add_middleware(HeadAsGet)  # outermost: everything inside sees a GET
    return app


async def _unbuilt(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the hot path's inner app is set when the middleware stack is built")


def _inner(app: ASGIApp, hot: HotPath) -> HotPath:
    """The hot path as the innermost middleware. Starlette builds its middleware stack lazily
    (and again in tests), so the one :class:`HotPath` gets its inner app here."""
    hot.app = app
    return hot


async def _warm(context: ApiContext, declared: DomainCache, pointer: Pointer) -> None:
    if context.cache is None or not getattr(context.cache, "healthy", True):
        return  # with Redis down, warming would only build bodies it cannot store
    # With Redis, warm Redis, which every worker reads: this process's tier fills as it reads,
    # as it does with what any other process wrote, and holds no body it was never asked for.
    cache = context.cache.remote if isinstance(context.cache, TieredCache) else context.cache
    try:
        result = await warm_snapshot(context.store, cache, context.ttls, declared, pointer)
    except Exception as exc:  # a failed warm only costs misses; never take the worker down
        logger.warning("warming the cache for snapshot %s failed: %s", pointer.snapshot_id, exc)
        return
    logger.info(
        "cache warmed for snapshot %s: %d written, %d present",
        result.snapshot_id,
        result.written,
        result.present,
    )


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment: uvicorn's factory in ``formline serve``."""
    return create_app(Settings(), freeze_gc=True)
