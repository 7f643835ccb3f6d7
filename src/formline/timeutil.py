"""Parsing the ``--as-of`` instants users type. All instants are UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from formline.errors import ConfigError


def parse_instant(value: str, option: str = "--as-of") -> datetime:
    """Parse an ISO date or timestamp as a naive UTC datetime.

    A date means midnight UTC; a timestamp with an offset is converted to UTC; one without an
    offset is taken to be UTC already.

    Raises
    ------
    ConfigError
        If ``value`` is not an ISO date or timestamp.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{option}: cannot parse '{value}'; use an ISO date or timestamp "
            "such as 2023-05-01 or 2023-05-01T15:00:00Z"
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def utc_now_naive() -> datetime:
    """The current instant as a naive UTC datetime, to the second."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
