"""``refresh:views`` refreshes the current-form views of the configured store, prints the rows
of each view and records its run (rows and detail) in ``job_runs``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from sqlalchemy import select
from typer.testing import CliRunner

from formline.races.ingest import ingest_race_demo
from formline.races.views import FORM_VIEWS, view_params
from formline.races.views_cli import register
from formline.store.db import open_store
from formline.store.tables import job_runs


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A command group holding what ``register`` adds."""

    register(app)
    return app


def test_refresh_views_refreshes_and_records_its_run(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'formline.db').as_posix()}"
    store = open_store(url)
    try:
        ingest_race_demo(store, seed=3, now=datetime(2025, 11, 6, 12))
        env = {"DATABASE_URL": url, "REDIS_URL": None, "FORMLINE_HOME": str(tmp_path)}
        result = CliRunner().invoke(
            _app(), ["refresh:views", "--as-of", "2025-06-01"], env=env, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        for view in FORM_VIEWS:
            assert view.name in result.output
        with store.connect() as conn:
            as_of = conn.execute(select(view_params.c.as_of)).scalar_one()
            run = (
                conn.execute(select(job_runs).where(job_runs.c.step == "refresh:views"))
                .mappings()
                .one()
            )
        assert as_of.isoformat() == "2025-06-01T00:00:00+00:00"
        assert run["status"] == "succeeded" and run["rows"] > 0
        assert run["detail"].startswith("race_horse_form ")
        bad = CliRunner().invoke(_app(), ["refresh:views", "--as-of", "soon"], env=env)
        assert bad.exit_code != 0
    finally:
        store.dispose()
