"""Migration 0006_races_tables creates exactly the racing tables, and takes them away again, on
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from formline.races.tables import RACE_TABLES
from formline.store.db import VERSION_TABLE, Store


def _racing_differences(store: Store) -> list[Any]:
    """Differences between the database and the racing tables alone."""
    only = MetaData(naming_convention=RACE_TABLES[0].metadata.naming_convention)
    for table in RACE_TABLES:
        table.to_metadata(only)
    names = {t.name for t in RACE_TABLES}
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "version_table": VERSION_TABLE,
                "include_name": lambda name, kind, _parent: kind != "table" or name in names,
            },
        )
        return list(compare_metadata(context, only))


def _tables(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_0006_creates_and_drops_the_racing_tables(store: Store) -> None:
    names = {t.name for t in RACE_TABLES}
    assert store.current_revision() == store.head_revision()
    assert names <= _tables(store)
    assert _racing_differences(store) == []
    store.run_migration("downgrade", "0005_domain_publications")
    assert not names & _tables(store)
    missing = {d[1].name for d in _racing_differences(store) if d[0] == "add_table"}
    assert missing == names  # the comparison does see them missing
    store.run_migration("upgrade", "head")
    assert _racing_differences(store) == []
