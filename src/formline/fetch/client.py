"""Fetch a source's documents over HTTP (httpx): rate-limited, retried, cached and checked.

One :class:`HttpSource` per source and run. :meth:`HttpSource.fetch` reads the on-disk cache
first (a young enough entry is used without a request), else asks the source with a
conditional GET (``If-None-Match``/``If-Modified-Since`` from the cached entry; a 304 reuses the
cached body), waiting between requests as the source's rate limit says. A 429, a 5xx or a
transport failure (refused, timed out, a body cut short) is retried with exponential backoff,
honouring ``Retry-After`` (seconds or an HTTP date); another 4xx fails at once. Every new body
passes the caller's payload check before it is cached, so a malformed body is never kept.

Secrets (the policy's params and headers: API keys) are sent but never shown: URLs in messages
and logs are redacted, httpx's own request log included.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import httpx

from formline.errors import SourceError, SourceUnavailableError
from formline.fetch.cache import CachedResponse, ResponseCache
from formline.fetch.policy import SourcePolicy, redact

__all__ = ["Fetched", "HttpSource", "MinimumInterval", "PayloadCheck", "parse_retry_after"]

log = logging.getLogger(__name__)

#: A payload check: ``check(body, url)`` raises :class:`SourceError` naming ``url`` (redacted)
#: when the body is not what the source should serve.
PayloadCheck = Callable[[bytes, str], None]

_RETRIED = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Fetched:
    """One document as fetched.

    ``how`` is ``"cache"`` (a young cached entry, no request), ``"not-modified"`` (a 304: the
    cached body) or ``"fetched"`` (a new body); ``path`` is the cached body's file.
    """

    url: str  # redacted
    body: bytes
    sha256: str
    fetched_at: datetime
    how: str
    attempts: int
    path: Path | None = None


class MinimumInterval:
    """A rate limit: at least ``seconds`` between the starts of two requests (thread-safe)."""

    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.seconds, self._clock, self._sleep = seconds, clock, sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Sleep until the next request may start; return the seconds slept."""
        with self._lock:
            now = self._clock()
            pause = 0.0 if self._last is None else max(0.0, self._last + self.seconds - now)
            if pause:
                self._sleep(pause)
            self._last = now + pause
            return pause


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date), or None
    when it is absent or unreadable. A date in the past is 0."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _RedactingFilter(logging.Filter):
    """Rewrites a log record with the secrets replaced (httpx logs each request's full URL)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shown = redact(message, self.secrets)
        if shown != message:
            record.msg, record.args = shown, None
        return True


_LIBRARY_LOGGERS = ("httpx", "httpcore")


class _Retry(Exception):
    """One attempt failed in a way worth retrying; ``wait`` is the server's Retry-After."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem, self.wait = problem, wait


