"""Dependencies of the routes, as ``Annotated`` aliases, and the shared parameter types."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from formline.api.context import ApiContext
from formline.api.errors import bad_parameter

#: The largest id the store can hold (BIGINT): larger ones are a 422, not a driver error.
MAX_ID = 2**63 - 1
#: Instants outside these years are refused with a 422 (window arithmetic must not overflow).
EARLIEST, LATEST = datetime(1900, 1, 1), datetime(2200, 1, 1)


async def get_context(request: Request) -> ApiContext:
    """The process's :class:`ApiContext`, built by ``create_app``."""
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]

CompetitionCode = Annotated[
    str | None,
    Query(
        description="A competition code, such as E0 (see /competitions).",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    ),
]


def id_path(what: str) -> object:
    """A positive id path parameter that fits in the store."""
    return Path(ge=1, le=MAX_ID, description=f"The {what}'s id.")


MatchId = Annotated[int, id_path("match")]
ModelId = Annotated[int, id_path("model version")]


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


def day_end(day: date) -> datetime | None:
    """Midnight UTC after ``day``, or None after the last representable day."""
    if day == date.max:
        return None
    return datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=UTC)


def utc_instant(value: datetime | None, name: str) -> datetime | None:
    """``value`` as an aware UTC datetime (naive means UTC), or a 422 if out of range."""
    if value is None:
        return None
    try:
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        aware = EARLIEST.replace(tzinfo=UTC) - (LATEST - EARLIEST)  # out of range: refused below
    if not EARLIEST.replace(tzinfo=UTC) <= aware < LATEST.replace(tzinfo=UTC):
        bad_parameter(("query", name), f"{name} must be between 1900 and 2200", value.isoformat())
    return aware
