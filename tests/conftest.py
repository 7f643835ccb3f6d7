"""Shared fixtures: temporary stores on SQLite and on the real PostgreSQL, data locations."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from support import POSTGRES_URL, require_postgres

# Set before any test imports numpy: one BLAS/OpenMP thread per test worker (the suite runs
# two workers on two cores).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# Hypothesis: a fast, reproducible profile on CI (the same examples every run), a fast random
# one locally, and HYPOTHESIS_PROFILE=thorough for a long search. A test's own @settings wins.
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped afterwards."""
    require_postgres()
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a fresh SQLite file."""
    return f"sqlite:///{(tmp_path / 'formline.db').as_posix()}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'formline.db').as_posix()}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[object]:
    """A migrated, empty store on each backend."""
    from formline.store.db import open_store

    opened = open_store(database_url, migrate=False)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.dispose()
