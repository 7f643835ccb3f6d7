"""Before anything is published the API answers with empty lists, never an error."""

from __future__ import annotations

from api_world import settings_for
from fastapi.testclient import TestClient

from formline.api import create_app
from formline.domain import domain_names
from formline.store.db import Store


def test_a_store_with_nothing_published(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(settings_for(url))) as client:
        response = client.get("/health")
        health = response.json()
        # Ready (reads answer), but it says that nothing is published rather than "ok".
        assert response.status_code == 200
        assert (health["status"], health["ready"], health["snapshot"]) == (
            "no_snapshot",
            True,
            None,
        )
        assert health["domains"] == dict.fromkeys(domain_names())
        assert client.get("/predictions").json() == {"count": 0, "snapshot": None, "data": []}
        assert client.get("/competitions").json() == {"count": 0, "data": []}
        matches = client.get("/matches").json()
        assert (matches["count"], matches["total"], matches["data"]) == (0, 0, [])
        assert client.get("/models").json() == {"count": 0, "data": []}
        performance = client.get("/performance").json()
        assert performance["model_version_id"] is None and performance["count"] == 0
        assert all(w["n"] == 0 for w in performance["overall"])
        bets = client.get("/value-bets").json()
        assert (bets["count"], bets["snapshot"], bets["data"]) == (0, None, [])
        assert client.get("/predictions/matches/1").status_code == 404
        assert client.get("/predictions/history/1").status_code == 404
