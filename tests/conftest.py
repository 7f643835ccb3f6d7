"""Shared fixtures: temporary stores on SQLite and on the real PostgreSQL, data locations."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


class _MigratedStores:
    """Migrated, empty stores made once per test worker and handed out clean to each test.

    Migrating costs about a second per test (Alembic's imports, a few dozen DDL statements and
    their fsyncs) and 150 tests take the ``store`` fixture. SQLite: one migrated file, copied
    for each test. PostgreSQL: migrated schemas, emptied (``TRUNCATE ... RESTART IDENTITY``)
    after each test and reused only if their schema is still the migrated one (a test that
    downgrades, or leaves an extra table behind, gets its schema dropped instead).
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite: Path | None = None
        self._free: list[str] = []
        self._all: list[str] = []
        self._fingerprint: object = None

    def sqlite_copy(self, target: Path) -> None:
        """Put a freshly migrated SQLite store at ``target``."""
        import shutil

        from formline.store.db import open_store

        if self._sqlite is None:
            template = self._folder / "migrated.db"
            made = open_store(f"sqlite:///{template.as_posix()}", migrate=False)
            made.migrate()
            made.dispose()  # the last connection checkpoints the WAL into the file
            assert not template.with_name("migrated.db-wal").exists()
            self._sqlite = template
        shutil.copyfile(self._sqlite, target)

    def take_schema(self) -> str:
        """A migrated, empty PostgreSQL schema (made if none is free)."""
        if self._free:
            return self._free.pop()
        import psycopg

        from formline.store.db import open_store

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        self._all.append(schema)
        made = open_store(_schema_url(schema), migrate=False)
        try:
            made.migrate()
        finally:
            made.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            found = _fingerprint(conn, schema)
            assert not found[4], f"a fresh migration left rows in {found[4]}"
        if self._fingerprint is None:
            self._fingerprint = found
        assert found == self._fingerprint
        return schema

    def give_back(self, schema: str) -> None:
        """Empty ``schema`` and keep it if it is still the migrated schema, else drop it."""
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            try:
                from formline.store.db import VERSION_TABLE

                emptied = [t for t in _tables(conn, schema) if t != VERSION_TABLE]
                if emptied:
                    names = ", ".join(f'{schema}."{t}"' for t in emptied)
                    # The promotion ledger's append-only trigger refuses TRUNCATE (as it
                    # should, for the application); the replica role skips user triggers.
                    conn.execute("SET session_replication_role = replica")
                    try:
                        conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                    finally:
                        conn.execute("SET session_replication_role = DEFAULT")
                if _fingerprint(conn, schema) == self._fingerprint:
                    self._free.append(schema)
                    return
            except psycopg.Error:
                pass  # a lock a test left behind: drop the schema instead
            conn.execute("SET lock_timeout = 0")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            self._all.remove(schema)

    def close(self) -> None:
        """Drop every schema made."""
        if not self._all:
            return
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for schema in self._all:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _tables(conn: Any, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,)
    ).fetchall()
    return [r[0] for r in rows]


def _fingerprint(conn: Any, schema: str) -> tuple[object, ...]:
    """What makes a schema the migrated one: its columns, indexes, triggers and constraints (the
    schema's own name left out), the tables that hold rows (none, in a fresh one) and its
    schema version."""
    from formline.store.db import VERSION_TABLE

    columns = conn.execute(
        "SELECT table_name, column_name, data_type, column_default, is_nullable "
        "FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
        (schema,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1, 2",
        (schema,),
    ).fetchall()
    triggers = conn.execute(
        "SELECT event_object_table, trigger_name, event_manipulation, action_statement "
        "FROM information_schema.triggers WHERE trigger_schema = %s ORDER BY 1, 2, 3",
        (schema,),
    ).fetchall()
    constraints = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = %s ORDER BY 1, 2",
        (schema,),
    ).fetchall()
    tables = _tables(conn, schema)
    version = ()
    if VERSION_TABLE in tables:
        version = tuple(
            conn.execute(f'SELECT * FROM {schema}."{VERSION_TABLE}" ORDER BY 1').fetchall()
        )
    holding = [
        t
        for t in tables
        if t != VERSION_TABLE
        and conn.execute(f'SELECT EXISTS (SELECT 1 FROM {schema}."{t}")').fetchone()[0]
    ]
    described = [
        [tuple(str(v).replace(f"{schema}.", "") for v in row) for row in rows]
        for rows in (columns, indexes, triggers, constraints)
    ]
    return (*described, holding, version)


@pytest.fixture(scope="session")
def _migrated_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_MigratedStores]:
    stores = _MigratedStores(tmp_path_factory.mktemp("migrated"))
    try:
        yield stores
    finally:
        stores.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and on PostgreSQL.

    An empty database, unless the test also takes ``store``: then the migrated one it opens.
    """
    migrated = "store" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "formline.db"
        if migrated:
            request.getfixturevalue("_migrated_stores").sqlite_copy(path)
        yield f"sqlite:///{path.as_posix()}"
    elif migrated:
        require_postgres()
        stores: _MigratedStores = request.getfixturevalue("_migrated_stores")
        schema = stores.take_schema()
        try:
            yield _schema_url(schema)
        finally:
            stores.give_back(schema)
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[object]:
    """A migrated, empty store on each backend."""
    from formline.store.db import open_store

    opened = open_store(database_url, migrate=False)
    assert opened.current_revision() == opened.head_revision()
    try:
        yield opened
    finally:
        opened.dispose()


#: The files whose tests take longest, heaviest first (CI, two workers): they start first, so
#: that the two workers end together instead of one running a long test alone at the end.
#: ``--maxschedchunk`` (pyproject) hands tests out two at a time, so they spread over both.
#: Ordered by the CPU seconds of their longest test (and then of the file), measured with
#: ``-n 2`` and the real data absent; files of PostgreSQL-heavy tests (whose server time is not
#: the worker's) come a little earlier than their own CPU says.
HEAVY_FIRST = (
    "tests/pipeline/test_published_by_lead.py",
    "tests/test_readme.py",
    "tests/cli/test_serve_command.py",
    "tests/matches/features/test_leakage.py",
    "tests/races/features/test_race_feature_leakage.py",
    "tests/pipeline/test_backtest_plan.py",
    "tests/matches/test_staged_load.py",
    "tests/races/test_rebuild.py",
    "tests/cli/test_model_commands.py",
    "tests/pipeline/test_models_pipeline.py",
    "tests/matches/features/test_query_cutoffs.py",
    "tests/api/test_schemathesis.py",
    "tests/races/test_race_window_fits.py",
    "tests/pipeline/test_information_states.py",
    "tests/races/test_race_dataset.py",
    "tests/pipeline/test_backtest_leads.py",
    "tests/matches/test_us_beside_football.py",
    "tests/cli/test_runs.py",
    "tests/pipeline/test_ingest_streaming.py",
    "tests/test_library.py",
    "tests/cli/test_commands.py",
    "tests/test_errors.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the heaviest files first, each file's tests together and in their own order."""
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    root = config.rootpath

    def key(pair: tuple[int, pytest.Item]) -> tuple[int, int]:
        index, item = pair
        relative = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        return rank.get(relative, len(rank)), index

    items[:] = [item for _, item in sorted(enumerate(items), key=key)]
