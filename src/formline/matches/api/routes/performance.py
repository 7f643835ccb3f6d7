"""``/performance``: how published predictions fared on settled matches."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from formline.api.deps import MAX_ID, Context, IsoInstant, days_before, utc_instant
from formline.api.schemas import ErrorPublic
from formline.api.serving import cached_read
from formline.errors import UnknownModelError
from formline.matches.api.params import CompetitionCode
from formline.matches.api.schemas import (
    CompetitionPerformancePublic,
    LeadPerformancePublic,
    PerformancePublic,
    ScoresPublic,
)
from formline.matches.api.scoring import outcome, score
from formline.matches.prediction_reads import settled_predictions
from formline.matches.prediction_view import DOMAIN
from formline.matches.reads import competition_filter
from formline.store.db import Store
from formline.store.prediction_reads import LEAD_BUCKETS
from formline.store.reads import Pointer, get_model

router = APIRouter(tags=["performance"])

DEFAULT_WINDOWS = (30, 90, 365)
MAX_WINDOW_DAYS = 3650
MAX_WINDOWS = 6


def _scores(rows: list[dict[str, Any]], window: int, as_of: datetime) -> ScoresPublic:
    since = days_before(as_of, window)
    result = score(
        (outcome(r["home_goals"], r["away_goals"]), r["p_home"], r["p_draw"], r["p_away"])
        for r in rows
        if r["kickoff_at"] > since
    )
    return ScoresPublic(
        window_days=window,
        n=result.n,
        log_loss=result.log_loss,
        brier=result.brier,
        rps=result.rps,
        accuracy=result.accuracy,
    )


def build_performance(
    store: Store,
    pointer: Pointer | None,
    *,
    model_id: int | None,
    as_of: datetime,
    windows: tuple[int, ...],
    competition: str | None,
) -> PerformancePublic:
    """Scores of the published predictions on settled matches, per competition, rolling window
    and lead.

    ``overall`` and ``data`` score each match settled by ``as_of`` with its latest prediction
    made before kickoff (the greatest snapshot ``as_of`` strictly before kickoff); ``by_lead``
    scores it, per lead bucket, with the latest prediction made at that lead. Windows are
    kickoffs in ``(as_of - days, as_of]``. The predictions are those of ``model_id``, else of
    every model (whatever was published).

    Raises
    ------
    UnknownModelError
        If ``model_id`` names no model version.
    NotFoundError
        If ``competition`` names no competition.
    """
    since = days_before(as_of, max(windows))
    with store.connect("reading performance") as conn:
        competition_filter(conn, competition)
        if model_id is not None and get_model(conn, model_id) is None:
            raise UnknownModelError(f"model version {model_id} does not exist")
        rows = settled_predictions(conn, model_id, settled_from=since, as_of=as_of)
        led = settled_predictions(conn, model_id, settled_from=since, as_of=as_of, by_lead=True)
    if competition is not None:
        rows = [r for r in rows if r["competition"] == competition]
        led = [r for r in led if r["competition"] == competition]
    by_competition: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_competition[row["competition"]].append(row)
    data = [
        CompetitionPerformancePublic(
            competition=code, windows=[_scores(group, w, as_of) for w in windows]
        )
        for code, group in sorted(by_competition.items())
    ]
    by_bucket: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in led:
        by_bucket[int(row["lead_bucket"])].append(row)
    by_lead = [
        LeadPerformancePublic(
            lead=label,
            min_days=low,
            max_days=high,
            windows=[_scores(by_bucket[index], w, as_of) for w in windows],
        )
        for index, (label, low, high) in enumerate(LEAD_BUCKETS)
        if by_bucket[index]
    ]
    return PerformancePublic(
        model_version_id=model_id,
        as_of=as_of,
        window_days=list(windows),
        overall=[_scores(rows, w, as_of) for w in windows],
        count=len(data),
        data=data,
        by_lead=by_lead,
    )


@router.get(
    "/performance",
    response_model=PerformancePublic,
    responses={404: {"model": ErrorPublic, "description": "Unknown model or competition."}},
    summary="Scores of settled predictions",
)
async def performance(
    request: Request,
    ctx: Context,
    model_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="A model version (default: every published model)."),
    ] = None,
    as_of: Annotated[
        IsoInstant | None, Query(description="Score as of this instant, UTC (default: now).")
    ] = None,
    window_days: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_WINDOW_DAYS)]] | None,
        Query(
            max_length=MAX_WINDOWS,
            description="Rolling windows in days (repeat the parameter; default 30, 90, 365).",
        ),
    ] = None,
    competition: CompetitionCode = None,
) -> Response:
    """Log loss, Brier, RPS and accuracy of the latest pre-kickoff published prediction of each
    settled match (of one model, or of every model), per competition and overall, over rolling
    windows, and per lead bucket with the latest prediction made at that lead."""
    instant = utc_instant(as_of)
    windows = tuple(sorted(set(window_days))) if window_days else DEFAULT_WINDOWS
    params = {
        "model_id": model_id,
        "as_of": instant,
        "windows": windows,
        "competition": competition,
    }

    def build(pointer: Pointer | None) -> PerformancePublic:
        when = instant or datetime.now(UTC).replace(microsecond=0)
        return build_performance(
            ctx.store,
            pointer,
            model_id=model_id,
            as_of=when,
            windows=windows,
            competition=competition,
        )

    return await cached_read(request, ctx, "performance", params, build, domain=DOMAIN)
