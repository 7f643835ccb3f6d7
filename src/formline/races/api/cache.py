"""The races domain's read-API cache: the kinds of response its routes cache (with the setting
of each TTL) and what to warm after a publish: each race card the snapshot predicts and the
race lists of their days (all venues, and each venue).

Named by ``RacesDomain.api_cache`` (``"formline.races.api.cache:RACES_CACHE"``);
:mod:`formline.api.warm` does the warming.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import select

from formline.api.declared import CacheKind, DomainCache, HotRequest
from formline.races.api.routes.races import build_race_card, build_races, races_params
from formline.races.tables import race_venues, races
from formline.store.db import Store
from formline.store.reads import Pointer
from formline.store.tables import predicted_events


def _race_params(race_id: int) -> dict[str, object]:
    return {"race_id": race_id}


def hot_requests(store: Store, pointer: Pointer) -> list[HotRequest]:
    """(kind, params) of the responses to warm: each predicted race's card and its day's list
    (of every venue, and of its venue)."""
    query = (
        select(races.c.id, races.c.race_date, race_venues.c.code)
        .join(race_venues, race_venues.c.id == races.c.venue_id)
        .where(
            races.c.id.in_(
                select(predicted_events.c.event_id)
                .where(predicted_events.c.snapshot_id == pointer.snapshot_id)
                .distinct()
            )
        )
        .order_by(races.c.start_at, races.c.id)
    )
    with store.connect("listing the snapshot to warm") as conn:
        rows = conn.execute(query).all()
    days = sorted({(date.fromisoformat(row.race_date), row.code) for row in rows})
    return [
        *(("races", races_params(day, None)) for day in sorted({day for day, _ in days})),
        *(("races", races_params(day, venue)) for day, venue in days),
        *(("race", _race_params(int(row.id))) for row in rows),
    ]


def build_hot(store: Store, pointer: Pointer, kind: str, params: dict[str, object]) -> BaseModel:
    """One response :func:`hot_requests` lists, built as its route builds it."""
    if kind == "races":
        day, venue = params["date"], params["venue"]
        assert isinstance(day, date)
        return build_races(store, pointer, day, None if venue is None else str(venue))
    race_id = params["race_id"]
    assert isinstance(race_id, int)
    return build_race_card(store, pointer, race_id)


RACES_CACHE = DomainCache(
    kinds=(
        CacheKind("races", "api_cache_ttl_predictions", hot=True),
        CacheKind("race", "api_cache_ttl_predictions", hot=True),
        CacheKind("race_form", "api_cache_ttl_matches"),
    ),
    hot_requests=hot_requests,
    build=build_hot,
)
