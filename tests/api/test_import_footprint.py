"""Installed on its own, the API must not need the numerical stack: it serves requests with
pandas, NumPy, scikit-learn, LightGBM, DuckDB (and friends) unimportable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from api_world import World

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
