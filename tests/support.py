"""Test support shared across the suite: data locations and service requirements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
FOOTBALL_ODDS = SHARED_DATA / "football_odds"
POSTGRES_URL = os.environ.get(
    "FORMLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_available() -> str | None:
    """None if the test server answers, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(
            POSTGRES_URL.replace("postgresql://", "postgres://"), connect_timeout=3
        ):
            return None
    except Exception as exc:  # any connection failure means: no server here
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(exc).__name__})"


_PG_PROBLEM = _postgres_available()


def require_postgres() -> None:
    """Skip (locally) or fail (under CI=true) when the PostgreSQL test server is missing."""
    if _PG_PROBLEM is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {_PG_PROBLEM}")
    pytest.skip(_PG_PROBLEM)


def require_football_odds() -> Path:
    """The shared football-data folder, or skip."""
    if not (FOOTBALL_ODDS / "seasons").is_dir():
        pytest.skip(f"shared data not found at {FOOTBALL_ODDS}")
    return FOOTBALL_ODDS


REDIS_URL = os.environ.get("FORMLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_available() -> str | None:
    """None if the test Redis answers, else why not."""
    try:
        import redis
    except ImportError:
        return "redis-py is not installed"
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
        return None
    except Exception as exc:  # any failure means: no server here
        return f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__})"


_REDIS_PROBLEM = _redis_available()


def require_redis() -> str:
    """The test Redis URL; skip (locally) or fail (under CI=true) when it is missing."""
    if _REDIS_PROBLEM is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {_REDIS_PROBLEM}")
        pytest.skip(_REDIS_PROBLEM)
    return REDIS_URL
