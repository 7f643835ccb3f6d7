"""``/matches``: fixtures and results, paginated and filtered."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from formline.api.deps import Context, IsoDate, day_end, day_start
from formline.api.errors import bad_parameter
from formline.api.schemas import ErrorPublic
from formline.api.serving import cached_read
from formline.errors import NotFoundError
from formline.matches.api.params import CompetitionCode, MatchId
from formline.matches.api.schemas import MatchesPublic, MatchPublic, MatchStatus, TeamPublic
from formline.matches.prediction_view import DOMAIN
from formline.matches.reads import MatchFilter, competition_filter, get_match, list_matches
from formline.store.db import Store

router = APIRouter(tags=["matches"])

MAX_LIMIT = 500
MAX_OFFSET = 10_000_000


def match_public(row: dict[str, Any]) -> MatchPublic:
    """A match row (see :data:`formline.store.reads.MATCH_COLUMNS`) as a public match."""
    return MatchPublic(
        id=row["id"],
        sport=row["sport"],
        competition=row["competition"],
        competition_id=row["competition_id"],
        season=row["season"],
        kickoff_at=row["kickoff_at"],
        status=row["status"],
        home_team=TeamPublic(id=row["home_team_id"], name=row["home_team"]),
        away_team=TeamPublic(id=row["away_team_id"], name=row["away_team"]),
        home_goals=row["home_goals"],
        away_goals=row["away_goals"],
        home_ht_goals=row["home_ht_goals"],
        away_ht_goals=row["away_ht_goals"],
        result_observed_at=row["observed_at"],
    )


def build_matches(
    store: Store,
    competition: str | None,
    date_from: date | None,
    date_to: date | None,
    status: MatchStatus | None,
    limit: int,
    offset: int,
) -> MatchesPublic:
    """One page of matches by kickoff.

    Raises
    ------
    NotFoundError
        If ``competition`` names no competition.
    """
    with store.connect("reading matches") as conn:
        ids = competition_filter(conn, competition)
        where = MatchFilter(
            competition_ids=ids,
            kickoff_from=None if date_from is None else day_start(date_from),
            kickoff_before=None if date_to is None else day_end(date_to),
            status=None if status is None else status.value,
        )
        total, rows = list_matches(conn, where, limit=limit, offset=offset)
    data = [match_public(row) for row in rows]
    return MatchesPublic(count=len(data), total=total, limit=limit, offset=offset, data=data)


def build_match(store: Store, match_id: int) -> MatchPublic:
    """One match.

    Raises
    ------
    NotFoundError
        If it does not exist.
    """
    with store.connect("reading matches") as conn:
        row = get_match(conn, match_id)
    if row is None:
        raise NotFoundError(f"match {match_id} does not exist")
    return match_public(row)


@router.get(
    "/matches",
    response_model=MatchesPublic,
    responses={404: {"model": ErrorPublic, "description": "Unknown competition."}},
    summary="Matches, by kickoff, a page at a time",
)
async def matches_list(
    request: Request,
    ctx: Context,
    competition: CompetitionCode = None,
    date_from: Annotated[
        IsoDate | None, Query(description="First kickoff day (UTC), inclusive.")
    ] = None,
    date_to: Annotated[
        IsoDate | None, Query(description="Last kickoff day (UTC), inclusive.")
    ] = None,
    status: Annotated[MatchStatus | None, Query(description="Only matches in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Matches to skip.")] = 0,
) -> Response:
    """Matches filtered by competition, kickoff day range and status; ``total`` counts them
    all, ``data`` holds one page."""
    if date_from is not None and date_to is not None and date_to < date_from:
        bad_parameter(("query", "date_to"), "date_to is before date_from", date_to.isoformat())
    params = {
        "competition": competition,
        "date_from": date_from,
        "date_to": date_to,
        "status": None if status is None else status.value,
        "limit": limit,
        "offset": offset,
    }
    return await cached_read(
        request,
        ctx,
        "matches",
        params,
        lambda _: build_matches(ctx.store, competition, date_from, date_to, status, limit, offset),
        domain=DOMAIN,
    )


@router.get(
    "/matches/{match_id}",
    response_model=MatchPublic,
    responses={404: {"model": ErrorPublic, "description": "Unknown match."}},
    summary="One match",
)
async def match_detail(request: Request, ctx: Context, match_id: MatchId) -> Response:
    """One match with its teams, status and result."""
    return await cached_read(
        request,
        ctx,
        "matches",
        {"match_id": match_id},
        lambda _: build_match(ctx.store, match_id),
        domain=DOMAIN,
    )
