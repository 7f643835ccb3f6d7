"""The cache's own Redis client: URLs read as redis-py reads them, RESP written and read, and
against real Redis servers: logging in, choosing the database, a Unix socket, reusing
connections, concurrent commands, a restart, and a late reply that is never taken for the next
command's."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from redis.connection import parse_url
from redis_server import RedisServer

from formline.cache.redis_client import (
    RedisClient,
    RedisProtocolError,
    RedisReplyError,
    Reply,
    encode_command,
    parse_redis_url,
    read_reply,
)
from formline.errors import ConfigError

StartRedis = Callable[..., RedisServer]


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost",
        "redis://:p%40ss@cache.internal:6380/2",
        "redis://user:pw@h/3?db=4",
        "rediss://h:7000/1?ssl_cert_reqs=none",
        "unix:///tmp/r.sock?db=5",
        "unix://u:p@/tmp/r.sock",
        "redis://[::1]:6379/0",
    ],
)
def test_a_url_means_what_it_means_to_redis_py(url: str) -> None:
    ours, theirs = parse_redis_url(url), parse_url(url)
    assert ours.db == theirs.get("db", 0)
    assert (ours.username, ours.password) == (theirs.get("username"), theirs.get("password"))
    if "path" in theirs:
        assert ours.path == theirs["path"]
    else:
        assert ours.path is None
        assert (ours.host, ours.port) == (theirs["host"], theirs.get("port", 6379))
    assert ours.tls == url.startswith("rediss://")
    assert ours.ssl_cert_reqs == theirs.get("ssl_cert_reqs", "required")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://:secret@h/0", "must start with redis://"),
        ("redis://:secret@h/0?socket_timeout=1", "unsupported parameter socket_timeout"),
        ("redis://:secret@h:port/0", "must be numbers"),
        ("redis://:secret@h/zero", "must be numbers"),
        ("rediss://:secret@h/0?ssl_cert_reqs=maybe", "ssl_cert_reqs must be one of"),
        ("unix://:secret@", "needs the socket's path"),
    ],
)
def test_a_url_it_cannot_use_is_a_config_error_that_hides_the_password(
    url: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)) as raised:
        parse_redis_url(url)
    assert "secret" not in str(raised.value)


def test_tls_verification_follows_ssl_cert_reqs() -> None:
    required = RedisClient("rediss://h/0", timeout=1)._tls_context()
    assert required is not None
    assert required.verify_mode == ssl.CERT_REQUIRED and required.check_hostname
    unverified = RedisClient("rediss://h/0?ssl_cert_reqs=none", timeout=1)._tls_context()
    assert unverified is not None
    assert unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname
    assert RedisClient("redis://h/0", timeout=1)._tls_context() is None


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert encode_command([b"SET", b"k", b"a\r\nb", b"PX", b"10"]) == (
        b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n$2\r\nPX\r\n$2\r\n10\r\n"
    )


def _read(raw: bytes) -> Reply:
    async def run() -> Reply:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_reply(reader)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("raw", "reply"),
    [
        (b"+OK\r\n", b"OK"),
        (b":42\r\n", 42),
        (b"$-1\r\n", None),
        (b"$0\r\n\r\n", b""),
        (b"$6\r\na\r\nbc\n\r\n", b"a\r\nbc\n"),
        (b"*2\r\n$1\r\na\r\n*1\r\n:-1\r\n", [b"a", [-1]]),
        (b"*-1\r\n", None),
    ],
)
def test_replies_are_read(raw: bytes, reply: Reply) -> None:
    assert _read(raw) == reply


def test_an_error_reply_is_a_reply_error() -> None:
    with pytest.raises(RedisReplyError, match=r"^WRONGTYPE Operation"):
        _read(b"-WRONGTYPE Operation against a key\r\n")


@pytest.mark.parametrize("raw", [b"?x\r\n", b"$abc\r\n", b"%2\r\n", b"*1\r\n!3\r\n"])
def test_anything_else_is_a_protocol_error(raw: bytes) -> None:
    with pytest.raises(RedisProtocolError):
        _read(raw)


def test_a_reply_cut_short_is_an_incomplete_read() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        _read(b"$10\r\nabc")


@pytest.mark.parametrize("user", ["", "default"])
def test_it_logs_in_and_uses_the_database_the_url_names(start_redis: StartRedis, user: str) -> None:
    password = "s3cret:/@ %"  # every character that needs quoting in a URL
    server = start_redis(password=password)
    client = RedisClient(
        f"redis://{user}:{quote(password, safe='')}@127.0.0.1:{server.port}/3", timeout=1.0
    )

    async def scenario() -> tuple[Reply, Reply]:
        try:
            return await client.execute(b"SET", b"k", b"v"), await client.execute(b"GET", b"k")
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == (b"OK", b"v")
    assert server.client(db=3).get("k") == b"v"
    assert server.client(db=0).get("k") is None


def test_a_wrong_password_is_a_reply_error_that_does_not_repeat_it(
    start_redis: StartRedis,
) -> None:
    server = start_redis(password="right")
    client = RedisClient(f"redis://:wrong-one@127.0.0.1:{server.port}/0", timeout=1.0)
    with pytest.raises(RedisReplyError) as raised:
        asyncio.run(client.execute(b"PING"))
    assert "wrong-one" not in str(raised.value)


def test_a_unix_socket(start_redis: StartRedis, tmp_path: Path) -> None:
    socket_path = tmp_path / "redis.sock"
    server = start_redis("--unixsocket", str(socket_path), "--unixsocketperm", "700")
    client = RedisClient(f"unix://{socket_path}?db=2", timeout=1.0)
    assert asyncio.run(client.execute(b"SET", b"k", b"over the socket")) == b"OK"
    assert server.client(db=2).get("k") == b"over the socket"


def _connections_whose_last_command_was(server: RedisServer, command: str) -> int:
    return sum(client["cmd"] == command for client in server.client().client_list())


def test_commands_one_after_another_share_one_connection(start_redis: StartRedis) -> None:
    server = start_redis()
    client = RedisClient(server.url, timeout=1.0)

    async def scenario() -> None:
        for i in range(20):
            assert await client.execute(b"SET", b"k%d" % i, b"v") == b"OK"

    asyncio.run(scenario())
    assert _connections_whose_last_command_was(server, "set") == 1


def test_concurrent_commands_each_get_their_own_reply(start_redis: StartRedis) -> None:
    server = start_redis()
    probe = server.client()
    values = [(f"value {i};" * (i * 40)).encode() for i in range(100)]  # up to 40 KB
    for i, value in enumerate(values):
        probe.set(f"k{i}", value)
    client = RedisClient(server.url, timeout=5.0, max_idle=4)

    async def scenario() -> list[Reply]:
        replies = await asyncio.gather(*(client.execute(b"GET", b"k%d" % i) for i in range(100)))
        await asyncio.sleep(0.2)  # let Redis see the connections beyond max_idle close
        return list(replies)

    assert asyncio.run(scenario()) == values
    assert 1 <= _connections_whose_last_command_was(server, "get") <= 4


def test_a_restart_of_redis_costs_no_error(start_redis: StartRedis) -> None:
    server = start_redis()
    client = RedisClient(server.url, timeout=1.0)

    async def scenario() -> Reply:
        assert await client.execute(b"SET", b"k", b"before") == b"OK"
        server.stop()  # the pooled connection dies with it
        server.start()
        return await client.execute(b"GET", b"k")

    assert asyncio.run(scenario()) is None  # an answer from the new (empty) server


def test_a_reply_that_comes_too_late_is_never_taken_for_the_next_one(
    start_redis: StartRedis,
) -> None:
    server = start_redis("--enable-debug-command", "yes")
    server.client().set("k", "v")
    client = RedisClient(server.url, timeout=0.3)

    async def scenario() -> Reply:
        assert await client.execute(b"PING") == b"PONG"  # a pooled connection
        sleeper = server.client()
        blocked = asyncio.create_task(
            asyncio.to_thread(sleeper.execute_command, "DEBUG", "SLEEP", "0.8")
        )
        await asyncio.sleep(0.2)  # Redis is asleep now
        with pytest.raises(TimeoutError):
            await client.execute(b"GET", b"k")  # "v" arrives after the timeout
        await blocked
        return await client.execute(b"EXISTS", b"k")

    assert asyncio.run(scenario()) == 1
