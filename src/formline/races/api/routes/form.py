"""``/horses/{id}``, ``/jockeys/{id}``, ``/trainers/{id}``: current form and connections, read
from the current-form views (:mod:`formline.races.views`) as of their last refresh."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from formline.api.deps import Context
from formline.api.schemas import ErrorPublic
from formline.api.serving import cached_read
from formline.errors import NotFoundError
from formline.races.api.params import HorseId, JockeyId, TrainerId
from formline.races.api.reads import DOMAIN, entity_names, get_entity
from formline.races.api.schemas import (
    ConnectionPublic,
    FormPublic,
    FormStampPublic,
    HorsePublic,
    JockeyPublic,
    TrainerPublic,
)
from formline.races.views import (
    HORSE_FORM,
    JOCKEY_FORM,
    JOCKEY_HORSE,
    JOCKEY_TRAINER,
    POSITION_COLUMNS,
    TRAINER_FORM,
    FormView,
    form_rows,
    views_as_of,
    views_exist,
)
from formline.store.db import Store

router = APIRouter(tags=["form"])

#: The most connections listed per kind (the pairings with most rides).
MAX_CONNECTIONS = 50

_FORM_FIELDS = (
    "runs",
    "wins",
    "places",
    "strike_rate",
    "place_rate",
    "runs_365",
    "wins_365",
    "places_365",
    "strike_rate_365",
    "place_rate_365",
    "last_run_at",
)


def form_fields(row: dict[str, Any]) -> dict[str, Any]:
    """A view row's form fields; ``last_positions`` holds one position per run, at most 5."""
    runs = min(int(row["runs"]), len(POSITION_COLUMNS))
    return {
        **{name: row[name] for name in _FORM_FIELDS},
        "last_positions": [row[column] for column in POSITION_COLUMNS[:runs]],
    }


class _Reader:
    """The reads of one entity's answer, on one connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.built = views_exist(conn)
        stamp = views_as_of(conn) if self.built else None
        self.stamp = None if stamp is None else FormStampPublic(**stamp)

    def form(self, view: FormView, entity_id: int) -> FormPublic | None:
        if not self.built:
            return None
        rows = form_rows(self.conn, view, **{view.keys[0]: entity_id})
        return FormPublic(**form_fields(rows[0])) if rows else None

    def connections(
        self, view: FormView, key: str, entity_id: int, partner: str
    ) -> list[ConnectionPublic]:
        if not self.built:
            return []
        rows = form_rows(self.conn, view, MAX_CONNECTIONS, **{key: entity_id})
        other = next(k for k in view.keys if k != key)
        names = entity_names(self.conn, partner, [row[other] for row in rows])
        return [
            ConnectionPublic(
                **form_fields(row), partner={"id": row[other], "name": names.get(row[other])}
            )
            for row in rows
        ]


def _entity(conn: Any, kind: str, entity_id: int) -> dict[str, Any]:
    found = get_entity(conn, kind, entity_id)
    if found is None:
        raise NotFoundError(f"{kind} {entity_id} does not exist")
    return found


def _identity(entity: dict[str, Any]) -> dict[str, Any]:
    return {"id": entity["id"], "name": entity["name"], "key": entity["key"]}


def build_horse(store: Store, horse_id: int) -> HorsePublic:
    """A horse with its current form and its jockeys.

    Raises
    ------
    NotFoundError
        If the horse does not exist.
    """
    with store.connect("reading a horse") as conn:
        horse = _entity(conn, "horse", horse_id)
        reader = _Reader(conn)
        return HorsePublic(
            **_identity(horse),
            country=horse["country"],
            sex=horse["sex"],
            views=reader.stamp,
            form=reader.form(HORSE_FORM, horse_id),
            jockeys=reader.connections(JOCKEY_HORSE, "horse_id", horse_id, "jockey"),
        )


def build_jockey(store: Store, jockey_id: int) -> JockeyPublic:
    """A jockey with its current form, its horses and its trainers.

    Raises
    ------
    NotFoundError
        If the jockey does not exist.
    """
    with store.connect("reading a jockey") as conn:
        jockey = _entity(conn, "jockey", jockey_id)
        reader = _Reader(conn)
        return JockeyPublic(
            **_identity(jockey),
            views=reader.stamp,
            form=reader.form(JOCKEY_FORM, jockey_id),
            horses=reader.connections(JOCKEY_HORSE, "jockey_id", jockey_id, "horse"),
            trainers=reader.connections(JOCKEY_TRAINER, "jockey_id", jockey_id, "trainer"),
        )


def build_trainer(store: Store, trainer_id: int) -> TrainerPublic:
    """A trainer with its current form and the jockeys of its runners.

    Raises
    ------
    NotFoundError
        If the trainer does not exist.
    """
    with store.connect("reading a trainer") as conn:
        trainer = _entity(conn, "trainer", trainer_id)
        reader = _Reader(conn)
        return TrainerPublic(
            **_identity(trainer),
            views=reader.stamp,
            form=reader.form(TRAINER_FORM, trainer_id),
            jockeys=reader.connections(JOCKEY_TRAINER, "trainer_id", trainer_id, "jockey"),
        )


def _not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {404: {"model": ErrorPublic, "description": f"Unknown {what}."}}


@router.get(
    "/horses/{horse_id}",
    response_model=HorsePublic,
    responses=_not_found("horse"),
    summary="A horse's current form and jockeys",
)
async def horse(request: Request, ctx: Context, horse_id: HorseId) -> Response:
    """The horse, its form (career and last 365 days, last five finishing positions) and its
    record with each jockey, as of the views' last refresh."""
    return await cached_read(
        request,
        ctx,
        "race_form",
        {"horse_id": horse_id},
        lambda _: build_horse(ctx.store, horse_id),
        domain=DOMAIN,
    )


@router.get(
    "/jockeys/{jockey_id}",
    response_model=JockeyPublic,
    responses=_not_found("jockey"),
    summary="A jockey's current form, horses and trainers",
)
async def jockey(request: Request, ctx: Context, jockey_id: JockeyId) -> Response:
    """The jockey, its form and its record on each horse and for each trainer, as of the views'
    last refresh."""
    return await cached_read(
        request,
        ctx,
        "race_form",
        {"jockey_id": jockey_id},
        lambda _: build_jockey(ctx.store, jockey_id),
        domain=DOMAIN,
    )


@router.get(
    "/trainers/{trainer_id}",
    response_model=TrainerPublic,
    responses=_not_found("trainer"),
    summary="A trainer's current form and jockeys",
)
async def trainer(request: Request, ctx: Context, trainer_id: TrainerId) -> Response:
    """The trainer, its runners' form and each jockey's record for it, as of the views' last
    refresh."""
    return await cached_read(
        request,
        ctx,
        "race_form",
        {"trainer_id": trainer_id},
        lambda _: build_trainer(ctx.store, trainer_id),
        domain=DOMAIN,
    )
