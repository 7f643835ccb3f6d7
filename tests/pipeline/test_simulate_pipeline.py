"""simulate:season's pipeline on the demo world: the season in progress at as_of, the table of
what was known then, every game left drawn from the champion deployed then, published once."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, update

from formline.errors import ConfigError, DataError, ModelNotFoundError
from formline.matches.dataset import load_match_frame
from formline.matches.tables import matches
from formline.pipeline.daily import DailyConfig, run_daily
from formline.pipeline.simulate import seasons_in_progress, simulate_seasons
from formline.store import promotions
from formline.store.db import Store, open_store
from formline.store.jobs import list_job_runs
from formline.store.simulations import published_simulation
from formline.store.tables import simulation_snapshots, simulation_teams
from simulation_world import NOW, TRAINED, simulation_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    return simulation_world(tmp_path_factory)


@pytest.fixture
def store(world: tuple[Path, dict[str, int]], tmp_path: Path) -> Store:
    copy = tmp_path / "formline.db"
    shutil.copy(world[0], copy)
    return open_store(f"sqlite:///{copy}")


def _deploy(store: Store, world: tuple[Path, dict[str, int]], *names: str) -> None:
    for name in names:
        promotions.deploy(store, world[1][name], reason="test", effective_at=TRAINED)


def _count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_season_is_drawn_from_the_champions_score_grids(
    store: Store, world: tuple[Path, dict[str, int]]
) -> None:
    _deploy(store, world, "goals")
    (result,) = simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=2000, seed=3)
    assert result.draws == "score_grids" and result.note == ""
    assert [(s.model.id, s.information) for s in result.models] == [
        (world[1]["goals"], "no_market")
    ]
    table = result.table
    n_teams = len(table)
    positions = table[[f"p_pos_{k}" for k in range(1, n_teams + 1)]].to_numpy()
    assert list(table.columns) == [
        "team",
        "expected_points",
        "p_title",
        "p_top4",
        "p_relegation",
        *(f"p_pos_{k}" for k in range(1, n_teams + 1)),
    ]
    # Each team finishes somewhere, each place is somebody's; the odds read the distribution.
    np.testing.assert_allclose(positions.sum(axis=1), 1.0)
    np.testing.assert_allclose(positions.sum(axis=0), 1.0)
    np.testing.assert_allclose(table["p_title"], positions[:, 0])
    np.testing.assert_allclose(table["p_top4"], positions[:, :4].sum(axis=1))
    np.testing.assert_allclose(table["p_relegation"], positions[:, -3:].sum(axis=1))  # demo: 3

    # The table so far is the results known at TRAINED, and each game left adds 2 or 3 points.
    frame = load_match_frame(store, TRAINED).frame
    season = frame[(frame["competition"] == "DEMO1") & (frame["season"] == result.season)]
    known = season[season["finished"]]
    assert result.n_played == len(known) > 0
    assert result.n_remaining == len(season) - len(known) > 0
    points: dict[str, float] = dict.fromkeys(table["team"], 0.0)
    for game in known.itertuples():
        home, away = int(game.home_goals), int(game.away_goals)
        points[game.home_team] += 3 if home > away else 1 if home == away else 0
        points[game.away_team] += 3 if away > home else 1 if home == away else 0
    added = table["expected_points"].sum() - sum(points.values())
    assert 2 * result.n_remaining <= added <= 3 * result.n_remaining
    left = {team: 0 for team in points}
    for game in season[~season["finished"]].itertuples():
        left[game.home_team] += 1
        left[game.away_team] += 1
    for row in table.itertuples():
        assert points[row.team] <= row.expected_points <= points[row.team] + 3 * left[row.team]

    # Same seed, same result; another seed, other draws.
    (again,) = simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=2000, seed=3, publish=False)
    pd.testing.assert_frame_equal(again.table, table)
    (other,) = simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=2000, seed=4, publish=False)
    assert not other.table.equals(table)


def test_what_was_observed_after_as_of_changes_nothing(
    store: Store, world: tuple[Path, dict[str, int]]
) -> None:
    _deploy(store, world, "goals")
    (before,) = simulate_seasons(store, TRAINED, ["DEMO2"], n_sims=500, publish=False)
    (later,) = simulate_seasons(store, NOW, ["DEMO2"], n_sims=500, publish=False)
    with store.begin() as conn:  # every result observed from TRAINED on is rewritten
        rewritten = conn.execute(
            update(matches)
            .where(matches.c.observed_at >= TRAINED, matches.c.home_goals.is_not(None))
            .values(home_goals=matches.c.away_goals + 4)
        ).rowcount
    assert rewritten > 0
    (after,) = simulate_seasons(store, TRAINED, ["DEMO2"], n_sims=500, publish=False)
    pd.testing.assert_frame_equal(after.table, before.table)
    # Positive control: as of NOW those results are known, and the rewrite shows.
    (control,) = simulate_seasons(store, NOW, ["DEMO2"], n_sims=500, publish=False)
    assert not control.table.equals(later.table)


def test_a_champion_without_a_score_grid_draws_outcomes_and_says_so(
    store: Store, world: tuple[Path, dict[str, int]]
) -> None:
    _deploy(store, world, "elo")
    (result,) = simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=500, publish=False)
    assert result.draws == "outcomes"
    assert "elo" in result.note and "no score grid" in result.note
    np.testing.assert_allclose(result.table.filter(like="p_pos_").sum(axis=1), 1.0)


def test_games_no_champion_can_predict_are_refused_not_invented(
    store: Store, world: tuple[Path, dict[str, int]]
) -> None:
    with pytest.raises(ModelNotFoundError, match="no deployed model"):
        simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=10)
    _deploy(store, world, "market")  # predicts priced games only: the rest of the season is not
    unpredictable = r"of the \d+ games left in DEMO1 .*\(no_market: \d+\)"
    with pytest.raises(ModelNotFoundError, match=unpredictable):
        simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=10)
    assert _count(store, simulation_snapshots) == 0
    # With a champion for each information state, each game gets the richest one known then:
    # the market's (no score grid, so every game is an outcome draw, said so) where priced.
    _deploy(store, world, "goals")
    (mixed,) = simulate_seasons(store, NOW, ["DEMO1"], n_sims=10, publish=False)
    used = {s.information: s.games for s in mixed.models}
    assert set(used) == {"market", "no_market"} and sum(used.values()) == mixed.n_remaining
    assert mixed.draws == "outcomes" and "market" in mixed.note
    # A past as_of means the past model: the champions trained as of TRAINED saw what followed.
    with pytest.raises(ModelNotFoundError, match="trained on data observed after it"):
        simulate_seasons(store, TRAINED - timedelta(days=7), ["DEMO1"], n_sims=10)


def test_every_season_in_progress_is_published_once(
    store: Store, world: tuple[Path, dict[str, int]]
) -> None:
    _deploy(store, world, "goals")
    assert seasons_in_progress(store, TRAINED) == ["DEMO1", "DEMO2"]
    results = simulate_seasons(store, TRAINED, n_sims=300, seed=1)
    assert [r.competition for r in results] == ["DEMO1", "DEMO2"]
    assert all(r.created and r.published for r in results)
    again = simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=300, seed=1)
    assert (again[0].simulation_id, again[0].created) == (results[0].simulation_id, False)
    assert _count(store, simulation_snapshots) == 2
    assert _count(store, simulation_teams) == sum(len(r.table) for r in results)
    with store.connect() as conn:
        stored = published_simulation(conn, "matches", "DEMO1")
    assert stored is not None and stored["id"] == results[0].simulation_id
    assert [t["team"] for t in stored["teams"]] == list(results[0].table["team"])
    np.testing.assert_allclose(
        [t["positions"] for t in stored["teams"]], results[0].table.filter(like="p_pos_")
    )
    # Without relegation counted, there is no p_relegation.
    (flat,) = simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=300, relegated=0, publish=False)
    assert "p_relegation" not in flat.table.columns


def test_a_competition_without_a_season_in_progress_is_a_data_error(
    store: Store, world: tuple[Path, dict[str, int]]
) -> None:
    _deploy(store, world, "goals")
    with pytest.raises(DataError, match="no match of 'E0' in the store"):
        simulate_seasons(store, TRAINED, ["E0"], n_sims=10)
    with pytest.raises(DataError, match="no season in progress"):
        simulate_seasons(store, NOW + timedelta(days=400), ["DEMO1"], n_sims=10)
    with pytest.raises(ConfigError, match="--relegated"):
        simulate_seasons(store, TRAINED, ["DEMO1"], n_sims=10, relegated=8)


def test_the_daily_run_simulates_after_predicting(
    store: Store, world: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    _deploy(store, world, "goals")
    skips = {"skip_ingest": True, "skip_features": True, "skip_train": True}
    config = DailyConfig(as_of=TRAINED, horizon_days=30, simulations=200, **skips)
    run = run_daily(store, config, tmp_path / "models")
    names = [s.step for s in run.steps]
    assert names.index("predictions") < names.index("simulations")
    rows = {r["step"]: r for r in list_job_runs(store, run_id=run.run_id)}
    assert rows["simulations"]["status"] == "succeeded" and rows["simulations"]["rows"] == 2
    assert "DEMO1 2025-26: simulation" in rows["simulations"]["detail"]
    with store.connect() as conn:
        published = published_simulation(conn, "matches", "DEMO2")
    assert published is not None and published["n_sims"] == 200
    # Long after the last season: nothing to simulate, and the reason is stored.
    idle = DailyConfig(as_of=NOW + timedelta(days=400), simulations=200, **skips)
    run = run_daily(store, idle, tmp_path / "models")
    rows = {r["step"]: r for r in list_job_runs(store, run_id=run.run_id)}
    assert rows["simulations"]["status"] == "skipped"
    assert rows["simulations"]["detail"].startswith("no season in progress")
