"""The matches domain's HTTP sources' settings, read from the environment like
:class:`formline.settings.Settings` (which holds the terms every source shares: timeouts,
retries, backoff, the cache folder). Only the CLI reads them and passes values down."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from formline.fetch import SourcePolicy
from formline.settings import Settings

__all__ = ["FootballDataSettings", "football_data_policy"]


class FootballDataSettings(BaseSettings):
    """football-data.co.uk over HTTP: where, how often and how fresh."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    football_data_base_url: str = Field(
        default="https://www.football-data.co.uk",
        description="Where football-data.co.uk's files are read (its layout: "
        "{base}/mmz4281/1819/E0.csv); a mirror or a test server can stand in.",
    )
    football_data_min_interval_seconds: float = Field(
        default=1.0,
        ge=0.0,
        le=3600.0,
        description="The rate limit: the least seconds between two requests to football-data.",
    )
    football_data_cache_seconds: float = Field(
        default=3600.0,
        ge=0.0,
        description="A cached football-data file younger than this is used without a request; "
        "an older one is revalidated (conditional GET).",
    )

    @field_validator("football_data_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


def football_data_policy(settings: Settings, source: FootballDataSettings) -> SourcePolicy:
    """The football-data source's terms from the settings (it needs no API key)."""
    return SourcePolicy(
        name="football-data",
        base_url=source.football_data_base_url,
        min_interval_seconds=source.football_data_min_interval_seconds,
        connect_timeout=settings.http_connect_timeout_seconds,
        read_timeout=settings.http_read_timeout_seconds,
        max_retries=settings.http_max_retries,
        backoff_seconds=settings.http_backoff_seconds,
        backoff_max_seconds=settings.http_backoff_max_seconds,
        max_retry_after_seconds=settings.http_max_retry_after_seconds,
        cache_seconds=source.football_data_cache_seconds,
        max_bytes=int(settings.ingest_max_file_mb * 1024 * 1024),
    )
