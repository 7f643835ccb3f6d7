"""Publications are keyed (domain, name): another domain publishing under the matches domain's
publication name changes no matches answer, while a second domain mounted beside matches
serves its own pointer through the same machinery (cache keys, hot path, warming)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
from api_world import FEATURE_VERSION, NOW, World, settings_for
from fastapi import APIRouter, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from formline.api import create_app
from formline.api.declared import CacheKind, DomainCache
from formline.api.deps import Context
from formline.api.serving import cached_read
from formline.domain import register_domain, unregister_domain
from formline.errors import ConfigError
from formline.matches.domain import MatchesDomain
from formline.store.db import Store
from formline.store.predictions import PredictionRows, publish_snapshot
from formline.store.reads import Pointer, current_pointer
from support import unimplemented_methods

OTHER = "other_test"


def _paths(world: World) -> list[str]:
    """A read of every matches route (and the shared ones), found and not found."""
    ids = world.current_match_ids[:2]
    return [
        "/predictions",
        "/predictions?competition=DEMO1",
        "/predictions?competition=NOPE",
        "/predictions?date=2025-11-08",
        *(f"/predictions/matches/{i}" for i in ids),
        *(f"/predictions/history/{i}" for i in ids),
        "/predictions/matches/999999",
        "/matches?limit=5",
        f"/matches/{ids[0]}",
        "/competitions",
        "/performance?as_of=2025-11-06",
        "/value-bets?as_of=2025-11-06&min_edge=-0.5",
        "/models",
        f"/models/{world.model_id}",
    ]


def _answers(client: TestClient, paths: list[str]) -> dict[str, tuple[int, bytes, str | None]]:
    answers = {}
    for path in paths:
        response = client.get(path)
        answers[path] = (response.status_code, response.content, response.headers.get("etag"))
    return answers


def publish_other(store: Store, model_id: int, match_ids: tuple[int, ...], days: int = 1) -> int:
    """A snapshot of another domain under the same publication name ("default"), later than
    the matches pointer, with the matches' own event ids, unit, markets and selections: only
    the domain tells them apart."""
    cells = [("1x2", s, 0.0, 0.9 if s == "home" else 0.05) for s in ("home", "draw", "away")]
    cells += [("over_under", "over", 2.5, 0.9), ("over_under", "under", 2.5, 0.1)]
    events = pd.DataFrame(
        {
            "event_id": list(match_ids),
            "unit": "",
            "model_version_id": model_id,
            "information": "no_market",
            "drivers": [[] for _ in match_ids],
        }
    )
    rows = pd.DataFrame(
        [
            {"event_id": event_id, "unit": "", "market": market, "selection": selection,
             "line": line, "probability": p, "fair_odds": 1 / p}
            for event_id in match_ids
            for market, selection, line, p in cells
        ]
    )  # fmt: skip
    published = publish_snapshot(
        store,
        as_of=NOW + timedelta(days=days),
        horizon_days=30,
        feature_version=FEATURE_VERSION,
        predictions=PredictionRows(events, rows),
        domain=OTHER,
        model_version_id=model_id,
    )
    assert published.published
    return published.snapshot_id


def test_another_domains_publication_changes_no_matches_answer(
    writable_world: Any, sqlite_world: tuple[str, World]
) -> None:
    world = sqlite_world[1]
    store = writable_world()
    url = store.engine.url.render_as_string(hide_password=False)
    paths = _paths(world)
    with TestClient(create_app(settings_for(url, api_pointer_ttl_seconds=0))) as running:
        before = _answers(running, paths)
        before_again = _answers(running, paths)  # now from the cache and the hot path
        assert before_again == before
        assert all(status in (200, 404) for status, _, _ in before.values())
        other = publish_other(store, world.model_id, world.current_match_ids)
        # The process that was serving reads the pointers again on every request (TTL 0).
        assert _answers(running, paths) == before
        health = running.get("/health")
    with TestClient(create_app(settings_for(url))) as fresh:
        assert _answers(fresh, paths) == before
    # The store does hold the other domain's pointer under the same name, and it is the newest.
    with store.connect() as conn:
        assert current_pointer(conn, domain=OTHER).snapshot_id == other  # type: ignore[union-attr]
        matches = current_pointer(conn, domain=MatchesDomain.name)
    assert matches is not None and matches.snapshot_id == world.current_snapshot_id != other
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["snapshot"]["id"] == other
    # Each domain's last publish, beside the freshest one (the other domain is not registered
    # in this test: the store's publication still shows).
    domains = health.json()["domains"]
    assert domains[MatchesDomain.name]["id"] == world.current_snapshot_id
    assert domains[OTHER]["id"] == other and domains[OTHER] == health.json()["snapshot"]


# --- a second domain mounted beside matches ---------------------------------------------------


class SnapshotSeen(BaseModel):
    snapshot_id: int | None


def _seen(pointer: Pointer | None) -> SnapshotSeen:
    return SnapshotSeen(snapshot_id=None if pointer is None else pointer.snapshot_id)


router = APIRouter()


@router.get("/other-snapshot")
async def other_snapshot(request: Request, ctx: Context) -> Response:
    return await cached_read(request, ctx, "other_snapshot", {}, _seen, domain=OTHER)


#: Warmed builds, to see that the app warms the other domain's snapshot when its pointer moves.
WARMED: list[int] = []


def _hot(store: Store, pointer: Pointer) -> list[tuple[str, dict[str, object]]]:
    return [("other_snapshot", {})]


def _build(store: Store, pointer: Pointer, kind: str, params: dict[str, object]) -> BaseModel:
    WARMED.append(pointer.snapshot_id)
    return _seen(pointer)


OTHER_CACHE = DomainCache(
    kinds=(CacheKind("other_snapshot", "api_cache_ttl_predictions", hot=True),),
    hot_requests=_hot,
    build=_build,
)
CLASHING_CACHE = DomainCache(kinds=(CacheKind("predictions", "api_cache_ttl_predictions"),))
UNKNOWN_SETTING_CACHE = DomainCache(kinds=(CacheKind("other", "api_cache_ttl_other"),))


@unimplemented_methods
class OtherDomain:
    """A second domain with a router and a cache, declared only: enough for the API."""

    name = OTHER
    event_noun = "event"
    unit_noun = None
    unit_key = None
    event_key = "event_id"
    start_column = "starts_at"
    markets = MatchesDomain.markets
    model_types = MatchesDomain.model_types[:1]
    information_states = ("no_market",)
    reference_model = "logistic"
    market_reference = None
    validation_leads = ()
    sources = ()
    api_routers = ("test_other_domain:router",)
    api_cache: str | None = "test_other_domain:OTHER_CACHE"
    scope_column = "league"
    target_columns = ("result",)
    cli_commands = ()
    season_simulation = None

    def register_tables(self) -> None:
        return None

    def feature_set(self) -> Any:
        raise NotImplementedError

    def load_frame(self, store: Any, as_of: Any, queries: Any = None) -> Any:
        raise NotImplementedError

    def make_model(self, model_type: str, *, use_market: bool = True, **params: Any) -> Any:
        raise NotImplementedError

    def as_model(self, estimator: Any, *, use_market: bool = True) -> Any:
        raise NotImplementedError

    def model_features(self, model: Any) -> list[str]:
        raise NotImplementedError

    def information_needed(self, reads_prices: bool) -> str:
        return "no_market"

    def prediction_rows(self, predictions: Any) -> Any:
        raise NotImplementedError

    def read_snapshot(self, store: Any, snapshot_id: int) -> Any:
        raise NotImplementedError


@pytest.fixture
def other_domain() -> Iterator[type[OtherDomain]]:
    register_domain(OTHER, OtherDomain)
    yield OtherDomain
    unregister_domain(OTHER)


def _wait_for_warm(client: TestClient, expected: list[int]) -> None:
    """Wait (30 s at most) until the background warm-up has run and warmed ``expected``: it is
    scheduled after the response that saw the pointer move, so it may not have started yet."""
    import time

    context = client.app.state.context  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while (context.background or expected != WARMED) and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_second_domains_routes_read_its_own_pointer(
    writable_world: Any, sqlite_world: tuple[str, World], other_domain: type[OtherDomain]
) -> None:
    world = sqlite_world[1]
    store = writable_world()
    url = store.engine.url.render_as_string(hide_password=False)
    WARMED.clear()
    with TestClient(create_app(settings_for(url, api_pointer_ttl_seconds=0))) as client:
        assert client.get("/other-snapshot").json() == {"snapshot_id": None}
        listed = client.get("/predictions").json()
        assert listed["snapshot"]["id"] == world.current_snapshot_id
        first = publish_other(store, world.model_id, world.current_match_ids)
        assert client.get("/other-snapshot").json() == {"snapshot_id": first}
        _wait_for_warm(client, [first])
        assert [first] == WARMED  # the move of its pointer warmed its hot response
        second = publish_other(store, world.model_id, world.current_match_ids, days=2)
        seen = [client.get("/other-snapshot").json()["snapshot_id"] for _ in range(3)]
        assert seen == [second] * 3  # the hot path follows the other domain's pointer
        assert client.get("/predictions").json() == listed


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("test_other_domain:CLASHING_CACHE", "cache kind 'predictions' that domain matches"),
        ("test_other_domain:UNKNOWN_SETTING_CACHE", "names no setting api_cache_ttl_other"),
        ("test_other_domain:router", "is not a DomainCache"),
    ],
)
def test_a_bad_cache_declaration_is_refused_at_start_up(
    sqlite_world: tuple[str, World],
    other_domain: type[OtherDomain],
    declared: str,
    message: str,
) -> None:
    other_domain.api_cache = declared
    try:
        with pytest.raises(ConfigError, match=message):
            create_app(settings_for(sqlite_world[0]))
    finally:
        other_domain.api_cache = "test_other_domain:OTHER_CACHE"
