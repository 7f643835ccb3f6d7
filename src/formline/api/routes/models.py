"""``/models``: the model registry, read-only."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from formline.api.deps import Context, ModelId
from formline.api.schemas import ErrorPublic, ModelDetailPublic, ModelPublic, ModelsPublic
from formline.api.serving import cached_read
from formline.errors import UnknownModelError
from formline.store.db import Store
from formline.store.reads import get_model, list_models
from formline.store.tables import MODEL_STATUSES

router = APIRouter(tags=["models"])

ModelStatus = StrEnum("ModelStatus", {s: s for s in MODEL_STATUSES})  # type: ignore[misc]


def build_models(store: Store, status: str | None) -> ModelsPublic:
    """Model versions, newest first."""
    with store.connect("reading the model registry") as conn:
        rows = list_models(conn, status)
    data = [ModelPublic(**row) for row in rows]
    return ModelsPublic(count=len(data), data=data)


def build_model(store: Store, model_id: int) -> ModelDetailPublic:
    """One model version in full.

    Raises
    ------
    UnknownModelError
        If it does not exist.
    """
    with store.connect("reading the model registry") as conn:
        row = get_model(conn, model_id)
    if row is None:
        raise UnknownModelError(f"model version {model_id} does not exist")
    return ModelDetailPublic(**row)


@router.get("/models", response_model=ModelsPublic, summary="Model versions")
async def models_list(
    request: Request,
    ctx: Context,
    status: Annotated[
        ModelStatus | None, Query(description="Only versions with this status.")
    ] = None,
) -> Response:
    """Every model version, newest first, with its validation metrics."""
    value = None if status is None else str(status.value)
    return await cached_read(
        request, ctx, "models", {"status": value}, lambda _: build_models(ctx.store, value)
    )


@router.get(
    "/models/{model_id}",
    response_model=ModelDetailPublic,
    responses={404: {"model": ErrorPublic, "description": "Unknown model version."}},
    summary="One model version",
)
async def model_detail(request: Request, ctx: Context, model_id: ModelId) -> Response:
    """One model version with its features, hyperparameters and metrics."""
    return await cached_read(
        request, ctx, "models", {"model_id": model_id}, lambda _: build_model(ctx.store, model_id)
    )
