"""``ingest:transfers``: the command on a fresh app, and every row of the shared real data
loaded or reported as a reject, on both stores."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from transfer_files import EWENME_HEADER, ewenme_row, require_transfer_data, write
from typer.testing import CliRunner

from formline.cli.app import FormlineGroup
from formline.store.db import Store, open_store
from formline.store.tables import ingest_rejects
from formline.transfers.cli import register
from formline.transfers.ingest import ingest_transfers
from formline.transfers.tables import players, transfers


def _app() -> typer.Typer:
    app = typer.Typer(cls=FormlineGroup, add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """A fresh app with the transfer commands only."""

    register(app)
    return app


def test_the_command_loads_files_and_reports_rejects(tmp_path: Path) -> None:
    path = write(
        tmp_path / "data" / "ligue-1.csv",
        EWENME_HEADER,
        [
            ewenme_row("Lille", "Ann Bee", "24", "Lens", "in", league="Ligue 1"),
            ewenme_row("Lille", "Bad Row", "24", "Lens", "in", league="Ligue 9"),
        ],
    )
    env = {"FORMLINE_HOME": str(tmp_path / "home"), "DATABASE_URL": None, "REDIS_URL": None}
    result = CliRunner().invoke(_app(), ["ingest:transfers", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "1 files, 2 rows: 1 transfers" in result.stdout
    assert f"{path}:3: league_name: 'Ligue 9' is not one of" in result.stderr
    store = open_store(f"sqlite:///{tmp_path / 'home' / 'formline.db'}", migrate=False)
    try:
        with store.connect("counting") as conn:
            assert conn.execute(select(func.count()).select_from(transfers)).scalar_one() == 1
    finally:
        store.dispose()
    missing = CliRunner().invoke(_app(), ["ingest:transfers", str(tmp_path / "nope")], env=env)
    assert missing.exit_code != 0
    assert "no such file or folder" in missing.stderr


@pytest.mark.slow
def test_every_row_of_the_real_data_loads_or_is_a_reject(store: Store) -> None:
    ewenme, emordonez = require_transfer_data()
    started = time.perf_counter()
    result = ingest_transfers(store, [ewenme, emordonez])
    seconds = time.perf_counter() - started
    counts = result.counts
    with store.connect("counting") as conn:
        sighted = conn.execute(select(func.sum(transfers.c.sightings))).scalar_one()
        stored = conn.execute(select(func.count()).select_from(transfers)).scalar_one()
        kept = conn.execute(select(func.count()).select_from(ingest_rejects)).scalar_one()
        people = conn.execute(select(func.count()).select_from(players)).scalar_one()
    print(f"\n{store.engine.dialect.name}: {result.summary()} in {seconds:.1f} s; {counts}")
    assert counts["rows"] == 156_722 + 129_044
    assert sighted + counts["row_rejects"] + counts["self_moves"] == counts["rows"]
    assert stored == counts["transfers"] and people == counts["players"]
    assert kept == len(result.rejects)
    assert stored < counts["rows"] * 0.6  # moves listed by both clubs or sources are one
    again = ingest_transfers(store, [ewenme, emordonez])
    assert not again.report.changed
