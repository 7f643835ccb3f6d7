"""The races domain's read API is served by API processes installed without the numerical
stack: its modules (and the domain modules they read through) import no ML library and no
worker code, and an API process whose importer refuses them serves every races route."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from race_api_world import RaceWorld

from served_imports import ML, problems

RACES = Path(__file__).resolve().parents[3] / "src" / "formline" / "races"
TESTS = Path(__file__).resolve().parents[2]

#: The domain modules the API serves with (plain SQLAlchemy Core and pydantic).
SERVED = (
    *sorted((RACES / "api").rglob("*.py")),
    RACES / "views.py",
    RACES / "tables.py",
    RACES / "vocabulary.py",
)
#: What of the domain itself they may import.
DOMAIN_ALLOWED = (
    "formline.races.api",
    "formline.races.views",
    "formline.races.tables",
    "formline.races.vocabulary",
)


def test_the_served_races_modules_import_no_ml_library_and_no_worker_code() -> None:
    assert len(SERVED) >= 9 and all(path.exists() for path in SERVED)
    assert problems(SERVED, "formline.races", DOMAIN_ALLOWED) == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pandas\nfrom formline.races.frames import RaceBatch\n"
        "from formline.races.tables import races\n",
        encoding="utf-8",
    )
    assert problems((bad,), "formline.races", DOMAIN_ALLOWED) == [
        "bad.py imports formline.races.frames",
        "bad.py imports pandas",
    ]


SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys

    BANNED = set(sys.argv[2].split(","))

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BANNED:
                raise ImportError(f"{name} is not installed in the API image")
            return None

    sys.meta_path.insert(0, Refuse())
    sys.path[:0] = [sys.argv[3], sys.argv[3] + "/races/api"]

    import httpx2 as httpx
    from races_api_domain import races_api_mounted
    from formline.api import create_app
    from formline.settings import Settings

    paths = json.loads(sys.argv[4])

    async def main(app):
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                return {path: (await client.get(path)).status_code for path in paths}

    with races_api_mounted():
        app = create_app(Settings(_env_file=None, database_url=sys.argv[1], redis_url=None))
        statuses = asyncio.run(main(app))
    loaded = sorted({m.split(".")[0] for m in sys.modules} & BANNED)
    print(json.dumps({"statuses": statuses, "loaded": loaded}))
    """
)


def test_the_races_routes_serve_without_the_numerical_stack(
    sqlite_race_world: tuple[str, RaceWorld],
) -> None:
    url, world = sqlite_race_world
    paths = [
        f"/races?date={world.card_day}",
        f"/races/{world.predicted_race_ids[0]}",
        f"/races/{world.unpredicted_race_id}",
        "/horses/1",
        "/jockeys/1",
        "/trainers/1",
        "/predictions",
        "/openapi.json",
    ]
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, ",".join(ML), str(TESTS), json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["statuses"] == dict.fromkeys(paths, 200)
    assert report["loaded"] == []
