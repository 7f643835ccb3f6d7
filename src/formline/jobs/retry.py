"""Which failures a task retries: an unavailable store, cache or broker, never bad data.

Retrying bad data only repeats the failure (and delays the report of it); retrying an outage
is what lets a run ride out a database restart or a Redis failover.
"""

from __future__ import annotations

import sys

from formline.errors import (
    CacheError,
    ConfigError,
    DataError,
    NotFoundError,
    ReloadRefusedError,
    SchemaMismatchError,
    StoreError,
    StoreNotFoundError,
)

#: Driver errors behind a StoreError that mean the data or statement was refused, not that the
#: database was away: never retried (module, class name; resolved only if imported).
_REFUSALS = (
    ("sqlalchemy.exc", "IntegrityError"),
    ("sqlalchemy.exc", "DataError"),
    ("sqlalchemy.exc", "ProgrammingError"),
)

#: The broker's own connection errors (kombu), retried like an unavailable store.
_BROKER_ERRORS = (("kombu.exceptions", "OperationalError"),)


def _is(exc: BaseException | None, names: tuple[tuple[str, str], ...]) -> bool:
    for module_name, class_name in names:
        kind = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(kind, type) and isinstance(exc, kind):
            return True
    return False


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is an outage worth retrying.

    Retried: a :class:`StoreError` (the database unreachable, locked, timing out) unless the
    database refused the data itself, a :class:`CacheError`, the broker's connection errors,
    and plain connection errors and timeouts. Never: bad input (:class:`DataError`,
    :class:`ConfigError`), a record that is not there, a schema mismatch, a refused reload, a
    missing store.
    """
    if isinstance(
        exc,
        DataError
        | ConfigError
        | NotFoundError
        | SchemaMismatchError
        | ReloadRefusedError
        | StoreNotFoundError,
    ):
        return False
    if isinstance(exc, StoreError):
        return not _is(exc.__cause__, _REFUSALS)
    if isinstance(exc, CacheError):
        return True
    return _is(exc, _BROKER_ERRORS) or isinstance(exc, ConnectionError | TimeoutError)


def backoff_seconds(retries: int, first: float, cap: float) -> float:
    """Seconds before retry number ``retries + 1``: ``first``, doubling, at most ``cap``."""
    return float(min(cap, first * 2.0**retries))
