"""Installed on its own, the API must not need the numerical stack: it serves requests with
pandas, NumPy, scikit-learn, LightGBM, DuckDB (and friends) unimportable. And an API worker
loads nothing it does not serve with: no migrations, no ORM, no command line, and on PostgreSQL
no sqlite3 (each costs every worker process memory, docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import redis
from api_world import World

from support import require_redis

BANNED = ("pandas", "numpy", "sklearn", "scipy", "lightgbm", "duckdb", "pyarrow", "numba")

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

    import httpx2 as httpx
    from formline.api import create_app
    from formline.settings import Settings

    app = create_app(Settings(_env_file=None, database_url=sys.argv[1], redis_url=None))

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                statuses = {}
                for path in ("/health", "/predictions", "/matches?limit=5", "/competitions",
                             "/models", "/performance?as_of=2025-11-06", "/value-bets",
                             "/metrics", "/openapi.json"):
                    response = await client.get(path)
                    statuses[path] = response.status_code
                body = (await client.get("/predictions")).json()
        return statuses, body["count"]

    statuses, count = asyncio.run(main())
    loaded = sorted({m.split(".")[0] for m in sys.modules} & BANNED)
    print(json.dumps({"statuses": statuses, "count": count, "loaded": loaded}))
    """
)


def test_the_api_serves_without_the_numerical_stack(sqlite_world: tuple[str, World]) -> None:
    url, world = sqlite_world
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, ",".join(BANNED)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["statuses"].values()) == {200}, report["statuses"]
    assert report["count"] == len(world.current_match_ids) > 0
    assert report["loaded"] == []


def test_the_refusing_importer_works() -> None:
    """Control: the same importer does stop a banned import."""
    probe = "import sys\n" + SCRIPT.split("import httpx2")[0].split("import asyncio, json, sys")[1]
    probe += "\ntry:\n    import numpy\nexcept ImportError as e:\n    print('refused', e)\n"
    result = subprocess.run(
        [sys.executable, "-c", probe, "unused", ",".join(BANNED)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "refused numpy is not installed" in result.stdout, result.stderr


#: Installed (the dev extra has them all) but never loaded by an API worker.
NEVER_LOADED = (
    "alembic",
    "mako",
    "sqlalchemy.orm",
    "typer",
    "rich",
    "click",
    "formline.cli",
    "formline.pipeline",
    "formline.engine",
    "sqlite3",
    "pydantic.v1",  # blocked by formline.api.__main__, which every worker imports first
)

WORKER_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys

    import httpx2 as httpx
    import formline.api.__main__  # as uvicorn's workers do, before they load the app
    from formline.api import create_app
    from formline.settings import Settings

    database_url, redis_url, prefix = sys.argv[1:4]
    settings = Settings(
        _env_file=None, database_url=database_url, redis_url=redis_url,
        api_cache_key_prefix=prefix,
    )
    app = create_app(settings)

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                health = (await client.get("/health")).json()
                listed = (await client.get("/predictions")).json()
                first = listed["data"][0]["match_id"]
                one = await client.get(f"/predictions/matches/{first}")
                again = await client.get("/predictions")  # from the cache
        return health, listed["count"], one.status_code, again.status_code

    health, count, one, again = asyncio.run(main())
    print(json.dumps({"health": health, "count": count, "statuses": [one, again],
                      "modules": sorted(m for m, v in sys.modules.items() if v is not None)}))
    """
)


def test_an_api_worker_on_postgresql_and_redis_loads_only_what_it_serves_with(
    postgres_world: tuple[str, World],
) -> None:
    url, world = postgres_world
    redis_url = require_redis()
    prefix = f"formline-test-{uuid.uuid4().hex[:12]}"
    try:
        result = subprocess.run(
            [sys.executable, "-c", WORKER_SCRIPT, url, redis_url, prefix],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # It did serve, from PostgreSQL and through Redis.
    assert report["health"]["store"]["dialect"] == "postgresql"
    assert report["health"]["cache"] == {"backend": "redis", "healthy": True, "error": None}
    assert report["count"] == len(world.current_match_ids) > 0
    assert report["statuses"] == [200, 200]
    loaded = [
        module
        for module in report["modules"]
        if any(module == name or module.startswith(name + ".") for name in NEVER_LOADED)
    ]
    assert loaded == []


def test_the_supervisor_of_the_workers_does_not_load_the_app() -> None:
    """``python -m formline.api --workers N`` runs a process that only starts and watches the
    workers: importing its entry point loads neither the app nor what the app is built on."""
    probe = (
        "import json, sys, formline.api.__main__, uvicorn.supervisors.multiprocess\n"
        "print(json.dumps(sorted(m for m, v in sys.modules.items() if v is not None)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)
    assert "uvicorn" in modules  # control: the probe did import the supervisor's code
    app_side = (
        "fastapi",
        "starlette",
        "sqlalchemy",
        "pydantic",
        "formline.api.app",
        "formline.store",
    )
    loaded = [m for m in modules if any(m == a or m.startswith(a + ".") for a in app_side)]
    assert loaded == []
