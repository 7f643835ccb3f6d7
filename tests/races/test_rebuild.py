"""``dataset:rebuild``: every phase is a job run with rows and seconds; a published build
replaces the live table and keeps the previous for rollback; a build that fails its checks is
kept aside and leaves the live table untouched; a test run publishes nothing; readers during
publishes and rollbacks see one whole build; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pandas as pd
import pytest
from rebuild_world import EARLIER, NOW, load_small_world
from sqlalchemy import select, text

from formline.engine import InputQuery, fetch_arrow
from formline.errors import DataError
from formline.races.dataset import load_race_frame
from formline.races.dataset_ops import dataset_status, rollback_dataset
from formline.races.features import RACE_FEATURES
from formline.races.rebuild import (
    FAILED_TABLE,
    LIVE_TABLE,
    PHASES,
    PREVIOUS_TABLE,
    SHADOW_TABLE,
    STEP_PREFIX,
    rebuild_dataset,
)
from formline.store.db import Store
from formline.store.table_swap import count_rows, drop_table, table_columns, table_exists
from formline.store.tables import job_runs


def _fingerprint(store: Store, table: str = LIVE_TABLE) -> tuple[int, int, float]:
    """Rows, known results and a checksum of the table's features."""
    with store.connect() as conn:
        rows, results, total = conn.execute(
            text(
                f"SELECT count(*), count(finish_position), "
                f"sum(coalesce(horse_runs, 0) + coalesce(rating_mu, 0)) FROM {table}"
            )
        ).one()
    return int(rows), int(results), round(float(total), 6)


def _steps(store: Store, run_id: str) -> dict[str, dict[str, object]]:
    with store.connect() as conn:
        rows = conn.execute(select(job_runs).where(job_runs.c.run_id == run_id)).mappings()
        return {str(r["step"]): dict(r) for r in rows}


@pytest.fixture
def world_store(store: Store) -> Iterator[Store]:
    """A store holding a small world; the dataset tables are dropped afterwards (so the
    PostgreSQL schema is the migrated one again, and reused)."""
    load_small_world(store)
    yield store
    for table in (LIVE_TABLE, SHADOW_TABLE, PREVIOUS_TABLE, FAILED_TABLE):
        drop_table(store, table)


def test_a_rebuild_records_each_phase_and_publishes(world_store: Store) -> None:
    store = world_store
    result = rebuild_dataset(store, NOW, triggered_by="cron")
    assert [p.phase for p in result.phases] == list(PHASES)
    steps = _steps(store, result.run_id)
    assert set(steps) == {STEP_PREFIX + p for p in PHASES}
    for phase in PHASES[:-1]:
        row = steps[STEP_PREFIX + phase]
        assert row["status"] == "succeeded", (phase, row["error"])
        assert row["triggered_by"] == "cron"
        assert row["finished_at"] is not None and row["rows"] is not None
    assert steps[STEP_PREFIX + "refresh_views"]["status"] == "skipped"
    runners = len(load_race_frame(store, NOW).frame)
    assert result.published and result.rows == runners
    assert steps[STEP_PREFIX + "publish"]["rows"] == runners
    assert count_rows(store, LIVE_TABLE) == runners
    assert not table_exists(store, SHADOW_TABLE) and not table_exists(store, PREVIOUS_TABLE)
    columns = table_columns(store, LIVE_TABLE)
    assert set(RACE_FEATURES.names) <= set(columns)
    rows, results, _ = _fingerprint(store)
    assert 0 < results < rows  # the future cards have no result yet
    status = dataset_status(store)
    assert status.tables == {LIVE_TABLE: runners, PREVIOUS_TABLE: None, FAILED_TABLE: None}
    assert {r["step"] for r in status.runs} == set(steps)
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in status.runs)


def test_a_second_build_keeps_the_first_for_rollback(world_store: Store) -> None:
    store = world_store
    rebuild_dataset(store, EARLIER)
    first = _fingerprint(store)
    rebuild_dataset(store, NOW)
    second = _fingerprint(store)
    assert first[1] < second[1]  # a month more of results is known
    assert _fingerprint(store, PREVIOUS_TABLE) == first
    assert rollback_dataset(store) == first[0]
    assert (_fingerprint(store), _fingerprint(store, PREVIOUS_TABLE)) == (first, second)
    rollback_dataset(store)
    assert _fingerprint(store) == second


def test_a_collapsed_build_is_kept_aside_and_the_live_table_stays(world_store: Store) -> None:
    store = world_store
    rebuild_dataset(store, NOW)
    live = _fingerprint(store)
    with store.begin() as conn:  # most races vanish from the store
        conn.execute(text("DELETE FROM races WHERE id % 4 <> 0"))
    with pytest.raises(DataError, match="fewer than 50% of the previous build"):
        rebuild_dataset(store, NOW)
    assert _fingerprint(store) == live
    assert count_rows(store, FAILED_TABLE) < live[0] / 2
    assert not table_exists(store, SHADOW_TABLE)
    runs = dataset_status(store).runs
    latest = {r["step"]: r for r in runs if r["run_id"] == runs[0]["run_id"]}
    assert latest[STEP_PREFIX + "validate"]["status"] == "failed"
    assert latest[STEP_PREFIX + "publish"]["status"] == "skipped"
    assert "race_dataset_failed" in str(latest[STEP_PREFIX + "publish"]["detail"])


