"""The in-process cache: a TTL- and LRU-bounded map of bytes (cachetools)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cachetools import TLRUCache


def _expires_at(_key: str, value: tuple[bytes, float], now: float) -> float:
    return now + value[1]


def _size(value: tuple[bytes, float]) -> int:
    return len(value[0]) + 64  # the body plus a rough per-entry overhead


class MemoryCache:
    """A cache in this process's memory, bounded by total bytes, each entry with its own TTL.

    Each API worker process has its own; entries are never shared between processes.

    Parameters
    ----------
    max_bytes
        Bytes of values held at most; the least recently used entries go first.
    clock
        Monotonic seconds (injectable for tests).
    """

    backend = "memory"

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: TLRUCache[str, tuple[bytes, float]] = TLRUCache(
            maxsize=max_bytes, ttu=_expires_at, timer=clock, getsizeof=_size
        )
        self._lock = threading.Lock()

    async def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
        return None if found is None else found[0]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0 or _size((value, ttl)) > self._entries.maxsize:
            return
        with self._lock:
            self._entries[key] = (value, ttl)

    async def exists(self, key: str) -> bool:
        with self._lock:
            return key in self._entries

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            self._entries.expire()
            return len(self._entries)
