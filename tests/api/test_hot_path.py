"""The hot path: a repeated read of the current snapshot is answered before routing, with the
same body, headers, metrics and CORS as the full path, and never past the pointer's staleness
bound."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from api_world import NOW, World, publish, settings_for
from fastapi.testclient import TestClient

from formline.api import create_app
from formline.api.hot import HotPath


def _requests(client: TestClient, route: str, status: int = 200) -> float:
    labels = f'method="GET",route="{route}",status="{status}"'
    pattern = rf"^formline_api_requests_total\{{{re.escape(labels)}\}} ([0-9.]+)$"
    found = re.search(pattern, client.get("/metrics").text, re.M)
    return float(found.group(1)) if found else 0.0


def _hot(client: TestClient) -> HotPath:
    stack = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(stack, HotPath):
        stack = stack.app
    return stack


def test_repeated_reads_are_answered_by_the_hot_path(world: tuple[str, World]) -> None:
    with TestClient(create_app(settings_for(world[0]))) as client:
        match_id = world[1].current_match_ids[2]
        first = client.get(f"/predictions/matches/{match_id}")
        hot = _hot(client)
        assert len(hot._entries) >= 1
        again = [client.get(f"/predictions/matches/{match_id}") for _ in range(5)]
        for response in again:
            assert response.content == first.content
            assert response.headers["etag"] == first.headers["etag"]
            assert response.headers["cache-control"] == first.headers["cache-control"]
            assert response.headers["content-type"] == "application/json"
        # The metrics label them with their route, as the full path does.
        assert _requests(client, "/predictions/matches/{match_id}") == 6
        etag = first.headers["etag"]
        not_modified = client.get(
            f"/predictions/matches/{match_id}", headers={"If-None-Match": etag}
        )
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified.headers["etag"] == etag


def test_only_what_the_full_path_answered_is_remembered(world: tuple[str, World]) -> None:
    with TestClient(create_app(settings_for(world[0]))) as client:
        for _ in range(3):
            assert client.get("/predictions", params={"competition": "NOPE"}).status_code == 404
            assert client.get("/predictions", params={"date": "2025-13-40"}).status_code == 422
        kinds = {entry.kind for entry in _hot(client)._entries.values()}
        assert kinds <= {"predictions", "prediction"}
        client.get("/matches/1")
        client.get("/matches/1")
        assert {entry.kind for entry in _hot(client)._entries.values()} <= {
            "predictions",
            "prediction",
        }


def test_the_hot_path_follows_a_publish_within_the_pointer_ttl(writable_world) -> None:  # type: ignore[no-untyped-def]
    store = writable_world()
    url = store.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(settings_for(url, api_pointer_ttl_seconds=0.3))) as client:
        old = client.get("/predictions").json()["snapshot"]["id"]
        client.get("/predictions")
        new_id = publish(store, 1, NOW + timedelta(days=1), 20)
        published_at = time.monotonic()
        while client.get("/predictions").json()["snapshot"]["id"] == old:
            assert time.monotonic() - published_at < 0.3 + 0.5
            time.sleep(0.02)
        body = client.get("/predictions").json()
        assert (
            body["snapshot"]["id"] == new_id and body["count"] == body["snapshot"]["n_predictions"]
        )


def test_hot_answers_carry_cors_headers(world: tuple[str, World]) -> None:
    origin = "https://dashboard.example.com"
    with TestClient(create_app(settings_for(world[0], api_cors_origins=origin))) as client:
        responses = [client.get("/predictions", headers={"Origin": origin}) for _ in range(3)]
    assert all(r.headers["access-control-allow-origin"] == origin for r in responses)


def test_no_hot_path_without_a_cache(world: tuple[str, World]) -> None:
    with TestClient(create_app(settings_for(world[0], api_cache_enabled=False))) as client:
        client.get("/predictions")
        stack = client.app.middleware_stack  # type: ignore[attr-defined]
        while hasattr(stack, "app"):
            assert not isinstance(stack, HotPath)
            stack = stack.app


def _refuse_full_path(client: TestClient) -> None:
    """From now on the FastAPI application behind the hot path fails every request."""

    async def full_path(scope: object, receive: object, send: object) -> None:
        raise AssertionError("took the full path")

    client.app.middleware_stack = full_path  # type: ignore[attr-defined]


def _exchange(client: TestClient, method: str, path: str, headers: dict[str, str]) -> tuple:  # type: ignore[type-arg]
    response = client.request(method, path, headers=headers)
    return response.status_code, response.headers.raw, response.content


def test_answers_in_front_of_fastapi_are_those_of_the_full_path(world: tuple[str, World]) -> None:
    """Same status, bytes and headers (names, values, order) for GET, HEAD and 304s, whether
    FastAPI answers or the hot path does before FastAPI's entry point; and counted alike."""
    url, ids = world
    with TestClient(create_app(settings_for(url))) as full:
        competition = full.get("/predictions").json()["data"][0]["competition"]
        paths = ["/predictions", f"/predictions/matches/{ids.current_match_ids[0]}",
                 f"/predictions?competition={competition}"]  # fmt: skip
        etags = {path: full.get(path).headers["etag"] for path in paths}
    cases = [
        (method, path, headers)
        for path in paths
        for method in ("GET", "HEAD")
        for headers in (
            {},
            {"If-None-Match": etags[path]},
            {"If-None-Match": f'W/{etags[path]}, "other"'},
            {"If-None-Match": '"stale"'},
        )
    ]
    # The full path: a fresh app per request, so nothing is remembered yet.
    expected = []
    for method, path, headers in cases:
        with TestClient(create_app(settings_for(url))) as full:
            expected.append(_exchange(full, method, path, headers))
    with TestClient(create_app(settings_for(url))) as client:
        for path in paths:
            client.get(path)  # answered (and remembered) by the full path
        counted_before = _requests(client, "/predictions")
        _refuse_full_path(client)
        answered = [_exchange(client, method, path, headers) for method, path, headers in cases]
    assert [a[0] for a in answered] == [e[0] for e in expected]
    assert {a[0] for a in answered} == {200, 304}
    assert answered == expected
    for (method, _, _), (status, _, body) in zip(cases, answered, strict=True):
        assert body == b"" if method == "HEAD" or status == 304 else body
    assert counted_before >= 2


