"""``/health``: liveness and readiness."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from sqlalchemy import inspect, text

from formline import __version__
from formline.api.deps import Context
from formline.api.errors import STORE_UNAVAILABLE
from formline.api.schemas import CacheHealth, HealthPublic, SnapshotHealth, StoreHealth
from formline.api.serving import render, respond
from formline.domain import domain_names
from formline.errors import CacheError, StoreError
from formline.store.db import VERSION_TABLE, Store
from formline.store.reads import Pointer, current_pointers

router = APIRouter(tags=["health"])


def read_store_state(store: Store) -> tuple[str | None, dict[str, Pointer]]:
    """The schema revision and every domain's published pointer, by domain, read now (no memo).

    Raises
    ------
    StoreError
        If the store cannot be read.
    """
    with store.connect("checking the store") as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None, {}
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        return revision, current_pointers(conn)


def newest(pointers: Iterable[Pointer]) -> Pointer | None:
    """The pointer published last (the higher snapshot id on a tie); None if there is none.
    With one domain, its pointer; with several, the age ``/health`` reports is the freshest
    publish's."""
    return max(pointers, key=lambda p: (p.published_at, p.snapshot_id), default=None)


async def _cache_health(ctx: Context) -> CacheHealth:
    cache = ctx.cache
    if cache is None:
        return CacheHealth(backend="disabled", healthy=True)
    backend: Literal["memory", "redis"] = "redis" if cache.backend == "redis" else "memory"
    try:
        await cache.ping()
    except CacheError:
        return CacheHealth(backend=backend, healthy=False, error="cache backend unreachable")
    return CacheHealth(backend=backend, healthy=True)


def snapshot_health(pointer: Pointer, now: datetime) -> SnapshotHealth:
    """What ``/health`` shows of a published pointer, with its age at ``now``."""
    return SnapshotHealth(
        id=pointer.snapshot_id,
        model_version_id=pointer.model_version_id,
        model_version_ids=list(pointer.model_version_ids),
        as_of=pointer.as_of,
        published_at=pointer.published_at,
        n_predictions=pointer.n_predictions,
        age_seconds=round((now - pointer.published_at).total_seconds(), 3),
    )


@router.get(
    "/health",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "The store does not answer."}},
    summary="Liveness and readiness",
)
async def health(request: Request, ctx: Context) -> Response:
    """200 when the store answers (status ``ok``; ``degraded`` when the cache backend fails and
    answers come from the store; ``no_snapshot`` when nothing is published yet); 503 with
    ``Retry-After`` when the store does not. Also the current snapshot (the freshest publish of
    any domain) and its age, and each domain's own: every registered domain (None before it
    publishes) and any other domain the store has a publication of."""
    dialect = ctx.store.dialect
    try:
        revision, pointers = await ctx.in_store_thread(read_store_state, ctx.store)
        store = StoreHealth(reachable=True, dialect=dialect, schema_revision=revision)
    except StoreError:
        revision, pointers = None, {}
        store = StoreHealth(reachable=False, dialect=dialect, error=STORE_UNAVAILABLE)
    if store.reachable and revision is None:
        store = StoreHealth(
            reachable=True, dialect=dialect, error="the store is not migrated: run the worker"
        )
    cache = await _cache_health(ctx)
    ready = store.reachable and revision is not None
    now = datetime.now(UTC)
    pointer = newest(pointers.values())
    snapshot = None if pointer is None else snapshot_health(pointer, now)
    domains: dict[str, SnapshotHealth | None] = {
        name: None if name not in pointers else snapshot_health(pointers[name], now)
        for name in sorted({*domain_names(), *pointers})
    }
    status: Literal["ok", "degraded", "no_snapshot", "unavailable"]
    if not ready:
        status = "unavailable"
    elif pointer is None:
        # Ready (reads answer, /predictions is an empty list), but there is nothing to serve
        # yet: a monitor should see that, not "ok".
        status = "no_snapshot"
    else:
        status = "ok" if cache.healthy else "degraded"
    body = HealthPublic(
        status=status,
        live=True,
        ready=ready,
        version=__version__,
        store=store,
        snapshot=snapshot,
        domains=domains,
        cache=cache,
    )
    response = respond(request, render(body), 0, status_code=200 if ready else 503)
    response.headers["Cache-Control"] = "no-store"
    if not ready:
        response.headers["Retry-After"] = str(ctx.retry_after)
    return response
