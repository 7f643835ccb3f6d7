"""The races domain's reads for the API: a day's races, a race's card, the rows of a snapshot
for some races, and the horses, jockeys and trainers.

A race prediction is stored long (:mod:`formline.store.predictions`): one ``predicted_events``
row per runner (``event_id`` the race's id, ``unit`` the runner's id as text, with its drivers)
and one ``predictions`` row per runner and market (``win`` and ``place``, selection ``yes``,
line 0). Plain SQLAlchemy Core returning dicts: no pandas, no NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select

from formline.races.tables import horses, jockeys, race_venues, races, runners, trainers
from formline.store.tables import predicted_events, predictions

#: The domain the races' prediction snapshots belong to.
DOMAIN = "races"
#: The markets of a runner's prediction and their selection.
WIN, PLACE, SELECTION = "win", "place", "yes"

RACE_COLUMNS = (
    races.c.id,
    races.c.race_date,
    races.c.race_number,
    races.c.start_at,
    races.c.name,
    races.c.distance,
    races.c.surface,
    races.c.course,
    races.c.going,
    races.c.race_class,
    races.c.rating_band,
    races.c.prize,
    races.c.field_size,
    race_venues.c.id.label("venue_id"),
    race_venues.c.code.label("venue_code"),
    race_venues.c.name.label("venue_name"),
)


def venue_exists(conn: Connection, code: str) -> bool:
    """Whether a venue has the code ``code``."""
    query = select(race_venues.c.id).where(race_venues.c.code == code)
    return conn.execute(query).first() is not None


def day_races(conn: Connection, race_date: str, venue: str | None) -> list[dict[str, Any]]:
    """The races of the local day ``race_date`` (of the venue coded ``venue``), by start, with
    ``n_runners``."""
    counted = (
        select(runners.c.race_id, func.count().label("n_runners"))
        .group_by(runners.c.race_id)
        .subquery()
    )
    query = (
        select(*RACE_COLUMNS, func.coalesce(counted.c.n_runners, 0).label("n_runners"))
        .join(race_venues, race_venues.c.id == races.c.venue_id)
        .outerjoin(counted, counted.c.race_id == races.c.id)
        .where(races.c.race_date == race_date)
        .order_by(races.c.start_at, race_venues.c.code, races.c.race_number)
    )
    if venue is not None:
        query = query.where(race_venues.c.code == venue)
    return [dict(r) for r in conn.execute(query).mappings()]


def get_race(conn: Connection, race_id: int) -> dict[str, Any] | None:
    """One race with its venue, or None."""
    query = (
        select(*RACE_COLUMNS)
        .join(race_venues, race_venues.c.id == races.c.venue_id)
        .where(races.c.id == race_id)
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)


def race_runners(conn: Connection, race_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The runners of ``race_ids`` with their horse, jockey and trainer names, by race and
    saddle number."""
    jockey, trainer = jockeys.alias("j"), trainers.alias("t")
    query = (
        select(
            runners.c.id.label("runner_id"),
            runners.c.race_id,
            runners.c.saddle_number,
            runners.c.draw,
            runners.c.carried_weight,
            runners.c.declared_weight,
            runners.c.rating,
            runners.c.gear,
            runners.c.horse_age,
            runners.c.horse_id,
            horses.c.name.label("horse_name"),
            runners.c.jockey_id,
            jockey.c.name.label("jockey_name"),
            runners.c.trainer_id,
            trainer.c.name.label("trainer_name"),
        )
        .join(horses, horses.c.id == runners.c.horse_id)
        .outerjoin(jockey, jockey.c.id == runners.c.jockey_id)
        .outerjoin(trainer, trainer.c.id == runners.c.trainer_id)
        .where(runners.c.race_id.in_(list(race_ids)))
        .order_by(runners.c.race_id, runners.c.saddle_number, runners.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def snapshot_runner_rows(
    conn: Connection, snapshot_id: int, race_ids: Sequence[int], *, drivers: bool
) -> dict[tuple[int, str], dict[str, Any]]:
    """Each runner's prediction in snapshot ``snapshot_id`` for ``race_ids``, by (race id,
    unit): ``model_version_id``, ``information``, ``p_win``, ``p_place``, ``fair_win``,
    ``fair_place`` (and ``drivers``)."""
    event_columns = [
        predicted_events.c.event_id,
        predicted_events.c.unit,
        predicted_events.c.model_version_id,
        predicted_events.c.information,
        *([predicted_events.c.drivers] if drivers else []),
    ]
    events = select(*event_columns).where(
        (predicted_events.c.snapshot_id == snapshot_id)
        & predicted_events.c.event_id.in_(list(race_ids))
    )
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for row in conn.execute(events).mappings():
        found[(int(row["event_id"]), str(row["unit"]))] = {
            **dict(row),
            "p_win": None,
            "p_place": None,
            "fair_win": None,
            "fair_place": None,
        }
    cells = select(
        predictions.c.event_id,
        predictions.c.unit,
        predictions.c.market,
        predictions.c.probability,
        predictions.c.fair_odds,
    ).where(
        (predictions.c.snapshot_id == snapshot_id)
        & predictions.c.event_id.in_(list(race_ids))
        & predictions.c.market.in_((WIN, PLACE))
        & (predictions.c.selection == SELECTION)
        & (predictions.c.line == 0.0)
    )
    for row in conn.execute(cells).mappings():
        entry = found.get((int(row["event_id"]), str(row["unit"])))
        if entry is None:
            continue
        suffix = "win" if row["market"] == WIN else "place"
        entry[f"p_{suffix}"] = row["probability"]
        entry[f"fair_{suffix}"] = row["fair_odds"]
    return found


_ENTITIES: dict[str, Table] = {"horse": horses, "jockey": jockeys, "trainer": trainers}


def get_entity(conn: Connection, kind: str, entity_id: int) -> dict[str, Any] | None:
    """One horse, jockey or trainer (``kind``), or None."""
    entity = _ENTITIES[kind]
    row = conn.execute(select(entity).where(entity.c.id == entity_id)).mappings().first()
    return None if row is None else dict(row)


def entity_names(conn: Connection, kind: str, ids: Sequence[int]) -> dict[int, str | None]:
    """The names of some horses, jockeys or trainers, by id."""
    if not ids:
        return {}
    entity = _ENTITIES[kind]
    query = select(entity.c.id, entity.c.name).where(entity.c.id.in_(sorted(set(ids))))
    return {int(row.id): row.name for row in conn.execute(query)}
