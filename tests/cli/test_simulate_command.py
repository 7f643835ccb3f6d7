"""``simulate:season`` as a user runs it: the table printed, the CSV's columns, the errors in one
line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from in_process import error_line, invoke

from formline.store import promotions
from formline.store.db import open_store
from simulation_world import TRAINED, simulation_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared simulation world (two demo leagues) with its goals model deployed."""
    path, ids = simulation_world(tmp_path_factory)
    folder = tmp_path_factory.mktemp("simulate-cli")
    shutil.copy(path, folder / "formline.db")
    store = open_store(f"sqlite:///{folder / 'formline.db'}")
    promotions.deploy(store, ids["goals"], reason="test", effective_at=TRAINED)
    store.dispose()
    return folder / "formline.db"


@pytest.fixture
def home(world: Path, tmp_path: Path) -> Path:
    shutil.copy(world, tmp_path / "formline.db")
    return tmp_path


def test_the_season_is_printed_and_written(home: Path) -> None:
    out = home / "out" / "demo1.csv"
    args = ("simulate:season", "--competition", "DEMO1", "--as-of", "2025-10-07")
    result = invoke(home, *args, "--n", "500", "--seed", "2", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "DEMO1 2025-26 as of 2025-10-07 00:00: 500 seasons;" in result.stdout
    assert "drawn from score grids of goals-no-market v1 (no_market)" in result.stdout
    assert "relegated (3)" in result.stdout and "rules: ranked on points" in result.stdout
    assert "simulation 1 stored and published" in result.stdout
    frame = pd.read_csv(out)
    n_teams = len(frame)
    assert n_teams == 8
    assert list(frame.columns) == [
        "team",
        "expected_points",
        "p_title",
        "p_top4",
        "p_relegation",
        *(f"p_pos_{k}" for k in range(1, n_teams + 1)),
    ]
    assert frame["expected_points"].is_monotonic_decreasing
    for team in frame["team"]:
        assert team in result.stdout
    again = invoke(home, *args, "--n", "500", "--seed", "2", "--out", str(home / "again.csv"))
    assert "simulation 1 already stored (unchanged) and published" in again.stdout
    assert (home / "again.csv").read_bytes() == out.read_bytes()
    flat = invoke(home, *args, "--n", "200", "--relegated", "0", "--out", str(home / "flat.csv"))
    assert flat.exit_code == 0, flat.stderr
    assert "p_relegation" not in pd.read_csv(home / "flat.csv").columns


def test_errors_are_one_line(home: Path) -> None:
    unknown = invoke(home, "simulate:season", "--competition", "E0", "--as-of", "2025-10-07")
    assert unknown.exit_code == 2
    assert "no match of 'E0' in the store (it has: DEMO1, DEMO2)" in error_line(unknown)
    past = invoke(home, "simulate:season", "--competition", "DEMO1", "--as-of", "2025-10-01")
    assert past.exit_code == 1
    assert "no model was deployed as of 2025-10-01" in error_line(past)
    missing = invoke(home, "simulate:season", "--as-of", "2025-10-07")
    assert missing.exit_code == 2 and "--competition" in error_line(missing)
    not_csv = invoke(home, "simulate:season", "--competition", "DEMO1", "--out", "x.parquet")
    assert not_csv.exit_code == 2 and "use a .csv file" in error_line(not_csv)
    races = invoke(home, "simulate:season", "--competition", "HV", "--domain", "races")
    assert races.exit_code == 2 and "keeps no league tables" in error_line(races)
