"""Store connections map every driver error, SQLAlchemy's and the raw driver's, to StoreError."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from formline.errors import StoreError, StoreNotFoundError
from formline.store.db import Store
from formline.store.readonly import open_read_only_store


def test_an_error_through_sqlalchemy_is_a_store_error_naming_the_step(store: Store) -> None:
    with (
        pytest.raises(StoreError, match=r"^reading matches: .*no_such_table"),
        store.connect("reading matches") as conn,
    ):
        conn.execute(text("SELECT * FROM no_such_table"))


def test_an_error_from_the_raw_driver_connection_is_a_store_error(store: Store) -> None:
    """Bulk staging writes through the driver's own connection (sqlite3, psycopg COPY)."""
    with (
        pytest.raises(StoreError, match=r"^staging rows: .*no_such_table"),
        store.begin("staging rows") as conn,
    ):
        driver = conn.connection.dbapi_connection
        assert driver is not None
        cursor = driver.cursor()
        cursor.execute("SELECT * FROM no_such_table")


def test_the_read_only_store_on_a_missing_file_is_a_store_not_found_error(tmp_path: Path) -> None:
    store = open_read_only_store(f"sqlite:///{(tmp_path / 'gone.db').as_posix()}")
    try:
        with (
            pytest.raises(StoreNotFoundError, match=r"^no store at gone\.db: run the worker"),
            store.connect("reading predictions") as conn,
        ):
            conn.execute(text("SELECT 1"))
    finally:
        store.dispose()
