"""Pi-ratings (Constantinou and Fenton, 2013): a home and an away rating per team, in goal units.

A rating ``R`` maps to the goal difference expected against an average side at that venue,
``g(R) = sign(R) * (b ** (|R| / c) - 1)``; a match's expected goal difference is
``g(R_home_team_home) - g(R_away_team_away)``. After the match the error ``e`` between observed
and expected goal difference is damped to ``psi(e) = sign(e) * c * log_b(1 + |e|)`` (so a 6-0
teaches less than six 1-0s) and moves the venue ratings by ``learning_rate * psi``; the other
venue's rating follows by ``cross_rate`` times that change.

:func:`pi_kernel` is the compiled recurrence; :class:`PiRatings` wraps it as an estimator. Both
take results in the order they became known (by ``observed_at``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NoReturn

import numba
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator  # type: ignore[import-untyped, unused-ignore]

from formline.core.ratings.elo import _encode_results, _last_values, _not_fitted, _require_teams

__all__ = ["PiRatings", "pi_expected_goal_difference", "pi_kernel"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
PiHistory = tuple[
    FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray
]

_HISTORY_COLUMNS = (
    "home_team_home",
    "home_team_away",
    "away_team_home",
    "away_team_away",
)


@numba.njit(cache=True)
def _pi_loop(
    home_idx: IntArray,
    away_idx: IntArray,
    home_goals: FloatArray,
    away_goals: FloatArray,
    n_teams: int,
    learning_rate: float,
    cross_rate: float,
    c: float,
    b: float,
) -> PiHistory:
    n = home_idx.shape[0]
    home_rating = np.zeros(n_teams)
    away_rating = np.zeros(n_teams)
    out = np.empty((8, n))
    log_b = math.log(b)
    for i in range(n):
        h, a = home_idx[i], away_idx[i]
        out[0, i], out[1, i] = home_rating[h], away_rating[h]
        out[2, i], out[3, i] = home_rating[a], away_rating[a]
        r_home, r_away = home_rating[h], away_rating[a]
        g_home = math.copysign(b ** (abs(r_home) / c) - 1.0, r_home)
        g_away = math.copysign(b ** (abs(r_away) / c) - 1.0, r_away)
        error = (home_goals[i] - away_goals[i]) - (g_home - g_away)
        psi = math.copysign(c * math.log1p(abs(error)) / log_b, error)
        home_change = psi * learning_rate
        home_rating[h] += home_change
        away_rating[h] += home_change * cross_rate
        away_change = -psi * learning_rate
        away_rating[a] += away_change
        home_rating[a] += away_change * cross_rate
        out[4, i], out[5, i] = home_rating[h], away_rating[h]
        out[6, i], out[7, i] = home_rating[a], away_rating[a]
    return out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7]


def pi_kernel(
    home_idx: ArrayLike,
    away_idx: ArrayLike,
    home_goals: ArrayLike,
    away_goals: ArrayLike,
    n_teams: int,
    learning_rate: float = 0.035,
    cross_rate: float = 0.7,
    c: float = 3.0,
    b: float = 10.0,
) -> PiHistory:
    """Run the pi-rating recurrence over finished matches in the order results became known.

    Every team starts with home and away ratings of 0.

    Parameters
    ----------
    home_idx, away_idx : array_like of int, shape (n,)
        Team codes ``0 .. n_teams - 1``.
    home_goals, away_goals : array_like of float, shape (n,)
        Final score.
    n_teams : int
        Number of team codes.
    learning_rate : float, default 0.035
        The paper's lambda: share of the damped error added to the venue rating.
    cross_rate : float, default 0.7
        The paper's gamma: share of that change passed on to the team's other venue rating.
    c, b : float, default 3.0 and 10.0
        Scale and logarithm base of the rating-to-goals map and of the error damping.

    Returns
    -------
    tuple of 8 numpy.ndarray, each shape (n,)
        ``(home_team_home_before, home_team_away_before, away_team_home_before,
        away_team_away_before)`` followed by the same four ratings after the match.

    Raises
    ------
    ValueError
        If the arrays differ in length, a code is outside ``[0, n_teams)`` or a row has the
        same team twice.
    """
    hi, ai = (np.ascontiguousarray(x, dtype=np.int64) for x in (home_idx, away_idx))
    hg, ag = (np.ascontiguousarray(x, dtype=np.float64) for x in (home_goals, away_goals))
    if any(x.shape != hi.shape or x.ndim != 1 for x in (ai, hg, ag)):
        raise ValueError("pi_kernel needs 1-D arrays of one length")
    if hi.size and (
        min(hi.min(), ai.min()) < 0 or max(hi.max(), ai.max()) >= n_teams or bool(np.any(hi == ai))
    ):
        raise ValueError("team codes must be in [0, n_teams) and differ within a row")
    result: PiHistory = _pi_loop(
        hi, ai, hg, ag, int(n_teams), float(learning_rate), float(cross_rate), float(c), float(b)
    )
    return result


def pi_expected_goal_difference(
    home_team_home_rating: ArrayLike,
    away_team_away_rating: ArrayLike,
    c: float = 3.0,
    b: float = 10.0,
) -> FloatArray:
    """Expected goal difference (home minus away) from pi-ratings, vectorised.

    Parameters
    ----------
    home_team_home_rating, away_team_away_rating : array_like
        The home side's home rating and the away side's away rating (broadcast together).
    c, b : float, default 3.0 and 10.0
        Scale and base of ``g(R) = sign(R) * (b ** (|R| / c) - 1)``.

    Returns
    -------
    numpy.ndarray
        ``g(home_team_home_rating) - g(away_team_away_rating)``.
    """
    home = np.asarray(home_team_home_rating, dtype=np.float64)
    away = np.asarray(away_team_away_rating, dtype=np.float64)
    g_home = np.sign(home) * (b ** (np.abs(home) / c) - 1.0)
    g_away = np.sign(away) * (b ** (np.abs(away) / c) - 1.0)
    result: FloatArray = g_home - g_away
    return result


class PiRatings(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Pi-ratings fitted on finished results, in the order the results became known.

    Parameters
    ----------
    learning_rate : float, default 0.035
        Share of the damped error added to the venue rating (the paper's lambda).
    cross_rate : float, default 0.7
        Share of a venue rating's change passed to the other venue rating (gamma).
    c : float, default 3.0
        Scale of the rating-to-goals map and of the error damping.
    b : float, default 10.0
        Logarithm base of the same.

    Attributes
    ----------
    ratings_ : dict of str to tuple of (float, float)
        Each team's ``(home_rating, away_rating)`` after its last match.
    history_ : pandas.DataFrame
        Aligned with the input rows: ``home_team_home_before``, ``home_team_away_before``,
        ``away_team_home_before``, ``away_team_away_before``, the same four ``..._after``, and
        ``expected_goal_difference`` (before the match).
    """

    ratings_: dict[str, tuple[float, float]]
    history_: pd.DataFrame

    def __init__(
        self,
        learning_rate: float = 0.035,
        cross_rate: float = 0.7,
        c: float = 3.0,
        b: float = 10.0,
    ) -> None:
        self.learning_rate = learning_rate
        self.cross_rate = cross_rate
        self.c = c
        self.b = b

    if not TYPE_CHECKING:  # hidden from mypy so that misspelt attributes stay type errors

        def __getattr__(self, name: str) -> NoReturn:
            _not_fitted(self, name)

    def _check_params(self) -> None:
        checks = {
            "learning_rate": self.learning_rate > 0,
            "cross_rate": self.cross_rate >= 0,
            "c": self.c > 0,
            "b": self.b > 1,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not (ok and math.isfinite(value)):
                raise ValueError(f"{name} is out of range: {value!r}")

    def fit(self, results: pd.DataFrame) -> PiRatings:
        """Run the ratings over ``results`` row by row, in the given order.

        Parameters
        ----------
        results : pandas.DataFrame
            Finished matches with ``home_team``, ``away_team``, ``home_goals`` and
            ``away_goals``. Order the rows by ``observed_at`` first; rows are not re-sorted.

        Returns
        -------
        PiRatings
            ``self``, fitted.

        Raises
        ------
        ValueError
            If a hyperparameter is out of range, a column is missing, a value is missing or
            negative, or a row has the same team on both sides.
        """
        self._check_params()
        teams, home_idx, away_idx, home_goals, away_goals = _encode_results(results)
        params = (self.learning_rate, self.cross_rate, self.c, self.b)
        out = pi_kernel(home_idx, away_idx, home_goals, away_goals, len(teams), *params)
        columns = [f"{name}_{when}" for when in ("before", "after") for name in _HISTORY_COLUMNS]
        history = pd.DataFrame(dict(zip(columns, out, strict=True)), index=results.index)
        history["expected_goal_difference"] = pi_expected_goal_difference(
            out[0], out[3], self.c, self.b
        )
        self.history_ = history
        n_teams = len(teams)
        home = _last_values(home_idx, away_idx, out[4], out[6], n_teams)
        away = _last_values(home_idx, away_idx, out[5], out[7], n_teams)
        self.ratings_ = {
            str(team): (float(h), float(a)) for team, h, a in zip(teams, home, away, strict=True)
        }
        return self

    def expected_goal_difference(self, home_team: str, away_team: str) -> float:
        """Expected goal difference (home minus away) between two fitted teams.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        KeyError
            If a team was not in the fitted results.
        """
        _require_teams(self.ratings_, home_team, away_team)
        home_rating = self.ratings_[home_team][0]
        away_rating = self.ratings_[away_team][1]
        return float(pi_expected_goal_difference(home_rating, away_rating, self.c, self.b))
