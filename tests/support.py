"""Test support shared across the suite: data locations and service requirements."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


def stored_rows(store: Any) -> dict[str, list[tuple[object, ...]]]:
    """Every row a football load writes (competitions, teams, aliases, matches with results,
    odds, rejects), by natural key, ids and timestamps left out, sorted: what two loads or two
    backends must agree on."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from formline.matches.tables import competitions, matches, odds, team_aliases, teams
    from formline.store.tables import ingest_rejects

    home, away = aliased(teams), aliased(teams)
    key = (competitions.c.code, matches.c.season, home.c.name, away.c.name)
    joined = (
        matches.join(competitions, competitions.c.id == matches.c.competition_id)
        .join(home, home.c.id == matches.c.home_team_id)
        .join(away, away.c.id == matches.c.away_team_id)
    )
    stamps = {"id", "created_at", "updated_at"}
    ids = {"competition_id", "home_team_id", "away_team_id"}
    match_columns = [c for c in matches.c if c.name not in stamps | ids]
    odds_columns = [c for c in odds.c if c.name not in {*stamps, "match_id"}]
    reject_columns = [c for c in ingest_rejects.c if c.name not in {"id", "created_at"}]
    with store.connect() as conn:
        rows = {
            "competitions": conn.execute(
                select(competitions.c.sport, competitions.c.code, competitions.c.name)
            ).all(),
            "teams": conn.execute(select(teams.c.sport, teams.c.name)).all(),
            "aliases": conn.execute(
                select(team_aliases.c.alias, teams.c.name, team_aliases.c.source).join(
                    teams, teams.c.id == team_aliases.c.team_id
                )
            ).all(),
            "matches": conn.execute(select(*key, *match_columns).select_from(joined)).all(),
            "odds": conn.execute(
                select(*key, *odds_columns).select_from(
                    joined.join(odds, odds.c.match_id == matches.c.id)
                )
            ).all(),
            "rejects": conn.execute(select(*reject_columns)).all(),
        }
    return {name: sorted((tuple(r) for r in found), key=repr) for name, found in rows.items()}


def unimplemented_methods(cls: type) -> type:
    """Give a test's toy domain every method of the Domain contract it does not define, each
    raising NotImplementedError, so the toy declares only the attributes and methods its test
    exercises and still passes the registry's ``isinstance(domain, Domain)`` check.

    Attributes (names, markets, capabilities) are not filled in: a toy must declare them.
    """
    from formline.domain import Domain

    parts = [base for base in Domain.__mro__ if base.__module__ == Domain.__module__]
    for name, member in [pair for part in parts for pair in vars(part).items()]:
        if name.startswith("_") or not callable(member) or hasattr(cls, name):
            continue

        def unimplemented(self: Any, *args: Any, _name: str = name, **kwargs: Any) -> Any:
            raise NotImplementedError(f"{type(self).__name__}.{_name} is not part of this test")

        unimplemented.__name__ = name
        setattr(cls, name, unimplemented)
    return cls


RABBITMQ_URL = os.environ.get("FORMLINE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _rabbitmq_available() -> str | None:
    """None if the test RabbitMQ answers (and lets guest in), else why not."""
    try:
        from kombu import Connection
    except ImportError:
        return "kombu (the celery extra) is not installed"
    try:
        with Connection(RABBITMQ_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return None
    except Exception as exc:  # any failure means: no server here
        return f"RabbitMQ at {RABBITMQ_URL} is not reachable ({type(exc).__name__})"


def require_rabbitmq() -> str:
    """The test RabbitMQ URL; skip (locally) or fail (under CI=true) when it is missing."""
    problem = _rabbitmq_available()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    return RABBITMQ_URL
