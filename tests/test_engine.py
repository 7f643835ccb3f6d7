"""The compute engine: DuckDB and store errors mapped into formline's types."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from formline.engine import InputQuery, compute_session, fetch_arrow
from formline.errors import ComputeError, StoreError, map_errors
from formline.store.db import Store


def test_ctrl_c_during_a_query_is_a_keyboard_interrupt_again() -> None:
    """DuckDB turns SIGINT into RuntimeError('Query interrupted'); formline turns it back."""
    con = compute_session(threads=1)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt), map_errors("counting"):
            con.execute("SELECT count(*) FROM range(10000000000000) a").fetchall()
    finally:
        timer.cancel()
        con.close()


def test_a_duckdb_error_is_a_compute_error_naming_the_step() -> None:
    con = compute_session(threads=1)
    try:
        with (
            pytest.raises(ComputeError, match=r"^joining: .*no_such_table"),
            map_errors("joining"),
        ):
            con.execute("SELECT * FROM no_such_table")
    finally:
        con.close()


def test_a_store_error_inside_fetch_arrow_is_a_store_error_on_every_backend(store: Store) -> None:
    """SQLite is read through the driver directly: its errors too become StoreError."""
    query = InputQuery("SELECT no_such_column FROM no_such_table", {"x": "int"})
    with pytest.raises(StoreError, match=r"^reading from the store: .*no_such_table"):
        fetch_arrow(store, query)
