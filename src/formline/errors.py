"""One exception hierarchy for formline.

Adapters translate driver errors (sqlite3, psycopg, duckdb, ...) into these types; the CLI maps
them to exit codes through :attr:`FormlineError.exit_code`, the API (later) to status codes.
"""

from __future__ import annotations


class FormlineError(Exception):
    """Base class of every error formline raises on purpose."""

    exit_code: int = 1


class ConfigError(FormlineError):
    """A setting or command-line option is missing or invalid."""

    exit_code = 2


class DataError(FormlineError):
    """Input data is malformed: not the expected format, or values that cannot be parsed."""

    exit_code = 2


class SourceError(DataError):
    """A data source (file, feed) cannot be read or is not what it claims to be."""


class LeakageError(FormlineError):
    """A computation would use a fact that was not known at its cutoff."""


class StoreError(FormlineError):
    """The database is unreachable, unmigrated or refused an operation."""


class StoreNotFoundError(StoreError):
    """No store where the settings point (a read-only command never creates one)."""

    exit_code = 2


class SchemaMismatchError(FormlineError):
    """Stored data was written with a different schema (database or feature set)."""


class ModelNotFoundError(FormlineError):
    """No model matches the request (for example, no deployed model)."""


class ComputeError(FormlineError):
    """The compute engine (DuckDB) failed while computing."""


class NotFittedError(FormlineError, ValueError, AttributeError):
    """An estimator was used before ``fit``."""


class CacheError(FormlineError):
    """The cache backend failed."""


class NotFoundError(FormlineError):
    """A requested record (match, competition, prediction) does not exist."""
