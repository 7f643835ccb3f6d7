"""Serving a read: cache lookup by (kind, snapshot id, parameters), computing on a miss,
``ETag`` and ``Cache-Control`` on every response, ``304`` on a matching ``If-None-Match``.

What the cache holds is the serialised body and its ETag, so a hit costs a dictionary (or Redis)
lookup and no serialisation at all.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import Request, Response
from pydantic import BaseModel

from formline.api.context import ApiContext, pointer_version
from formline.cache.base import cache_key
from formline.errors import StoreError
from formline.store.reads import Pointer

JSON = "application/json"


class SnapshotGone(StoreError):
    """The snapshot a reader remembered was pruned; read the pointer again."""


@dataclass(frozen=True)
class Rendered:
    """A response body and its strong ETag."""

    etag: str
    body: bytes

    def pack(self) -> bytes:
        """One bytes value for the cache: the ETag, a newline, the body."""
        return self.etag.encode("ascii") + b"\n" + self.body

    @classmethod
    def unpack(cls, raw: bytes) -> Rendered:
        """The inverse of :meth:`pack`."""
        etag, _, body = raw.partition(b"\n")
        return cls(etag.decode("ascii"), body)


def render(model: BaseModel) -> Rendered:
    """Serialise ``model`` to JSON bytes and derive the ETag from them."""
    body = model.__pydantic_serializer__.to_json(model)
    return Rendered(f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"', body)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 says)."""
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or etag.removeprefix("W/") in candidates


def cache_headers(etag: str, max_age: int) -> dict[str, str]:
    """``ETag`` and ``Cache-Control`` of a read."""
    cache_control = f"public, max-age={max_age}" if max_age > 0 else "no-cache"
    return {"ETag": etag, "Cache-Control": cache_control}


def respond(request: Request, rendered: Rendered, max_age: int, status_code: int = 200) -> Response:
    """The HTTP response for ``rendered``: 304 when the client holds it already."""
    headers = cache_headers(rendered.etag, max_age)
    if status_code == 200:
        if_none_match = request.headers.get("if-none-match")
        if if_none_match and etag_matches(if_none_match, rendered.etag):
            return Response(status_code=304, headers=headers)
    return Response(rendered.body, status_code=status_code, media_type=JSON, headers=headers)


Builder = Callable[[Pointer | None], BaseModel]


async def _compute(ctx: ApiContext, build: Builder, pointer: Pointer | None) -> Rendered:
    def run() -> Rendered:
        return render(build(pointer))

    return await ctx.in_store_thread(run)


async def _single_flight(
    ctx: ApiContext, key: str, build: Builder, pointer: Pointer | None
) -> Rendered:
    """Compute ``key`` once however many requests miss it at the same time."""
    loop = asyncio.get_running_loop()
    task = ctx.inflight.get(key)
    if task is None or task.done() or task.get_loop() is not loop:
        task = loop.create_task(_compute(ctx, build, pointer))
        ctx.inflight[key] = task
        task.add_done_callback(lambda _: ctx.inflight.pop(key, None))
    result = await asyncio.shield(task)
    assert isinstance(result, Rendered)
    return result


async def rendered_for(
    ctx: ApiContext,
    kind: str,
    params: Mapping[str, object],
    build: Builder,
    *,
    domain: str | None = None,
) -> Rendered:
    """The body for one read: from the cache, or built (in a worker thread) and cached.

    Parameters
    ----------
    ctx
        The process's shared state.
    kind
        The kind of response (its TTL and its metrics label).
    params
        The request's normalised parameters (part of the key).
    build
        Builds the response model from the store under the given pointer. May raise
        :class:`SnapshotGone`, then the pointer is read again and ``build`` called once more.
    domain
        The domain whose published snapshot the read is of: its pointer is the one ``build``
        gets and the key carries. None for a read of no domain (``build`` gets None; the key
        carries the newest snapshot id of any domain, so a publish still moves it).

    Raises
    ------
    StoreError
        If the store cannot be read; NotFoundError and friends from ``build``.
    """
    rendered, _ = await _rendered_and_snapshot(ctx, kind, params, build, domain)
    return rendered


async def _rendered_and_snapshot(
    ctx: ApiContext,
    kind: str,
    params: Mapping[str, object],
    build: Builder,
    domain: str | None,
) -> tuple[Rendered, int | None]:
    for attempt in (1, 2):
        pointers = await ctx.pointer.get()
        pointer = None if domain is None else pointers.get(domain)
        snapshot_id = pointer_version(pointers, domain)
        key = cache_key(kind, snapshot_id, params)
        cache = ctx.cache_for(kind)
        if cache is not None:
            raw = await cache.get(key)
            if raw is not None:
                ctx.metrics.record_hit(kind)
                return Rendered.unpack(raw), snapshot_id
            ctx.metrics.cache_misses.labels(kind).inc()
        try:
            if cache is None:
                return await _compute(ctx, build, pointer), snapshot_id
            rendered = await _single_flight(ctx, key, build, pointer)
        except SnapshotGone:
            if attempt == 2:
                raise
            ctx.pointer.invalidate()
            continue
        await cache.set(key, rendered.pack(), ctx.ttls[kind])
        return rendered, snapshot_id
    raise AssertionError("unreachable")


async def cached_read(
    request: Request,
    ctx: ApiContext,
    kind: str,
    params: Mapping[str, object],
    build: Builder,
    *,
    domain: str | None = None,
) -> Response:
    """Answer a read with a cached or freshly built body, ETag and Cache-Control (see
    :func:`rendered_for` for ``domain``)."""
    rendered, snapshot_id = await _rendered_and_snapshot(ctx, kind, params, build, domain)
    if ctx.on_answered is not None and kind in ctx.hot_kinds and ctx.cache_for(kind) is not None:
        ctx.on_answered(request.scope, domain, snapshot_id, kind, rendered)
    return respond(request, rendered, ctx.max_age(kind))
