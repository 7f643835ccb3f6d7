"""``/metrics``: Prometheus text exposition."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Response

from formline.api.deps import Context
from formline.api.metrics import CONTENT_TYPE

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def metrics(ctx: Context) -> Response:
    """Cache hits and misses per kind of response, cache errors, and request counts and
    latencies per route, in the Prometheus text format."""
    body = ctx.metrics.render()
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    return Response(
        body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store", "ETag": etag}
    )
