"""What every request of one API process shares: the store, the cache, the metrics, and the
memo of the published-snapshot pointer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from formline.api.metrics import ApiMetrics
from formline.cache.base import Cache
from formline.store.db import Store
from formline.store.reads import Pointer, current_pointer

logger = logging.getLogger("formline.api")

#: Kinds of cached responses; each has a TTL in the settings.
KINDS = (
    "predictions",
    "prediction",
    "history",
    "matches",
    "competitions",
    "models",
    "performance",
    "value_bets",
)


class PointerMemo:
    """The published pointer, re-read from the store at most once per ``ttl`` seconds.

    This is the only per-request database read on a cache hit, so memoising it is what lets a
    cached response skip the store entirely. The price is staleness: after a publish commits, a
    worker keeps serving the previous snapshot for at most ``ttl`` seconds. Concurrent requests
    that find the memo stale share one read.

    Parameters
    ----------
    store
        The store.
    ttl
        Seconds a read pointer is reused (0: read on every request).
    on_change
        Called (on the event loop) with the new pointer when the snapshot id changes, the first
        read included.
    clock
        Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        store: Store,
        ttl: float,
        on_change: Callable[[Pointer | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._on_change = on_change
        self._clock = clock
        self._value: Pointer | None = None
        self._read_at: float | None = None
        self._task: asyncio.Task[Pointer | None] | None = None

    def _read(self) -> Pointer | None:
        with self._store.connect("reading the published snapshot") as conn:
            return current_pointer(conn)

    async def _refresh(self) -> Pointer | None:
        value = await anyio.to_thread.run_sync(self._read)
        previous = self._value
        known = self._read_at is not None
        self._value, self._read_at = value, self._clock()
        changed = (None if previous is None else previous.snapshot_id) != (
            None if value is None else value.snapshot_id
        )
        if (changed or not known) and self._on_change is not None:
            self._on_change(value)
        return value

    async def get(self) -> Pointer | None:
        """The current pointer (None before any publish).

        Raises
        ------
        StoreError
            If the store cannot be read.
        """
        if self._read_at is not None and self._clock() - self._read_at < self._ttl:
            return self._value
        task = self._task
        loop = asyncio.get_running_loop()
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(self._refresh())
            self._task = task
        return await asyncio.shield(task)

    def peek(self) -> tuple[bool, Pointer | None]:
        """(whether the memo is fresh, its pointer), without reading the store."""
        fresh = self._read_at is not None and self._clock() - self._read_at < self._ttl
        return fresh, self._value

    def invalidate(self) -> None:
        """Forget the memo: the next request reads the pointer again."""
        self._read_at = None


@dataclass
class ApiContext:
    """One API process's shared state (``app.state.context``)."""

    store: Store
    cache: Cache | None
    metrics: ApiMetrics
    ttls: dict[str, int]
    pointer_ttl: float
    client_max_age: int
    retry_after: int
    pointer: PointerMemo = field(init=False)
    inflight: dict[str, asyncio.Task[object]] = field(default_factory=dict)
    background: set[asyncio.Task[object]] = field(default_factory=set)
    on_pointer_change: Callable[[Pointer | None], None] | None = None
    #: Called with (request scope, snapshot id, kind, body) after a cached read is answered.
    on_answered: Callable[[MutableMapping[str, Any], int | None, str, Any], None] | None = None

    def __post_init__(self) -> None:
        self.pointer = PointerMemo(self.store, self.pointer_ttl, self._pointer_changed)

    def _pointer_changed(self, pointer: Pointer | None) -> None:
        if self.on_pointer_change is not None:
            self.on_pointer_change(pointer)

    def cache_for(self, kind: str) -> Cache | None:
        """The cache to use for ``kind``: None when caching is off or its TTL is 0."""
        return self.cache if self.cache is not None and self.ttls.get(kind, 0) > 0 else None

    def max_age(self, kind: str) -> int:
        """The ``Cache-Control`` max-age for ``kind``: at most its cache TTL."""
        return min(self.client_max_age, self.ttls.get(kind, 0))

    def spawn(self, coroutine: Coroutine[Any, Any, object]) -> None:
        """Run a coroutine in the background on the current loop, keeping a reference to it."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
