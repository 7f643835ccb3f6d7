"""Tables swapped in atomically: a shadow written in bulk replaces the live table in one
transaction on SQLite and PostgreSQL, the live one kept as the previous; readers during the
swaps see the complete old or the complete new table, never a mix and never none."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import text

from formline.errors import DataError
from formline.store.db import Store
from formline.store.table_swap import (
    count_rows,
    drop_table,
    rename_table,
    swap_back,
    swap_in,
    table_columns,
    table_exists,
    write_table,
)


@pytest.fixture(autouse=True)
def _drop_tables(store: Store) -> Iterator[None]:
    """Leave the migrated schema as it was (so PostgreSQL's is reused)."""
    yield
    for name in ("swap_live", "swap_shadow", "swap_prev", "swap_failed"):
        drop_table(store, name)


KINDS = {"id": "int", "at": "timestamp", "value": "float", "label": "text"}
T0 = datetime(2024, 1, 2, 3, 4, 5, 678901)


def _table(rows: int, offset: float) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "at": pa.array([T0 + timedelta(minutes=i) for i in range(rows)], pa.timestamp("us")),
            "value": pa.array([offset + i for i in range(rows)], pa.float64()),
            "label": pa.array([None if i % 7 == 0 else f"r{i}" for i in range(rows)]),
        }
    )


def _read(store: Store, name: str) -> tuple[int, float]:
    with store.connect() as conn:
        count, total = conn.execute(text(f"SELECT count(*), sum(value) FROM {name}")).one()
    return int(count), float(total)


def test_write_table_round_trips_every_kind(store: Store) -> None:
    assert write_table(store, "swap_live", _table(5, 0.5), KINDS) == 5
    assert table_columns(store, "swap_live") == list(KINDS)
    with store.connect() as conn:
        rows = conn.execute(text("SELECT id, at, value, label FROM swap_live ORDER BY id")).all()
    assert [r[0] for r in rows] == [0, 1, 2, 3, 4]
    assert [r[2] for r in rows] == [0.5, 1.5, 2.5, 3.5, 4.5]
    assert [r[3] for r in rows] == [None, "r1", "r2", "r3", "r4"]
    first = rows[1][1]
    if isinstance(first, str):  # SQLite: SQLAlchemy's text format, comparable as text
        assert first == "2024-01-02 03:05:05.678901"
    else:  # PostgreSQL: the same instant in UTC
        assert first.replace(tzinfo=None) == T0 + timedelta(minutes=1)
        assert first.utcoffset() == timedelta(0)


def test_swap_keeps_the_previous_and_swaps_back(store: Store) -> None:
    write_table(store, "swap_shadow", _table(3, 0.0), KINDS)
    assert swap_in(store, shadow="swap_shadow", live="swap_live", previous="swap_prev") is False
    assert not table_exists(store, "swap_shadow")
    write_table(store, "swap_shadow", _table(4, 0.0), KINDS)
    assert swap_in(store, shadow="swap_shadow", live="swap_live", previous="swap_prev") is True
    assert (count_rows(store, "swap_live"), count_rows(store, "swap_prev")) == (4, 3)
    write_table(store, "swap_shadow", _table(5, 0.0), KINDS)
    swap_in(store, shadow="swap_shadow", live="swap_live", previous="swap_prev")
    assert (count_rows(store, "swap_live"), count_rows(store, "swap_prev")) == (5, 4)
    assert not table_exists(store, "swap_prev_retired")
    swap_back(store, live="swap_live", previous="swap_prev")
    assert (count_rows(store, "swap_live"), count_rows(store, "swap_prev")) == (4, 5)
    rename_table(store, "swap_prev", "swap_failed")
    assert count_rows(store, "swap_failed") == 5
    with pytest.raises(DataError, match="nothing to roll back to"):
        swap_back(store, live="swap_live", previous="swap_prev")
    with pytest.raises(DataError, match="no table swap_shadow"):
        swap_in(store, shadow="swap_shadow", live="swap_live", previous="swap_prev")
    assert count_rows(store, "swap_live") == 4
    with pytest.raises(DataError, match="not a table name"):
        table_exists(store, "live; DROP TABLE job_runs")


def test_readers_see_the_whole_old_or_the_whole_new_table(store: Store) -> None:
    """Readers count and sum the live table in a loop while it is swapped again and again."""
    old, new = _table(4000, 0.0), _table(6000, 0.25)
    expected = {(4000, float(sum(range(4000)))), (6000, float(sum(range(6000))) + 0.25 * 6000)}
    write_table(store, "swap_shadow", old, KINDS)
    swap_in(store, shadow="swap_shadow", live="swap_live", previous="swap_prev")
    write_table(store, "swap_shadow", new, KINDS)
    swap_in(store, shadow="swap_shadow", live="swap_live", previous="swap_prev")
    stop = threading.Event()
    seen: list[tuple[int, float]] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set():
                seen.append(_read(store, "swap_live"))
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for i in range(40):
            if i % 10 == 9:  # now and then a whole new shadow, as a rebuild publishes
                write_table(store, "swap_shadow", old if i % 20 == 9 else new, KINDS)
                swap_in(store, shadow="swap_shadow", live="swap_live", previous="swap_prev")
            else:
                swap_back(store, live="swap_live", previous="swap_prev")
    finally:
        stop.set()
        for reader in readers:
            reader.join(30)
    assert errors == []
    assert len(seen) > 20
    assert set(seen) <= expected
    assert set(seen) == expected  # the readers did see both tables: the swaps happened under them
