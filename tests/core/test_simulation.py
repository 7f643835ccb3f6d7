"""Season simulation: draws that follow the probabilities, tables with the tie-breakers, the
same result for the same seed."""

from __future__ import annotations

import numpy as np
import pytest

from formline.core.simulation import PointsRule, SeasonSimulation, simulate_season

TEAMS = ["A", "B", "C", "D"]
HOME = np.array([h for h in range(4) for a in range(4) if h != a])
AWAY = np.array([a for h in range(4) for a in range(4) if h != a])


def _probabilities(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet([3, 2, 3], size=len(HOME))


def test_expected_points_are_the_sum_of_each_games_expected_points() -> None:
    p = _probabilities()
    simulation = simulate_season(TEAMS, HOME, AWAY, probabilities=p, n_sims=40_000, seed=1)
    home_expected = 3 * p[:, 0] + p[:, 1]
    away_expected = 3 * p[:, 2] + p[:, 1]
    exact = np.bincount(HOME, home_expected, 4) + np.bincount(AWAY, away_expected, 4)
    standard_error = simulation.points.std(axis=0) / np.sqrt(simulation.n_sims)
    assert np.all(np.abs(simulation.points.mean(axis=0) - exact) < 4 * standard_error)


def test_the_same_seed_gives_the_same_seasons_and_another_seed_others() -> None:
    p = _probabilities()
    first = simulate_season(TEAMS, HOME, AWAY, probabilities=p, n_sims=500, seed=7)
    again = simulate_season(TEAMS, HOME, AWAY, probabilities=p, n_sims=500, seed=7)
    other = simulate_season(TEAMS, HOME, AWAY, probabilities=p, n_sims=500, seed=8)
    assert np.array_equal(first.positions, again.positions)
    assert np.array_equal(first.points, again.points)
    assert not np.array_equal(first.positions, other.positions)


def test_certain_results_give_the_certain_table_on_top_of_the_points_so_far() -> None:
    # A beats everyone, D loses to everyone, B and C draw each other and beat D.
    outcome = {(0, 1): 0, (0, 2): 0, (0, 3): 0, (1, 0): 2, (2, 0): 2, (3, 0): 2}
    outcome |= {(1, 2): 1, (2, 1): 1, (1, 3): 0, (3, 1): 2, (2, 3): 0, (3, 2): 2}
    p = np.zeros((len(HOME), 3))
    p[np.arange(len(HOME)), [outcome[h, a] for h, a in zip(HOME, AWAY, strict=True)]] = 1.0
    simulation = simulate_season(
        TEAMS, HOME, AWAY, probabilities=p, points=[0, 0, 1, 0], n_sims=200, seed=0
    )
    assert simulation.points[0].tolist() == [18, 8, 9, 0]
    assert (simulation.positions == [1, 3, 2, 4]).all()
    summary = simulation.summary(top=2, relegated=1)
    assert summary["team"].tolist() == ["A", "C", "B", "D"]
    assert summary.loc[summary["team"] == "D", "p_relegation"].item() == 1.0


def test_goal_difference_then_goals_scored_break_a_tie_on_points() -> None:
    # One game left, a certain 1-1 draw between B and C, level on points before it; B has the
    # better goal difference, so B is above C in every season.
    grid = np.zeros((1, 4, 4))
    grid[0, 1, 1] = 1.0
    simulation = simulate_season(
        ["B", "C"], [0], [1], score_grids=grid, points=[10, 10], goal_difference=[3, 1],
        goals_for=[5, 9], n_sims=300, seed=2,
    )  # fmt: skip
    assert (simulation.positions == [1, 2]).all()
    level = simulate_season(
        ["B", "C"], [0], [1], score_grids=grid, points=[10, 10], goal_difference=[1, 1],
        goals_for=[5, 9], n_sims=300, seed=2,
    )  # fmt: skip
    assert (level.positions == [2, 1]).all()  # then goals scored: C scored more


def test_a_dead_level_tie_is_a_coin() -> None:
    simulation = simulate_season(
        ["X", "Y"], [0], [1], probabilities=[[0, 1, 0]], n_sims=20_000, seed=4
    )
    p_title = simulation.summary(top=1)["p_title"].to_numpy()
    assert np.allclose(p_title, 0.5, atol=0.02)


def test_drawn_scores_follow_the_grid() -> None:
    rng = np.random.default_rng(5)
    grid = rng.random((1, 3, 3))
    grid /= grid.sum()
    simulation = simulate_season(
        ["H", "A"], [0], [1], score_grids=grid, n_sims=50_000, seed=6, rule=PointsRule(1, 0, 0)
    )
    home_win = np.tril(grid[0], -1).sum()  # cells below the diagonal: home goals > away goals
    observed = simulation.points[:, 0].mean()
    assert observed == pytest.approx(home_win, abs=4 * np.sqrt(home_win * (1 - home_win) / 50_000))


def test_summary_rows_are_distributions_over_positions() -> None:
    simulation = simulate_season(TEAMS, HOME, AWAY, probabilities=_probabilities(), n_sims=2_000)
    summary = simulation.summary(top=2, relegated=1, points_label="expected_wins")
    positions = summary[[f"p_pos_{k}" for k in range(1, 5)]].to_numpy()
    assert np.allclose(positions.sum(axis=1), 1.0) and np.allclose(positions.sum(axis=0), 1.0)
    assert list(summary.columns[:5]) == ["team", "expected_wins", "p_title", "p_top2",
                                         "p_relegation"]  # fmt: skip
    assert summary["expected_wins"].is_monotonic_decreasing


def test_places_are_counted_so_a_certain_top_four_is_exactly_one() -> None:
    # A's places over 10 seasons: 1st twice, 2nd 4 times, 3rd 3 times, 4th once. As floats,
    # 0.2 + 0.4 + 0.3 + 0.1 is 1.0000000000000002, which a store's range check refuses.
    first = [1, 1, 2, 2, 2, 2, 3, 3, 3, 4]
    positions = np.array([[a, *[p for p in range(1, 6) if p != a]] for a in first])
    simulation = SeasonSimulation(["A", "B", "C", "D", "E"], np.zeros((10, 5)), positions)
    summary = simulation.summary(top=4, relegated=1).set_index("team")
    assert summary.loc["A", "p_top4"] == 1.0 and summary.loc["A", "p_relegation"] == 0.0
    assert summary.loc["E", "p_relegation"] == 1.0
    assert (summary[["p_title", "p_top4", "p_relegation"]].to_numpy() <= 1.0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"probabilities": np.ones((12, 2))}, "shape"),
        ({"probabilities": np.ones((12, 3)), "score_grids": np.ones((12, 2, 2))}, "exactly one"),
        ({"probabilities": np.ones((12, 3)), "points": [1, 2]}, "one value per team"),
        ({"probabilities": np.ones((12, 3)), "n_sims": 0}, "n_sims"),
    ],
)
def test_bad_inputs_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_season(TEAMS, HOME, AWAY, **kwargs)  # type: ignore[arg-type]


def test_a_team_cannot_play_itself_nor_an_unknown_team() -> None:
    with pytest.raises(ValueError, match="itself"):
        simulate_season(TEAMS, [0], [0], probabilities=[[1, 0, 0]])
    with pytest.raises(ValueError, match="team codes"):
        simulate_season(TEAMS, [0], [9], probabilities=[[1, 0, 0]])
