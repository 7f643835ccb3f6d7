"""What every request of one API process shares: the store, the cache, the metrics, and the
memo of the published-snapshot pointer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from formline.api.metrics import ApiMetrics
from formline.cache.base import Cache
from formline.errors import StoreError
from formline.store.db import Store
from formline.store.reads import Pointer, current_pointer
from formline.store.timeouts import CLIENT_GRACE_SECONDS

logger = logging.getLogger("formline.api")

T = TypeVar("T")


async def in_store_thread(deadline: float | None, call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` in a worker thread, given up after ``deadline`` seconds.

    The driver bounds each store call itself (see formline.store.timeouts); this bounds the
    request as a whole, waiting for a thread and a pooled connection included. A call given up
    keeps its thread until the driver's own deadline ends it.

    Raises
    ------
    StoreError
        When the deadline passes (the API answers 503 with Retry-After).
    """
    if deadline is None:
        return await anyio.to_thread.run_sync(call, *args)
    try:
        with anyio.fail_after(deadline):
            return await anyio.to_thread.run_sync(call, *args, abandon_on_cancel=True)
    except TimeoutError:
        raise StoreError(f"the store did not answer within {deadline:g} s") from None


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
    deadline
        Seconds a read of the pointer may take (None: no bound), see :func:`in_store_thread`.
    """

    def __init__(
        self,
        store: Store,
        ttl: float,
        on_change: Callable[[Pointer | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
    ) -> None:
        self._store = store
        self._deadline = deadline
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
        value = await in_store_thread(self._deadline, self._read)
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
    #: Seconds the store may take per call (API_STORE_TIMEOUT); None: unbounded.
    store_timeout: float | None = None
    pointer: PointerMemo = field(init=False)
    inflight: dict[str, asyncio.Task[object]] = field(default_factory=dict)
    background: set[asyncio.Task[object]] = field(default_factory=set)
    on_pointer_change: Callable[[Pointer | None], None] | None = None
    #: Called with (request scope, snapshot id, kind, body) after a cached read is answered.
    on_answered: Callable[[MutableMapping[str, Any], int | None, str, Any], None] | None = None

    def __post_init__(self) -> None:
        self.pointer = PointerMemo(
            self.store, self.pointer_ttl, self._pointer_changed, deadline=self.store_deadline
        )

    @property
    def store_deadline(self) -> float | None:
        """The bound on one store call of a request, threads and pool included."""
        if self.store_timeout is None:
            return None
        return self.store_timeout + CLIENT_GRACE_SECONDS

    async def in_store_thread(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` in a worker thread within :attr:`store_deadline`."""
        return await in_store_thread(self.store_deadline, call, *args)

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
