"""The hot path: a repeated read of the current snapshot answered before routing.

Most traffic is the same few requests (``/predictions``, one match's prediction) against the
same snapshot. Routing, parameter validation and dependency injection cost more than the cache
lookup itself, so once a request has been answered through the API proper, its exact path and
query string are remembered with the body it got, keyed by the snapshot id it was answered under.
The same request under the same snapshot is then answered here, at the ASGI level.

It answers at two places. First in front of everything (:meth:`HotPath.answer`, called by the
application object before FastAPI's own entry point and middleware stack): a GET or HEAD
without an ``Origin`` header (or any request when no CORS origin is configured) is answered
there, with the request counted and timed in the API's metrics exactly as the metrics
middleware would, and ``HEAD`` served as the GET without its body as :mod:`formline.api.head`
does. What that skips is per-request machinery that changes nothing in such an answer:
Starlette's error and body-limit middleware, FastAPI's native OpenTelemetry hooks (formline
configures no OpenTelemetry provider; its metrics are Prometheus'), and the middleware layers.
Second, as the innermost middleware (the class is also an ASGI middleware), for the remaining
hits: those that need the CORS middleware's headers.

It only serves what the full path already served (so validation and errors are never skipped),
only for kinds whose content is fixed by the snapshot id (those the domains declare hot, see
:class:`formline.api.declared.CacheKind`), only while the snapshot it was answered under is
still its domain's current one, and only while the process's pointer memo is fresh: when the
memo is due, the request takes the full path, which reads the pointers again. The staleness
bound is therefore the same as the cache's (``API_POINTER_TTL_SECONDS``), and a publish makes
every entry of its domain unreachable at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from cachetools import TLRUCache
from starlette.responses import Response

from formline.api.context import ApiContext, Pointers, pointer_version
from formline.api.metrics import ASGIApp, Receive, Scope, Send, Tally, route_label
from formline.api.serving import JSON, Rendered, cache_headers, etag_matches


@dataclass(frozen=True)
class _Entry:
    kind: str
    #: The domain it was answered for and the snapshot id it was answered under.
    domain: str | None
    snapshot_id: int
    route: Any
    template: str
    etag: str
    body: bytes
    headers: list[tuple[bytes, bytes]]
    not_modified: list[tuple[bytes, bytes]]
    ttl: float


def _expires_at(_key: object, entry: _Entry, now: float) -> float:
    return now + entry.ttl


def _size(entry: _Entry) -> int:
    return len(entry.body) + 256


class HotPath:
    """ASGI middleware answering remembered reads of the current snapshot.

    Parameters
    ----------
    app
        The application behind it.
    context
        The process's shared state (pointer memo, metrics, TTLs).
    max_bytes
        Bytes of bodies remembered at most (least recently used go first).
    """

    def __init__(
        self, app: ASGIApp, context: ApiContext, max_bytes: int, cors: bool = False
    ) -> None:
        self.app = app
        self.context = context
        #: Whether a CORS middleware adds headers to answers to requests with an Origin.
        self.cors = cors
        self._entries: TLRUCache[tuple[str, bytes], _Entry] = TLRUCache(
            maxsize=max_bytes, ttu=_expires_at, timer=time.monotonic, getsizeof=_size
        )
        self._lock = threading.Lock()
        self._tally = Tally(context.metrics)
        context.on_answered = self.remember

    def remember(
        self,
        scope: MutableMapping[str, Any],
        domain: str | None,
        snapshot_id: int | None,
        kind: str,
        rendered: Any,
    ) -> None:
        """Remember the answer the full path gave to one request of a hot kind (called by
        ``cached_read``)."""
        if snapshot_id is None or scope.get("method") != "GET":
            return
        assert isinstance(rendered, Rendered)
        # The headers of the full path's responses, built by the same code, in the same order.
        headers = cache_headers(rendered.etag, self.context.max_age(kind))
        entry = _Entry(
            kind=kind,
            domain=domain,
            snapshot_id=snapshot_id,
            route=scope.get("route"),
            template=route_label(scope),
            etag=rendered.etag,
            body=rendered.body,
            headers=Response(rendered.body, media_type=JSON, headers=headers).raw_headers,
            not_modified=Response(status_code=304, headers=headers).raw_headers,
            ttl=float(self.context.ttls.get(kind, 0)),
        )
        if entry.ttl <= 0 or _size(entry) > self._entries.maxsize:
            return
        key = (str(scope["path"]), bytes(scope.get("query_string", b"")))
        with self._lock:
            self._entries[key] = entry

    def _lookup(self, scope: Scope) -> _Entry | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        fresh, pointers = self.context.pointer.peek()
        if not fresh:
            return None
        key = (str(scope["path"]), bytes(scope.get("query_string", b"")))
        with self._lock:
            entry = self._entries.get(key)
        return entry if entry is not None and _current(entry, pointers) else None

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answer a remembered request before the application's middleware stack; False (and
        nothing sent) when it must take the full path.

        The answer is the one the full path gives: same status, body and headers, ``HEAD``
        without the body, and the request counted under its method (``GET`` for ``HEAD``, as
        the metrics middleware sees it) and route template.
        """
        started = time.perf_counter()
        if scope["type"] != "http":
            return False
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            return False
        fresh, pointers = self.context.pointer.peek()
        if not fresh:
            return False
        key = (str(scope["path"]), bytes(scope.get("query_string", b"")))
        try:
            with self._lock:
                entry = self._entries[key]  # not .get(): that looks the key up twice
        except KeyError:
            return False
        if not _current(entry, pointers):
            return False
        if_none_match = None
        for name, value in scope.get("headers", ()):
            if name == b"if-none-match":
                if_none_match = bytes(value).decode("latin-1")
            elif name == b"origin" and self.cors:
                return False  # the CORS middleware answers it with its headers
        scope["route"] = entry.route
        status = await self._send(entry, if_none_match, send, body=method == "GET", count=False)
        self._tally.add(entry.template, status, entry.kind, time.perf_counter() - started)
        return True

    async def _send(
        self,
        entry: _Entry,
        if_none_match: str | None,
        send: Send,
        body: bool = True,
        count: bool = True,
    ) -> int:
        if count:
            self.context.metrics.record_hit(entry.kind)
        if if_none_match is not None and etag_matches(if_none_match, entry.etag):
            await send(
                {"type": "http.response.start", "status": 304, "headers": entry.not_modified}
            )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return 304
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
        await send(
            {"type": "http.response.body", "body": entry.body if body else b"", "more_body": False}
        )
        return 200

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self._lookup(scope)
        if entry is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = entry.route  # for the metrics' route label
        await self._send(entry, _header(scope, b"if-none-match"), send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _current(entry: _Entry, pointers: Pointers) -> bool:
    """Whether ``entry`` was answered under its domain's current snapshot."""
    return pointer_version(pointers, entry.domain) == entry.snapshot_id
