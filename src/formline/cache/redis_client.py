"""A small asyncio Redis client: the commands the cache sends (GET, SET with PX, EXISTS, PING,
and AUTH and SELECT to open a connection), in RESP2 over pooled connections.

Why not redis-py: loading its asyncio client loads the whole package, cluster and sentinel
clients, OpenTelemetry instrumentation and a method per Redis command included, about 6 MB of
every API worker's memory (docs/benchmarks.md, "Read API") for four commands. The protocol for
those is a request of bulk strings and one reply, which this module speaks.

URLs are redis-py's: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` for TLS,
``unix://[[user]:password@]/path/to/socket[?db=N]``; the query may carry ``db``, and for TLS
``ssl_cert_reqs`` (``required``, the default; ``optional``; ``none``) and ``ssl_ca_certs``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import parse_qs, unquote, urlsplit

from formline.errors import ConfigError

if TYPE_CHECKING:
    import ssl

#: A RESP2 reply: simple and bulk strings are bytes, integers int, nil None, arrays lists.
Reply: TypeAlias = bytes | int | list["Reply"] | None

DEFAULT_PORT = 6379
_QUERY_PARAMETERS = ("db", "ssl_cert_reqs", "ssl_ca_certs")
_CERT_REQS = ("required", "optional", "none")


class RedisReplyError(Exception):
    """Redis answered a command with an error reply (``-ERR ...``); the connection is fine."""


class RedisProtocolError(Exception):
    """Redis sent something that is not a RESP2 reply; the connection is dropped."""


@dataclass(frozen=True)
class RedisAddress:
    """Where a Redis is and how to log in, parsed from its URL."""

    host: str = "localhost"
    port: int = DEFAULT_PORT
    path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ssl_cert_reqs: str = "required"
    ssl_ca_certs: str | None = None


def parse_redis_url(url: str) -> RedisAddress:
    """The address a ``redis://``, ``rediss://`` or ``unix://`` URL names.

    Raises
    ------
    ConfigError
        If the URL has another scheme, a bad port or db, or a query parameter this client does
        not support. The message never repeats the URL (it may hold a password).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - set(_QUERY_PARAMETERS))
    if unknown:
        raise ConfigError(
            f"REDIS_URL: unsupported parameter {', '.join(unknown)} "
            f"(supported: {', '.join(_QUERY_PARAMETERS)})"
        )
    db_text = query.get("db")
    if db_text is None and parts.scheme != "unix":
        db_text = parts.path.lstrip("/") or None
    try:
        db = int(db_text) if db_text is not None else 0
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ConfigError("REDIS_URL: the port and the database must be numbers") from None
    cert_reqs = query.get("ssl_cert_reqs", "required").lower()
    if cert_reqs not in _CERT_REQS:
        raise ConfigError(f"REDIS_URL: ssl_cert_reqs must be one of {', '.join(_CERT_REQS)}")
    if parts.scheme == "unix" and not parts.path:
        raise ConfigError("REDIS_URL: a unix:// URL needs the socket's path")
    return RedisAddress(
        host=unquote(parts.hostname) if parts.hostname else "localhost",
        port=port,
        path=unquote(parts.path) if parts.scheme == "unix" else None,
        db=db,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        tls=parts.scheme == "rediss",
        ssl_cert_reqs=cert_reqs,
        ssl_ca_certs=query.get("ssl_ca_certs"),
    )


def encode_command(args: Sequence[bytes]) -> bytes:
    """A command as RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out += (b"$%d\r\n" % len(arg), arg, b"\r\n")
    return b"".join(out)


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    """One RESP2 reply from ``reader``.

    Raises
    ------
    RedisReplyError
        For an error reply.
    RedisProtocolError
        For anything that is not RESP2.
    asyncio.IncompleteReadError
        If the connection ends first.
    """
    try:
        line = await reader.readuntil(b"\r\n")
    except asyncio.LimitOverrunError as exc:
        raise RedisProtocolError("reply line too long") from exc
    kind, value = line[:1], line[1:-2]
    if kind == b"+":
        return value
    if kind == b"-":
        raise RedisReplyError(value.decode("utf-8", "replace"))
    try:
        number = int(value)
    except ValueError:
        raise RedisProtocolError(f"unexpected reply {line[:32]!r}") from None
    if kind == b":":
        return number
    if kind == b"$":
        if number < 0:
            return None
        data = await reader.readexactly(number + 2)
        return data[:-2]
    if kind == b"*":
        if number < 0:
            return None
        return [await read_reply(reader) for _ in range(number)]
    raise RedisProtocolError(f"unexpected reply {line[:32]!r}")


class _Connection:
    """One connection: a command is written, then its reply read, never two at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def usable(self) -> bool:
        """False once either side closed it."""
        return not (self.writer.is_closing() or self.reader.at_eof())

    async def call(self, args: Sequence[bytes]) -> Reply:
        self.writer.write(encode_command(args))
        await self.writer.drain()
        return await read_reply(self.reader)

    def close(self) -> None:
        self.writer.close()


