"""The races read API's cache: keys follow the races domain's own pointer (a new races publish
moves the cards, a publish of another domain does not), the worker warms Redis with the bodies
the API would render, and two API processes share entries through Redis."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from race_api_world import NOW, RaceWorld, publish_cards, settings_for
from races_api_domain import DOMAIN

from formline import __version__
from formline.api import create_app
from formline.pipeline.warm import CacheTarget, warm_api_cache
from formline.races.api.cache import RACES_CACHE
from formline.store.db import open_store
from formline.store.reads import current_pointer
from support import require_redis


def _metric(client: TestClient, name: str, kind: str) -> float:
    found = re.search(
        rf'^{name}\{{kind="{kind}"\}} ([0-9.e+]+)$', client.get("/metrics").text, re.M
    )
    return float(found.group(1)) if found else 0.0


def test_a_races_publish_moves_the_cards_and_the_cache_follows(
    writable_race_world: Any, sqlite_race_world: tuple[str, RaceWorld], mounted: None
) -> None:
    world = sqlite_race_world[1]
    store = writable_race_world()
    url = store.engine.url.render_as_string(hide_password=False)
    left_out = f"/races/{world.unpredicted_race_id}"
    day = f"/races?date={world.card_day}"
    with TestClient(create_app(settings_for(url, api_pointer_ttl_seconds=0))) as client:
        before = client.get(left_out)
        listed = client.get(day).json()
        assert before.json()["prediction"] is None
        assert client.get(left_out).headers["etag"] == before.headers["etag"]  # a hit
        assert _metric(client, "formline_api_cache_hits_total", "race") >= 1
        # A later snapshot that covers every card, the one left out too.
        every = [*world.predicted_race_ids, world.unpredicted_race_id]
        second = publish_cards(store, world.model_id, every, NOW + timedelta(hours=1))
        after = client.get(left_out)
        assert after.headers["etag"] != before.headers["etag"]
        assert after.json()["prediction"]["snapshot_id"] == second
        assert all(r["p_win"] is not None for r in after.json()["runners"])
        relisted = client.get(day).json()
        assert relisted["snapshot"]["id"] == second != listed["snapshot"]["id"]
        assert all(race["n_predicted"] == race["n_runners"] for race in relisted["data"])


def test_the_warm_requests_are_each_predicted_card_and_its_days_lists(
    race_world: tuple[str, RaceWorld], mounted: None
) -> None:
    url, world = race_world
    store = open_store(url, migrate=False)
    try:
        with store.connect() as conn:
            pointer = current_pointer(conn, domain=DOMAIN)
        assert pointer is not None and RACES_CACHE.hot_requests is not None
        requests = RACES_CACHE.hot_requests(store, pointer)
        assert RACES_CACHE.build is not None
        built = {
            (kind, tuple(sorted(params.items()))): RACES_CACHE.build(store, pointer, kind, params)
            for kind, params in requests
        }
    finally:
        store.dispose()
    cards = [params["race_id"] for kind, params in requests if kind == "race"]
    assert sorted(cards) == sorted(world.predicted_race_ids)
    lists = [params for kind, params in requests if kind == "races"]
    assert {str(p["date"]) for p in lists} == {world.card_day}
    assert {p["venue"] for p in lists} >= {None}
    # Each warmed body is the route's own.
    with TestClient(create_app(settings_for(url, api_cache_enabled=False))) as plain:
        for (kind, params), body in built.items():
            found = dict(params)
            path = f"/races/{found['race_id']}" if kind == "race" else "/races"
            query = {} if kind == "race" else {k: v for k, v in found.items() if v is not None}
            answer = plain.get(path, params={k: str(v) for k, v in query.items()})
            assert answer.content == body.__pydantic_serializer__.to_json(body), (kind, params)


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    """The test Redis URL and a key prefix of this test's own (keys deleted afterwards)."""
    url = require_redis()
    prefix = f"formline-test-{uuid.uuid4().hex[:12]}"
    yield url, prefix
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_api_processes_share_race_entries_in_redis(
    race_world: tuple[str, RaceWorld], redis_prefix: tuple[str, str], mounted: None
) -> None:
    url, prefix = redis_prefix
    world = race_world[1]
    settings = settings_for(
        race_world[0],
        redis_url=url,
        api_cache_key_prefix=prefix,
        api_cache_redis_timeout_seconds=5.0,
    )
    paths = {"races": f"/races?date={world.card_day}", "race_form": "/jockeys/2"}
    with TestClient(create_app(settings)) as first:
        bodies = {kind: first.get(path).content for kind, path in paths.items()}
    keys = [k.decode() for k in redis.Redis.from_url(url).scan_iter(f"{prefix}:*")]
    for kind in paths:
        assert any(k.startswith(f"{prefix}:{__version__}:v1:{kind}:") for k in keys), kind
    with TestClient(create_app(settings)) as second:  # another worker, an empty process cache
        for kind, path in paths.items():
            assert second.get(path).content == bodies[kind]
            assert _metric(second, "formline_api_cache_hits_total", kind) == 1
            assert _metric(second, "formline_api_cache_misses_total", kind) == 0


def test_the_worker_warms_redis_with_the_race_cards(
    race_world: tuple[str, RaceWorld], redis_prefix: tuple[str, str], mounted: None
) -> None:
    url, prefix = redis_prefix
    world = race_world[1]
    store = open_store(race_world[0], migrate=False)
    try:
        warmed = warm_api_cache(store, CacheTarget(redis_url=url, key_prefix=prefix), DOMAIN)
    finally:
        store.dispose()
    assert warmed.snapshots == {DOMAIN: world.snapshot_id}
    venues = 1  # the card day's races are all at one meeting
    assert warmed.written == len(world.predicted_race_ids) + 1 + venues
    settings = settings_for(
        race_world[0],
        redis_url=url,
        api_cache_key_prefix=prefix,
        api_cache_redis_timeout_seconds=5.0,
    )
    with TestClient(create_app(settings)) as client:
        for race_id in world.predicted_race_ids:
            assert client.get(f"/races/{race_id}").status_code == 200
        assert client.get("/races", params={"date": world.card_day}).status_code == 200
        assert _metric(client, "formline_api_cache_misses_total", "race") == 0
        assert _metric(client, "formline_api_cache_misses_total", "races") == 0
        assert _metric(client, "formline_api_cache_hits_total", "race") == len(
            world.predicted_race_ids
        )
