"""The one error mapper: driver errors become formline's own types, and every type is raised."""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.exc import OperationalError as SAOperationalError

from formline import errors
from formline.errors import (
    CacheError,
    ComputeError,
    DataError,
    FormlineError,
    StoreError,
    map_errors,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "formline"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (sqlite3.OperationalError("no such table: t\nmore"), StoreError),
        (psycopg.errors.UndefinedTable('relation "t" does not exist\nLINE 1'), StoreError),
        (SAOperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O")), StoreError),
        (NoSuchTableError("t"), StoreError),
        (duckdb.CatalogException("Catalog Error: Table t does not exist"), ComputeError),
        (RedisConnectionError("Error 111 connecting"), CacheError),
    ],
)
def test_each_driver_error_becomes_its_formline_type_naming_the_step(
    raised: Exception, expected: type[FormlineError]
) -> None:
    with pytest.raises(expected) as caught, map_errors("doing it"):
        raise raised
    assert type(caught.value) is expected
    assert caught.value.__cause__ is raised
    message = str(caught.value)
    assert message.startswith("doing it: ") and "\n" not in message


def test_the_message_carries_the_driver_error_not_its_sqlalchemy_wrapper() -> None:
    wrapped = SAOperationalError("SELECT x", {}, sqlite3.OperationalError("database is locked"))
    with pytest.raises(StoreError) as caught, map_errors("writing predictions"):
        raise wrapped
    assert str(caught.value) == "writing predictions: database is locked"


def test_an_error_without_a_message_is_named_by_its_type() -> None:
    with (
        pytest.raises(CacheError, match=r"^redis get: TimeoutError$"),
        map_errors("redis get", also={OSError: CacheError}),
    ):
        raise TimeoutError


def test_formline_errors_and_foreign_errors_pass_unchanged() -> None:
    own = DataError("bad row")
    with pytest.raises(DataError) as caught, map_errors("loading"):
        raise own
    assert caught.value is own
    with pytest.raises(ValueError, match="not a driver's"), map_errors("loading"):
        raise ValueError("not a driver's")
    # OSError is only a cache error where the adapter says so.
    with pytest.raises(OSError), map_errors("reading"):
        raise OSError("disk")


def test_an_interrupted_duckdb_query_is_a_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), map_errors("counting"):
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
    with pytest.raises(KeyboardInterrupt), map_errors("counting"):
        raise RuntimeError("Query interrupted")


def test_a_ctrl_c_inside_a_duckdb_callback_is_a_keyboard_interrupt() -> None:
    """Ctrl-C while DuckDB reads a registered Arrow stream (loading the store's facts) comes
    back as DuckDB's error about the read; it is still an interrupt (exit 130), not a failure."""
    import pyarrow as pa

    def batches() -> Iterator[pa.RecordBatch]:
        raise KeyboardInterrupt
        yield  # a generator

    con = duckdb.connect()
    reader = pa.RecordBatchReader.from_batches(pa.schema([("x", pa.int64())]), batches())
    with pytest.raises(KeyboardInterrupt), map_errors("loading x into DuckDB"):
        con.register("_x", reader)
        con.execute("CREATE TABLE x AS SELECT * FROM _x")
    binder = pytest.raises(ComputeError, match="loading x into DuckDB: Binder Error")
    with binder, map_errors("loading x into DuckDB"):
        con.execute("SELECT missing FROM (SELECT 1 AS x)")


def test_the_mapper_imports_no_driver() -> None:
    """The pure core imports formline.errors: loading it must not load a database driver."""
    code = (
        "import sys, formline.errors; "
        "print(sorted(m for m in ('sqlalchemy', 'sqlite3', 'psycopg', 'duckdb', 'redis', "
        "'adbc_driver_manager') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _raised_names() -> set[str]:
    """Names of exception classes raised anywhere in src (``raise X(...)`` or ``raise X``)."""
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(target, ast.Name):
                    names.add(target.id)
                elif isinstance(target, ast.Attribute):
                    names.add(target.attr)
    return names


def test_every_exception_class_is_raised_somewhere() -> None:
    """No dead types: each class in errors.py is raised, mapped to, or the base of one that is."""
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, FormlineError)
        and value.__module__ == errors.__name__
    ]
    raised = _raised_names()
    used = {c for c in classes if c.__name__ in raised}
    used |= {target for _, _, target in errors.DRIVER_ERRORS}
    unused = [c.__name__ for c in classes if not any(issubclass(u, c) for u in used)]
    assert unused == []
