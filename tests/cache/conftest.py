"""Cache fixtures: the test Redis with a key prefix of its own per test, and a private Redis
server that a test may stop and start."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_server import RedisServer

from support import IN_CI, require_redis


@pytest.fixture
def redis_url() -> str:
    """The test Redis (skips locally without one, fails under CI=true)."""
    return require_redis()


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    """A prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"formline-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server this test owns (it may stop it to simulate an outage)."""
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("CI=true but redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
