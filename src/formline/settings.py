"""The one settings class. Only the CLI, the API and jobs read it; they pass values down."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from formline.errors import ConfigError

if TYPE_CHECKING:
    from formline.store.timeouts import StoreTimeouts


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
    formline_domain: str = Field(
        default="matches",
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="The domain (kind of event) commands act on when --domain is not given.",
    )
    default_horizon_days: int = Field(
        default=90, ge=1, description="How far ahead predictions look by default."
    )

    database_connect_timeout: float = Field(
        default=5.0,
        ge=1.0,
        le=600.0,
        description="Seconds to connect to PostgreSQL (start-up and authentication included).",
    )
    database_statement_timeout: float = Field(
        default=900.0,
        ge=0.0,
        description="Seconds a worker statement may run on PostgreSQL (the server cancels it), "
        "or wait for a server that stopped answering (the connection is dropped); 0: no bound.",
    )
    database_pool_timeout: float = Field(
        default=10.0,
        ge=0.1,
        le=600.0,
        description="Seconds to wait for a free pooled connection.",
    )

    run_lock_wait_seconds: float = Field(
        default=30.0,
        ge=0.0,
        le=86_400.0,
        description="Seconds a command that writes waits for another run holding the store's "
        "lock (of its domain) before it refuses.",
    )
    job_heartbeat_seconds: float = Field(
        default=30.0, ge=0.5, le=3600.0, description="Seconds between a run's heartbeats."
    )
    job_stale_seconds: float = Field(
        default=300.0,
        ge=5.0,
        description="A run owned by another host is dead after this long without a heartbeat "
        "(on this host, a run is dead as soon as its process is gone).",
    )

    ingest_paths: str | None = Field(
        default=None,
        alias="FORMLINE_INGEST_PATHS",
        description="Source files or folders the daily run's ingest step re-loads through the "
        "domain's adapter, separated by ':'.",
    )
    ingest_max_file_mb: float = Field(
        default=64.0,
        gt=0.0,
        le=1_048_576.0,
        description="Megabytes of text one ingested file may hold once decompressed; a larger "
        "file (or gzip bomb) is refused with nothing loaded.",
    )
    ingest_max_line_kb: float = Field(
        default=64.0,
        gt=0.0,
        le=1_048_576.0,
        description="Kilobytes one line (or one quoted record across lines) of an ingested file "
        "may hold; a longer one is refused as file:line with nothing loaded.",
    )
    ingest_max_rejects: int = Field(
        default=10_000,
        ge=0,
        description="Rejects one ingested file may produce before it is refused as not the "
        "expected data (nothing is loaded).",
    )
    retrain_days: int = Field(
        default=7,
        ge=1,
        alias="FORMLINE_RETRAIN_DAYS",
        description="The daily run retrains when the deployed model is this many days old.",
    )

    # --- the HTTP source layer (formline.fetch): every source's shared terms ---------------------
    http_connect_timeout_seconds: float = Field(
        default=10.0, gt=0.0, le=600.0, description="Seconds to connect to an HTTP source."
    )
    http_read_timeout_seconds: float = Field(
        default=60.0,
        gt=0.0,
        le=3600.0,
        description="Seconds an HTTP source may stay silent while it answers (each read).",
    )
    http_max_retries: int = Field(
        default=4,
        ge=0,
        le=20,
        description="Further attempts after a 429, a 5xx, a timeout or a cut-short response.",
    )
    http_backoff_seconds: float = Field(
        default=2.0,
        ge=0.0,
        le=600.0,
        description="The wait before the first retry; it doubles with each retry after it.",
    )
    http_backoff_max_seconds: float = Field(
        default=120.0, ge=0.0, le=3600.0, description="The longest wait between two attempts."
    )
    http_max_retry_after_seconds: float = Field(
        default=600.0,
        ge=0.0,
        le=86_400.0,
        description="A Retry-After longer than this fails the fetch at once instead of waiting.",
    )
    http_cache_dir: Path | None = Field(
        default=None,
        description="The on-disk cache of HTTP responses. Default: FORMLINE_HOME/http-cache.",
    )

    @property
    def resolved_http_cache_dir(self) -> Path:
        """Where HTTP responses are cached."""
        return self.http_cache_dir or self.formline_home / "http-cache"

    # --- Celery workers (`formline worker`, `daily:run --distributed`) ---------------------------
    celery_broker_url: str | None = Field(
        default=None,
        description="The Celery broker: redis://HOST:6379/N or amqp://USER:PASSWORD@HOST:5672//.",
    )
    celery_result_backend: str | None = Field(
        default=None,
        description="Where task results are kept (redis://...); default: the broker's Redis, "
        "or rpc:// (replies over the broker) with an amqp:// broker.",
    )
    celery_task_soft_time_limit: float = Field(
        default=1800.0,
        gt=0.0,
        le=86_400.0,
        description="Seconds a task may run before it is asked to stop (SoftTimeLimitExceeded).",
    )
    celery_task_time_limit: float = Field(
        default=2100.0,
        gt=0.0,
        le=86_400.0,
        description="Seconds after which a task's worker process is killed (above the soft one).",
    )
    celery_worker_max_tasks_per_child: int = Field(
        default=100,
        ge=1,
        description="Tasks a worker process runs before it is replaced (bounds leaked memory).",
    )
    celery_worker_prefetch_multiplier: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="Tasks a worker process reserves ahead; 1 suits long tasks with acks_late.",
    )
    celery_task_max_retries: int = Field(
        default=5,
        ge=0,
        le=100,
        description="Retries of a task that met an unavailable store, cache or broker.",
    )
    celery_task_retry_backoff_max: float = Field(
        default=300.0,
        gt=0.0,
        le=86_400.0,
        description="Seconds at most between two retries.",
    )
    celery_task_retry_backoff: float = Field(
        default=1.0,
        gt=0.0,
        le=3600.0,
        description="Seconds before the first retry; each further retry waits twice as long.",
    )
    celery_task_default_queue: str = Field(
        default="formline",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="The queue formline's tasks are sent to and `formline worker` consumes.",
    )
    celery_wait_seconds: float = Field(
        default=3600.0,
        gt=0.0,
        le=86_400.0,
        description="Seconds `daily:run --distributed` waits for its partitions before failing.",
    )

    @field_validator("celery_broker_url")
    @classmethod
    def _valid_broker_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "amqp://", "amqps://")):
            raise ValueError("CELERY_BROKER_URL must start with redis://, rediss://, amqp://")
        return value

    @field_validator("celery_result_backend")
    @classmethod
    def _non_empty_backend(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else value

    @field_validator("celery_task_time_limit")
    @classmethod
    def _hard_above_soft(cls, value: float, info: ValidationInfo) -> float:
        soft = info.data.get("celery_task_soft_time_limit")
        if soft is not None and value <= soft:
            raise ValueError(
                f"CELERY_TASK_TIME_LIMIT ({value:g}) must exceed "
                f"CELERY_TASK_SOFT_TIME_LIMIT ({soft:g})"
            )
        return value

    # --- the read API (`formline serve`) and its cache -------------------------------------------
    api_cache_enabled: bool = Field(
        default=True, description="Cache API responses (in-process, or in Redis with REDIS_URL)."
    )
    api_cache_ttl_predictions: int = Field(
        default=3600,
        ge=0,
        le=86_400,
        description="Seconds a /predictions response is cached. Keys carry the snapshot id, so "
        "a publish makes old entries unreachable at once; 0 disables caching of this kind.",
    )
    api_cache_ttl_matches: int = Field(
        default=60, ge=0, le=86_400, description="Seconds /matches and /competitions are cached."
    )
    api_cache_ttl_models: int = Field(
        default=300, ge=0, le=86_400, description="Seconds /models responses are cached."
    )
    api_cache_ttl_performance: int = Field(
        default=600, ge=0, le=86_400, description="Seconds /performance responses are cached."
    )
    api_cache_ttl_value_bets: int = Field(
        default=60, ge=0, le=86_400, description="Seconds /value-bets responses are cached."
    )
    api_cache_key_prefix: str = Field(
        default="formline",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="Prefix of Redis keys (with formline's version after it), to share a Redis.",
    )
    api_cache_local_ttl_seconds: float = Field(
        default=5.0,
        ge=0.0,
        le=3600.0,
        description="With Redis, seconds an entry read from Redis is also kept in the API "
        "process's memory (0: read Redis every time).",
    )
    api_cache_redis_timeout_seconds: float = Field(
        default=0.25,
        gt=0.0,
        le=10.0,
        description="Seconds the API waits for Redis to connect or answer before it answers "
        "from the store instead: small, because a slow cache is worse than none.",
    )
    api_cache_max_mb: int = Field(
        default=64,
        ge=1,
        le=65_536,
        description="Megabytes of response bodies the in-process cache holds (LRU beyond).",
    )
    api_pointer_ttl_seconds: float = Field(
        default=1.0,
        ge=0.0,
        le=60.0,
        description="How long an API worker reuses the published-snapshot pointer it read: the "
        "bound on how stale a response can be after a publish.",
    )
    api_client_max_age: int = Field(
        default=10, ge=0, le=3600, description="max-age of the Cache-Control header sent."
    )
    api_store_timeout: float = Field(
        default=5.0,
        ge=0.5,
        le=300.0,
        description="Seconds an API request waits for the store (connection, pool and each "
        "statement) before it answers 503 with Retry-After.",
    )
    api_retry_after_seconds: int = Field(
        default=5, ge=1, le=3600, description="Retry-After sent with 503 when the store is down."
    )
    api_cors_origins: str = Field(
        default="",
        description="Comma-separated origins allowed by CORS (https://app.example.com); "
        "empty allows none, '*' allows any (without credentials).",
    )
    snapshot_retention_days: int = Field(
        default=90,
        ge=1,
        description="db:cleanup and daily:run prune prediction snapshots older than this, except "
        "the current one and those the deployed model's evaluation needs.",
    )

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        """``api_cors_origins`` split on commas."""
        return tuple(o.strip() for o in self.api_cors_origins.split(",") if o.strip())

    @field_validator("api_cors_origins")
    @classmethod
    def _valid_origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",")):
            if origin and origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(
                    f"API_CORS_ORIGINS: '{origin}' is not an origin such as https://example.com"
                )
        return value

    @field_validator("redis_url")
    @classmethod
    def _valid_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
        return value

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

    def worker_store_timeouts(self) -> StoreTimeouts:
        """The store's connect, statement and pool timeouts for worker code (commands, the
        library); the API bounds its own by ``API_STORE_TIMEOUT``."""
        from formline.store.timeouts import StoreTimeouts

        return StoreTimeouts(
            connect=self.database_connect_timeout,
            statement=self.database_statement_timeout,
            pool=self.database_pool_timeout,
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
        If the URL names a database formline does not support, or is malformed (the message
        never repeats the URL: it may hold a password).
    """
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    elif not url.startswith(("postgresql+psycopg://", "sqlite://", "sqlite+pysqlite://")):
        scheme = url.split("://", 1)[0] if "://" in url else url
        raise ConfigError(
            f"DATABASE_URL: unsupported database '{scheme}'; use sqlite:///PATH or postgresql://..."
        )
    _check_well_formed(url)
    return url


_URL_SHAPE = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


def _check_well_formed(url: str) -> None:
    """Raise ConfigError when ``url`` cannot be what it means to be, naming no part of it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url.startswith("postgresql"):
        authority = url.split("://", 1)[1].split("?", 1)[0]
        if authority.count("@") > 1:
            # An unencoded '@' in the password: the driver would take the rest for the host.
            raise ConfigError(
                "DATABASE_URL is malformed: it has more than one '@' (write an '@' in the "
                f"user or password as %40); expected {_URL_SHAPE}"
            )
    try:
        _ = make_url(url).port  # some versions convert the port only when asked
    except (ArgumentError, ValueError, TypeError):
        raise ConfigError(
            f"DATABASE_URL is malformed (a port that is not a number, an unclosed '[' ...); "
            f"expected {_URL_SHAPE} or sqlite:///PATH"
        ) from None


def redact_url(url: str) -> str:
    """Hide the password of a database URL, for messages and logs."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"
