"""The cache interface and its keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable
from urllib.parse import urlencode

#: Bump when the shape of cached values changes, so old entries are never read.
KEY_SCHEMA = "v1"


@runtime_checkable
class Cache(Protocol):
    """A key-value cache of bytes with a time to live per entry.

    Implementations raise :class:`~formline.errors.CacheError` when their backend fails, never a
    driver's own exception.
    """

    #: ``"memory"`` or ``"redis"``.
    backend: str

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None if absent or expired."""

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (a ``ttl`` of 0 stores nothing)."""

    async def exists(self, key: str) -> bool:
        """Whether ``key`` holds a live value."""

    async def ping(self) -> None:
        """Check the backend answers; raise CacheError if not."""

    async def close(self) -> None:
        """Release connections."""


def cache_key(
    kind: str, snapshot_id: int | None, params: Mapping[str, object] | None = None
) -> str:
    """The key of one response: its kind, the current snapshot id and its normalised parameters.

    Parameters that are None are left out and the rest sorted, so ``?a=1&b=2`` and ``?b=2&a=1``
    share a key. Because the snapshot id is part of every key, publishing a new snapshot makes
    every older entry unreachable at once; they expire by their TTL.

    Parameters
    ----------
    kind
        The kind of response (``"predictions"``, ``"prediction"``, ``"matches"`` ...).
    snapshot_id
        The published snapshot the response was computed under (None before any publish).
    params
        The request's parameters.

    Returns
    -------
    str
        For example ``v1:predictions:42:competition=E0&date=2025-11-08``.
    """
    pairs = sorted((k, _text(v)) for k, v in (params or {}).items() if v is not None)
    return f"{KEY_SCHEMA}:{kind}:{snapshot_id or 0}:{urlencode(pairs)}"


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_text(v) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
