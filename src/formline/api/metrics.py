"""Prometheus metrics of the API: cache hits and misses, request counts and latencies.

With several worker processes (``formline serve --workers N``), ``serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` and every process writes its samples there, so ``/metrics`` answers
with the sum over the workers whichever worker serves it.
"""

from __future__ import annotations

import os
import time
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

    def record_hit(self, kind: str) -> None:
        """Count one response served from the cache."""
        child = self._hits.get(kind)
        if child is None:
            child = self._hits[kind] = self.cache_hits.labels(kind)
        child.inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (summed over worker processes)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


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
