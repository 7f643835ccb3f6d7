"""The Redis cache, shared by every API worker and the pipeline: a small asyncio client.

The cache needs five commands (``GET``, ``SET ... PX``, ``EXISTS``, ``PING``, and ``AUTH`` /
``SELECT`` when a connection opens), which this module speaks itself in RESP over asyncio
streams. redis-py's client would cost every API worker process about 5.5 MB of memory for the
hundreds of commands, cluster and sentinel support it loads at import (docs/benchmarks.md).

URLs: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (the same over TLS, the
server's certificate verified; ``?ssl_cert_reqs=none`` turns verification off) and
``unix://[[user]:password@]/path/to/socket[?db=N]``; ``?db=N`` works on all three.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from formline.errors import CacheError

#: Seconds a pooled connection may sit unused before it is dropped rather than reused (a
#: connection idle that long may have been closed by the server or a proxy meanwhile).
IDLE_SECONDS = 30.0


class ResponseError(Exception):
    """An error reply from the server (``-ERR ...``)."""


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str | None
    tls: ssl.SSLContext | None
    username: str | None
    password: str | None
    db: int


def _parse_url(url: str) -> _Target:
    """Where and how to connect. The error never quotes the URL (it may hold a password)."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        db_text = query.get("db", [""])[0] or (
            parts.path.lstrip("/") if parts.scheme != "unix" else ""
        )
        db = int(db_text) if db_text else 0
        port = parts.port or 6379
    except ValueError:
        raise CacheError("redis URL: invalid port or database number") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise CacheError("redis URL: the scheme must be redis, rediss or unix")
    tls = None
    if parts.scheme == "rediss":
        tls = ssl.create_default_context()
        if query.get("ssl_cert_reqs", [""])[0].lower() == "none":
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE
    return _Target(
        host=parts.hostname or "127.0.0.1",
        port=port,
        path=parts.path if parts.scheme == "unix" else None,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        db=db,
    )


def _encode(args: tuple[bytes, ...]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n" % len(arg))
        out.append(arg)
        out.append(b"\r\n")
    return b"".join(out)


async def _reply(reader: asyncio.StreamReader) -> object:
    line = await reader.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("the server closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        raise ResponseError(rest.decode("utf-8", "replace"))
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else (await reader.readexactly(size + 2))[:-2]
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [await _reply(reader) for _ in range(size)]
    raise ConnectionError(f"unexpected reply from the server: {line[:16]!r}")


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used_at = time.monotonic()

    async def call(self, *args: bytes) -> object:
        self.writer.write(_encode(args))
        await self.writer.drain()
        reply = await _reply(self.reader)
        self.used_at = time.monotonic()
        return reply

    @property
    def usable(self) -> bool:
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and time.monotonic() - self.used_at < IDLE_SECONDS
        )

    def close(self) -> None:
        self.writer.close()


class _Pool:
    """Connections to one Redis for one event loop: one per request in flight, kept for reuse."""

    def __init__(self, target: _Target, timeout: float) -> None:
        self._target = target
        self._timeout = timeout
        self._idle: list[_Connection] = []

    async def _open(self) -> _Connection:
        target = self._target
        async with asyncio.timeout(self._timeout):
            if target.path is not None:
                reader, writer = await asyncio.open_unix_connection(target.path)
            else:
                reader, writer = await asyncio.open_connection(
                    target.host, target.port, ssl=target.tls
                )
            connection = _Connection(reader, writer)
            try:
                if target.password is not None:
                    user = () if target.username is None else (target.username.encode(),)
                    await connection.call(b"AUTH", *user, target.password.encode())
                if target.db:
                    await connection.call(b"SELECT", str(target.db).encode())
            except BaseException:
                connection.close()
                raise
        return connection

    def _take(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable:
                return connection
            connection.close()
        return None

    async def _on(self, connection: _Connection, args: tuple[bytes, ...]) -> object:
        try:
            async with asyncio.timeout(self._timeout):
                reply = await connection.call(*args)
        except ResponseError:
            self._idle.append(connection)  # the connection itself is fine
            raise
        except BaseException:
            connection.close()  # its state is unknown: never reused
            raise
        self._idle.append(connection)
        return reply

    async def call(self, *args: bytes) -> object:
        """Send one command and read its reply, on a pooled connection or a new one."""
        connection = self._take()
        if connection is not None:
            try:
                return await self._on(connection, args)
            except (ConnectionError, EOFError):
                pass  # the server closed it while it was idle (a restart): once more, anew
        return await self._on(await self._open(), args)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        for connection in idle:
            with contextlib.suppress(OSError):
                await connection.writer.wait_closed()


class RedisCache:
    """Values in Redis under ``prefix + key``, each with its TTL (``SET ... PX``).

    Failures (refused or timed-out connections, error replies, a bad URL) become
    :class:`~formline.errors.CacheError`, whose message names the operation and the error type,
    never the URL. Connections are opened lazily, pooled per event loop, so the same cache
    object works under a server's loop and under ``asyncio.run`` in the worker.

    Parameters
    ----------
    url
        ``redis://``, ``rediss://`` or ``unix://`` URL (see the module's documentation).
    prefix
        Prepended to every key (to share a Redis between deployments).
    timeout
        Seconds to wait for a connection, and for each answer: small, because a slow cache is
        worse than none.
    """

    backend = "redis"

    def __init__(self, url: str, *, prefix: str = "formline:", timeout: float = 0.25) -> None:
        self._url = url
        self._prefix = prefix
        self._timeout = timeout
        self._pools: dict[asyncio.AbstractEventLoop, _Pool] = {}

    def _pool(self) -> _Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for stale in [other for other in self._pools if other.is_closed()]:
                del self._pools[stale]
            pool = self._pools[loop] = _Pool(_parse_url(self._url), self._timeout)
        return pool

    async def _call(self, what: str, *args: bytes) -> object:
        try:
            return await self._pool().call(*args)
        except (TimeoutError, ResponseError, OSError, EOFError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise CacheError(f"redis {what}: {type(exc).__name__} {detail}".strip()) from exc

    async def get(self, key: str) -> bytes | None:
        value = await self._call("get", b"GET", (self._prefix + key).encode())
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0:
            return
        milliseconds = str(max(1, int(ttl * 1000))).encode()
        await self._call("set", b"SET", (self._prefix + key).encode(), value, b"PX", milliseconds)

    async def exists(self, key: str) -> bool:
        return bool(await self._call("exists", b"EXISTS", (self._prefix + key).encode()))

    async def ping(self) -> None:
        await self._call("ping", b"PING")

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        pool = self._pools.pop(loop, None)
        if pool is not None:
            await pool.close()
