"""``dataset:export``: the live training dataset, one row per runner, with the source's race id,
the start, venue, horse, saddle number, finishing position and every feature; and the dataset
commands run in process as a user would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import typer
from rebuild_world import NOW, load_small_world
from typer.testing import CliRunner, Result

from formline.cli.app import FormlineGroup
from formline.errors import ConfigError, DataError
from formline.races.dataset_cli import register
from formline.races.dataset_ops import EXPORT_ID_COLUMNS, export_dataset
from formline.races.features import RACE_FEATURES
from formline.races.rebuild import FAILED_TABLE, LIVE_TABLE, PREVIOUS_TABLE, rebuild_dataset
from formline.store.db import Store, open_store
from formline.store.table_swap import drop_table

#: The columns scripts rely on (issue 12, section 7).
INTERFACE = ("race_id", "start_at", "venue", "horse", "saddle_number", "finish_position")


@pytest.fixture
def published(store: Store) -> Iterator[Store]:
    load_small_world(store)
    rebuild_dataset(store, NOW)
    yield store
    for table in (LIVE_TABLE, PREVIOUS_TABLE, FAILED_TABLE):
        drop_table(store, table)


def _store_names(store: Store) -> pd.DataFrame:
    with store.connect() as conn:
        return pd.read_sql(
            "SELECT ra.source_race_id AS race_id, ra.start_at, v.code AS venue, "
            "(SELECT min(a.source_key) FROM horse_aliases a WHERE a.horse_id = r.horse_id) "
            "AS horse, r.saddle_number FROM runners r JOIN races ra ON ra.id = r.race_id "
            "JOIN race_venues v ON v.id = ra.venue_id",
            conn,
        )


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_export_names_each_runner_as_the_source_does(
    published: Store, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / "out" / f"dataset{suffix}"
    rows = export_dataset(published, out)
    frame = (
        pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, dtype={"race_id": str})
    )
    assert len(frame) == rows
    assert list(frame.columns) == [*EXPORT_ID_COLUMNS, *RACE_FEATURES.names]
    assert set(INTERFACE) <= set(frame.columns)
    assert not frame.duplicated(["race_id", "saddle_number"]).any()
    names = _store_names(published)
    assert len(names) >= rows  # runners known not to run are left out
    start = pd.to_datetime(frame["start_at"], utc=True).dt.tz_localize(None)
    got = frame.assign(start_at=start.astype("datetime64[us]"))[list(INTERFACE[:-1])]
    expected = names.assign(
        start_at=pd.to_datetime(names["start_at"], utc=True)
        .dt.tz_localize(None)
        .astype("datetime64[us]")
    )
    key = ["race_id", "saddle_number"]
    merged = got.merge(expected, on=key, suffixes=("", "_store"), validate="one_to_one")
    assert len(merged) == rows
    assert len(merged) == rows
    for column in ("start_at", "venue", "horse"):
        assert (merged[column] == merged[f"{column}_store"]).all(), column
    assert frame["finish_position"].notna().any() and frame["finish_position"].isna().any()
    assert frame["horse_runs"].max() > 0


def test_the_export_refuses_an_unknown_format_and_an_empty_store(
    store: Store, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"neither \.parquet nor \.csv"):
        export_dataset(store, tmp_path / "dataset.txt")
    with pytest.raises(DataError, match="no racing dataset is published yet"):
        export_dataset(store, tmp_path / "dataset.csv")
    assert not (tmp_path / "dataset.csv").exists()


def _invoke(home: Path, *args: str) -> Result:
    app = typer.Typer(cls=FormlineGroup, add_completion=False)
    app.callback()(lambda: None)
    register(app)
    env = {"FORMLINE_HOME": str(home), "DATABASE_URL": None, "REDIS_URL": None}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_the_dataset_commands_in_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = open_store(f"sqlite:///{(home / 'formline.db').as_posix()}")
    load_small_world(store)
    store.dispose()
    as_of = ("--as-of", "2025-06-01")
    tried = _invoke(home, "dataset:rebuild", *as_of, "--test-mode", "--triggered-by", "cron")
    assert tried.exit_code == 0, tried.output
    assert "test run, nothing published" in tried.output
    first = _invoke(home, "dataset:rebuild", *as_of)
    assert first.exit_code == 0, first.output
    assert "published as race_dataset" in first.output
    refused = _invoke(home, "dataset:rollback")
    assert refused.exit_code == 2
    assert "nothing to roll back to" in refused.stderr
    assert _invoke(home, "dataset:rebuild", "--as-of", "2025-05-01").exit_code == 0
    assert _invoke(home, "dataset:rollback").exit_code == 0
    status = _invoke(home, "dataset:status", "--limit", "100")
    assert status.exit_code == 0
    assert "race_dataset_previous:" in status.output
    for step in ("dataset:rebuild", "dataset:extract", "dataset:validate", "dataset:publish"):
        assert step in status.output
    out = tmp_path / "d.parquet"
    exported = _invoke(home, "dataset:export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    frame = pd.read_parquet(out)
    assert list(frame.columns[: len(EXPORT_ID_COLUMNS)]) == list(EXPORT_ID_COLUMNS)
    wrong = _invoke(home, "dataset:rebuild", "--triggered-by", "someone")
    assert wrong.exit_code == 2
