"""The one settings class. Only the CLI, the API and jobs read it; they pass values down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from formline.errors import ConfigError


class Settings(BaseSettings):
    """formline's configuration, read from the environment (and an optional ``.env`` file).

    Every field maps to the upper-case environment variable of the same name.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    formline_home: Path = Field(
        default=Path(".formline"), description="Folder for the embedded store and model files."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: a SQLite file under FORMLINE_HOME. "
        "postgresql://... switches to PostgreSQL.",
    )
    redis_url: str | None = Field(default=None, description="Redis URL for the API cache.")
    model_storage_path: Path | None = Field(
        default=None, description="Where model bundles are written. Default: FORMLINE_HOME/models."
    )
    default_horizon_days: int = Field(
        default=90, ge=1, description="How far ahead predictions look by default."
    )

    ingest_paths: str | None = Field(
        default=None,
        alias="FORMLINE_INGEST_PATHS",
        description="football-data files or folders the daily run re-loads, separated by ':'.",
    )
    retrain_days: int = Field(
        default=7,
        ge=1,
        alias="FORMLINE_RETRAIN_DAYS",
        description="The daily run retrains when the deployed model is this many days old.",
    )

    @property
    def ingest_path_list(self) -> tuple[str, ...]:
        """``ingest_paths`` split on the path separator."""
        if not self.ingest_paths:
            return ()
        return tuple(p for p in self.ingest_paths.split(":") if p.strip())

    @field_validator("database_url")
    @classmethod
    def _non_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL to connect to, with the driver named explicitly."""
        return normalise_database_url(
            self.database_url or f"sqlite:///{(self.formline_home / 'formline.db').as_posix()}"
        )

    @property
    def resolved_model_storage_path(self) -> Path:
        """Where model bundles live."""
        return self.model_storage_path or self.formline_home / "models"


def normalise_database_url(url: str) -> str:
    """Name the driver explicitly: ``postgresql://`` means psycopg 3, not psycopg2.

    Raises
    ------
    ConfigError
        If the URL names a database formline does not support.
    """
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("postgresql+psycopg://", "sqlite://", "sqlite+pysqlite://")):
        return url
    scheme = url.split("://", 1)[0] if "://" in url else url
    raise ConfigError(
        f"DATABASE_URL: unsupported database '{scheme}'; use sqlite:///PATH or postgresql://..."
    )


def redact_url(url: str) -> str:
    """Hide the password of a database URL, for messages and logs."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"
