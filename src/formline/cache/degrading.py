"""A cache wrapper that turns backend failures into misses: the API keeps answering."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from formline.cache.base import Cache
from formline.errors import CacheError

logger = logging.getLogger("formline.cache")


class DegradingCache:
    """Wraps a remote cache so that its failures never reach a request.

    A failing operation counts as a miss (or a skipped write). After a failure the backend is not
    asked again for ``cooldown`` seconds, so an unreachable Redis costs one timeout per cooldown,
    not one per request. The outage is logged once when it starts and once when it ends.

    Parameters
    ----------
    inner
        The backend.
    cooldown
        Seconds to skip the backend after a failure.
    on_error
        Called with each :class:`CacheError` (for a metrics counter).
    clock
        Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        inner: Cache,
        *,
        cooldown: float = 5.0,
        on_error: Callable[[CacheError], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.backend = inner.backend
        self._cooldown = cooldown
        self._on_error = on_error
        self._clock = clock
        self._retry_at = 0.0
        self._failing = False
        self.last_error: str | None = None

    @property
    def healthy(self) -> bool:
        """False from a failure until the backend answers again."""
        return not self._failing

    def _available(self) -> bool:
        return not self._failing or self._clock() >= self._retry_at

    def _failed(self, exc: CacheError) -> None:
        if not self._failing:
            logger.warning(
                "cache backend %s failed (%s); answering from the store until it is back",
                self.backend,
                exc,
            )
        self._failing = True
        self.last_error = str(exc)
        self._retry_at = self._clock() + self._cooldown
        if self._on_error is not None:
            self._on_error(exc)

    def _succeeded(self) -> None:
        if self._failing:
            logger.warning("cache backend %s is back", self.backend)
        self._failing = False
        self.last_error = None

    async def get(self, key: str) -> bytes | None:
        if not self._available():
            return None
        try:
            value = await self.inner.get(key)
        except CacheError as exc:
            self._failed(exc)
            return None
        self._succeeded()
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if not self._available():
            return
        try:
            await self.inner.set(key, value, ttl)
        except CacheError as exc:
            self._failed(exc)
            return
        self._succeeded()

    async def exists(self, key: str) -> bool:
        if not self._available():
            return False
        try:
            found = await self.inner.exists(key)
        except CacheError as exc:
            self._failed(exc)
            return False
        self._succeeded()
        return found

    async def ping(self) -> None:
        """Ask the backend now (even during a cooldown); record the outcome, then re-raise."""
        try:
            await self.inner.ping()
        except CacheError as exc:
            self._failed(exc)
            raise
        self._succeeded()

    async def close(self) -> None:
        try:
            await self.inner.close()
        except CacheError as exc:
            logger.debug("closing the cache failed: %s", exc)
