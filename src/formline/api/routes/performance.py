"""``/performance``: how published predictions fared on settled matches."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from formline.api.deps import (
    MAX_ID,
    CompetitionCode,
    Context,
    IsoInstant,
    days_before,
    utc_instant,
)
from formline.api.schemas import (
    CompetitionPerformancePublic,
    ErrorPublic,
    PerformancePublic,
    ScoresPublic,
)
from formline.api.scoring import outcome, score
from formline.api.serving import cached_read
from formline.errors import ModelNotFoundError
from formline.store.db import Store
from formline.store.prediction_reads import settled_predictions
from formline.store.reads import Pointer, competition_filter, deployed_model_id, get_model

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
    """Scores of the model's settled predictions per competition and rolling window.

    For each match settled by ``as_of`` the model is scored with its latest prediction made
    before kickoff (the greatest snapshot ``as_of`` strictly before kickoff). Windows are kickoffs
    in ``(as_of - days, as_of]``. The model is ``model_id``, else the deployed one, else the
    current snapshot's.

    Raises
    ------
    ModelNotFoundError
        If ``model_id`` names no model version.
    NotFoundError
        If ``competition`` names no competition.
    """
    with store.connect("reading performance") as conn:
        competition_filter(conn, competition)
        if model_id is not None and get_model(conn, model_id) is None:
            raise ModelNotFoundError(f"model version {model_id} does not exist")
        chosen = model_id or deployed_model_id(conn)
        if chosen is None and pointer is not None:
            chosen = pointer.model_version_id
        rows: list[dict[str, Any]] = []
        if chosen is not None:
            since = days_before(as_of, max(windows))
            rows = settled_predictions(conn, chosen, settled_from=since, as_of=as_of)
    if competition is not None:
        rows = [r for r in rows if r["competition"] == competition]
    by_competition: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_competition[row["competition"]].append(row)
    data = [
        CompetitionPerformancePublic(
            competition=code, windows=[_scores(group, w, as_of) for w in windows]
        )
        for code, group in sorted(by_competition.items())
    ]
    return PerformancePublic(
        model_version_id=chosen,
        as_of=as_of,
        window_days=list(windows),
        overall=[_scores(rows, w, as_of) for w in windows],
        count=len(data),
        data=data,
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
        Query(ge=1, le=MAX_ID, description="A model version (default: the deployed model)."),
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
    """Log loss, Brier, RPS and accuracy of the model's latest pre-kickoff published prediction
    of each settled match, per competition and overall, over rolling windows."""
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

    return await cached_read(request, ctx, "performance", params, build)
