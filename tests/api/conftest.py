"""API fixtures: one seeded world per backend and test worker, and clients of the real app."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_world import World, build_world, settings_for
from fastapi.testclient import TestClient

import world_stores
from formline.api import create_app
from formline.store.db import Store, open_store


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, World]:
    """A SQLite store file holding the API test world (built once per test worker)."""
    return world_stores.sqlite_world(tmp_path_factory.mktemp("api-world"), build_world)


@pytest.fixture(scope="session")
def postgres_world() -> Iterator[tuple[str, World]]:
    """A PostgreSQL schema holding the API test world (built once per test worker)."""
    with world_stores.postgres_world("api", build_world) as found:
        yield found


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest) -> tuple[str, World]:
    """The seeded world's URL and ids, on each backend (read-only: tests must not write)."""
    fixture = "sqlite_world" if request.param == "sqlite" else "postgres_world"
    found: tuple[str, World] = request.getfixturevalue(fixture)
    return found


@pytest.fixture
def api(world: tuple[str, World]) -> Iterator[TestClient]:
    """A client of the real app on the seeded world."""
    with TestClient(create_app(settings_for(world[0]))) as client:
        yield client


@pytest.fixture
def writable_world(
    tmp_path: Path, sqlite_world: tuple[str, World]
) -> Iterator[Callable[[], Store]]:
    """A private copy of the SQLite world that a test may change: returns a store on it."""
    source = Path(sqlite_world[0].removeprefix("sqlite:///"))
    target = tmp_path / "formline.db"
    shutil.copy(source, target)
    stores: list[Store] = []

    def opened() -> Store:
        store = open_store(f"sqlite:///{target.as_posix()}")
        stores.append(store)
        return store

    yield opened
    for store in stores:
        store.dispose()
