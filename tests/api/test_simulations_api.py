"""``GET /simulations/{competition}``: the latest published simulation, with an ETag, never
stale after a publish, 404 when there is none, and served without the numerical stack."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_world import settings_for
from fastapi.testclient import TestClient
from test_import_footprint import BANNED

from formline.api import create_app
from formline.store.db import Store, open_store
from formline.store.simulations import SimulationRecord, TeamOdds, publish_simulation

AS_OF = datetime(2022, 11, 1, tzinfo=UTC)


def _record(as_of: datetime = AS_OF, competition: str = "E0") -> SimulationRecord:
    return SimulationRecord(
        domain="matches",
        competition=competition,
        season="2022-23",
        as_of=as_of,
        models=[{"model_version_id": 1, "information": "no_market", "games": 10}],
        n_sims=1000,
        seed=0,
        draws="score_grids",
        top=1,
        relegated=1,
        points_label="expected_points",
        n_played=2,
        n_remaining=10,
        simplifications="no head-to-head",
        teams=[
            TeamOdds("Arsenal", 20.0, 0.6, 0.6, 0.1, [0.6, 0.3, 0.1]),
            TeamOdds("Man City", 19.0, 0.3, 0.3, 0.2, [0.3, 0.5, 0.2]),
            TeamOdds("Leeds", 9.0, 0.1, 0.1, 0.7, [0.1, 0.2, 0.7]),
        ],
    )


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_the_latest_simulation_is_served_with_an_etag(store: Store) -> None:
    first = publish_simulation(store, _record())
    with TestClient(create_app(settings_for(_url(store), api_pointer_ttl_seconds=0))) as client:
        response = client.get("/simulations/E0")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == first.simulation_id
        assert (body["season"], body["draws"], body["relegated"]) == ("2022-23", "score_grids", 1)
        assert [t["team"] for t in body["teams"]] == ["Arsenal", "Man City", "Leeds"]
        assert body["teams"][2]["positions"] == [0.1, 0.2, 0.7]
        assert body["models"] == [{"model_version_id": 1, "information": "no_market", "games": 10}]
        etag = response.headers["etag"]
        assert "max-age" in response.headers["cache-control"]
        assert client.get("/simulations/E0", headers={"If-None-Match": etag}).status_code == 304
        # A newer simulation is served at once: the cache is keyed by the simulation itself.
        second = publish_simulation(store, replace(_record(AS_OF + timedelta(days=7)), seed=1))
        newer = client.get("/simulations/E0", headers={"If-None-Match": etag})
        assert newer.status_code == 200 and newer.json()["id"] == second.simulation_id
        assert newer.headers["etag"] != etag
        missing = client.get("/simulations/D1")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "no season simulation of competition D1 is published"}
        assert client.get("/simulations/E0?domain=races").status_code == 404
        assert client.get("/simulations/E0;drop").status_code == 422  # fmt: skip


SCRIPT = textwrap.dedent(
    """
    import json, sys

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in set(sys.argv[2].split(",")):
                raise ImportError(f"{name} is not installed in the API image")
            return None

    sys.meta_path.insert(0, Refuse())

    from fastapi.testclient import TestClient
    from formline.api import create_app
    from formline.settings import Settings

    app = create_app(Settings(_env_file=None, database_url=sys.argv[1], redis_url=None))
    with TestClient(app) as client:
        response = client.get("/simulations/E0")
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(",")))
    print(json.dumps({"status": response.status_code, "teams": len(response.json()["teams"]),
                      "loaded": loaded}))
    """
)


def test_simulations_are_served_without_the_numerical_stack(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{(tmp_path / 'formline.db').as_posix()}")
    publish_simulation(store, _record())
    store.dispose()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, _url(store), ",".join(BANNED)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"status": 200, "teams": 3, "loaded": []}
