"""``/predictions``: the current snapshot, one match's prediction with drivers, its history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from formline.api.deps import Context, IsoDate, day_end, day_start
from formline.api.schemas import ErrorPublic, snapshot_public
from formline.api.serving import SnapshotGone, cached_read
from formline.errors import NotFoundError
from formline.matches.api.params import CompetitionCode, MatchId
from formline.matches.api.schemas import (
    DriverPublic,
    PredictionDetailPublic,
    PredictionHistoryPublic,
    PredictionsPublic,
)
from formline.matches.prediction_reads import (
    FAIR_ODDS,
    PROBABILITIES,
    latest_match_prediction,
    match_prediction_history,
    snapshot_prediction_list,
    snapshot_predictions,
)
from formline.matches.prediction_view import DOMAIN
from formline.matches.reads import competition_filter, get_match
from formline.store.db import Store
from formline.store.reads import Pointer, snapshot_exists

router = APIRouter(tags=["predictions"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "Unknown match or competition."}
}


def _prediction_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "match_id": row["id"],
        "snapshot_id": row["snapshot_id"],
        "model_version_id": row["model_version_id"],
        "information": row["information"],
        "as_of": row["as_of"],
        "competition": row["competition"],
        "kickoff_at": row["kickoff_at"],
        "status": row["status"],
        "home_team": row["home_team"],
        "away_team": row["away_team"],
        **{name: row[name] for name in (*PROBABILITIES, *FAIR_ODDS)},
    }


def drivers_public(drivers: Any) -> list[DriverPublic]:
    """Stored drivers as public ones.

    Two stored shapes exist: one entry per feature with a contribution per outcome
    (``{"feature", "value", "home", "draw", "away"}``), or one per feature and outcome
    (``{"feature", "value", "contribution", "outcome"}``). Both become
    ``{"feature", "value", "contributions": {outcome: contribution}}``.
    """
    out: list[DriverPublic] = []
    for entry in drivers if isinstance(drivers, list) else []:
        if not isinstance(entry, dict) or "feature" not in entry:
            continue
        if "outcome" in entry and "contribution" in entry:
            contributions = {str(entry["outcome"]): entry["contribution"]}
        else:
            contributions = {
                k: v
                for k, v in entry.items()
                if k not in ("feature", "value") and isinstance(v, int | float)
            }
        value = entry.get("value")
        out.append(
            DriverPublic(
                feature=str(entry["feature"]),
                value=value if isinstance(value, int | float) else None,
                contributions={k: float(v) for k, v in contributions.items() if v is not None},
            )
        )
    return out


def prediction_detail(row: dict[str, Any], current: bool) -> PredictionDetailPublic:
    """One prediction with its drivers."""
    return PredictionDetailPublic(
        **_prediction_fields(row), current=current, drivers=drivers_public(row["drivers"])
    )


def list_params(competition: str | None = None, day: date | None = None) -> dict[str, object]:
    """The cache-key parameters of a ``/predictions`` request (shared with the warmer)."""
    return {"competition": competition, "date": day}


def build_predictions(
    store: Store, pointer: Pointer | None, competition: str | None = None, day: date | None = None
) -> PredictionsPublic:
    """The current snapshot's predictions, optionally of one competition and kickoff day.

    Raises
    ------
    NotFoundError
        If ``competition`` names no competition.
    SnapshotGone
        If the snapshot was pruned since the pointer was read.
    """
    with store.connect("reading predictions") as conn:
        ids = competition_filter(conn, competition)
        if pointer is None:
            return PredictionsPublic(count=0, snapshot=None, data=[])
        rows = snapshot_prediction_list(
            conn,
            pointer.snapshot_id,
            competition_ids=ids,
            kickoff_from=None if day is None else day_start(day),
            kickoff_before=None if day is None else day_end(day),
        )
        if not rows and not snapshot_exists(conn, pointer.snapshot_id):
            raise SnapshotGone(f"snapshot {pointer.snapshot_id} was pruned")
    # The snapshot's own fields are the pointer's (the rows are that snapshot's). One
    # validation of the whole list, in pydantic's core, instead of one model built per row.
    shared = {"snapshot_id": pointer.snapshot_id, "as_of": pointer.as_of}
    for row in rows:
        row.update(shared)
    return PredictionsPublic.model_validate(
        {"count": len(rows), "snapshot": snapshot_public(pointer), "data": rows}
    )


def build_match_prediction(
    store: Store, pointer: Pointer | None, match_id: int
) -> PredictionDetailPublic:
    """One match's prediction from the current snapshot, or else from the newest that covers it.

    Raises
    ------
    NotFoundError
        If the match does not exist or no snapshot covers it.
    """
    with store.connect("reading predictions") as conn:
        row = None
        if pointer is not None:
            found = snapshot_predictions(conn, pointer.snapshot_id, match_id=match_id, drivers=True)
            row = found[0] if found else None
        current = row is not None
        if row is None:
            row = latest_match_prediction(conn, match_id)
        if row is None:
            if get_match(conn, match_id) is None:
                raise NotFoundError(f"match {match_id} does not exist")
            raise NotFoundError(f"no prediction covers match {match_id}")
    return prediction_detail(row, current)


def build_history(store: Store, pointer: Pointer | None, match_id: int) -> PredictionHistoryPublic:
    """Every stored prediction of one match, newest snapshot first.

    Raises
    ------
    NotFoundError
        If the match does not exist.
    """
    current_id = None if pointer is None else pointer.snapshot_id
    with store.connect("reading predictions") as conn:
        if get_match(conn, match_id) is None:
            raise NotFoundError(f"match {match_id} does not exist")
        rows = match_prediction_history(conn, match_id)
    data = [prediction_detail(row, row["snapshot_id"] == current_id) for row in rows]
    return PredictionHistoryPublic(match_id=match_id, count=len(data), data=data)


@router.get(
    "/predictions",
    response_model=PredictionsPublic,
    responses=_NOT_FOUND,
    summary="The current snapshot's predictions",
)
async def list_predictions(
    request: Request,
    ctx: Context,
    competition: CompetitionCode = None,
    day: Annotated[
        IsoDate | None, Query(alias="date", description="Only matches kicking off this UTC day.")
    ] = None,
) -> Response:
    """Every prediction of the current snapshot, by kickoff. Before any publish: an empty list
    with ``snapshot`` null."""
    return await cached_read(
        request,
        ctx,
        "predictions",
        list_params(competition, day),
        lambda pointer: build_predictions(ctx.store, pointer, competition, day),
        domain=DOMAIN,
    )


@router.get(
    "/predictions/matches/{match_id}",
    response_model=PredictionDetailPublic,
    responses=_NOT_FOUND,
    summary="One match's prediction with its drivers",
)
async def match_prediction(request: Request, ctx: Context, match_id: MatchId) -> Response:
    """The current snapshot's prediction of the match (``current`` true); if the current snapshot
    does not cover it, the newest one that did (``current`` false)."""
    return await cached_read(
        request,
        ctx,
        "prediction",
        {"match_id": match_id},
        lambda pointer: build_match_prediction(ctx.store, pointer, match_id),
        domain=DOMAIN,
    )


@router.get(
    "/predictions/history/{match_id}",
    response_model=PredictionHistoryPublic,
    responses=_NOT_FOUND,
    summary="Every snapshot's prediction of one match",
)
async def prediction_history(request: Request, ctx: Context, match_id: MatchId) -> Response:
    """Every stored prediction of the match, newest snapshot first (empty if none covered it)."""
    return await cached_read(
        request,
        ctx,
        "history",
        {"match_id": match_id},
        lambda pointer: build_history(ctx.store, pointer, match_id),
        domain=DOMAIN,
    )
