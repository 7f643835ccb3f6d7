"""Races API fixtures: one racing world per backend and test worker, and clients of the real
app with the races routes mounted."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from race_api_world import RaceWorld, build_race_world, settings_for
from races_api_domain import races_api_mounted

import world_stores
from formline.api import create_app
from formline.store.db import Store, open_store


@pytest.fixture(scope="session")
def sqlite_race_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, RaceWorld]:
    """A SQLite store file holding the racing API world (built once per test worker)."""
    return world_stores.sqlite_world(tmp_path_factory.mktemp("race-api-world"), build_race_world)


@pytest.fixture(scope="session")
def postgres_race_world() -> Iterator[tuple[str, RaceWorld]]:
    """A PostgreSQL schema holding the racing API world (built once per test worker)."""
    with world_stores.postgres_world("raceapi", build_race_world) as found:
        yield found


@pytest.fixture(params=["sqlite", "postgresql"])
def race_world(request: pytest.FixtureRequest) -> tuple[str, RaceWorld]:
    """The racing world's URL and ids, on each backend (read-only: tests must not write)."""
    fixture = "sqlite_race_world" if request.param == "sqlite" else "postgres_race_world"
    found: tuple[str, RaceWorld] = request.getfixturevalue(fixture)
    return found


@pytest.fixture
def mounted() -> Iterator[None]:
    """The races routes mounted by the apps the test builds."""
    with races_api_mounted():
        yield


@pytest.fixture
def race_api(race_world: tuple[str, RaceWorld], mounted: None) -> Iterator[TestClient]:
    """A client of the real app on the racing world."""
    with TestClient(create_app(settings_for(race_world[0]))) as client:
        yield client


@pytest.fixture
def writable_race_world(
    tmp_path: Path, sqlite_race_world: tuple[str, RaceWorld]
) -> Iterator[Callable[[], Store]]:
    """A private copy of the SQLite racing world that a test may change: returns a store."""
    source = Path(sqlite_race_world[0].removeprefix("sqlite:///"))
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
