"""Mapping errors to HTTP answers: 404 unknown ids, 409 conflicts, 422 bad parameters, 503 with
``Retry-After`` when the store is down. Bodies say what went wrong and never carry a connection
string, a host or a driver's message."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from formline.errors import (
    ConfigError,
    DataError,
    FormlineError,
    ModelNotFoundError,
    NotFoundError,
    SchemaMismatchError,
    StoreError,
)

logger = logging.getLogger("formline.api")

STORE_UNAVAILABLE = "the prediction store is unavailable; retry later"
#: An outage of the store is logged at most once per this many seconds.
LOG_INTERVAL_SECONDS = 60.0


def bad_parameter(location: Sequence[str | int], message: str, value: Any = None) -> None:
    """Raise a 422 in FastAPI's own validation-error shape, for checks across parameters."""
    raise RequestValidationError(
        [{"type": "value_error", "loc": tuple(location), "msg": message, "input": value}]
    )


def _json(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    base = {"Cache-Control": "no-store"}
    return JSONResponse({"detail": detail}, status_code=status, headers={**base, **(headers or {})})


def install_error_handlers(app: FastAPI, retry_after: int) -> None:
    """Register the handlers that turn formline errors into HTTP answers."""

    last_logged = [-math.inf]

    async def store_down(request: Request, exc: Exception) -> JSONResponse:
        # The message may name a host: it goes to the log (once per interval, not per request
        # of an outage), never to the client.
        now = time.monotonic()
        if now - last_logged[0] >= LOG_INTERVAL_SECONDS:
            last_logged[0] = now
            logger.error("store unavailable (%s): %s", request.url.path, exc)
        return _json(503, STORE_UNAVAILABLE, {"Retry-After": str(retry_after)})

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        body = {"detail": jsonable_encoder(exc.errors())}
        return JSONResponse(body, status_code=422, headers={"Cache-Control": "no-store"})

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return _json(404, str(exc))

    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        return _json(409, str(exc))

    async def bad_input(request: Request, exc: Exception) -> JSONResponse:
        # The shape of FastAPI's own validation errors, so that every 422 has one schema.
        errors = [{"type": "value_error", "loc": ["query"], "msg": str(exc)}]
        return JSONResponse(
            {"detail": errors}, status_code=422, headers={"Cache-Control": "no-store"}
        )

    async def other(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unexpected %s on %s: %s", type(exc).__name__, request.url.path, exc)
        return _json(500, "internal error")

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StoreError, store_down)
    app.add_exception_handler(NotFoundError, not_found)
    app.add_exception_handler(ModelNotFoundError, not_found)
    app.add_exception_handler(SchemaMismatchError, conflict)
    app.add_exception_handler(DataError, bad_input)
    app.add_exception_handler(ConfigError, bad_input)
    app.add_exception_handler(FormlineError, other)
