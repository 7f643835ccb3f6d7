"""Dependencies of the routes, as ``Annotated`` aliases, and the shared parameter types."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from pydantic import BeforeValidator

from formline.api.context import ApiContext

#: The largest id the store can hold (BIGINT): larger ones are a 422, not a driver error.
MAX_ID = 2**63 - 1


async def get_context(request: Request) -> ApiContext:
    """The process's :class:`ApiContext`, built by ``create_app``."""
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]


def id_path(what: str) -> object:
    """A positive id path parameter that fits in the store."""
    return Path(ge=1, le=MAX_ID, description=f"The {what}'s id.")


ModelId = Annotated[int, id_path("model version")]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ].*)?$")


def _iso_only(pattern: re.Pattern[str], what: str) -> BeforeValidator:
    # Pydantic reads a number as seconds since 1970 (as_of=0.5 is 1970-01-01T00:00:00.5Z);
    # a query parameter that is a date must be written as one.
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.match(value.strip()):
            raise ValueError(f"must be an ISO 8601 {what}, such as {_EXAMPLES[what]}")
        return value

    return BeforeValidator(check)


_EXAMPLES = {"date": "2025-11-08", "date or timestamp": "2025-11-08T15:00:00Z"}

#: A day written as an ISO date (``2025-11-08``); numbers are refused.
IsoDate = Annotated[date, _iso_only(_ISO_DATE, "date")]
#: An instant written as an ISO date or timestamp; numbers are refused.
IsoInstant = Annotated[datetime, _iso_only(_ISO_INSTANT, "date or timestamp")]


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


def day_end(day: date) -> datetime | None:
    """Midnight UTC after ``day``, or None after the last representable day."""
    if day == date.max:
        return None
    return datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=UTC)


def utc_instant(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (naive means UTC).

    An instant whose UTC form falls outside the calendar (0001-01-01T00:00+05:00) is taken as
    the earliest or latest representable one, so no input can overflow later arithmetic.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if value.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def days_before(instant: datetime, days: int) -> datetime:
    """``instant - days``, or the earliest representable instant if that is before year 1."""
    try:
        return instant - timedelta(days=days)
    except OverflowError:
        return datetime.min.replace(tzinfo=instant.tzinfo)