def test_answers_in_front_of_fastapi_are_counted_as_the_full_path_counts_them(
    world: tuple[str, World],
) -> None:
    match_path = f"/predictions/matches/{world[1].current_match_ids[1]}"
    with TestClient(create_app(settings_for(world[0]))) as client:
        etag = client.get(match_path).headers["etag"]  # full path: counted once
        hot = _hot(client)
        stack = client.app.middleware_stack  # type: ignore[attr-defined]
        _refuse_full_path(client)
        client.get(match_path)
        client.head(match_path)  # counted as a GET, as HeadAsGet makes it
        client.get(match_path, headers={"If-None-Match": etag})
        client.app.middleware_stack = stack  # type: ignore[attr-defined]
        assert _requests(client, "/predictions/matches/{match_id}") == 3
        assert _requests(client, "/predictions/matches/{match_id}", 304) == 1
        hits = re.search(
            r'^formline_api_cache_hits_total\{kind="prediction"\} ([0-9.]+)$',
            client.get("/metrics").text,
            re.M,
        )
        assert hits is not None and float(hits.group(1)) >= 3
        assert hot is _hot(client)


def test_requests_with_an_origin_take_the_cors_middleware_when_cors_is_on(
    world: tuple[str, World],
) -> None:
    origin = "https://dashboard.example.com"
    settings = settings_for(world[0], api_cors_origins=origin)
    with TestClient(create_app(settings)) as client:
        client.get("/predictions")
        hot = _hot(client)
        assert hot.cors
        # Without an Origin the answer comes from in front of FastAPI, with one from inside.
        _refuse_full_path(client)
        assert client.get("/predictions").status_code == 200
        with pytest.raises(AssertionError, match="took the full path"):
            client.get("/predictions", headers={"Origin": origin})
