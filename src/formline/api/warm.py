"""Warming the cache after a publish: the responses readers ask for first.

Two callers. The worker (``predict:run``, ``daily:run``) warms Redis right after publishing, when
``REDIS_URL`` is set, so every API process finds the new snapshot's bodies there. An in-process
cache lives inside each API process, out of the worker's reach, so each API process also warms
its own cache in the background the first time it sees a domain's pointer move (and at
start-up).

What to warm is the domain's to say (:class:`~formline.api.declared.DomainCache`); this module
only reads the pointer, skips what the cache holds and writes the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread

from formline.api.declared import DomainCache, domain_cache
from formline.api.serving import render
from formline.cache.base import Cache, cache_key
from formline.domain import Domain
from formline.store.db import Store
from formline.store.reads import Pointer, current_pointer

logger = logging.getLogger("formline.api")


@dataclass(frozen=True)
class WarmResult:
    """What a warm did."""

    snapshot_id: int | None
    written: int
    present: int


async def warm_snapshot(
    store: Store,
    cache: Cache,
    ttls: dict[str, int],
    declared: DomainCache,
    pointer: Pointer | None,
    *,
    on_entry: Callable[[str], None] | None = None,
) -> WarmResult:
    """Fill ``cache`` with the hot responses ``declared`` lists for ``pointer``'s snapshot that
    it does not hold yet.

    Parameters
    ----------
    store
        The store (read only).
    cache
        The cache to fill.
    ttls
        Seconds to keep each kind; a kind with 0 (or none) is skipped.
    declared
        The domain's cache declaration (what to warm, how to build it).
    pointer
        The domain's pointer (None: nothing published, nothing to warm).
    on_entry
        Called with each key written.

    Raises
    ------
    StoreError
        If the store cannot be read.
    CacheError
        If ``cache`` is a bare remote backend that fails.
    """
    if pointer is None or declared.hot_requests is None or declared.build is None:
        return WarmResult(None if pointer is None else pointer.snapshot_id, 0, 0)
    build = declared.build
    hot = await anyio.to_thread.run_sync(declared.hot_requests, store, pointer)
    written = present = 0
    for kind, params in hot:
        ttl = ttls.get(kind, 0)
        if ttl <= 0:
            continue
        key = cache_key(kind, pointer.snapshot_id, params)
        if await cache.exists(key):
            present += 1
            continue
        model = await anyio.to_thread.run_sync(build, store, pointer, kind, params)
        rendered = render(model)
        await cache.set(key, rendered.pack(), ttl)
        written += 1
        if on_entry is not None:
            on_entry(key)
    return WarmResult(pointer.snapshot_id, written, present)


async def warm_domain(
    store: Store,
    cache: Cache,
    domain: Domain,
    ttl: int,
    *,
    on_entry: Callable[[str], None] | None = None,
) -> WarmResult:
    """Fill ``cache`` with ``domain``'s hot responses for its current snapshot, each kept
    ``ttl`` seconds (the worker's side: it reads the domain's pointer now).

    Raises
    ------
    StoreError
        If the store cannot be read.
    CacheError
        If ``cache`` fails.
    """
    declared = domain_cache(domain)
    if declared is None or not declared.warms:
        return WarmResult(None, 0, 0)

    def read() -> Pointer | None:
        with store.connect("reading the published snapshot") as conn:
            return current_pointer(conn, domain=domain.name)

    pointer = await anyio.to_thread.run_sync(read)
    ttls = {kind.name: ttl for kind in declared.kinds if kind.hot}
    return await warm_snapshot(store, cache, ttls, declared, pointer, on_entry=on_entry)
