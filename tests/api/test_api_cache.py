"""The API's cache: hits and misses, keys that follow the published snapshot, warming, the
staleness bound, and ETags that survive the cache."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta

import pytest
from api_world import NOW, World, publish, settings_for
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from formline.api import create_app
from formline.api.context import ApiContext
from formline.api.schemas import ErrorPublic
from formline.api.serving import rendered_for
from formline.store.tables import prediction_snapshots, publications


def _metric(client: TestClient, name: str, **labels: str) -> float:
    text = client.get("/metrics").text
    selector = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}\{{{re.escape(selector)}\}} ([0-9.e+]+)$"
    found = re.search(pattern, text, flags=re.M)
    return float(found.group(1)) if found else 0.0


def _settle(client: TestClient) -> None:
    """Wait for the app's background warm to finish."""
    context: ApiContext = client.app.state.context  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while context.background and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_second_read_is_a_hit_with_the_same_body_and_etag(world: tuple[str, World]) -> None:
    with TestClient(create_app(settings_for(world[0]))) as client:
        first = client.get("/matches", params={"limit": 3})
        second = client.get("/matches", params={"limit": 3})
        reordered = client.get("/matches?offset=0&limit=3")
        assert first.content == second.content == reordered.content
        assert first.headers["etag"] == second.headers["etag"]
        assert _metric(client, "formline_api_cache_misses_total", kind="matches") == 1
        assert _metric(client, "formline_api_cache_hits_total", kind="matches") == 2


def test_the_metrics_are_prometheus_text(world: tuple[str, World]) -> None:
    with TestClient(create_app(settings_for(world[0]))) as client:
        client.get("/predictions")
        client.get("/matches/1")
        response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = response.text
    assert "# TYPE formline_api_request_duration_seconds histogram" in body
    assert (
        'formline_api_requests_total{method="GET",route="/matches/{match_id}",status="200"}' in body
    )
    bucket = (
        'formline_api_request_duration_seconds_bucket{le="+Inf",method="GET",route="/predictions"}'
    )
    assert bucket in body
    assert "# TYPE formline_api_cache_hits_total counter" in body


def test_after_a_publish_reads_show_the_new_snapshot(writable_world) -> None:  # type: ignore[no-untyped-def]
    store = writable_world()
    url = store.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(settings_for(url, api_pointer_ttl_seconds=0))) as client:
        before = client.get("/predictions").json()
        model_id = before["snapshot"]["model_version_id"]
        new_id = publish(store, model_id, NOW + timedelta(days=1), 20)
        after = client.get("/predictions").json()
    assert after["snapshot"]["id"] == new_id != before["snapshot"]["id"]
    assert after["count"] == after["snapshot"]["n_predictions"]
    assert {p["snapshot_id"] for p in after["data"]} == {new_id}


def test_a_worker_serves_the_old_snapshot_for_at_most_the_pointer_ttl(writable_world) -> None:  # type: ignore[no-untyped-def]
    store = writable_world()
    url = store.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(settings_for(url, api_pointer_ttl_seconds=0.5))) as client:
        before = client.get("/predictions").json()["snapshot"]["id"]
        new_id = publish(store, 1, NOW + timedelta(days=1), 20)
        published_at = time.monotonic()
        seen = before
        while seen != new_id:
            seen = client.get("/predictions").json()["snapshot"]["id"]
            assert seen in (before, new_id)
            assert time.monotonic() - published_at < 0.5 + 0.5, "stale for longer than the TTL"
            time.sleep(0.05)


def test_a_pruned_snapshot_is_never_served_as_empty(writable_world) -> None:  # type: ignore[no-untyped-def]
    store = writable_world()
    url = store.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(settings_for(url, api_pointer_ttl_seconds=60))) as client:
        old = client.get("/predictions").json()["snapshot"]["id"]
        new_id = publish(store, 1, NOW + timedelta(days=1), 20)
        with store.begin() as conn:  # the worker moved on and retention pruned the old one
            conn.execute(update(publications).values(snapshot_id=new_id))
            conn.execute(delete(prediction_snapshots).where(prediction_snapshots.c.id == old))
        # The memo still says `old`; a read that is not cached (the warm cached the lists by
        # competition, not by day) finds it gone and reads the pointer again.
        body = client.get("/predictions", params={"date": "2025-11-08"}).json()
    assert body["snapshot"]["id"] == new_id and body["count"] > 0


def test_the_cache_is_warmed_when_the_pointer_moves(world: tuple[str, World]) -> None:
    with TestClient(create_app(settings_for(world[0]))) as client:
        client.get("/health")
        client.get("/competitions")  # the first read sees the pointer: the warm starts
        _settle(client)
        for match_id in world[1].current_match_ids:
            assert client.get(f"/predictions/matches/{match_id}").status_code == 200
        client.get("/predictions", params={"competition": "DEMO2"})
        assert _metric(client, "formline_api_cache_misses_total", kind="prediction") == 0
        hits = _metric(client, "formline_api_cache_hits_total", kind="prediction")
        assert hits == len(world[1].current_match_ids)
        assert _metric(client, "formline_api_cache_misses_total", kind="predictions") == 0


def test_caching_can_be_turned_off(world: tuple[str, World]) -> None:
    settings = settings_for(world[0], api_cache_enabled=False)
    with TestClient(create_app(settings)) as client:
        first, second = client.get("/predictions"), client.get("/predictions")
        assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
        assert client.get("/health").json()["cache"]["backend"] == "disabled"
        assert _metric(client, "formline_api_cache_hits_total", kind="predictions") == 0
        assert _metric(client, "formline_api_cache_misses_total", kind="predictions") == 0
    with TestClient(create_app(settings_for(world[0], api_cache_ttl_matches=0))) as client:
        client.get("/matches/1")
        client.get("/matches/1")
        assert _metric(client, "formline_api_cache_hits_total", kind="matches") == 0
        assert client.get("/matches/1").headers["cache-control"] == "no-cache"


def test_concurrent_misses_of_one_key_build_it_once(world: tuple[str, World]) -> None:
    app = create_app(settings_for(world[0]))
    context: ApiContext = app.state.context
    builds: list[int] = []

    def build(_: object) -> ErrorPublic:
        builds.append(1)
        time.sleep(0.05)  # a slow query: the other requests arrive while it runs
        return ErrorPublic(detail="built")

    async def many() -> set[bytes]:
        results = await asyncio.gather(
            *(rendered_for(context, "models", {"k": "v"}, build) for _ in range(20))
        )
        return {r.body for r in results}

    assert asyncio.run(many()) == {b'{"detail":"built"}'}
    assert len(builds) == 1


@pytest.mark.parametrize("path", ["/predictions", "/competitions"])
def test_a_304_is_also_served_from_the_cache(world: tuple[str, World], path: str) -> None:
    with TestClient(create_app(settings_for(world[0]))) as client:
        etag = client.get(path).headers["etag"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
