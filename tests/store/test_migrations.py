"""The migrations create exactly the tables of formline.store.tables, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import formline.races.tables  # racing's tables (not a registered domain yet)
import formline.transfers.tables  # noqa: F401  (not a registered domain yet)
from formline.domain import register_all_tables
from formline.errors import StoreError
from formline.store.db import VERSION_TABLE, Store
from formline.store.tables import metadata

register_all_tables()  # the domains' tables are on the same metadata

NEW_TABLES = {
    "model_versions",
    "model_promotions",
    "prediction_snapshots",
    "predictions",
    "publications",
    "job_runs",
}


def _differences(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        return list(compare_metadata(context, metadata))


def _migrate(store: Store, direction: str, revision: str) -> None:
    store.run_migration(direction, revision)


def _tables(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _append_only(store: Store) -> None:
    with store.begin("writing the ledger") as conn:
        conn.execute(
            text(
                "INSERT INTO model_versions (name, model_type, version, horizon_days, "
                "training_as_of, window_start, window_end, n_train, n_validation, "
                "feature_version, feature_names, uses_market, hyperparameters, metrics, status, "
                "created_at, updated_at, domain, information) VALUES ('m', 't', 1, 7, :t, :t, "
                ":t, 0, 0, 'v', '[]', false, '{}', '{}', 'completed', :t, :t, 'matches', "
                "'no_market')"
            ),
            {"t": "2024-01-01 00:00:00.000000"},
        )
        conn.execute(
            text(
                "INSERT INTO model_promotions (at, action, model_version_id, reason, domain, "
                "information, effective_at) VALUES (:t, 'deploy', "
                "(SELECT max(id) FROM model_versions), 'r', 'matches', 'no_market', :t)"
            ),
            {"t": "2024-01-01 00:00:00.000000"},
        )
    for statement in ("UPDATE model_promotions SET reason = 'x'", "DELETE FROM model_promotions"):
        with pytest.raises(StoreError, match="append-only"), store.begin("editing") as conn:
            conn.execute(text(statement))


def test_the_migrated_schema_matches_the_tables(store: Store) -> None:
    assert store.current_revision() == store.head_revision()
    assert _tables(store) >= NEW_TABLES
    assert _differences(store) == []


def test_downgrade_and_upgrade_round_trip(store: Store) -> None:
    _migrate(store, "downgrade", "0001")
    assert store.current_revision() == "0001"
    assert not NEW_TABLES & _tables(store)
    assert _differences(store) != []  # the comparison does see missing tables
    _migrate(store, "upgrade", "head")
    assert store.current_revision() == store.head_revision()
    assert _differences(store) == []
    _append_only(store)  # the triggers came back with the tables


#: The shared tables with a ``domain`` column (revision 0007 dropped its default).
DOMAIN_TABLES = (
    "feature_builds",
    "model_versions",
    "model_promotions",
    "prediction_snapshots",
    "publications",
)


def _domain_defaults(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        inspector = inspect(conn)
        return {
            table: next(c for c in inspector.get_columns(table) if c["name"] == "domain")["default"]
            for table in DOMAIN_TABLES
        }


def test_the_shared_tables_default_to_no_domain(store: Store) -> None:
    assert _domain_defaults(store) == dict.fromkeys(DOMAIN_TABLES)
    with pytest.raises(StoreError), store.begin("writing a build") as conn:
        conn.execute(
            text(
                "INSERT INTO feature_builds (as_of, feature_version, feature_names, n_matches, "
                "n_written, seconds, created_at) VALUES (:t, 'v', '[]', 0, 0, 0, :t)"
            ),
            {"t": "2024-01-01 00:00:00.000000"},
        )
    # Revision 0006 had the football default; the downgrade restores it and keeps the triggers.
    _migrate(store, "downgrade", "0006_races_tables")
    assert all("matches" in str(d) for d in _domain_defaults(store).values())
    _migrate(store, "upgrade", "head")
    assert _domain_defaults(store) == dict.fromkeys(DOMAIN_TABLES)
    assert _differences(store) == []
    _append_only(store)
