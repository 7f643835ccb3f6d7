"""The DuckDB compute session's error mapping."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from formline.engine import compute_session, translate_duckdb_errors
from formline.errors import ComputeError


def test_ctrl_c_during_a_query_is_a_keyboard_interrupt_again() -> None:
    """DuckDB turns SIGINT into RuntimeError('Query interrupted'); formline turns it back."""
    con = compute_session(threads=1)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt), translate_duckdb_errors("counting"):
            con.execute("SELECT count(*) FROM range(10000000000000) a").fetchall()
    finally:
        timer.cancel()
        con.close()


def test_a_duckdb_error_is_a_compute_error_naming_the_step() -> None:
    con = compute_session(threads=1)
    try:
        with (
            pytest.raises(ComputeError, match=r"^joining: .*no_such_table"),
            translate_duckdb_errors("joining"),
        ):
            con.execute("SELECT * FROM no_such_table")
    finally:
        con.close()
