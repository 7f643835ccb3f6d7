"""Safety: no route writes, bad parameters are 422, unknown ids 404, a store that is down is a
503 with Retry-After, and no error or log line carries a connection string or a password."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from api_world import World, settings_for
from fastapi.testclient import TestClient
from sqlalchemy import text

from formline.api import create_app
from formline.errors import StoreError
from formline.store.readonly import open_read_only_store

SECRET = "s3cr3t-pw"
DEAD_POSTGRES = f"postgresql://formline:{SECRET}@127.0.0.1:1/formline"


def test_every_route_is_a_read(api: TestClient) -> None:
    app = api.app
    methods = {m for route in app.routes for m in (getattr(route, "methods", None) or ())}  # type: ignore[attr-defined]
    assert methods <= {"GET", "HEAD"}
    assert api.post("/predictions").status_code == 405
    assert api.delete("/models/1").status_code == 405


def test_head_answers_as_get_without_the_body(api: TestClient, world: tuple[str, World]) -> None:
    health = api.head("/health")  # its body carries the snapshot's age: no stable ETag
    assert health.status_code == 200 and health.content == b""
    assert int(health.headers["content-length"]) > 0
    match_id = world[1].current_match_ids[0]
    for path in ("/predictions", f"/predictions/matches/{match_id}", "/models"):
        got, head = api.get(path), api.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["etag"] == got.headers["etag"], path
        assert head.headers["content-length"] == str(len(got.content)), path
    assert api.head("/matches/999999").status_code == 404
    assert api.head("/matches?status=nonsense").status_code == 422


def test_the_api_store_refuses_writes(world: tuple[str, World]) -> None:
    store = open_read_only_store(world[0])
    try:
        with pytest.raises(StoreError, match=r"read-only|readonly"), store.begin() as conn:
            conn.execute(text("UPDATE matches SET home_goals = 9 WHERE id = 1"))
        with store.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM matches")).scalar() == 720
    finally:
        store.dispose()


def test_a_missing_sqlite_store_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing.db"
    with TestClient(create_app(settings_for(f"sqlite:///{path}"))) as client:
        health = client.get("/health")
        predictions = client.get("/predictions")
    assert health.status_code == 503 and health.json()["ready"] is False
    assert predictions.status_code == 503
    assert not path.exists()


def test_an_unmigrated_store_is_not_ready(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with TestClient(create_app(settings_for(f"sqlite:///{path}"))) as client:
        health = client.get("/health")
        predictions = client.get("/predictions")
    assert health.status_code == 503
    assert health.json()["store"]["error"] == "the store is not migrated: run the worker"
    assert predictions.status_code == 503


def test_a_store_that_is_down_answers_503_with_retry_after_and_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    app = create_app(settings_for(DEAD_POSTGRES, api_retry_after_seconds=7))
    with TestClient(app) as client:
        responses = [client.get(path) for path in ("/predictions", "/matches/3", "/health")]
        for _ in range(5):
            client.get("/competitions")
    for response in responses:
        assert response.status_code == 503
        assert response.headers["retry-after"] == "7"
        assert SECRET not in response.text and "127.0.0.1" not in response.text
    assert responses[0].json() == {"detail": "the prediction store is unavailable; retry later"}
    assert responses[2].json()["status"] == "unavailable"
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    # An outage is logged once, not once per request.
    outage = [r for r in caplog.records if "store unavailable" in r.getMessage()]
    assert len(outage) == 1


def test_bad_parameters_are_422_with_a_clear_message(api: TestClient) -> None:
    cases = {
        "/matches?limit=0": "limit",
        "/matches?limit=501": "limit",
        "/matches?offset=-1": "offset",
        "/matches?status=started": "status",
        "/matches?date_from=yesterday": "date_from",
        "/matches?date_from=2025-02-01&date_to=2025-01-01": "date_to",
        "/matches/0": "match_id",
        "/matches/abc": "match_id",
        f"/matches/{2**63}": "match_id",
        "/predictions?competition=E0%3BDROP": "competition",
        "/predictions?date=2025-13-01": "date",
        "/performance?window_days=4000": "window_days",
        "/performance?as_of=yesterday": "as_of",
        # Numbers are not dates (pydantic alone reads them as seconds since 1970).
        "/performance?as_of=0.5": "as_of",
        "/performance?as_of=1700000000": "as_of",
        "/value-bets?as_of=0": "as_of",
        "/matches?date_from=0": "date_from",
        "/matches?date_to=86400": "date_to",
        "/predictions?date=0": "date",
        "/value-bets?min_edge=nan": "min_edge",
    }
    for path, parameter in cases.items():
        response = api.get(path)
        assert response.status_code == 422, path
        errors = response.json()["detail"]
        assert any(parameter in error["loc"] for error in errors), (path, errors)
        assert all(error["msg"] for error in errors)
        assert response.headers["cache-control"] == "no-store"


def test_unknown_ids_are_404(api: TestClient) -> None:
    for path in (
        "/matches/123456789",
        "/models/123456789",
        "/predictions/matches/123456789",
        "/predictions/history/123456789",
        "/matches?competition=XX",
        "/performance?competition=XX",
        "/value-bets?competition=XX",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"], path
    assert api.get("/nowhere").status_code == 404


def test_cors_allows_only_the_configured_origins(world: tuple[str, World]) -> None:
    allowed = "https://dashboard.example.com"
    app = create_app(settings_for(world[0], api_cors_origins=allowed))
    with TestClient(app) as client:
        ok = client.get("/predictions", headers={"Origin": allowed})
        other = client.get("/predictions", headers={"Origin": "https://evil.example.com"})
        preflight = client.options(
            "/predictions",
            headers={"Origin": allowed, "Access-Control-Request-Method": "GET"},
        )
    assert ok.headers["access-control-allow-origin"] == allowed
    assert "etag" in ok.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert preflight.status_code == 200
    with TestClient(create_app(settings_for(world[0]))) as client:
        default = client.get("/predictions", headers={"Origin": allowed})
    assert "access-control-allow-origin" not in default.headers


def test_settings_refuse_bad_origins_and_redis_urls() -> None:
    with pytest.raises(ValueError, match="API_CORS_ORIGINS"):
        settings_for("sqlite:///x.db", api_cors_origins="dashboard.example.com")
    with pytest.raises(ValueError, match="REDIS_URL"):
        settings_for("sqlite:///x.db", redis_url="http://127.0.0.1:6379")
