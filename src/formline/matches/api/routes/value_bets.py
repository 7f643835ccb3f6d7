"""``/value-bets``: current predictions against the latest stored odds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from formline.api.deps import Context, IsoInstant, utc_instant
from formline.api.schemas import ErrorPublic, snapshot_public
from formline.api.serving import SnapshotGone, cached_read
from formline.matches.api.params import CompetitionCode
from formline.matches.api.schemas import ValueBetPublic, ValueBetsPublic
from formline.matches.prediction_reads import latest_odds_for_snapshot, snapshot_predictions
from formline.matches.prediction_view import DOMAIN
from formline.matches.reads import competition_filter
from formline.store.db import Store
from formline.store.reads import Pointer, snapshot_exists

router = APIRouter(tags=["value bets"])

MAX_LIMIT = 1000


def value_bets(
    predictions: list[dict[str, Any]], prices: list[dict[str, Any]], min_edge: float
) -> list[ValueBetPublic]:
    """Every (match, bookmaker, selection) whose price beats the prediction by ``min_edge``.

    ``edge = probability * price - 1``: the expected profit per unit staked if the probability
    is right. Sorted by edge, largest first (then match, bookmaker, selection).
    """
    by_match = {row["id"]: row for row in predictions}
    bets = []
    for price in prices:
        match = by_match.get(price["match_id"])
        if match is None:
            continue
        selection = price["selection"]
        probability = float(match[f"p_{selection}"])
        edge = probability * float(price["price"]) - 1.0
        if edge < min_edge:
            continue
        bets.append(
            ValueBetPublic(
                match_id=match["id"],
                competition=match["competition"],
                kickoff_at=match["kickoff_at"],
                home_team=match["home_team"],
                away_team=match["away_team"],
                selection=selection,
                probability=probability,
                fair_price=match[f"fair_{selection}"],
                bookmaker=price["bookmaker"],
                price=float(price["price"]),
                kind=price["kind"],
                observed_at=price["observed_at"],
                edge=edge,
            )
        )
    bets.sort(key=lambda b: (-b.edge, b.match_id, b.bookmaker, b.selection))
    return bets


def build_value_bets(
    store: Store,
    pointer: Pointer | None,
    *,
    as_of: datetime,
    min_edge: float,
    competition: str | None,
    limit: int,
) -> ValueBetsPublic:
    """Value bets of the current snapshot on matches kicking off after ``as_of``, priced with the
    latest 1X2 odds of each bookmaker observed at or before ``as_of``: real books only, never
    ``market_max`` (the best price across books, which no one book offers) or ``market_avg``.

    Raises
    ------
    NotFoundError
        If ``competition`` names no competition.
    """
    with store.connect("reading value bets") as conn:
        ids = competition_filter(conn, competition)
        if pointer is None:
            return ValueBetsPublic(count=0, snapshot=None, as_of=as_of, min_edge=min_edge, data=[])
        rows = snapshot_predictions(
            conn, pointer.snapshot_id, competition_ids=ids, kickoff_from=None
        )
        if not rows and not snapshot_exists(conn, pointer.snapshot_id):
            raise SnapshotGone(f"snapshot {pointer.snapshot_id} was pruned")
        prices = latest_odds_for_snapshot(
            conn, pointer.snapshot_id, as_of=as_of, competition_ids=ids
        )
    bets = value_bets(rows, prices, min_edge)[:limit]
    return ValueBetsPublic(
        count=len(bets),
        snapshot=snapshot_public(pointer),
        as_of=as_of,
        min_edge=min_edge,
        data=bets,
    )


@router.get(
    "/value-bets",
    response_model=ValueBetsPublic,
    responses={404: {"model": ErrorPublic, "description": "Unknown competition."}},
    summary="Current predictions against the latest odds",
)
async def value_bets_list(
    request: Request,
    ctx: Context,
    min_edge: Annotated[
        float, Query(ge=-1.0, le=100.0, description="Smallest edge, probability * price - 1.")
    ] = 0.0,
    competition: CompetitionCode = None,
    as_of: Annotated[
        IsoInstant | None,
        Query(description="Odds observed by this instant, matches after it (default: now)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Bets at most.")] = 100,
) -> Response:
    """For each upcoming match of the current snapshot, bookmaker and outcome: the latest 1X2
    price observed before ``as_of``, kept when ``probability * price - 1 >= min_edge``. Each
    price is a real bookmaker's (named in ``bookmaker``); the best and the average price across
    books are never offered, since no one can bet at them."""
    instant = utc_instant(as_of)
    params = {"min_edge": min_edge, "competition": competition, "as_of": instant, "limit": limit}

    def build(pointer: Pointer | None) -> ValueBetsPublic:
        when = instant or datetime.now(UTC).replace(microsecond=0)
        return build_value_bets(
            ctx.store, pointer, as_of=when, min_edge=min_edge, competition=competition, limit=limit
        )

    return await cached_read(request, ctx, "value_bets", params, build, domain=DOMAIN)
