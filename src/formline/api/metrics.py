"""Prometheus metrics of the API: cache hits and misses, request counts and latencies.

With several worker processes (``formline serve --workers N``), ``serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` and every process writes its samples there, so ``/metrics`` answers
with the sum over the workers whichever worker serves it.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# The *_created series double the output and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ApiMetrics:
    """The API's counters and histograms, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.cache_hits = Counter(
            "formline_api_cache_hits", "Responses served from the cache.", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        self.cache_misses = Counter(
            "formline_api_cache_misses", "Responses computed from the store.", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        self.cache_errors = Counter(
            "formline_api_cache_errors", "Cache backend failures (answered from the store).",
            registry=self.registry,
        )  # fmt: skip
        self.requests = Counter(
            "formline_api_requests", "HTTP requests by route and status.",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "formline_api_request_duration_seconds", "Time to answer an HTTP request.",
            ["method", "route"], buckets=_BUCKETS, registry=self.registry,
        )  # fmt: skip
        # Labelled children, looked up once per label set: .labels() costs a lock and a hash.
        self._timers: dict[tuple[str, str], Any] = {}
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._hits: dict[str, Any] = {}
        #: Called before rendering (batched counts are added to the metrics first).
        self.before_render: list[Callable[[], None]] = []

    def record_request(self, method: str, template: str, status: int, seconds: float) -> None:
        """Count one answered HTTP request and observe its duration."""
        timer = self._timers.get((method, template))
        if timer is None:
            timer = self._timers[method, template] = self.latency.labels(method, template)
        timer.observe(seconds)
        counter = self._counters.get((method, template, status))
        if counter is None:
            counter = self._counters[method, template, status] = self.requests.labels(
                method, template, str(status)
            )
        counter.inc()

    def record_hit(self, kind: str, count: int = 1) -> None:
        """Count responses served from the cache."""
        child = self._hits.get(kind)
        if child is None:
            child = self._hits[kind] = self.cache_hits.labels(kind)
        child.inc(count)

    def add_requests(self, method: str, template: str, status: int, seconds: list[float]) -> None:
        """Count answered requests and observe their durations, as :meth:`record_request` does
        for each, in one update per counter and histogram bucket."""
        timer = self._timers.get((method, template))
        if timer is None:
            timer = self._timers[method, template] = self.latency.labels(method, template)
        bounds = getattr(timer, "_upper_bounds", None)
        buckets = getattr(timer, "_buckets", None)
        total = getattr(timer, "_sum", None)
        if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
            for value in seconds:  # another prometheus_client: one observation at a time
                timer.observe(value)
        else:
            counts = [0] * len(bounds)
            for value in seconds:
                counts[bisect_left(bounds, value)] += 1  # first bound >= value, as observe()
            for bucket, count in zip(buckets, counts, strict=True):
                if count:
                    bucket.inc(count)
            total.inc(sum(seconds))
        counter = self._counters.get((method, template, status))
        if counter is None:
            counter = self._counters[method, template, status] = self.requests.labels(
                method, template, str(status)
            )
        counter.inc(len(seconds))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (summed over worker processes)."""
        for flush in self.before_render:
            flush()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


class Tally:
    """Requests answered by the hot path, added to :class:`ApiMetrics` in batches.

    Prometheus' counters and histograms take a lock per update, three or four per request;
    for an answer that costs a few microseconds in all, that is most of it. The tally keeps
    plain lists per (route, status, kind) and adds them at most ``interval`` seconds later
    (on the event loop), and at once before the metrics are rendered: this process's
    ``/metrics`` is exact, another worker's (``--workers N``) lags by at most ``interval``.
    """

    def __init__(self, metrics: ApiMetrics, interval: float = 1.0) -> None:
        self.metrics = metrics
        self.interval = interval
        self._rows: dict[tuple[str, int, str], list[float]] = {}
        self._lock = threading.Lock()
        self._scheduled = False
        metrics.before_render.append(self.flush)

    def add(self, template: str, status: int, kind: str, seconds: float) -> None:
        """One GET answered by the hot path with ``status`` in ``seconds``."""
        with self._lock:
            row = self._rows.get((template, status, kind))
            if row is None:
                row = self._rows[template, status, kind] = []
            row.append(seconds)
            if self._scheduled:
                return
            self._scheduled = True
        asyncio.get_running_loop().call_later(self.interval, self.flush)

    def flush(self) -> None:
        """Add everything tallied so far to the metrics."""
        with self._lock:
            rows, self._rows = self._rows, {}
            self._scheduled = False
        for (template, status, kind), seconds in rows.items():
            self.metrics.add_requests("GET", template, status, seconds)
            self.metrics.record_hit(kind, len(seconds))


class MetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request, labelled by route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.record_request(
                str(scope.get("method", "")),
                route_label(scope),
                status,
                time.perf_counter() - started,
            )


def route_label(scope: Scope) -> str:
    """The route template a request matched; unmatched paths share one label, so that a
    scanner cannot grow the label set."""
    return getattr(scope.get("route"), "path", None) or "unmatched"