class HttpSource:
    """A client of one HTTP source (see the module docstring).

    Parameters
    ----------
    policy
        The source's terms (rate, timeouts, retries, secrets).
    cache
        The on-disk response cache (None: no cache, no conditional GET).
    check
        The payload check every new body passes before it is used or cached.
    sleep, now
        Injected for tests; by default the real clock.
    """

    def __init__(
        self,
        policy: SourcePolicy,
        cache: ResponseCache | None = None,
        *,
        check: PayloadCheck | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy, self.cache, self.check = policy, cache, check
        self._sleep, self._now = sleep, now
        self.limit = MinimumInterval(policy.min_interval_seconds, sleep=sleep)
        timeout = httpx.Timeout(
            policy.read_timeout, connect=policy.connect_timeout, pool=policy.connect_timeout
        )
        self._client = httpx.Client(
            timeout=timeout,
            params=dict(policy.params),
            headers={"User-Agent": "formline", **policy.headers},
            follow_redirects=True,
            transport=transport,
        )
        self._filter = _RedactingFilter(policy.secrets)
        for name in _LIBRARY_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)
        #: Requests sent (attempts included), for reports and tests.
        self.requests = 0

    def close(self) -> None:
        """Close the connections and stop redacting the library's logs."""
        self._client.close()
        for name in _LIBRARY_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)

    def __enter__(self) -> HttpSource:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def shown(self, path: str) -> str:
        """The URL of ``path`` as messages show it (redacted)."""
        return redact(self.policy.url(path), self.policy.secrets)

    def fetch(self, path: str) -> Fetched:
        """The document at ``path`` (relative to the policy's base URL).

        Raises
        ------
        SourceUnavailableError
            If the source kept failing (429, 5xx, timeouts, refused or cut-short responses)
            through every retry, or asks for a longer ``Retry-After`` than the policy allows.
        SourceError
            If it answers another 4xx, a body larger than the policy allows, or a body the
            payload check refuses (nothing is cached then).
        """
        url, shown = self.policy.url(path), self.shown(path)
        entry = self.cache.get(shown) if self.cache is not None else None
        cached = self.cache.read(entry) if self.cache is not None and entry is not None else None
        if entry is not None and cached is not None:
            if entry.age_seconds(self._now()) < self.policy.cache_seconds:
                log.debug("%s: from the cache (%s)", shown, entry.fetched_at.isoformat())
                return Fetched(
                    shown, cached, entry.sha256, entry.fetched_at, "cache", 0, entry.body_path
                )
        else:
            entry = None
        problem, attempts = "", 0
        for attempt in range(self.policy.max_retries + 1):
            attempts = attempt + 1
            try:
                return self._attempt(url, shown, entry, cached, attempts)
            except _Retry as retry:
                problem = retry.problem
                if attempt == self.policy.max_retries:
                    break
                pause = self.policy.backoff(attempt)
                if retry.wait is not None:
                    if retry.wait > self.policy.max_retry_after_seconds:
                        raise SourceUnavailableError(
                            f"{shown}: {problem}; the source asks to wait {retry.wait:.0f} s, "
                            f"longer than {self.policy.max_retry_after_seconds:g} s "
                            "(HTTP_MAX_RETRY_AFTER_SECONDS)"
                        ) from None
                    pause = max(pause, retry.wait)
                log.info("%s: %s; retrying in %.1f s", shown, problem, pause)
                self._sleep(pause)
        raise SourceUnavailableError(
            f"{shown}: {problem} (after {attempts} attempt{'s' * (attempts > 1)}, HTTP_MAX_RETRIES)"
        )

    def _attempt(
        self,
        url: str,
        shown: str,
        entry: CachedResponse | None,
        cached: bytes | None,
        attempts: int,
    ) -> Fetched:
        headers: dict[str, str] = {}
        if entry is not None and entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry is not None and entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        self.limit.wait()
        self.requests += 1
        log.info("GET %s", shown)
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status == 304 and entry is not None and cached is not None:
                    fresh = self.cache.touch(entry, self._now()) if self.cache else entry
                    return Fetched(
                        shown, cached, entry.sha256, fresh.fetched_at, "not-modified", attempts,
                        entry.body_path,
                    )  # fmt: skip
                if status in _RETRIED:
                    wait = parse_retry_after(response.headers.get("Retry-After"), self._now())
                    raise _Retry(f"HTTP {status} {response.reason_phrase}".rstrip(), wait)
                if status != 200:
                    raise SourceError(f"{shown}: HTTP {status} {response.reason_phrase}".rstrip())
                body = self._read(response, shown)
                etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        except httpx.TimeoutException as exc:
            raise _Retry(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            detail = redact(str(exc).splitlines()[0] if str(exc) else "", self.policy.secrets)
            raise _Retry(f"{type(exc).__name__}: {detail or 'no detail'}") from None
        if self.check is not None:
            self.check(body, shown)
        now = self._now()
        if self.cache is not None:
            stored = self.cache.put(shown, body, etag=etag, last_modified=modified, fetched_at=now)
            return Fetched(shown, body, stored.sha256, now, "fetched", attempts, stored.body_path)
        return Fetched(shown, body, hashlib.sha256(body).hexdigest(), now, "fetched", attempts)

    def _read(self, response: httpx.Response, shown: str) -> bytes:
        cap, parts, size = self.policy.max_bytes, [], 0
        for part in response.iter_bytes():
            size += len(part)
            if cap is not None and size > cap:
                raise SourceError(
                    f"{shown}: more than {cap / 1024 / 1024:g} MB (INGEST_MAX_FILE_MB); "
                    "nothing was loaded"
                )
            parts.append(part)
        return b"".join(parts)
