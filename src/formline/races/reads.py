"""Reading racing facts back from the store: a race with its card, for the CLI and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from formline.races.tables import horses, jockeys, race_venues, races, runners, trainers
from formline.store.db import Store


def race_starts() -> Any:
    """Each race's id and start as ``event_id`` and ``start_at``: when a race starts, for the
    shared ranking of the predictions that evaluate a model (retention, track records)."""
    return select(races.c.id.label("event_id"), races.c.start_at).subquery("race_starts")


def race_card(store: Store, race_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The race (venue code, date, number, start, distance, surface, going, class) and its
    runners by saddle number (horse, jockey and trainer names, draw, weight, rating); None for
    an unknown race."""
    race_query = (
        select(
            races.c.id,
            race_venues.c.code.label("venue"),
            races.c.race_date,
            races.c.race_number,
            races.c.start_at,
            races.c.distance,
            races.c.surface,
            races.c.going,
            races.c.race_class,
        )
        .join(race_venues, race_venues.c.id == races.c.venue_id)
        .where(races.c.id == race_id)
    )
    runner_query = (
        select(
            runners.c.id.label("runner_id"),
            runners.c.saddle_number,
            runners.c.draw,
            runners.c.carried_weight,
            runners.c.rating,
            horses.c.name.label("horse"),
            jockeys.c.name.label("jockey"),
            trainers.c.name.label("trainer"),
        )
        .join(horses, horses.c.id == runners.c.horse_id)
        .outerjoin(jockeys, jockeys.c.id == runners.c.jockey_id)
        .outerjoin(trainers, trainers.c.id == runners.c.trainer_id)
        .where(runners.c.race_id == race_id)
        .order_by(runners.c.saddle_number, runners.c.id)
    )
    with store.connect("reading the race") as conn:
        race = conn.execute(race_query).mappings().first()
        if race is None:
            return None
        field = [dict(r) for r in conn.execute(runner_query).mappings()]
    return dict(race), field
