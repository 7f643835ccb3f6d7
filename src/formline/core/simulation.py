"""Monte Carlo season simulation: every remaining game drawn from a model's probabilities, the
final table built with the league's tie-breakers, repeated ``n_sims`` times.

Pure and vectorised over simulations: arrays of shape ``(n_sims, n_games)`` for the results,
one matrix product for the table, one sort for the positions. Two ways to draw a game:

* from a **score grid** (``P(home scores i, away scores j)``, as the goals and Dixon-Coles
  models give it): the score is drawn, so goal difference and goals scored can break ties;
* from **outcome probabilities** (home win, draw, away win; a sport without draws passes a zero
  draw column): only the result is drawn, and ties on points are broken at random.

Tie-breakers, in order: points, then (score grids only) goal difference, then goals scored, then
a coin. Head-to-head records, play-offs and deductions are not modelled (the simplification is
the caller's to state). The same inputs and seed give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["PointsRule", "SeasonSimulation", "simulate_season"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class PointsRule:
    """Table points for a win, a draw and a loss (football 3/1/0; a league ranked by wins
    counts a win as 1 and reports ``expected_points`` as the expected wins)."""

    win: float = 3.0
    draw: float = 1.0
    loss: float = 0.0


@dataclass(frozen=True)
class SeasonSimulation:
    """What ``n_sims`` simulated seasons say, per team (rows in the order of ``teams``).

    Attributes
    ----------
    teams
        Team names.
    points
        Simulated final points, shape ``(n_sims, n_teams)``.
    positions
        Simulated final positions (1 = top), shape ``(n_sims, n_teams)``.
    """

    teams: list[str]
    points: FloatArray
    positions: IntArray

    @property
    def n_sims(self) -> int:
        """How many seasons were simulated."""
        return int(self.points.shape[0])

    def position_counts(self) -> IntArray:
        """How many simulations put each team k-th, shape ``(n_teams, n_teams)``."""
        n_teams = len(self.teams)
        counts = np.zeros((n_teams, n_teams), dtype=np.int64)
        for team in range(n_teams):
            counts[team] = np.bincount(self.positions[:, team] - 1, minlength=n_teams)
        return counts

    def position_probabilities(self) -> FloatArray:
        """``P(team finishes k-th)``, shape ``(n_teams, n_teams)``; each row sums to 1."""
        out: FloatArray = self.position_counts() / self.n_sims
        return out

    def summary(
        self, *, top: int = 4, relegated: int = 0, points_label: str = "expected_points"
    ) -> pd.DataFrame:
        """One row per team, best expected first: ``team``, ``points_label``, ``p_title``,
        ``p_top{top}``, ``p_relegation`` (when ``relegated`` > 0: the bottom ``relegated``
        places), then ``p_pos_1`` ... ``p_pos_N``."""
        n_teams = len(self.teams)
        if not 0 < top <= n_teams or not 0 <= relegated < n_teams:
            raise ValueError(f"top must be in 1..{n_teams} and relegated in 0..{n_teams - 1}")
        # Places are summed as counts, then divided: a sum of rounded shares can pass 1.
        counts = self.position_counts()
        probabilities = counts / self.n_sims
        frame = pd.DataFrame({"team": self.teams, points_label: self.points.mean(axis=0)})
        frame["p_title"] = probabilities[:, 0]
        frame[f"p_top{top}"] = counts[:, :top].sum(axis=1) / self.n_sims
        if relegated:
            frame["p_relegation"] = counts[:, n_teams - relegated :].sum(axis=1) / self.n_sims
        positions = pd.DataFrame(
            probabilities, columns=[f"p_pos_{k}" for k in range(1, n_teams + 1)]
        )
        frame = pd.concat([frame, positions], axis=1)
        order = np.lexsort((frame["team"].to_numpy(), -frame[points_label].to_numpy()))
        return frame.iloc[order].reset_index(drop=True)


def _draw_scores(grids: FloatArray, uniforms: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Scores drawn from each game's grid by inverse CDF: ``(home, away)``, each
    ``(n_sims, n_games)``."""
    n_games, rows, cols = grids.shape
    flat = grids.reshape(n_games, rows * cols)
    cumulative = np.cumsum(flat / flat.sum(axis=1, keepdims=True), axis=1)
    cumulative[:, -1] = 1.0  # rounding must never push a uniform past the last cell
    cells = np.empty(uniforms.shape, dtype=np.int64)
    for game in range(n_games):
        cells[:, game] = np.searchsorted(cumulative[game], uniforms[:, game], side="right")
    home, away = np.divmod(cells, cols)
    return home.astype(np.float64), away.astype(np.float64)


def _draw_outcomes(probabilities: FloatArray, uniforms: FloatArray) -> IntArray:
    """Outcome codes (0 home win, 1 draw, 2 away win), each ``(n_sims, n_games)``."""
    p = probabilities / probabilities.sum(axis=1, keepdims=True)
    home_cut, draw_cut = p[:, 0], p[:, 0] + p[:, 1]
    out: IntArray = np.where(uniforms < home_cut, 0, np.where(uniforms < draw_cut, 1, 2))
    return out


