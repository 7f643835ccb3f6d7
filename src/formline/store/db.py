"""Connecting to the store and migrating it (driver errors map through formline.errors)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url

from formline.errors import StoreError, StoreNotFoundError, map_errors
from formline.settings import normalise_database_url, redact_url
from formline.store.timeouts import (
    StoreTimeouts,
    deadline_connection_class,
    postgres_connect_args,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_PATH = Path(__file__).with_name("migrations")
#: formline's own Alembic version table. Not Alembic's default ``alembic_version``: Optuna keeps
#: its studies in the same database and versions its own tables under that name.
VERSION_TABLE = "formline_schema_version"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@dataclass
class Store:
    """A handle on the database: the SQLAlchemy engine plus migration helpers."""

    engine: Engine
    #: The bounds its connections were made with (see formline.store.timeouts).
    timeouts: StoreTimeouts = field(default_factory=StoreTimeouts)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with its password hidden."""
        return redact_url(self.engine.url.render_as_string(hide_password=True))

    @contextmanager
    def begin(self, what: str = "store") -> Iterator[Connection]:
        """A connection in a transaction that commits on success and rolls back on error."""
        with map_errors(what), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self, what: str = "store") -> Iterator[Connection]:
        """A connection for reads."""
        with map_errors(what), self.engine.connect() as conn:
            yield conn

    def libpq_url(self) -> str:
        """A ``postgresql://`` URL for another libpq client (ADBC), password and timeouts in."""
        from urllib.parse import quote

        url = self.engine.url
        args = postgres_connect_args(self.timeouts, str(url.query.get("options", "")))
        query = {
            **{k: str(v) for k, v in url.query.items()},
            **{k: str(v) for k, v in args.items()},
        }
        # libpq decodes %20, not '+', as a space: render the query by hand.
        encoded = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items() if v)
        base = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        return f"{base}?{encoded}" if encoded else base

    def current_revision(self) -> str | None:
        """The Alembic revision the database is at, or None if it was never migrated."""
        with self.connect("reading the schema version") as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return None
            return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()

    def head_revision(self) -> str:
        """The newest revision this version of formline knows."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        assert head is not None
        return head

    def migrate(self, revision: str = "head") -> tuple[str | None, str]:
        """Upgrade the schema to ``revision`` (the newest by default). Returns (before, after)."""
        before = self.current_revision()
        self.run_migration("upgrade", revision)
        after = self.current_revision()
        assert after is not None
        return before, after

    def run_migration(self, direction: str, revision: str) -> None:
        """Run Alembic's ``upgrade`` or ``downgrade`` to ``revision`` in one transaction.

        On SQLite, foreign keys are switched off while the migration runs (a batch migration
        rebuilds a table by copying it, which they would refuse while other tables refer to
        it), and the migration fails unless every reference still holds at the end.
        """
        from alembic import command

        with map_errors("migrating the database"), self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            try:
                with conn.begin():
                    config = _alembic_config()
                    config.attributes["connection"] = conn
                    getattr(command, direction)(config, revision)
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise StoreError(
                                f"migrating the database: {len(broken)} rows refer to rows "
                                f"that do not exist (first: table {broken[0][0]})"
                            )
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()

    def ensure_migrated(self) -> None:
        """Make sure the schema is current.

        The embedded SQLite default migrates itself; a server database must be migrated on
        purpose with ``formline db:migrate``.
        """
        current = self.current_revision()
        if current == self.head_revision():
            return
        if self.dialect == "sqlite":
            self.migrate()
            return
        state = "not migrated" if current is None else f"at revision {current}"
        raise StoreError(f"database {self.display_url} is {state}; run `formline db:migrate` first")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _alembic_config() -> Config:
    # Imported here: Alembic (with Mako and Pygments) is only needed to migrate, and the read
    # API, which never migrates, should not pay for it in every worker.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    return config


def create_store_engine(
    url: str, *, create: bool = True, timeouts: StoreTimeouts | None = None
) -> Engine:
    """An engine for ``url`` with formline's connection settings (SQLite pragmas, pooling,
    PostgreSQL timeouts).

    With ``create`` false, a SQLite file that does not exist (or holds no formline schema) is
    a :class:`StoreNotFoundError` instead of a new empty store (and its folder is not created).
    """
    url = normalise_database_url(url)
    timeouts = timeouts or StoreTimeouts()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            if not create:
                _require_sqlite_store(Path(database))
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, pool_timeout=timeouts.pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return postgres_engine(parsed, timeouts)


def postgres_engine(
    url: URL, timeouts: StoreTimeouts, *, extra_options: str = "", **pool: Any
) -> Engine:
    """A PostgreSQL engine whose connections carry ``timeouts`` (and ``extra_options``).

    The URL keeps its own ``options`` (a ``search_path``, say); the connection arguments carry
    them too, with the timeouts added, since they take precedence over the URL's.
    """
    options = " ".join(p for p in (str(url.query.get("options", "")), extra_options) if p)
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=timeouts.pool,
        connect_args=postgres_connect_args(timeouts, options),
        **pool,
    )
    deadline = timeouts.client_deadline
    if deadline is not None:
        connection_class = deadline_connection_class(deadline)

        def connect(_dialect: object, _record: object, cargs: Any, cparams: Any) -> Any:
            return connection_class.connect(*cargs, **cparams)

        event.listen(engine, "do_connect", connect)
    return engine


def _require_sqlite_store(path: Path) -> None:
    """Raise StoreNotFoundError unless ``path`` is a SQLite file with formline's schema table.

    Looked at read-only, so that a wrong file is left exactly as it was.
    """
    import sqlite3

    if not path.is_file():
        from formline.domain import all_domains

        commands = sorted({s.command for d in all_domains() for s in d.sources})
        create = " or ".join(f"`formline {c}`" for c in commands) or "an ingest command"
        raise StoreNotFoundError(
            f"no store at {path}: check FORMLINE_HOME or DATABASE_URL, or create one with {create}"
        )
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
            ).fetchone()
    except sqlite3.DatabaseError:
        found = None
    if found is None:
        raise StoreNotFoundError(
            f"{path} is not a formline store (it has no schema version): check FORMLINE_HOME "
            "or DATABASE_URL"
        )


def open_store(
    url: str,
    *,
    migrate: bool = True,
    create: bool = True,
    timeouts: StoreTimeouts | None = None,
) -> Store:
    """Open the store at ``url``; with ``migrate``, make sure its schema is current.

    Parameters
    ----------
    url
        The database URL.
    migrate
        Bring the schema up to date (the embedded SQLite store migrates itself; a server
        database must have been migrated with ``formline db:migrate``).
    create
        False for commands that only read: a SQLite file that does not exist, or one that
        holds no formline schema, is refused instead of being created or migrated from empty.
    timeouts
        Connect, statement and pool bounds (default :class:`StoreTimeouts`).

    Raises
    ------
    StoreNotFoundError
        Without ``create``, if there is no store at ``url``.
    StoreError
        If the database cannot be reached or is not migrated (server databases).
    """
    timeouts = timeouts or StoreTimeouts()
    store = Store(create_store_engine(url, create=create, timeouts=timeouts), timeouts)
    if migrate:
        store.ensure_migrated()
    return store