def test_a_result_known_before_its_race_fails_the_build(world_store: Store) -> None:
    """A runner whose own result was observed before its race's cutoff would see it as
    history: the build is refused."""
    store = world_store
    with store.begin() as conn:
        runner = conn.execute(
            text(
                "SELECT rr.runner_id FROM runner_results rr JOIN runners r ON r.id = rr.runner_id "
                "ORDER BY r.race_id DESC, rr.runner_id LIMIT 1"
            )
        ).scalar_one()
        start = conn.execute(
            text(
                "SELECT ra.start_at FROM races ra JOIN runners r ON r.race_id = ra.id "
                "WHERE r.id = :r"
            ),
            {"r": runner},
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE runner_results SET observed_at = (SELECT min(observed_at) FROM runners) "
                "WHERE runner_id = :r"
            ),
            {"r": runner},
        )
    assert start is not None
    with pytest.raises(DataError, match="own_result_after_cutoff: 1 rows"):
        rebuild_dataset(store, NOW)
    assert not table_exists(store, LIVE_TABLE)
    assert table_exists(store, FAILED_TABLE)


def test_a_test_run_checks_a_sample_and_publishes_nothing(world_store: Store) -> None:
    store = world_store
    result = rebuild_dataset(store, NOW, test_mode=True, sample_races=20)
    assert not result.published and result.problems == []
    assert 0 < result.rows <= 20 * 14
    assert not table_exists(store, LIVE_TABLE) and not table_exists(store, SHADOW_TABLE)
    steps = _steps(store, result.run_id)
    assert steps[STEP_PREFIX + "validate"]["status"] == "succeeded"
    assert steps[STEP_PREFIX + "validate"]["rows"] == result.rows
    for skipped in ("shadow", "publish", "refresh_views"):
        assert steps[STEP_PREFIX + skipped]["status"] == "skipped"


def test_a_runner_without_its_source_race_id_fails_the_build(world_store: Store) -> None:
    store = world_store
    with store.begin() as conn:
        conn.execute(text("UPDATE races SET source_race_id = NULL WHERE id = 1"))
    with pytest.raises(DataError, match="required_not_null"):
        rebuild_dataset(store, NOW)
    assert not table_exists(store, LIVE_TABLE)


def test_a_failing_phase_is_recorded_failed(world_store: Store) -> None:
    store = world_store

    def broken_refresh(_store: Store) -> int:
        raise DataError("the views are broken")

    with pytest.raises(DataError, match="the views are broken"):
        rebuild_dataset(store, NOW, refresh_views=broken_refresh)
    runs = dataset_status(store).runs
    latest = {r["step"]: r for r in runs if r["run_id"] == runs[0]["run_id"]}
    assert latest[STEP_PREFIX + "refresh_views"]["status"] == "failed"
    assert "the views are broken" in str(latest[STEP_PREFIX + "refresh_views"]["error"])
    assert latest[STEP_PREFIX + "publish"]["status"] == "succeeded"
    assert table_exists(store, LIVE_TABLE)


def test_readers_during_publishes_and_rollbacks_see_one_whole_build(world_store: Store) -> None:
    store = world_store
    rebuild_dataset(store, EARLIER)
    rebuild_dataset(store, NOW)
    builds = {_fingerprint(store), _fingerprint(store, PREVIOUS_TABLE)}
    assert len(builds) == 2
    stop = threading.Event()
    seen: list[tuple[int, int, float]] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set():
                seen.append(_fingerprint(store))
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        rebuild_dataset(store, EARLIER)  # live: EARLIER, previous: NOW
        for _ in range(6):
            rollback_dataset(store)
        rebuild_dataset(store, NOW)
    finally:
        stop.set()
        for reader in readers:
            reader.join(30)
    assert errors == []
    assert set(seen) == builds


def test_the_live_table_is_the_runner_frame(world_store: Store) -> None:
    """The dataset holds what the domain's frame says at the same as_of, row for row."""
    store = world_store
    rebuild_dataset(store, NOW)
    expected = load_race_frame(store, NOW).frame
    kinds = {c: "float" for c in RACE_FEATURES.names}
    kinds.update(runner_id="int", finish_position="int", won="int", placed="int")
    kinds.update(season="text", information="text", horse="text", start_at="timestamp")
    query = InputQuery(f"SELECT {', '.join(kinds)} FROM {LIVE_TABLE} ORDER BY runner_id", kinds)
    live = fetch_arrow(store, query).to_pandas()
    expected = expected.sort_values("runner_id", ignore_index=True)
    assert live["runner_id"].tolist() == expected["runner_id"].tolist()
    for column in ("season", "information", "horse"):
        assert live[column].tolist() == expected[column].tolist(), column
    assert (live["start_at"] == expected["start_at"]).all()
    for column in ("finish_position", "won", "placed", *RACE_FEATURES.names):
        pd.testing.assert_series_equal(
            live[column].astype("float64"), expected[column].astype("float64"), check_names=False
        )
