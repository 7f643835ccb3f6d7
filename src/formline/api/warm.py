"""Warming the cache after a publish: the responses readers ask for first.

Two callers. The worker (``predict:run``, ``daily:run``) warms Redis right after publishing, when
``REDIS_URL`` is set, so every API process finds the new snapshot's bodies there. An in-process
cache lives inside each API process, out of the worker's reach, so each API process also warms
its own cache in the background the first time it sees the pointer move (and at start-up).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from pydantic import BaseModel

from formline.api.routes.predictions import (
    build_match_prediction,
    build_predictions,
    list_params,
)
from formline.api.serving import render
from formline.cache.base import Cache, cache_key
from formline.store.db import Store
from formline.store.prediction_reads import snapshot_prediction_list
from formline.store.reads import Pointer, current_pointer

logger = logging.getLogger("formline.api")


@dataclass(frozen=True)
class WarmResult:
    """What a warm did."""

    snapshot_id: int | None
    written: int
    present: int


def _hot_requests(store: Store, pointer: Pointer) -> list[tuple[str, dict[str, object]]]:
    """(kind, params) of the responses to warm: the whole list, each competition's list, and
    each match's prediction."""
    with store.connect("listing the snapshot to warm") as conn:
        rows = snapshot_prediction_list(conn, pointer.snapshot_id)
    competitions = sorted({row["competition"] for row in rows})
    return [
        ("predictions", list_params()),
        *(("predictions", list_params(code)) for code in competitions),
        *(("prediction", {"match_id": row["match_id"]}) for row in rows),
    ]


def _builder(store: Store, pointer: Pointer, kind: str, params: dict[str, object]) -> BaseModel:
    if kind == "predictions":
        competition = params.get("competition")
        return build_predictions(store, pointer, None if competition is None else str(competition))
    match_id = params["match_id"]
    assert isinstance(match_id, int)
    return build_match_prediction(store, pointer, match_id)


async def warm_predictions(
    store: Store,
    cache: Cache,
    ttls: dict[str, int],
    pointer: Pointer | None = None,
    *,
    on_entry: Callable[[str], None] | None = None,
) -> WarmResult:
    """Fill ``cache`` with the current snapshot's hot responses that it does not hold yet.

    Parameters
    ----------
    store
        The store (read only).
    cache
        The cache to fill.
    ttls
        Seconds to keep each kind (``"predictions"``, ``"prediction"``); a kind with 0 is skipped.
    pointer
        The pointer to warm for (default: read it now).
    on_entry
        Called with each key written.

    Raises
    ------
    StoreError
        If the store cannot be read.
    CacheError
        If ``cache`` is a bare remote backend that fails.
    """
    if pointer is None:

        def read() -> Pointer | None:
            with store.connect("reading the published snapshot") as conn:
                return current_pointer(conn)

        pointer = await anyio.to_thread.run_sync(read)
    if pointer is None:
        return WarmResult(None, 0, 0)
    hot = await anyio.to_thread.run_sync(_hot_requests, store, pointer)
    written = present = 0
    for kind, params in hot:
        ttl = ttls.get(kind, 0)
        if ttl <= 0:
            continue
        key = cache_key(kind, pointer.snapshot_id, params)
        if await cache.exists(key):
            present += 1
            continue
        model = await anyio.to_thread.run_sync(_builder, store, pointer, kind, params)
        rendered = render(model)
        await cache.set(key, rendered.pack(), ttl)
        written += 1
        if on_entry is not None:
            on_entry(key)
    return WarmResult(pointer.snapshot_id, written, present)
