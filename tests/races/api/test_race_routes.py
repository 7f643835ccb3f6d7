"""The races read API on SQLite and PostgreSQL: a day's races with their predictions summary,
race cards with the current snapshot's probabilities (and without, for a race it does not
cover), current form from the views; ETag and 304, 404 unknown ids, 422 bad parameters, 503
when the store is down."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from race_api_world import NOW, RaceWorld, settings_for, weights
from sqlalchemy import delete

from formline.api import create_app
from formline.races.views import HORSE_FORM, JOCKEY_FORM, TRAINER_FORM, drop_views, form_rows
from formline.store.db import open_store
from formline.store.tables import publications


def _by_id(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {race["id"]: race for race in body["data"]}


def test_the_days_races_carry_the_snapshots_summary(
    race_api: TestClient, race_world: tuple[str, RaceWorld]
) -> None:
    world = race_world[1]
    response = race_api.get("/races", params={"date": world.card_day})
    assert response.status_code == 200
    body = response.json()
    assert body["snapshot"]["id"] == world.snapshot_id
    assert body["date"] == world.card_day and body["venue"] is None
    races_of_day = _by_id(body)
    assert body["count"] == len(races_of_day) == len(world.predicted_race_ids) + 1
    starts = [race["start_at"] for race in body["data"]]
    assert starts == sorted(starts)
    for race_id in world.predicted_race_ids:
        race = races_of_day[race_id]
        assert race["n_predicted"] == race["n_runners"] > 0
        card = race_api.get(f"/races/{race_id}").json()
        best = max(card["runners"], key=lambda r: r["p_win"])
        assert race["favourite"]["runner_id"] == best["runner_id"]
        assert race["favourite"]["p_win"] == best["p_win"]
        assert race["favourite"]["horse"] == best["horse"]
    left_out = races_of_day[world.unpredicted_race_id]
    assert left_out["n_predicted"] == 0 and left_out["favourite"] is None
    assert left_out["n_runners"] > 0


def test_a_venue_filters_the_day_and_an_unknown_one_is_404(
    race_api: TestClient, race_world: tuple[str, RaceWorld]
) -> None:
    day = race_world[1].card_day
    everything = race_api.get("/races", params={"date": day}).json()
    venues = {race["venue"]["code"] for race in everything["data"]}
    assert venues  # the card day has races
    for code in venues:
        one = race_api.get("/races", params={"date": day, "venue": code}).json()
        assert one["venue"] == code and one["count"] > 0
        assert {race["venue"]["code"] for race in one["data"]} == {code}
    assert race_api.get("/races", params={"date": "1999-01-01"}).json()["count"] == 0
    unknown = race_api.get("/races", params={"date": day, "venue": "NOPE"})
    assert unknown.status_code == 404 and "NOPE" in unknown.json()["detail"]


def test_a_card_has_each_runners_probabilities_fair_odds_and_drivers(
    race_api: TestClient, race_world: tuple[str, RaceWorld]
) -> None:
    world = race_world[1]
    race_id = world.predicted_race_ids[0]
    card = race_api.get(f"/races/{race_id}").json()
    assert card["id"] == race_id and card["snapshot"]["id"] == world.snapshot_id
    assert card["prediction"] == {
        "snapshot_id": world.snapshot_id,
        "as_of": NOW.isoformat() + "Z",
        "model_version_ids": [world.model_id],
        "information": ["card"],
    }
    runners = card["runners"]
    assert card["n_runners"] == card["n_predicted"] == len(runners) > 2
    assert [r["saddle_number"] for r in runners] == sorted(r["saddle_number"] for r in runners)
    total = sum(weights(r["runner_id"]) for r in runners)
    assert math.isclose(sum(r["p_win"] for r in runners), 1.0)
    for runner in runners:
        assert runner["p_win"] == pytest.approx(weights(runner["runner_id"]) / total)
        assert runner["p_place"] == pytest.approx(min(2.5 * runner["p_win"], 0.95))
        assert runner["fair_win"] == pytest.approx(1 / runner["p_win"])
        assert runner["fair_place"] == pytest.approx(1 / runner["p_place"])
        assert runner["horse"]["id"] > 0 and runner["horse"]["name"]
        assert runner["jockey"]["name"] and runner["trainer"]["name"]
        assert runner["draw"] is not None and runner["carried_weight"] > 0
        rating = runner["rating"]
        assert runner["drivers"] == [
            {"feature": "rating", "value": rating, "contribution": pytest.approx(rating / 100)},
            {"feature": "draw", "value": None, "contribution": -0.05},
        ]


def test_a_race_the_snapshot_does_not_cover_still_shows_its_card(
    race_api: TestClient, race_world: tuple[str, RaceWorld]
) -> None:
    world = race_world[1]
    for race_id in (world.unpredicted_race_id, world.past_race_id):
        card = race_api.get(f"/races/{race_id}").json()
        assert card["snapshot"]["id"] == world.snapshot_id
        assert card["prediction"] is None and card["favourite"] is None
        assert card["n_runners"] == len(card["runners"]) > 0 and card["n_predicted"] == 0
        for runner in card["runners"]:
            assert runner["horse"]["name"]
            assert [runner[k] for k in ("p_win", "p_place", "fair_win", "fair_place")] == [None] * 4
            assert runner["drivers"] == []


def test_form_comes_from_the_views(race_api: TestClient, race_world: tuple[str, RaceWorld]) -> None:
    url, world = race_world
    card = race_api.get(f"/races/{world.predicted_race_ids[0]}").json()
    runner = card["runners"][0]
    store = open_store(url, migrate=False)
    try:
        with store.connect() as conn:
            expected = {
                "horses": form_rows(conn, HORSE_FORM, horse_id=runner["horse"]["id"])[0],
                "jockeys": form_rows(conn, JOCKEY_FORM, jockey_id=runner["jockey"]["id"])[0],
                "trainers": form_rows(conn, TRAINER_FORM, trainer_id=runner["trainer"]["id"])[0],
            }
    finally:
        store.dispose()
    for kind, row in expected.items():
        entity = runner[kind[:-1]]
        body = race_api.get(f"/{kind}/{entity['id']}").json()
        assert body["id"] == entity["id"] and body["name"] == entity["name"]
        assert body["views"]["as_of"] == NOW.isoformat() + "Z"
        form = body["form"]
        assert form["runs"] == row["runs"] > 0 and form["wins"] == row["wins"]
        assert form["places"] == row["places"] and form["runs_365"] == row["runs_365"]
        assert form["strike_rate"] == pytest.approx(row["wins"] / row["runs"])
        assert len(form["last_positions"]) == min(row["runs"], 5)
        assert form["last_positions"][0] == row["last_position_1"]
    horse = race_api.get(f"/horses/{runner['horse']['id']}").json()
    assert horse["sex"] and horse["key"].startswith("demo:")
    rides = sum(connection["runs"] for connection in horse["jockeys"])
    assert rides == horse["form"]["runs"]  # every run of the horse had one jockey
    jockey = race_api.get(f"/jockeys/{runner['jockey']['id']}").json()
    runs = [c["runs"] for c in jockey["horses"]]
    assert runs == sorted(runs, reverse=True) and len(runs) <= 50
    assert jockey["trainers"] and all(c["partner"]["name"] for c in jockey["trainers"])
    trainer = race_api.get(f"/trainers/{runner['trainer']['id']}").json()
    assert sum(c["runs"] for c in trainer["jockeys"]) <= trainer["form"]["runs"]


def test_reads_carry_an_etag_and_answer_304(
    race_api: TestClient, race_world: tuple[str, RaceWorld]
) -> None:
    world = race_world[1]
    paths = [
        f"/races?date={world.card_day}",
        f"/races/{world.predicted_race_ids[0]}",
        f"/races/{world.unpredicted_race_id}",
        "/horses/1",
        "/jockeys/1",
        "/trainers/1",
    ]
    for path in paths:
        first = race_api.get(path)
        assert first.status_code == 200, path
        etag = first.headers["etag"]
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = race_api.get(path)
        assert again.headers["etag"] == etag and again.content == first.content
        cached = race_api.get(path, headers={"If-None-Match": etag})
        assert cached.status_code == 304 and cached.content == b"", path
        assert race_api.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "names"),
    [
        ("/races/999999", 404, "race 999999"),
        ("/horses/999999", 404, "horse 999999"),
        ("/jockeys/999999", 404, "jockey 999999"),
        ("/trainers/999999", 404, "trainer 999999"),
        ("/races", 422, "date"),
        ("/races?date=2025-13-01", 422, "date"),
        ("/races?date=20251109", 422, "date"),
        ("/races?date=tomorrow", 422, "date"),
        ("/races?date=2025-11-09&venue=S%3BT", 422, "venue"),
        ("/races/0", 422, "race_id"),
        ("/races/abc", 422, "race_id"),
        (f"/races/{2**63}", 422, "race_id"),
        ("/horses/-1", 422, "horse_id"),
        ("/jockeys/x", 422, "jockey_id"),
        (f"/trainers/{2**63}", 422, "trainer_id"),
    ],
)
def test_unknown_ids_are_404_and_bad_parameters_422(
    race_api: TestClient, path: str, status: int, names: str
) -> None:
    response = race_api.get(path)
    assert response.status_code == status, response.text
    assert names in response.text
    assert response.headers["cache-control"] == "no-store"


def test_before_a_publish_and_before_a_refresh_the_reads_still_answer(
    writable_race_world: Any, sqlite_race_world: tuple[str, RaceWorld], mounted: None
) -> None:
    world = sqlite_race_world[1]
    store = writable_race_world()
    with store.begin() as conn:
        conn.execute(delete(publications).where(publications.c.domain == "races"))
    drop_views(store)
    url = store.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(settings_for(url))) as client:
        listed = client.get("/races", params={"date": world.card_day}).json()
        card = client.get(f"/races/{world.predicted_race_ids[0]}").json()
        horse = client.get("/horses/1").json()
    assert listed["snapshot"] is None and listed["count"] == len(world.predicted_race_ids) + 1
    assert all(race["n_predicted"] == 0 for race in listed["data"])
    assert card["snapshot"] is None and card["prediction"] is None and card["runners"]
    assert all(runner["p_win"] is None for runner in card["runners"])
    assert horse["id"] == 1 and horse["views"] is None and horse["form"] is None
    assert horse["jockeys"] == []


def test_a_store_that_is_down_answers_503(tmp_path: Path, mounted: None) -> None:
    dead = "postgresql://formline:pw@127.0.0.1:1/formline"
    with TestClient(create_app(settings_for(dead, api_retry_after_seconds=5))) as client:
        for path in ("/races?date=2025-11-09", "/races/1", "/horses/1", "/jockeys/1"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.headers["retry-after"] == "5"
    missing = tmp_path / "none.db"
    with TestClient(create_app(settings_for(f"sqlite:///{missing}"))) as client:
        assert client.get("/trainers/1").status_code == 503
    assert not missing.exists()
