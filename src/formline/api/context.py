"""What every request of one API process shares: the store, the cache, the metrics, and the
memo of the published-snapshot pointers (one per domain, read together)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from formline.api.metrics import ApiMetrics
from formline.cache.base import Cache
from formline.errors import StoreError
from formline.store.db import Store
from formline.store.reads import Pointer, current_pointers
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


#: Every domain's published pointer, by domain (a domain that has not published is absent).
Pointers = Mapping[str, Pointer]
_NONE: Pointers = {}


def pointer_version(pointers: Pointers, domain: str | None) -> int | None:
    """The snapshot id a cached read of ``domain`` is keyed by: its pointer's (None before it
    publishes); for a read of no domain (``/models``), the newest of every domain's, so that any
    publish moves it too."""
    if domain is not None:
        pointer = pointers.get(domain)
        return None if pointer is None else pointer.snapshot_id
    return max((p.snapshot_id for p in pointers.values()), default=None)


class PointerMemo:
    """Every domain's published pointer, re-read from the store (in one statement) at most
    once per ``ttl`` seconds.

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
        Called (on the event loop) with a domain and its new pointer (None if it has none any
        more) when the domain's snapshot id changes, the first read included.
    clock
        Monotonic seconds (injectable for tests).
    deadline
        Seconds a read of the pointer may take (None: no bound), see :func:`in_store_thread`.
    """

    def __init__(
        self,
        store: Store,
        ttl: float,
        on_change: Callable[[str, Pointer | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
    ) -> None:
        self._store = store
        self._deadline = deadline
        self._ttl = ttl
        self._on_change = on_change
        self._clock = clock
        self._value: Pointers = _NONE
        self._read_at: float | None = None
        self._task: asyncio.Task[Pointers] | None = None

    def _read(self) -> Pointers:
        with self._store.connect("reading the published snapshot") as conn:
            return current_pointers(conn)

    async def _refresh(self) -> Pointers:
        value = await in_store_thread(self._deadline, self._read)
        previous = self._value
        known = self._read_at is not None
        self._value, self._read_at = value, self._clock()
        if self._on_change is not None:
            for domain in sorted({*previous, *value}):
                if not known or pointer_version(previous, domain) != pointer_version(value, domain):
                    self._on_change(domain, value.get(domain))
        return value

    async def get(self) -> Pointers:
        """Every domain's current pointer (empty before any publish).

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

    def peek(self) -> tuple[bool, Pointers]:
        """(whether the memo is fresh, its pointers), without reading the store."""
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
    #: Kinds whose body is fixed by the snapshot id and the request (the domains' hot kinds).
    hot_kinds: frozenset[str] = frozenset()
    pointer: PointerMemo = field(init=False)
    inflight: dict[str, asyncio.Task[object]] = field(default_factory=dict)
    background: set[asyncio.Task[object]] = field(default_factory=set)
    #: Called with a domain and its new pointer when the domain's snapshot moves.
    on_pointer_change: Callable[[str, Pointer | None], None] | None = None
    #: Called with (request scope, domain, snapshot id, kind, body) after a cached read of a hot
    #: kind is answered.
    on_answered: (
        Callable[[MutableMapping[str, Any], str | None, int | None, str, Any], None] | None
    ) = None

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

    def _pointer_changed(self, domain: str, pointer: Pointer | None) -> None:
        if self.on_pointer_change is not None:
            self.on_pointer_change(domain, pointer)

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
