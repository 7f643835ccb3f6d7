"""The racing writer: a load upserts by natural key in one transaction on SQLite and
PostgreSQL, a rerun changes nothing, a correction updates in place, rejects are kept in
``ingest_rejects``, a refused load leaves the store as it was, and the shared files load whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hk_files import GDALEY, HK_RESULTS, race_row, results_row, run_row, write_gdaley, write_results
from sqlalchemy import func, select

from formline.errors import StoreError
from formline.races.frames import RaceBatch
from formline.races.sources.gdaley import read_gdaley
from formline.races.sources.hkjc_results import read_hkjc_results
from formline.races.store import Counts, staged_race_load, upsert_races
from formline.races.tables import (
    RACE_TABLES,
    horse_aliases,
    horses,
    race_odds,
    races,
    runner_results,
    runners,
)
from formline.store.db import Store
from formline.store.tables import ingest_rejects


def _counts(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        found = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in RACE_TABLES
        }
        found["ingest_rejects"] = conn.execute(
            select(func.count()).select_from(ingest_rejects)
        ).scalar_one()
    return found


def _small(tmp_path: Path, win_odds: str = "4.2") -> RaceBatch:
    folder = write_gdaley(
        tmp_path / "g",
        [race_row("0", "1997-06-02", "ST", "1"), race_row("1", "1997-06-09", "ST", "1")],
        [
            run_row("0", "1", "17", "1", win_odds=win_odds),
            run_row("0", "2", "18", "2", lengths_behind="-0.5"),
            run_row("1", "1", "18", "1"),
            run_row("1", "2", "17", "2"),
        ],
    )
    return read_gdaley(folder).batch


def _stored(store: Store) -> list[tuple[Any, ...]]:
    """Every runner with its result and odds, by natural key, ids left out."""
    joined = (
        runners.join(races, races.c.id == runners.c.race_id)
        .join(horse_aliases, horse_aliases.c.horse_id == runners.c.horse_id)
        .join(runner_results, runner_results.c.runner_id == runners.c.id)
        .join(race_odds, race_odds.c.runner_id == runners.c.id)
    )
    columns = [
        races.c.race_date,
        races.c.race_number,
        races.c.start_at,
        horse_aliases.c.source_key,
        runners.c.draw,
        runners.c.observed_at,
        runner_results.c.finish_position,
        runner_results.c.lengths_behind,
        runner_results.c.observed_at,
        race_odds.c.market,
        race_odds.c.value,
        race_odds.c.observed_at,
    ]
    with store.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*columns).select_from(joined)))


def test_a_load_and_its_rerun(store: Store, tmp_path: Path) -> None:
    batch = _small(tmp_path)
    report = upsert_races(store, batch)
    assert report.tables["races"] == Counts(inserted=2)
    assert report.tables["horses"] == Counts(inserted=2)  # the same two horses in both races
    assert report.tables["runners"] == Counts(inserted=4)
    assert report.tables["runner_results"] == Counts(inserted=4)
    assert report.tables["race_odds"] == Counts(inserted=8)
    assert report.tables["race_dividends"] == Counts(inserted=8)
    assert report.tables["ingest_rejects"] == Counts(inserted=1)
    assert set(report.unmatched.values()) == {0}
    first = _stored(store)
    assert len(first) == 8
    again = upsert_races(store, batch)
    assert not again.changed
    assert all(c.inserted == c.updated == 0 for c in again.tables.values())
    assert again.tables["runners"] == Counts(unchanged=4)
    assert _stored(store) == first
    with store.connect() as conn:
        reason = conn.execute(select(ingest_rejects.c.reason)).scalar_one()
    assert reason == "'-0.5' is below 0"


def test_a_correction_updates_in_place(store: Store, tmp_path: Path) -> None:
    upsert_races(store, _small(tmp_path))
    with store.connect() as conn:
        ids = sorted(conn.execute(select(race_odds.c.id)).scalars())
    report = upsert_races(store, _small(tmp_path, win_odds="5.0"))  # the same file, corrected
    assert report.tables["race_odds"] == Counts(updated=1, unchanged=7)
    assert report.tables["runners"] == Counts(unchanged=4)
    with store.connect() as conn:
        assert sorted(conn.execute(select(race_odds.c.id)).scalars()) == ids
        values = conn.execute(select(race_odds.c.value).where(race_odds.c.market == "win"))
        assert sorted(values.scalars()) == [4.2, 4.2, 4.2, 5.0]


def test_facts_are_observed_when_they_are_known(store: Store, tmp_path: Path) -> None:
    upsert_races(store, _small(tmp_path))
    for row in _stored(store):
        start = row[2]
        assert row[5] < start  # the card, before the race
        assert row[8] > start  # the result, when the race ends
        assert row[11] == start  # final odds, at the off


def test_names_from_a_later_source_fill_in_and_aliases_keep_one_horse(
    store: Store, tmp_path: Path
) -> None:
    path = write_results(
        tmp_path / "results.csv",
        [results_row("1", "1.0", "ALPHA(A001)", lbw="-"), results_row("2", "2.0", "BETA(A002)")],
    )
    upsert_races(store, read_hkjc_results(path).batch)
    again = write_results(
        tmp_path / "results2.csv",
        [
            results_row("1", "1.0", "ALPHA II(A001)", lbw="-", date="2016-01-10"),
            results_row("2", "2.0", "BETA(A002)", date="2016-01-10"),
        ],
    )
    report = upsert_races(store, read_hkjc_results(again).batch)
    assert report.tables["horses"] == Counts(updated=1, unchanged=1)
    assert report.tables["jockeys"] == Counts(unchanged=1)
    with store.connect() as conn:
        assert sorted(conn.execute(select(horses.c.key, horses.c.name)).all()) == [
            ("hkjc:A001", "ALPHA II"),
            ("hkjc:A002", "BETA"),
        ]
    assert _counts(store)["runners"] == 4


def test_chunks_load_as_the_whole(store: Store, tmp_path: Path) -> None:
    batch = _small(tmp_path)
    with staged_race_load(store) as load:
        load.add(RaceBatch(races=batch.races, dividends=batch.dividends))
        load.add(RaceBatch(runners=batch.runners.iloc[:2], rejects=batch.rejects))
        load.add(RaceBatch(runners=batch.runners.iloc[2:], odds=batch.odds))
        report = load.write()
    assert report.tables["runners"] == Counts(inserted=4)
    assert report.tables["race_odds"] == Counts(inserted=8)
    assert not upsert_races(store, batch).changed


def test_a_refused_load_writes_nothing(store: Store, tmp_path: Path) -> None:
    batch = _small(tmp_path)
    broken = batch.runners.copy()
    broken.loc[1, "finish_position"] = 0  # the store's check refuses a position 0
    with pytest.raises(StoreError):
        upsert_races(store, RaceBatch(batch.races, broken, batch.odds, batch.dividends))
    assert set(_counts(store).values()) == {0}


def test_odds_of_an_unknown_runner_are_counted_not_stored(store: Store, tmp_path: Path) -> None:
    batch = _small(tmp_path)
    odds = batch.odds.assign(horse_key="9" + batch.odds["horse_key"])
    report = upsert_races(store, RaceBatch(races=batch.races, odds=odds))
    assert report.unmatched["race_odds"] == len(odds)
    assert _counts(store)["race_odds"] == 0


@pytest.mark.realdata
@pytest.mark.slow
def test_the_shared_files_load_whole(store: Store) -> None:
    if not GDALEY.exists() or not HK_RESULTS.exists():
        pytest.skip("shared data not found")
    gdaley, results = read_gdaley(GDALEY), read_hkjc_results(HK_RESULTS)
    report = upsert_races(store, gdaley.batch, results.batch)
    counts = _counts(store)
    assert counts["races"] == 5493 + 1114
    assert counts["runners"] == counts["runner_results"] == 68732 + 14211
    assert counts["race_odds"] == len(gdaley.batch.odds) + len(results.batch.odds)
    assert counts["race_dividends"] == len(gdaley.batch.dividends)
    assert counts["ingest_rejects"] == 7 + 2
    assert set(report.unmatched.values()) == {0}
    with store.connect() as conn:
        withdrawn = conn.execute(
            select(func.count()).where(runner_results.c.status == "withdrawn")
        ).scalar_one()
        fields = conn.execute(select(func.sum(races.c.field_size))).scalar_one()
    assert withdrawn == 287
    assert fields == 68732 + 14211 - 287
