"""Every route of the read API on the seeded world, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from api_world import NOW, SNAPSHOTS, World, probabilities
from fastapi.testclient import TestClient
from sqlalchemy import select

from formline.core import metrics
from formline.domain import domain_names
from formline.matches.tables import competitions, matches
from formline.store.db import open_store


def test_health_reports_the_store_and_the_current_snapshot(
    api: TestClient, world: tuple[str, World]
) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["live"], body["ready"]) == ("ok", True, True)
    assert (
        body["store"]["reachable"]
        and body["store"]["schema_revision"] == open_store(world[0]).head_revision()
    )
    assert body["snapshot"]["id"] == world[1].current_snapshot_id
    assert body["snapshot"]["n_predictions"] == len(world[1].current_match_ids)
    assert 0 <= body["snapshot"]["age_seconds"] < 3600
    # Each domain's own publish: the world publishes matches only, so it is the snapshot above.
    assert body["domains"]["matches"] == body["snapshot"]
    assert set(body["domains"]) == set(domain_names())
    assert all(v is None for k, v in body["domains"].items() if k != "matches")
    assert body["cache"] == {"backend": "memory", "healthy": True, "error": None}
    assert response.headers["cache-control"] == "no-store"


def test_competitions_list_the_store(api: TestClient) -> None:
    body = api.get("/competitions").json()
    assert body["count"] == 2 == len(body["data"])
    assert [c["code"] for c in body["data"]] == ["DEMO1", "DEMO2"]
    assert all(c["n_matches"] == 360 for c in body["data"])
    assert body["data"][0]["first_kickoff_at"].endswith("Z")


def test_matches_are_paginated_with_a_total(api: TestClient) -> None:
    first = api.get("/matches", params={"limit": 50}).json()
    assert (first["count"], first["total"], first["limit"], first["offset"]) == (50, 720, 50, 0)
    second = api.get("/matches", params={"limit": 50, "offset": 50}).json()
    assert not {m["id"] for m in first["data"]} & {m["id"] for m in second["data"]}
    kickoffs = [m["kickoff_at"] for m in first["data"] + second["data"]]
    assert kickoffs == sorted(kickoffs)
    last = api.get("/matches", params={"limit": 500, "offset": 700}).json()
    assert (last["count"], last["total"]) == (20, 720)


def test_matches_filter_by_competition_dates_and_status(api: TestClient) -> None:
    params = {
        "competition": "DEMO1",
        "date_from": "2025-11-01",
        "date_to": "2025-11-30",
        "status": "scheduled",
    }
    body = api.get("/matches", params=params).json()
    assert body["total"] == body["count"] > 0
    for match in body["data"]:
        assert match["competition"] == "DEMO1" and match["status"] == "scheduled"
        assert "2025-11-01" <= match["kickoff_at"][:10] <= "2025-11-30"
    finished = api.get("/matches", params={**params, "status": "finished"}).json()
    assert all(m["home_goals"] is not None for m in finished["data"])
    one_day = api.get("/matches", params={"date_from": "2025-11-08", "date_to": "2025-11-08"})
    assert {m["kickoff_at"][:10] for m in one_day.json()["data"]} <= {"2025-11-08"}


def test_one_match(api: TestClient, world: tuple[str, World]) -> None:
    match_id = world[1].current_match_ids[0]
    body = api.get(f"/matches/{match_id}").json()
    assert body["id"] == match_id and body["status"] == "scheduled"
    assert body["home_team"]["name"] and body["home_team"]["id"] != body["away_team"]["id"]
    assert api.get("/matches/99999999").status_code == 404


def test_predictions_are_the_current_snapshot(api: TestClient, world: tuple[str, World]) -> None:
    body = api.get("/predictions").json()
    current = world[1].current_match_ids
    assert body["count"] == len(current) == body["snapshot"]["n_predictions"]
    assert body["snapshot"]["id"] == world[1].current_snapshot_id
    assert body["snapshot"]["as_of"] == "2025-11-06T00:00:00Z"
    assert sorted(p["match_id"] for p in body["data"]) == sorted(current)
    for p in body["data"]:
        assert p["snapshot_id"] == world[1].current_snapshot_id
        assert (p["p_home"], p["p_draw"], p["p_away"]) == pytest.approx(
            probabilities(p["match_id"])
        )
        assert p["p_home"] + p["p_draw"] + p["p_away"] == pytest.approx(1.0)
        assert "drivers" not in p
    kickoffs = [p["kickoff_at"] for p in body["data"]]
    assert kickoffs == sorted(kickoffs)


def test_a_listed_prediction_is_the_match_prediction_without_its_drivers(
    api: TestClient,
) -> None:
    """The list reads fewer columns and takes the snapshot's fields from the pointer: what it
    shows must still be, field for field, what the full read of the match shows."""
    listed = api.get("/predictions").json()["data"]
    assert listed
    for item in listed:
        detail = api.get(f"/predictions/matches/{item['match_id']}").json()
        assert detail.pop("current") is True
        detail.pop("drivers")
        assert item == detail


def test_predictions_filter_by_competition_and_day(api: TestClient) -> None:
    everything = api.get("/predictions").json()["data"]
    demo2 = api.get("/predictions", params={"competition": "DEMO2"}).json()
    assert demo2["count"] == sum(p["competition"] == "DEMO2" for p in everything) > 0
    day = everything[0]["kickoff_at"][:10]
    on_day = api.get("/predictions", params={"date": day}).json()
    assert on_day["count"] == sum(p["kickoff_at"].startswith(day) for p in everything) > 0
    assert api.get("/predictions", params={"date": "2031-01-01"}).json()["count"] == 0
    unknown = api.get("/predictions", params={"competition": "NOPE"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "competition NOPE does not exist"}


def test_one_prediction_carries_its_drivers(api: TestClient, world: tuple[str, World]) -> None:
    match_id = world[1].current_match_ids[3]
    body = api.get(f"/predictions/matches/{match_id}").json()
    assert body["current"] is True and body["snapshot_id"] == world[1].current_snapshot_id
    assert body["drivers"] == [
        {
            "feature": "elo_diff",
            "value": float(match_id),
            "contributions": {"home": 0.1, "draw": 0.0, "away": -0.1},
        }
    ]


def test_a_match_outside_the_current_snapshot_gets_its_newest_prediction(
    api: TestClient, world: tuple[str, World]
) -> None:
    url, ids = world
    store = open_store(url, migrate=False)
    try:
        with store.connect() as conn:
            # A match the second snapshot covers and the third does not.
            match_id = conn.execute(
                select(matches.c.id)
                .where(matches.c.kickoff_at > SNAPSHOTS[1][0])
                .where(matches.c.kickoff_at <= SNAPSHOTS[1][0] + timedelta(days=SNAPSHOTS[1][1]))
                .order_by(matches.c.kickoff_at.desc())
                .limit(1)
            ).scalar_one()
    finally:
        store.dispose()
    body = api.get(f"/predictions/matches/{match_id}").json()
    assert body["current"] is False and body["snapshot_id"] == ids.snapshot_ids[1]
    history = api.get(f"/predictions/history/{match_id}").json()
    assert history["match_id"] == match_id
    assert [h["snapshot_id"] for h in history["data"]] == [ids.snapshot_ids[1]]
    never = api.get("/predictions/matches/1")  # the first match of the world: never predicted
    assert never.status_code == 404 and "no prediction covers match 1" in never.text
    assert api.get("/predictions/history/1").json() == {"match_id": 1, "count": 0, "data": []}
    assert api.get("/predictions/history/99999999").status_code == 404
    assert api.get("/predictions/matches/99999999").json()["detail"] == (
        "match 99999999 does not exist"
    )


def test_history_lists_every_snapshot_that_covered_a_match(
    api: TestClient, world: tuple[str, World]
) -> None:
    url, ids = world
    store = open_store(url, migrate=False)
    try:
        with store.connect() as conn:
            # Covered by the first snapshot (Aug 20 + 60 days) and the second (Oct 1 + 30).
            match_id = conn.execute(
                select(matches.c.id)
                .where(matches.c.kickoff_at > SNAPSHOTS[1][0])
                .where(matches.c.kickoff_at <= SNAPSHOTS[0][0] + timedelta(days=SNAPSHOTS[0][1]))
                .limit(1)
            ).scalar()
    finally:
        store.dispose()
    if match_id is None:
        pytest.skip("no match in the overlap of the first two snapshots")
    history = api.get(f"/predictions/history/{match_id}").json()
    assert [h["snapshot_id"] for h in history["data"]] == [ids.snapshot_ids[1], ids.snapshot_ids[0]]
    assert [h["as_of"][:10] for h in history["data"]] == ["2025-10-01", "2025-08-20"]
    assert all(not h["current"] and h["drivers"] for h in history["data"])


def test_models(api: TestClient, world: tuple[str, World]) -> None:
    listed = api.get("/models").json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == world[1].model_id
    assert listed["data"][0]["status"] == "deployed"
    assert listed["data"][0]["metrics"]["log_loss"] == 0.98
    assert api.get("/models", params={"status": "archived"}).json()["count"] == 0
    detail = api.get(f"/models/{world[1].model_id}").json()
    assert detail["feature_names"] == ["elo_diff", "form_points_5"]
    assert detail["hyperparameters"] == {"C": 1.0}
    missing = api.get("/models/424242")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "model version 424242 does not exist"}
    assert api.get("/models", params={"status": "nonsense"}).status_code == 422


def _expected_scores(url: str, as_of: datetime, days: int) -> dict[str, dict[str, float]]:
    """Per competition, core.metrics over the latest pre-kickoff prediction of each match."""
    store = open_store(url, migrate=False)
    try:
        with store.connect() as conn:
            rows = conn.execute(
                select(matches.c.id, matches.c.kickoff_at, competitions.c.code)
                .add_columns(matches.c.home_goals, matches.c.away_goals)
                .join(competitions, competitions.c.id == matches.c.competition_id)
                .where(matches.c.status == "finished")
            ).all()
    finally:
        store.dispose()
    found: dict[str, tuple[list[int], list[tuple[float, float, float]]]] = {}
    start = as_of - timedelta(days=days)
    for match_id, kickoff_at, code, home, away in rows:
        kickoff = kickoff_at.replace(tzinfo=None)
        if not start < kickoff <= as_of:
            continue
        # The latest snapshot as of before kickoff that covers the match.
        covering = [
            snap_as_of
            for snap_as_of, horizon in SNAPSHOTS
            if snap_as_of < kickoff <= snap_as_of + timedelta(days=horizon)
        ]
        if not covering:
            continue
        y = 0 if home > away else 1 if home == away else 2
        outcomes, probs = found.setdefault(code, ([], []))
        outcomes.append(y)
        probs.append(probabilities(match_id))
    return {
        code: {
            "n": len(y),
            "log_loss": metrics.log_loss(np.array(y), np.array(p)),
            "brier": metrics.brier_score(np.array(y), np.array(p)),
            "rps": metrics.rps(np.array(y), np.array(p)),
            "accuracy": metrics.accuracy(np.array(y), np.array(p)),
        }
        for code, (y, p) in found.items()
    }


def test_performance_scores_settled_predictions_like_the_core_metrics(
    api: TestClient, world: tuple[str, World]
) -> None:
    as_of = NOW
    response = api.get(
        "/performance", params={"as_of": "2025-11-06T00:00:00Z", "window_days": [30, 120]}
    )
    assert response.status_code == 200
    body = response.json()
    # Default: every published model (this world has one); the same scores asked by model id.
    assert body["model_version_id"] is None and body["window_days"] == [30, 120]
    one = api.get(
        "/performance",
        params={
            "as_of": "2025-11-06T00:00:00Z",
            "window_days": [30, 120],
            "model_id": world[1].model_id,
        },
    ).json()
    assert one["model_version_id"] == world[1].model_id
    assert {k: v for k, v in one.items() if k != "model_version_id"} == {
        k: v for k, v in body.items() if k != "model_version_id"
    }
    for days in (30, 120):
        expected = _expected_scores(world[0], as_of, days)
        assert expected, "the world should have settled predictions"
        for competition in body["data"]:
            scores = next(w for w in competition["windows"] if w["window_days"] == days)
            want = expected.get(competition["competition"])
            if want is None:
                assert scores["n"] == 0 and scores["log_loss"] is None
                continue
            assert scores["n"] == want["n"]
            for key in ("log_loss", "brier", "rps", "accuracy"):
                assert scores[key] == pytest.approx(want[key], rel=1e-9), key
    overall = {w["window_days"]: w["n"] for w in body["overall"]}
    assert overall[120] == sum(v["n"] for v in _expected_scores(world[0], as_of, 120).values())
    assert overall[30] <= overall[120]


def test_performance_by_lead_scores_the_latest_prediction_made_at_each_lead(
    api: TestClient, world: tuple[str, World]
) -> None:
    body = api.get(
        "/performance", params={"as_of": "2025-11-06T00:00:00Z", "window_days": [120]}
    ).json()
    store = open_store(world[0], migrate=False)
    try:
        with store.connect() as conn:
            rows = conn.execute(
                select(matches.c.id, matches.c.kickoff_at, matches.c.home_goals)
                .add_columns(matches.c.away_goals)
                .where(matches.c.status == "finished")
            ).all()
    finally:
        store.dispose()
    edges = [(0, 1, "0-1d"), (1, 3, "1-3d"), (3, 7, "3-7d"), (7, 30, "7-30d"), (30, 90, "30-90d")]
    expected: dict[str, list[tuple[int, tuple[float, float, float]]]] = {}
    for match_id, kickoff_at, home, away in rows:
        kickoff = kickoff_at.replace(tzinfo=None)
        if not NOW - timedelta(days=120) < kickoff <= NOW:
            continue
        for low, high, label in edges:
            leads = [
                (kickoff - snap).total_seconds() / 86400
                for snap, horizon in SNAPSHOTS
                if snap < kickoff <= snap + timedelta(days=horizon)
            ]
            if any(low <= lead < high for lead in leads):
                y = 0 if home > away else 1 if home == away else 2
                expected.setdefault(label, []).append((y, probabilities(match_id)))
    assert expected, "the world should have predictions at several leads"
    got = {b["lead"]: b["windows"][0] for b in body["by_lead"]}
    assert set(got) == set(expected)
    for label, scored in expected.items():
        y = np.array([s[0] for s in scored])
        p = np.array([s[1] for s in scored])
        assert got[label]["n"] == len(scored)
        assert got[label]["log_loss"] == pytest.approx(metrics.log_loss(y, p), rel=1e-9)
        assert got[label]["rps"] == pytest.approx(metrics.rps(y, p), rel=1e-9)


def test_performance_before_any_settled_match_is_empty(api: TestClient) -> None:
    body = api.get("/performance", params={"as_of": "2025-08-01"}).json()
    assert body["window_days"] == [30, 90, 365]
    assert body["count"] == 0 and all(w["n"] == 0 and w["rps"] is None for w in body["overall"])
    assert api.get("/performance", params={"model_id": 777}).status_code == 404
    assert api.get("/performance", params={"window_days": 0}).status_code == 422
    battle = api.get("/performance", params={"as_of": "0001-01-01T00:00:00+05:00"})
    assert battle.status_code == 200 and battle.json()["count"] == 0


def test_value_bets_compare_current_predictions_with_the_latest_odds(
    api: TestClient, world: tuple[str, World]
) -> None:
    as_of = "2025-11-06T12:00:00Z"
    body = api.get("/value-bets", params={"as_of": as_of, "min_edge": -1, "limit": 1000}).json()
    assert body["snapshot"]["id"] == world[1].current_snapshot_id
    assert body["count"] == len(body["data"]) > 0
    for bet in body["data"]:
        assert bet["match_id"] in world[1].current_match_ids
        assert bet["kickoff_at"] > as_of and bet["observed_at"] <= as_of
        assert bet["kind"] == "opening"  # closing prices are not observed before kickoff
        p = probabilities(bet["match_id"])[("home", "draw", "away").index(bet["selection"])]
        assert bet["probability"] == pytest.approx(p)
        assert bet["edge"] == pytest.approx(p * bet["price"] - 1)
    edges = [b["edge"] for b in body["data"]]
    assert edges == sorted(edges, reverse=True)
    # One price per (match, bookmaker, selection): the latest observed.
    keys = [(b["match_id"], b["bookmaker"], b["selection"]) for b in body["data"]]
    assert len(keys) == len(set(keys))
    threshold = sorted(edges)[len(edges) // 2]
    some = api.get("/value-bets", params={"as_of": as_of, "min_edge": threshold}).json()
    assert some["count"] == sum(e >= threshold for e in edges)
    assert api.get("/value-bets", params={"min_edge": "lots"}).status_code == 422


def test_every_read_has_an_etag_and_cache_control(
    api: TestClient, world: tuple[str, World]
) -> None:
    match_id = world[1].current_match_ids[0]
    paths = [
        "/health",
        "/competitions",
        "/matches",
        f"/matches/{match_id}",
        "/predictions",
        f"/predictions/matches/{match_id}",
        f"/predictions/history/{match_id}",
        "/models",
        f"/models/{world[1].model_id}",
        "/performance",
        "/value-bets",
        "/metrics",
    ]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.headers["etag"].startswith('"'), path
        assert response.headers["cache-control"], path


def test_if_none_match_gives_304_without_a_body(api: TestClient) -> None:
    first = api.get("/predictions")
    etag = first.headers["etag"]
    again = api.get("/predictions", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert api.get("/predictions", headers={"If-None-Match": f'W/{etag}, "x"'}).status_code == 304
    assert api.get("/predictions", headers={"If-None-Match": '"other"'}).status_code == 200
    assert first.headers["cache-control"] == "public, max-age=10"


def test_the_openapi_schema_documents_every_endpoint_with_a_response_model(
    api: TestClient,
) -> None:
    schema = api.get("/openapi.json").json()
    expected = {
        "/health": "HealthPublic",
        "/competitions": "CompetitionsPublic",
        "/matches": "MatchesPublic",
        "/matches/{match_id}": "MatchPublic",
        "/predictions": "PredictionsPublic",
        "/predictions/matches/{match_id}": "PredictionDetailPublic",
        "/predictions/history/{match_id}": "PredictionHistoryPublic",
        "/models": "ModelsPublic",
        "/models/{model_id}": "ModelDetailPublic",
        "/performance": "PerformancePublic",
        "/value-bets": "ValueBetsPublic",
    }
    for path, model in expected.items():
        ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"]["$ref"].endswith("/" + model), path
    assert "text/plain" in schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert {m for p in schema["paths"].values() for m in p} == {"get"}


def test_instants_are_utc(api: TestClient) -> None:
    body = api.get("/predictions").json()
    stamp = datetime.fromisoformat(body["data"][0]["kickoff_at"].replace("Z", "+00:00"))
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert stamp > NOW.replace(tzinfo=UTC)
