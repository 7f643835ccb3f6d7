"""The current-form views hold what a straightforward pandas computation over the demo world
gives, as of the instant they were refreshed, on SQLite and PostgreSQL; a refresh swaps them
whole under concurrent readers (tables on SQLite, materialized views refreshed concurrently on
PostgreSQL, whose readers it never blocks)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select, text, update

from formline.errors import StoreError
from formline.races.demo import generate_race_world
from formline.races.store import staged_race_load
from formline.races.tables import races, runner_results, runners
from formline.races.views import (
    FORM_TABLES,
    FORM_VIEWS,
    POSITION_COLUMNS,
    FormView,
    drop_views,
    refresh_views,
    view_params,
    views_exist,
)
from formline.races.vocabulary import NOT_RUN
from formline.store.db import Store, open_store
from support import POSTGRES_URL, require_postgres

NOW = datetime(2025, 11, 6, 12, tzinfo=UTC)
EARLIER = NOW - timedelta(days=120)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A migrated store holding a demo racing world (fewer horses than the default), shared by
    this module's tests on one backend (each refreshes the views as of the instant it checks)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("race-views") / "formline.db"
        url, schema = f"sqlite:///{path.as_posix()}", None
    else:
        require_postgres()
        import psycopg

        schema = f"views_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    store = open_store(url, migrate=False)
    try:
        store.migrate()
        world = generate_race_world(5, NOW, n_horses=200, n_jockeys=20, n_trainers=16)
        with staged_race_load(store, "loading a small demo racing world") as load:
            load.add(world.batch)
            load.write()
        yield store
    finally:
        store.dispose()
        if schema is not None:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(scope="module")
def demo_results(demo_store: Store) -> pd.DataFrame:
    """Every runner result of the demo world with its runner's and race's columns."""
    return _results(demo_store)


def _results(store: Store) -> pd.DataFrame:
    query = (
        select(
            runners.c.id.label("runner_id"),
            runners.c.horse_id,
            runners.c.jockey_id,
            runners.c.trainer_id,
            races.c.id.label("race_id"),
            races.c.start_at,
            runner_results.c.status,
            runner_results.c.finish_position,
            runner_results.c.observed_at,
        )
        .join(runners, runners.c.id == runner_results.c.runner_id)
        .join(races, races.c.id == runners.c.race_id)
    )
    with store.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


Rows = dict[tuple[int, ...], dict[str, Any]]


def expected_view(results: pd.DataFrame, view: FormView, as_of: datetime) -> Rows:
    """``view`` computed with pandas: one row per key, by key."""
    keys = list(view.keys)
    starts = results[
        (results["observed_at"] < as_of)
        & (results["start_at"] < as_of)
        & ~results["status"].isin(NOT_RUN)
    ].dropna(subset=keys)
    position = starts["finish_position"]
    won, placed = (position == 1).astype(int), (position <= 3).astype(int)
    recent = (starts["start_at"] >= as_of - timedelta(days=365)).astype(int)
    flags = {"won": won, "placed": placed, "recent": recent}
    flags |= {"won_recent": won * recent, "placed_recent": placed * recent}
    order = ["start_at", "race_id", "runner_id"]
    starts = starts.assign(**flags).sort_values(order, ascending=False)
    grouped = starts.groupby(keys)
    table = grouped.agg(
        runs=("won", "size"),
        wins=("won", "sum"),
        places=("placed", "sum"),
        runs_365=("recent", "sum"),
        wins_365=("won_recent", "sum"),
        places_365=("placed_recent", "sum"),
        last_run_at=("start_at", "max"),
    )
    table["strike_rate"] = table["wins"] / table["runs"]
    table["place_rate"] = table["places"] / table["runs"]
    recent_runs = table["runs_365"].where(table["runs_365"] > 0)
    table["strike_rate_365"] = table["wins_365"] / recent_runs
    table["place_rate_365"] = table["places_365"] / recent_runs
    starts["back"] = grouped.cumcount() + 1
    last = starts[starts["back"] <= 5].pivot_table(
        index=keys, columns="back", values="finish_position", aggfunc="first", dropna=False
    )
    table = table.join(last.reindex(columns=range(1, 6)).add_prefix("p"))
    counts = ("runs", "wins", "places", "runs_365", "wins_365", "places_365")
    rates = ("strike_rate", "place_rate", "strike_rate_365", "place_rate_365")
    expected: Rows = {}
    for key, row in table.to_dict("index").items():
        values: dict[str, Any] = {name: int(row[name]) for name in counts}
        values.update({name: None if pd.isna(row[name]) else row[name] for name in rates})
        values["last_run_at"] = pd.Timestamp(row["last_run_at"]).to_pydatetime()
        positions = [row[f"p{i}"] for i in range(1, 6)]
        values["last_positions"] = [None if pd.isna(p) else int(p) for p in positions]
        expected[tuple(int(k) for k in (key if isinstance(key, tuple) else (key,)))] = values
    return expected


def stored_view(store: Store, view: FormView) -> Rows:
    """``view`` as the store holds it, by key."""
    with store.connect() as conn:
        rows = conn.execute(select(FORM_TABLES[view.name])).mappings().all()
    found = {}
    for row in rows:
        values = dict(row)
        values["last_positions"] = [values.pop(c) for c in POSITION_COLUMNS]
        found[tuple(int(values.pop(k)) for k in view.keys)] = values
    return found


def _rounded(rows: Rows) -> Rows:
    """``rows`` with their rates rounded (SQL and pandas may differ in the last bits)."""
    return {
        key: {k: round(v, 9) if isinstance(v, float) else v for k, v in values.items()}
        for key, values in rows.items()
    }


def _check(store: Store, results: pd.DataFrame, as_of: datetime, counts: dict[str, int]) -> None:
    for view in FORM_VIEWS:
        expected, found = expected_view(results, view, as_of), stored_view(store, view)
        assert counts[view.name] == len(found) == len(expected) > 0, view.name
        assert {row.pop("as_of") for row in found.values()} == {as_of}
        for row in found.values():
            del row["refreshed_at"]
        assert _rounded(found) == _rounded(expected), view.name


def test_the_views_hold_the_pandas_computation_as_of_their_refresh(
    demo_store: Store, demo_results: pd.DataFrame
) -> None:
    store, results = demo_store, demo_results
    drop_views(store)
    with store.connect() as conn:
        assert not views_exist(conn)
    counts = refresh_views(store, NOW)
    with store.connect() as conn:
        assert views_exist(conn)
    _check(store, results, NOW, counts)
    # Refreshed as of an earlier instant, they forget what was observed since.
    earlier = refresh_views(store, EARLIER)
    _check(store, results, EARLIER, earlier)
    horses = stored_view(store, FORM_VIEWS[0])
    assert sum(v["runs"] for v in horses.values()) < len(results)
    # Views of another definition are made anew (here: the parameters say so).
    with store.begin() as conn:
        conn.execute(update(view_params).values(definition="older"))
    assert refresh_views(store, NOW) == counts
    assert stored_view(store, FORM_VIEWS[0]) != horses  # as of NOW again


def _totals(results: pd.DataFrame, as_of: datetime) -> tuple[Any, ...]:
    """What one read of every view must see for a refresh as of ``as_of``: the instant in each
    view and the runs each counts (every start with the view's keys)."""
    starts = results[
        (results["observed_at"] < as_of)
        & (results["start_at"] < as_of)
        & ~results["status"].isin(NOT_RUN)
    ]
    runs = [len(starts.dropna(subset=list(view.keys))) for view in FORM_VIEWS]
    return (*(as_of for _ in FORM_VIEWS), *runs)


def _read_all(conn: Any) -> tuple[Any, ...]:
    """Every view's as_of and runs, in one statement (one snapshot of the database)."""
    stamps = ", ".join(f"(SELECT max(as_of) FROM {v.name})" for v in FORM_VIEWS)
    runs = ", ".join(f"(SELECT sum(runs) FROM {v.name})" for v in FORM_VIEWS)
    return tuple(conn.execute(text(f"SELECT {stamps}, {runs}")).one())


def _as_utc(value: Any) -> Any:
    if isinstance(value, str):  # SQLite hands back the stored text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def test_readers_see_the_old_views_or_the_new_ones_during_refreshes(
    demo_store: Store, demo_results: pd.DataFrame
) -> None:
    writer, results = demo_store, demo_results
    url = writer.engine.url.render_as_string(hide_password=False)
    reader = open_store(url, migrate=False)
    try:
        allowed = {_totals(results, NOW), _totals(results, EARLIER)}
        refresh_views(writer, NOW)
        seen: list[tuple[Any, ...]] = []
        errors: list[BaseException] = []
        done = threading.Event()

        def read() -> None:
            try:
                with reader.connect() as conn:
                    while not done.is_set():
                        values = _read_all(conn)
                        conn.rollback()  # the next read sees the newest commit
                        seen.append(tuple(_as_utc(v) for v in values[:5]) + values[5:])
                        time.sleep(0.01)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            for as_of in (EARLIER, NOW):
                refresh_views(writer, as_of)
                time.sleep(0.05)
        finally:
            done.set()
            for thread in threads:
                thread.join(30)
        assert errors == []
        assert len(seen) > 10
        assert set(seen) <= allowed, set(seen) - allowed
        assert set(seen) == allowed  # both states were read
    finally:
        reader.dispose()


def _count_horse_form(store: Store) -> int:
    with store.connect("reading the horse form") as conn:
        conn.execute(text("SET lock_timeout = '300ms'"))
        return int(conn.execute(text("SELECT count(*) FROM race_horse_form")).scalar_one())


@pytest.mark.parametrize("concurrently", [True, False])
def test_a_concurrent_refresh_on_postgresql_never_blocks_a_reader(
    demo_store: Store, concurrently: bool
) -> None:
    """A reader with a lock timeout reads the horse form while a refresh holds its lock: it
    reads under REFRESH ... CONCURRENTLY, and (the control) times out under a plain REFRESH."""
    store = demo_store
    if store.dialect != "postgresql":
        pytest.skip("materialized views are PostgreSQL's")
    counts = refresh_views(store, NOW)
    refresh = "REFRESH MATERIALIZED VIEW " + ("CONCURRENTLY " if concurrently else "")
    with store.engine.connect() as refreshing:
        refreshing.execute(text(refresh + "race_horse_form"))  # its lock held until rollback
        try:
            if concurrently:
                assert _count_horse_form(store) == counts["race_horse_form"]
            else:
                with pytest.raises(StoreError, match="lock timeout"):
                    _count_horse_form(store)
        finally:
            refreshing.rollback()
