"""The on-disk response cache: each URL's last good body and its validators.

An entry is two files under the cache folder, named by the SHA-256 of the (redacted) URL: the
body, and a JSON record of the URL, ``ETag``, ``Last-Modified``, the body's SHA-256 and when it
was last fetched or revalidated. Both are written under a temporary name and renamed into
place, the body first, so a crash never leaves a record pointing at a half-written body.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from formline.errors import CacheError, map_errors

__all__ = ["CachedResponse", "ResponseCache"]


@dataclass(frozen=True)
class CachedResponse:
    """A cache entry's record (its body is at :attr:`body_path`)."""

    url: str
    sha256: str
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    body_path: Path = Path()

    def age_seconds(self, now: datetime) -> float:
        """Seconds since the entry was fetched or last revalidated."""
        return (now - self.fetched_at).total_seconds()


class ResponseCache:
    """Responses kept in ``folder`` (made when first written)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.folder / f"{key}.body", self.folder / f"{key}.json"

    def get(self, url: str) -> CachedResponse | None:
        """The entry of ``url``, or None (none, or one whose body is gone or altered)."""
        body, record = self._paths(url)
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            entry = CachedResponse(
                url=data["url"],
                sha256=data["sha256"],
                fetched_at=datetime.fromisoformat(data["fetched_at"]),
                etag=data.get("etag"),
                last_modified=data.get("last_modified"),
                body_path=body,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.url != url or not body.is_file():
            return None
        return entry

    def read(self, entry: CachedResponse) -> bytes | None:
        """The entry's body, or None if it no longer matches its checksum."""
        try:
            data = entry.body_path.read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == entry.sha256 else None

    def put(
        self,
        url: str,
        body: bytes,
        *,
        etag: str | None,
        last_modified: str | None,
        fetched_at: datetime | None = None,
    ) -> CachedResponse:
        """Store ``body`` as ``url``'s entry (replacing any) and return the entry."""
        body_path = self._paths(url)[0]
        entry = CachedResponse(
            url=url,
            sha256=hashlib.sha256(body).hexdigest(),
            fetched_at=fetched_at or datetime.now(UTC),
            etag=etag,
            last_modified=last_modified,
            body_path=body_path,
        )
        with map_errors(f"writing the response cache {self.folder}", {OSError: CacheError}):
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(body_path, body)
            self._write_record(entry)
        return entry

    def touch(self, entry: CachedResponse, fetched_at: datetime | None = None) -> CachedResponse:
        """The entry revalidated (a 304): the same body, a new ``fetched_at``."""
        fresh = CachedResponse(
            entry.url,
            entry.sha256,
            fetched_at or datetime.now(UTC),
            entry.etag,
            entry.last_modified,
            entry.body_path,
        )
        with map_errors(f"writing the response cache {self.folder}", {OSError: CacheError}):
            self._write_record(fresh)
        return fresh

    def _write_record(self, entry: CachedResponse) -> None:
        data = asdict(entry)
        data.pop("body_path")
        data["fetched_at"] = entry.fetched_at.isoformat()
        _write_atomically(self._paths(entry.url)[1], json.dumps(data).encode("utf-8"))


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