def _check_inputs(
    teams: list[str], home: IntArray, away: IntArray, n_sims: int, table: dict[str, FloatArray]
) -> None:
    n_teams = len(teams)
    if len(set(teams)) != n_teams or n_teams < 2:
        raise ValueError("teams must be at least two distinct names")
    if home.shape != away.shape or home.ndim != 1:
        raise ValueError("home and away must be 1-D arrays of one length")
    if home.size and (min(home.min(), away.min()) < 0 or max(home.max(), away.max()) >= n_teams):
        raise ValueError(f"team codes must be in 0..{n_teams - 1}")
    if bool(np.any(home == away)):
        raise ValueError("a team cannot play itself")
    if n_sims < 1:
        raise ValueError(f"n_sims must be positive, got {n_sims}")
    for name, values in table.items():
        if values.shape != (n_teams,):
            raise ValueError(f"{name} must have one value per team ({n_teams})")


def simulate_season(
    teams: list[str],
    home: ArrayLike,
    away: ArrayLike,
    *,
    probabilities: ArrayLike | None = None,
    score_grids: ArrayLike | None = None,
    points: ArrayLike | None = None,
    goal_difference: ArrayLike | None = None,
    goals_for: ArrayLike | None = None,
    rule: PointsRule = PointsRule(),
    n_sims: int = 10_000,
    seed: int = 0,
) -> SeasonSimulation:
    """Simulate the rest of a season ``n_sims`` times.

    Parameters
    ----------
    teams : list of str
        Every team of the table, including those with no game left.
    home, away : array_like of int, shape (n_games,)
        Each remaining game's teams, as positions in ``teams``.
    probabilities : array_like, shape (n_games, 3), optional
        P(home win), P(draw), P(away win) per game (rows are normalised).
    score_grids : array_like, shape (n_games, G, G), optional
        P(home i, away j) per game (normalised per game; mass beyond the grid is dropped).
        Exactly one of ``probabilities`` and ``score_grids`` is given.
    points, goal_difference, goals_for : array_like, shape (n_teams,), optional
        The table so far (zeros when not given).
    rule : PointsRule
        Points for a win, a draw and a loss.
    n_sims : int
        Seasons to simulate.
    seed : int
        Seed of NumPy's default generator: the same inputs and seed give the same result.

    Returns
    -------
    SeasonSimulation

    Raises
    ------
    ValueError
        For inconsistent shapes, unknown team codes, a team playing itself, or not exactly one
        of ``probabilities`` and ``score_grids``.
    """
    home_idx = np.asarray(home, dtype=np.int64)
    away_idx = np.asarray(away, dtype=np.int64)
    n_teams, n_games = len(teams), home_idx.shape[0] if home_idx.ndim else 0
    table = {
        name: np.zeros(n_teams) if values is None else np.asarray(values, dtype=np.float64)
        for name, values in (
            ("points", points),
            ("goal_difference", goal_difference),
            ("goals_for", goals_for),
        )
    }
    _check_inputs(teams, home_idx, away_idx, n_sims, table)
    if (probabilities is None) == (score_grids is None):
        raise ValueError("give exactly one of probabilities and score_grids")
    rng = np.random.default_rng(seed)
    uniforms = rng.random((n_sims, n_games))
    incidence_home = np.zeros((n_games, n_teams))
    incidence_home[np.arange(n_games), home_idx] = 1.0
    incidence_away = np.zeros((n_games, n_teams))
    incidence_away[np.arange(n_games), away_idx] = 1.0

    gd = np.broadcast_to(table["goal_difference"], (n_sims, n_teams)).copy()
    gf = np.broadcast_to(table["goals_for"], (n_sims, n_teams)).copy()
    if score_grids is not None:
        grids = np.asarray(score_grids, dtype=np.float64)
        if grids.ndim != 3 or grids.shape[0] != n_games or bool(np.any(grids < 0)):
            raise ValueError("score_grids must be non-negative, shape (n_games, G, G)")
        home_scores, away_scores = _draw_scores(grids, uniforms)
        margin = home_scores - away_scores
        outcome = (margin < 0).astype(np.int64) * 2 + (margin == 0)
        gd += margin @ (incidence_home - incidence_away)
        gf += home_scores @ incidence_home + away_scores @ incidence_away
    else:
        p = np.asarray(probabilities, dtype=np.float64)
        if p.shape != (n_games, 3) or bool(np.any(p < 0)):
            raise ValueError("probabilities must be non-negative, shape (n_games, 3)")
        outcome = _draw_outcomes(p, uniforms)

    home_points = np.array([rule.win, rule.draw, rule.loss])[outcome]
    away_points = np.array([rule.loss, rule.draw, rule.win])[outcome]
    final = table["points"] + home_points @ incidence_home + away_points @ incidence_away
    coin = rng.random((n_sims, n_teams))
    # lexsort's last key sorts first: points, then goal difference, goals scored, the coin.
    order: IntArray = np.lexsort((-coin, -gf, -gd, -final), axis=1)
    positions = np.empty((n_sims, n_teams), dtype=np.int64)
    np.put_along_axis(positions, order, np.arange(1, n_teams + 1)[None, :], axis=1)
    return SeasonSimulation(list(teams), final, positions)
