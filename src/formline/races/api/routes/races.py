"""``/races``: the races of a day with their predictions summary, and one race's card with each
runner's win and place probabilities, fair odds and drivers from the current snapshot."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from formline.api.deps import Context, IsoDate
from formline.api.schemas import ErrorPublic, snapshot_public
from formline.api.serving import SnapshotGone, cached_read
from formline.errors import NotFoundError
from formline.races.api.params import RaceId, VenueCode
from formline.races.api.reads import (
    DOMAIN,
    day_races,
    get_race,
    race_runners,
    snapshot_runner_rows,
    venue_exists,
)
from formline.races.api.schemas import (
    FavouritePublic,
    NamedPublic,
    RaceCardPublic,
    RacePredictionPublic,
    RacesPublic,
    RaceSummaryPublic,
    RunnerDriverPublic,
    RunnerPublic,
    VenuePublic,
)
from formline.store.db import Store
from formline.store.reads import Pointer, snapshot_exists

router = APIRouter(tags=["races"])

Predicted = dict[tuple[int, str], dict[str, Any]]


def _race_fields(race: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": race["id"],
        "venue": VenuePublic(id=race["venue_id"], code=race["venue_code"], name=race["venue_name"]),
        **{
            name: race[name]
            for name in (
                "race_date",
                "race_number",
                "start_at",
                "name",
                "distance",
                "surface",
                "course",
                "going",
                "race_class",
                "rating_band",
                "prize",
            )
        },
    }


def _named(entity_id: int | None, name: str | None) -> NamedPublic | None:
    return None if entity_id is None else NamedPublic(id=entity_id, name=name)


def _favourite(runners: list[dict[str, Any]], predicted: Predicted) -> FavouritePublic | None:
    best: tuple[dict[str, Any], dict[str, Any]] | None = None
    for runner in runners:
        cell = predicted.get((runner["race_id"], str(runner["runner_id"])))
        if cell is None or cell["p_win"] is None:
            continue
        if best is None or cell["p_win"] > best[1]["p_win"]:
            best = (runner, cell)
    if best is None:
        return None
    runner, cell = best
    return FavouritePublic(
        runner_id=runner["runner_id"],
        saddle_number=runner["saddle_number"],
        horse=NamedPublic(id=runner["horse_id"], name=runner["horse_name"]),
        p_win=cell["p_win"],
        fair_win=cell["fair_win"],
    )


def _predicted(conn: Any, pointer: Pointer | None, race_ids: list[int], drivers: bool) -> Predicted:
    """The current snapshot's rows of ``race_ids`` (none before a publish).

    Raises
    ------
    SnapshotGone
        If the snapshot was pruned since the pointer was read.
    """
    if pointer is None or not race_ids:
        return {}
    found = snapshot_runner_rows(conn, pointer.snapshot_id, race_ids, drivers=drivers)
    if not found and not snapshot_exists(conn, pointer.snapshot_id):
        raise SnapshotGone(f"snapshot {pointer.snapshot_id} was pruned")
    return found


def races_params(day: date, venue: str | None) -> dict[str, object]:
    """The cache-key parameters of a ``/races`` request."""
    return {"date": day, "venue": venue}


def build_races(store: Store, pointer: Pointer | None, day: date, venue: str | None) -> RacesPublic:
    """The races of the local day ``day`` (at ``venue``) with their predictions summary.

    Raises
    ------
    NotFoundError
        If ``venue`` names no venue.
    SnapshotGone
        If the snapshot was pruned since the pointer was read.
    """
    with store.connect("reading races") as conn:
        if venue is not None and not venue_exists(conn, venue):
            raise NotFoundError(f"venue '{venue}' does not exist")
        found = day_races(conn, day.isoformat(), venue)
        ids = [race["id"] for race in found]
        runners = race_runners(conn, ids) if pointer is not None and ids else []
        predicted = _predicted(conn, pointer, ids, drivers=False)
    by_race: dict[int, list[dict[str, Any]]] = {}
    for runner in runners:
        by_race.setdefault(runner["race_id"], []).append(runner)
    data = []
    for race in found:
        field = by_race.get(race["id"], [])
        data.append(
            RaceSummaryPublic(
                **_race_fields(race),
                n_runners=race["n_runners"],
                n_predicted=sum(1 for r in field if (race["id"], str(r["runner_id"])) in predicted),
                favourite=_favourite(field, predicted),
            )
        )
    return RacesPublic(
        date=day, venue=venue, count=len(data), snapshot=snapshot_public(pointer), data=data
    )


def _drivers(stored: Any) -> list[RunnerDriverPublic]:
    """Stored drivers (``[{feature, value, contribution}]``) as public ones."""
    out = []
    for entry in stored if isinstance(stored, list) else []:
        if not isinstance(entry, dict) or "feature" not in entry:
            continue
        value, contribution = entry.get("value"), entry.get("contribution")
        out.append(
            RunnerDriverPublic(
                feature=str(entry["feature"]),
                value=float(value) if isinstance(value, int | float) else None,
                contribution=float(contribution) if isinstance(contribution, int | float) else None,
            )
        )
    return out


def _runner(runner: dict[str, Any], cell: dict[str, Any] | None) -> RunnerPublic:
    cell = cell or {}
    return RunnerPublic(
        runner_id=runner["runner_id"],
        saddle_number=runner["saddle_number"],
        draw=runner["draw"],
        horse=NamedPublic(id=runner["horse_id"], name=runner["horse_name"]),
        horse_age=runner["horse_age"],
        jockey=_named(runner["jockey_id"], runner["jockey_name"]),
        trainer=_named(runner["trainer_id"], runner["trainer_name"]),
        carried_weight=runner["carried_weight"],
        declared_weight=runner["declared_weight"],
        rating=runner["rating"],
        gear=runner["gear"],
        p_win=cell.get("p_win"),
        p_place=cell.get("p_place"),
        fair_win=cell.get("fair_win"),
        fair_place=cell.get("fair_place"),
        drivers=_drivers(cell.get("drivers")),
    )


def build_race_card(store: Store, pointer: Pointer | None, race_id: int) -> RaceCardPublic:
    """One race's card with the current snapshot's probabilities (null where it has none).

    Raises
    ------
    NotFoundError
        If the race does not exist.
    SnapshotGone
        If the snapshot was pruned since the pointer was read.
    """
    with store.connect("reading a race card") as conn:
        race = get_race(conn, race_id)
        if race is None:
            raise NotFoundError(f"race {race_id} does not exist")
        runners = race_runners(conn, [race_id])
        predicted = _predicted(conn, pointer, [race_id], drivers=True)
    cells = [predicted.get((race_id, str(r["runner_id"]))) for r in runners]
    covered = [cell for cell in cells if cell is not None]
    prediction = None
    if pointer is not None and covered:
        prediction = RacePredictionPublic(
            snapshot_id=pointer.snapshot_id,
            as_of=pointer.as_of,
            model_version_ids=sorted({int(c["model_version_id"]) for c in covered}),
            information=sorted({str(c["information"]) for c in covered}),
        )
    return RaceCardPublic(
        **_race_fields(race),
        field_size=race["field_size"],
        n_runners=len(runners),
        n_predicted=len(covered),
        favourite=_favourite(runners, predicted),
        snapshot=snapshot_public(pointer),
        prediction=prediction,
        runners=[_runner(r, c) for r, c in zip(runners, cells, strict=True)],
    )


@router.get(
    "/races",
    response_model=RacesPublic,
    responses={404: {"model": ErrorPublic, "description": "Unknown venue."}},
    summary="The races of a day, with their predictions summary",
)
async def list_races(
    request: Request,
    ctx: Context,
    day: Annotated[IsoDate, Query(alias="date", description="The meeting's local calendar day.")],
    venue: VenueCode = None,
) -> Response:
    """Every race of the day (of one venue), by start: the card's facts, how many runners the
    current snapshot predicts and its favourite."""
    return await cached_read(
        request,
        ctx,
        "races",
        races_params(day, venue),
        lambda pointer: build_races(ctx.store, pointer, day, venue),
        domain=DOMAIN,
    )


@router.get(
    "/races/{race_id}",
    response_model=RaceCardPublic,
    responses={404: {"model": ErrorPublic, "description": "Unknown race."}},
    summary="One race card with win and place probabilities and drivers",
)
async def race_card(request: Request, ctx: Context, race_id: RaceId) -> Response:
    """The race and its runners by saddle number, each with the current snapshot's win and place
    probabilities, fair odds and drivers; a race the snapshot does not cover still shows its
    card, with null probabilities and ``prediction`` null."""
    return await cached_read(
        request,
        ctx,
        "race",
        {"race_id": race_id},
        lambda pointer: build_race_card(ctx.store, pointer, race_id),
        domain=DOMAIN,
    )
