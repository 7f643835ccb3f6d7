"""One exception hierarchy for formline, and the one mapper from driver errors into it.

Every adapter runs its driver calls inside :func:`map_errors`, which turns the low-level
library's exceptions (sqlite3, psycopg and SQLAlchemy, ADBC, DuckDB, Redis) into these types with
a one-line message naming what was being done. The CLI maps them to exit codes through
:attr:`FormlineError.exit_code`, the API to status codes.

Exit codes (the CLI's, documented in the README):

- ``0``: ok.
- ``1``: a runtime failure (:class:`FormlineError` and every subclass not listed below, and any
  unexpected exception): the store refused, no model is deployed, a computation failed.
- ``2``: bad usage or bad input (:class:`ConfigError`, :class:`DataError`, and the command
  line's own usage errors): an unknown option, a value out of range, a malformed file.
- ``3``: a record named by its id or code does not exist (:class:`NotFoundError`): an unknown
  match id, model version id, snapshot id or competition code. A script can tell "you asked for
  something that is not there" from "it broke".
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

#: The CLI's exit code for each outcome (see the module docstring).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


class FormlineError(Exception):
    """Base class of every error formline raises on purpose."""

    exit_code: int = EXIT_FAILURE


class ConfigError(FormlineError):
    """A setting or command-line option is missing or invalid."""

    exit_code = EXIT_USAGE


class DataError(FormlineError):
    """Input data is malformed: not the expected format, or values that cannot be parsed."""

    exit_code = EXIT_USAGE


class SourceError(DataError):
    """A data source (file, feed) cannot be read or is not what it claims to be."""


class SourceUnavailableError(SourceError):
    """A remote source did not answer usably (refused, timed out, kept answering 429 or 5xx
    after the retries): a runtime failure (exit code 1), not bad input; retrying later may work."""

    exit_code = EXIT_FAILURE


class StoreError(FormlineError):
    """The database is unreachable, unmigrated or refused an operation."""


class ReloadRefusedError(StoreError):
    """A reload of a source would delete matches that stored predictions are of: refused, with
    nothing changed (a reload never destroys what was published)."""


class StoreNotFoundError(StoreError):
    """No store where the settings point (a read-only command never creates one)."""

    exit_code = EXIT_USAGE


class SchemaMismatchError(FormlineError):
    """Stored data was written with a different schema (database or feature set)."""


class NotFoundError(FormlineError):
    """A record named by its id or code (match, model version, snapshot, competition) does not
    exist: exit code 3, HTTP 404."""

    exit_code = EXIT_NOT_FOUND


class ModelNotFoundError(FormlineError):
    """No model can serve the request: none is deployed, there is none to roll back to, or its
    artifact is gone. A runtime failure (exit code 1); an unknown model version id is an
    :class:`UnknownModelError`."""


class UnknownModelError(NotFoundError, ModelNotFoundError):
    """A model version id that does not exist: a :class:`NotFoundError` (exit code 3), and a
    :class:`ModelNotFoundError` for callers that handle every failed model lookup alike."""


class ComputeError(FormlineError):
    """The compute engine (DuckDB) failed while computing."""


class NotFittedError(FormlineError, ValueError, AttributeError):
    """An estimator was used before ``fit``."""


class CacheError(FormlineError):
    """The cache backend failed."""


class TaskError(FormlineError):
    """A distributed task failed, or did not finish in time: a runtime failure (exit code 1)
    that names the partitions and why."""


class InvalidParameterError(ConfigError, ValueError):
    """An argument outside its valid range (for example a Kelly multiplier above 1): bad input,
    exit code 2; also a :class:`ValueError`, as callers of the pure core expect."""


class MixedWorldsError(ConfigError):
    """Loading the synthetic demo world and real data into one store: models would train on
    both. Exit code 2; each belongs in a store of its own."""


#: Each driver's base exception, by module and class name, and the formline error it becomes.
#: Resolved through ``sys.modules`` only: a driver that was never imported raised nothing, and
#: this module, which the pure core imports, imports no driver. ``sqlalchemy.exc`` covers
#: sqlite3 and psycopg errors raised through SQLAlchemy (``DBAPIError``, ``OperationalError``).
DRIVER_ERRORS: tuple[tuple[str, str, type[FormlineError]], ...] = (
    ("sqlalchemy.exc", "SQLAlchemyError", StoreError),
    ("sqlite3", "Error", StoreError),
    ("psycopg", "Error", StoreError),
    ("adbc_driver_manager", "Error", StoreError),
    ("duckdb", "Error", ComputeError),
    ("redis.exceptions", "RedisError", CacheError),
    ("httpx", "TransportError", SourceUnavailableError),
)


def _driver_error(exc: BaseException) -> type[FormlineError] | None:
    for module_name, class_name, target in DRIVER_ERRORS:
        module = sys.modules.get(module_name)
        base = getattr(module, class_name, None) if module is not None else None
        if isinstance(base, type) and isinstance(exc, base):
            return target
    return None


def _interrupted(exc: BaseException) -> bool:
    """DuckDB answers Ctrl-C by stopping the query and raising ``InterruptException`` (a plain
    ``RuntimeError("Query interrupted")`` in older releases), or, when the interrupt lands in a
    callback into Python, an error naming it: either way swallowing the ``KeyboardInterrupt``."""
    if isinstance(exc, RuntimeError) and str(exc).strip() == "Query interrupted":
        return True
    duckdb = sys.modules.get("duckdb")
    if duckdb is None:
        return False
    interrupt = getattr(duckdb, "InterruptException", None)
    if isinstance(interrupt, type) and isinstance(exc, interrupt):
        return True
    # A Ctrl-C while DuckDB calls back into Python (reading a registered Arrow object) comes
    # back as that call's error, the KeyboardInterrupt named in its message.
    error = getattr(duckdb, "Error", None)
    return isinstance(error, type) and isinstance(exc, error) and "KeyboardInterrupt" in str(exc)


def first_line(exc: BaseException) -> str:
    """The first line of a driver error's message (of the driver's own error under a
    SQLAlchemy wrapper), or its type name when it has no message."""
    original = getattr(exc, "orig", None)
    if isinstance(original, BaseException):
        exc = original
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def map_errors(
    what: str, also: Mapping[type[BaseException], type[FormlineError]] | None = None
) -> Iterator[None]:
    """Map the driver errors raised inside the block into formline's own types.

    The message is ``"{what}: {the driver's first line}"``: it names the operation, never a
    connection string. A :class:`FormlineError` raised inside passes unchanged, and an
    interrupted DuckDB query becomes a ``KeyboardInterrupt`` again (so an interrupted command
    exits 130 and its run is recorded aborted, not failed).

    Parameters
    ----------
    what
        What the block does, as the message starts: ``"reading predictions"``.
    also
        Further exception types to map (checked first), for an adapter whose library raises
        built-in errors too: the Redis cache maps ``OSError`` (refused connections, timeouts).

    Raises
    ------
    StoreError
        For SQLAlchemy, sqlite3, psycopg and ADBC errors.
    ComputeError
        For DuckDB errors.
    CacheError
        For Redis errors.
    SourceUnavailableError
        For httpx's transport errors (the HTTP source layer names the URL itself, redacted).

    Examples
    --------
    >>> with map_errors("reading the schema version"):  # doctest: +SKIP
    ...     conn.execute(text("SELECT version_num FROM formline_schema_version"))
    """
    try:
        yield
    except FormlineError:
        raise
    except Exception as exc:
        if _interrupted(exc):
            raise KeyboardInterrupt from exc
        target = next((t for kind, t in (also or {}).items() if isinstance(exc, kind)), None)
        target = target or _driver_error(exc)
        if target is None:
            raise
        raise target(f"{what}: {first_line(exc)}") from exc
