"""One exception hierarchy for formline.

Adapters translate driver errors (sqlite3, psycopg, duckdb, ...) into these types; the CLI maps
them to exit codes through :attr:`FormlineError.exit_code`, the API to status codes.

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


class LeakageError(FormlineError):
    """A computation would use a fact that was not known at its cutoff."""


class StoreError(FormlineError):
    """The database is unreachable, unmigrated or refused an operation."""


class ReloadRefusedError(StoreError):
    """A reload of a source would delete matches that stored predictions are of: refused, with
    nothing changed (a reload never destroys what was published)."""


class StoreNotFoundError(StoreError):
    """No store where the settings point (a read-only command never creates one)."""

    exit_code = 2


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


class InvalidParameterError(ConfigError, ValueError):
    """An argument outside its valid range (for example a Kelly multiplier above 1): bad input,
    exit code 2; also a :class:`ValueError`, as callers of the pure core expect."""


class MixedWorldsError(ConfigError):
    """Loading the synthetic demo world and real data into one store: models would train on
    both. Exit code 2; each belongs in a store of its own."""
