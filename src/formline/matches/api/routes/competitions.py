"""``/competitions``: what the store holds."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from formline.api.deps import Context
from formline.api.serving import cached_read
from formline.matches.api.schemas import CompetitionPublic, CompetitionsPublic
from formline.matches.prediction_view import DOMAIN
from formline.matches.reads import list_competitions
from formline.store.db import Store

router = APIRouter(tags=["competitions"])


def build_competitions(store: Store) -> CompetitionsPublic:
    """Every competition with its number of matches and kickoff range."""
    with store.connect("reading competitions") as conn:
        rows = list_competitions(conn)
    data = [CompetitionPublic(**row) for row in rows]
    return CompetitionsPublic(count=len(data), data=data)


@router.get("/competitions", response_model=CompetitionsPublic, summary="Every competition")
async def competitions_list(request: Request, ctx: Context) -> Response:
    """Every competition, by sport and code, with its number of matches and kickoff range."""
    return await cached_read(
        request,
        ctx,
        "competitions",
        {},
        lambda _: build_competitions(ctx.store),
        domain=DOMAIN,
    )
