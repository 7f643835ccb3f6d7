"""Bounds on how long the store may keep a caller waiting: connecting, a statement, a pooled
connection.

A PostgreSQL server whose processes are stopped (not down) is the hard case: the kernel still
accepts connections and acknowledges every byte sent, so nothing on the network ever fails, and
the server's own ``statement_timeout`` cannot fire either. Three bounds cover it:

- connecting: psycopg's ``connect_timeout`` (the whole start-up, authentication included);
- a statement: the server's ``statement_timeout`` for a live server that is slow, and a client
  deadline a little longer for a server that does not answer at all. The deadline closes the
  connection (its protocol state is unknown once a reply is missing), so the pool drops it and
  the next caller connects afresh: the store recovers by itself when the server answers again;
- a pooled connection: SQLAlchemy's ``pool_timeout``.

SQLite has none of these problems (a local file; writers wait ``busy_timeout`` for a lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A client deadline this much longer than ``statement_timeout``: a live server cancels first,
#: with its own clear error.
CLIENT_GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class StoreTimeouts:
    """Seconds a store call may wait; 0 means no bound (``statement`` only)."""

    connect: float = 5.0
    statement: float = 900.0
    pool: float = 10.0

    @property
    def client_deadline(self) -> float | None:
        """Seconds without a reply after which a PostgreSQL connection is given up."""
        return self.statement + CLIENT_GRACE_SECONDS if self.statement > 0 else None


def postgres_connect_args(timeouts: StoreTimeouts, options: str = "") -> dict[str, Any]:
    """psycopg connection arguments that carry ``timeouts`` (``options`` are kept)."""
    parts = [options.strip()] if options.strip() else []
    if timeouts.statement > 0:
        parts.append(f"-c statement_timeout={int(timeouts.statement * 1000)}")
    # libpq takes whole seconds, at least 2.
    return {"connect_timeout": max(2, round(timeouts.connect)), "options": " ".join(parts)}


def deadline_connection_class(deadline: float) -> type[Any]:
    """A psycopg ``Connection`` whose every wait for the server ends after ``deadline`` s.

    The wait that expires closes the connection and raises ``psycopg.OperationalError`` saying
    that the database did not answer, which SQLAlchemy treats as a disconnect.
    """
    import psycopg
    from psycopg import errors

    # psycopg's wait functions raise this private error when their timeout expires.
    wait_timeout: type[Exception] = getattr(errors, "_WaitTimeout", TimeoutError)

    # Connection.wait takes a timeout from psycopg 3.3.6, the declared floor.
    class DeadlineConnection(psycopg.Connection[Any]):
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if timeout is not None:
                return super().wait(gen, interval, timeout)
            try:
                return super().wait(gen, interval, deadline)
            except wait_timeout:
                self.pgconn.finish()  # a reply is missing: the protocol state is unknown
                raise psycopg.OperationalError(
                    f"the database did not answer within {deadline:g} s"
                ) from None

    return DeadlineConnection