class RedisClient:
    """Commands to one Redis, on connections opened when needed and kept for the next command.

    Belongs to the event loop it is first used on (its connections do). A command on a
    connection that waited in the pool and turns out closed (Redis restarted, or dropped an idle
    client) is sent once more on a new connection; every command this client sends is
    idempotent.

    Parameters
    ----------
    url
        The Redis URL (see the module docstring).
    timeout
        Seconds to connect (and log in), and seconds for each command's reply.
    max_idle
        Connections kept open between commands at most.

    Raises
    ------
    ConfigError
        If the URL is not one this client supports.
    """

    def __init__(self, url: str, *, timeout: float, max_idle: int = 16) -> None:
        self.address = parse_redis_url(url)
        self.timeout = timeout
        self.max_idle = max_idle
        self._idle: list[_Connection] = []
        self._tls: ssl.SSLContext | None = None

    async def execute(self, *args: bytes) -> Reply:
        """Send one command and return its reply.

        Raises
        ------
        RedisReplyError
            If Redis answers with an error.
        TimeoutError, OSError, EOFError, RedisProtocolError
            If Redis cannot be reached, is too slow, or the connection breaks.
        """
        pooled = self._pooled()
        if pooled is not None:
            try:
                return await self._call(pooled, args)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # closed while it waited in the pool: once more, on a new connection
        return await self._call(await self._connect(), args)

    def _pooled(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if conn.usable:
                return conn
            conn.close()
        return None

    async def _call(self, conn: _Connection, args: Sequence[bytes]) -> Reply:
        try:
            async with asyncio.timeout(self.timeout):
                reply = await conn.call(args)
        except RedisReplyError:
            self._release(conn)
            raise
        except BaseException:
            # Timed out, cancelled or broken: a reply may still be on its way, so the
            # connection cannot carry another command.
            conn.close()
            raise
        self._release(conn)
        return reply

    def _release(self, conn: _Connection) -> None:
        if len(self._idle) < self.max_idle and conn.usable:
            self._idle.append(conn)
        else:
            conn.close()

    async def _connect(self) -> _Connection:
        address = self.address
        async with asyncio.timeout(self.timeout):
            if address.path is not None:
                reader, writer = await asyncio.open_unix_connection(address.path)
            else:
                reader, writer = await asyncio.open_connection(
                    address.host, address.port, ssl=self._tls_context()
                )
            conn = _Connection(reader, writer)
            try:
                if address.password is not None:
                    user = [address.username.encode()] if address.username else []
                    await conn.call([b"AUTH", *user, address.password.encode()])
                if address.db:
                    await conn.call([b"SELECT", b"%d" % address.db])
            except BaseException:
                conn.close()
                raise
        return conn

    def _tls_context(self) -> ssl.SSLContext | None:
        if not self.address.tls:
            return None
        if self._tls is None:
            import ssl  # only rediss:// needs it

            context = ssl.create_default_context(cafile=self.address.ssl_ca_certs)
            if self.address.ssl_cert_reqs != "required":
                context.check_hostname = False
                context.verify_mode = (
                    ssl.CERT_NONE if self.address.ssl_cert_reqs == "none" else ssl.CERT_OPTIONAL
                )
            self._tls = context
        return self._tls

    async def aclose(self) -> None:
        """Close the pooled connections."""
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        for conn in idle:
            with contextlib.suppress(OSError):  # already broken: closed is all we wanted
                await conn.writer.wait_closed()
