"""Elo ratings for two-sided matches in FiveThirtyEight's style: home advantage (none at a
neutral venue), a margin-of-victory multiplier (football's, or FiveThirtyEight's NFL or NBA one)
and regression to the mean between seasons.

:func:`elo_kernel` is the compiled recurrence over plain arrays (a feature builder calls it on
hundreds of thousands of results); :class:`EloRatings` wraps it as an estimator over a results
frame. Both take results in the order they became known (by ``observed_at``): the rating
"before" a row only reflects the rows above it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import numba
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator  # type: ignore[import-untyped, unused-ignore]

from formline.errors import NotFittedError

__all__ = [
    "MOV_FORMULAS",
    "EloRatings",
    "NotFittedError",
    "elo_kernel",
    "expected_home_score",
    "regress_to_mean",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_MATCH_COLUMNS = ("home_team", "away_team", "home_goals", "away_goals")


def _not_fitted(estimator: object, name: str) -> NoReturn:
    """Raise the error for a missing attribute; shared by the estimators' ``__getattr__``."""
    if name.endswith("_") and not name.startswith("__"):
        raise NotFittedError(f"{type(estimator).__name__} is not fitted yet. Call `.fit()` first.")
    raise AttributeError(f"{type(estimator).__name__!r} object has no attribute {name!r}")


#: The margin-of-victory multipliers :func:`elo_kernel` knows, by name (see its ``mov``).
MOV_FORMULAS = ("log-goals", "log-points", "power-points")


@numba.njit(cache=True)
def _mov_multiplier(code: int, margin: float, diff: float) -> float:
    """The update's scale for a result won by ``margin`` (home minus away) when the home side's
    rating advantage, home edge included, was ``diff``."""
    winner_diff = diff if margin > 0 else -diff
    if code == 0:  # log-goals: a one-goal win between equals counts as much as a draw
        if margin == 0:
            return 1.0
        return math.log(abs(margin) + 1.0) / math.log(2.0) * 2.2 / (winner_diff * 0.001 + 2.2)
    if code == 1:  # log-points: FiveThirtyEight's NFL; a tie scales by ln 2 * 2.2
        if margin == 0:
            return math.log(2.0) * 2.2
        return math.log(abs(margin) + 1.0) * 2.2 / (winner_diff * 0.001 + 2.2)
    # power-points: FiveThirtyEight's NBA
    scale: float = (abs(margin) + 3.0) ** 0.8 / (7.5 + 0.006 * winner_diff)
    return scale


@numba.njit(cache=True)
def _elo_loop(
    home_idx: IntArray,
    away_idx: IntArray,
    home_goals: FloatArray,
    away_goals: FloatArray,
    season_idx: IntArray,
    home_initial: FloatArray,
    away_initial: FloatArray,
    k: float,
    home_advantage: float,
    season_regression: float,
    mean_rating: float,
    use_mov: bool,
    mov_code: int,
    neutral: NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    n = home_idx.shape[0]
    n_teams = 0
    for i in range(n):
        n_teams = max(n_teams, home_idx[i] + 1, away_idx[i] + 1)
    rating = np.zeros(n_teams)
    last_season = np.zeros(n_teams, dtype=np.int64)
    seen = np.zeros(n_teams, dtype=np.bool_)
    before = np.empty((2, n))
    after = np.empty((2, n))
    keep = 1.0 - season_regression
    for i in range(n):
        for side in range(2):
            team = home_idx[i] if side == 0 else away_idx[i]
            if not seen[team]:
                seen[team] = True
                rating[team] = home_initial[i] if side == 0 else away_initial[i]
                last_season[team] = season_idx[i]
            elif last_season[team] != season_idx[i]:
                rating[team] = mean_rating + (rating[team] - mean_rating) * keep
                last_season[team] = season_idx[i]
            before[side, i] = rating[team]
        diff = before[0, i] - before[1, i] + (0.0 if neutral[i] else home_advantage)
        expected = 1.0 / (1.0 + 10.0 ** (-diff / 400.0))
        gd = home_goals[i] - away_goals[i]
        actual = 1.0 if gd > 0 else (0.0 if gd < 0 else 0.5)
        multiplier = _mov_multiplier(mov_code, gd, diff) if use_mov else 1.0
        delta = k * multiplier * (actual - expected)
        rating[home_idx[i]] += delta
        rating[away_idx[i]] -= delta
        after[0, i] = rating[home_idx[i]]
        after[1, i] = rating[away_idx[i]]
    return before[0], before[1], after[0], after[1]


def elo_kernel(
    home_idx: ArrayLike,
    away_idx: ArrayLike,
    home_goals: ArrayLike,
    away_goals: ArrayLike,
    season_idx: ArrayLike,
    home_initial: ArrayLike,
    away_initial: ArrayLike,
    k: float,
    home_advantage: float,
    season_regression: float,
    mean_rating: float,
    use_mov: bool,
    *,
    mov: str = "log-goals",
    neutral: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Run the Elo recurrence over finished matches in the order their results became known.

    Parameters
    ----------
    home_idx, away_idx : array_like of int, shape (n,)
        Team codes ``0 .. n_teams - 1``.
    home_goals, away_goals : array_like of float, shape (n,)
        Final score.
    season_idx : array_like of int, shape (n,)
        Season code; a team whose season differs from that of its previous match first regresses:
        ``r = mean_rating + (r - mean_rating) * (1 - season_regression)``.
    home_initial, away_initial : array_like of float, shape (n,)
        Starting rating of the home / away team, read only on the team's first row.
    k : float
        Update size.
    home_advantage : float
        Rating points added to the home side in the expected score
        ``E = 1 / (1 + 10 ** (-(Rh - Ra + home_advantage) / 400))``.
    season_regression : float
        Fraction of the distance to the mean removed at a season change.
    mean_rating : float
        The mean ratings regress to.
    use_mov : bool
        Scale updates by a margin-of-victory multiplier, ``mov``; without it every result
        scales by 1.
    mov : {"log-goals", "log-points", "power-points"}, default "log-goals"
        The multiplier, ``m`` the winning margin and ``d`` the winner's rating advantage
        including the home edge:

        - ``log-goals`` (football): ``ln(m + 1) / ln(2) * 2.2 / (0.001 * d + 2.2)``, draws 1;
          the ``ln 2`` makes a one-goal win between equals count as much as a draw (as in
          World Football Elo);
        - ``log-points`` (FiveThirtyEight's NFL): ``ln(m + 1) * 2.2 / (0.001 * d + 2.2)``,
          ties ``ln(2) * 2.2``;
        - ``power-points`` (FiveThirtyEight's NBA): ``(m + 3) ** 0.8 / (7.5 + 0.006 * d)``.

        The ``d`` terms damp the autocorrelation of favourites' big wins.
    neutral : array_like of bool, shape (n,), optional
        Rows played at a neutral venue: no home edge in their expected score.

    Returns
    -------
    tuple of numpy.ndarray, each shape (n,)
        ``(home_before, away_before, home_after, away_after)`` ratings per row; ``after`` is
        ``before + delta`` (home) and ``before - delta`` (away) with
        ``delta = k * multiplier * (S - E)``, ``S`` 1 / 0.5 / 0 for a home win / draw / loss.

    Raises
    ------
    ValueError
        If the arrays differ in length, a code is negative or a row has the same team twice.
    """
    hi, ai, si = (np.ascontiguousarray(x, dtype=np.int64) for x in (home_idx, away_idx, season_idx))
    hg, ag, h0, a0 = (
        np.ascontiguousarray(x, dtype=np.float64)
        for x in (home_goals, away_goals, home_initial, away_initial)
    )
    if any(x.shape != hi.shape or x.ndim != 1 for x in (ai, si, hg, ag, h0, a0)):
        raise ValueError("elo_kernel needs 1-D arrays of one length")
    if hi.size and (min(hi.min(), ai.min()) < 0 or bool(np.any(hi == ai))):
        raise ValueError("team codes must be non-negative and differ within a row")
    if mov not in MOV_FORMULAS:
        raise ValueError(f"mov must be one of {', '.join(MOV_FORMULAS)}; got {mov!r}")
    at_neutral = np.zeros(hi.shape, dtype=np.bool_)
    if neutral is not None:
        at_neutral = np.ascontiguousarray(neutral, dtype=np.bool_)
        if at_neutral.shape != hi.shape:
            raise ValueError("elo_kernel needs 1-D arrays of one length")
    result: tuple[FloatArray, FloatArray, FloatArray, FloatArray] = _elo_loop(
        hi, ai, hg, ag, si, h0, a0, float(k), float(home_advantage),
        float(season_regression), float(mean_rating), bool(use_mov),
        MOV_FORMULAS.index(mov), at_neutral,
    )  # fmt: skip
    return result


def expected_home_score(
    home_rating: ArrayLike, away_rating: ArrayLike, home_advantage: ArrayLike
) -> FloatArray:
    """Expected home score ``1 / (1 + 10 ** (-(Rh - Ra + home_advantage) / 400))``, vectorised.

    Parameters
    ----------
    home_rating, away_rating : array_like
        Ratings before the match (broadcast together).
    home_advantage : array_like
        Rating points given to the home side (0 at a neutral venue; broadcast with the ratings).

    Returns
    -------
    numpy.ndarray
        Expected score in (0, 1): a win counts 1, a draw 0.5.
    """
    diff = np.asarray(home_rating, dtype=np.float64) - np.asarray(away_rating, dtype=np.float64)
    edge = np.asarray(home_advantage, dtype=np.float64)
    result: FloatArray = 1.0 / (1.0 + 10.0 ** (-(diff + edge) / 400.0))
    return result


def regress_to_mean(rating: ArrayLike, mean: float, fraction: float) -> FloatArray:
    """Regress ratings: ``mean + (rating - mean) * (1 - fraction)``.

    Parameters
    ----------
    rating : array_like
        Ratings.
    mean : float
        Target of the regression.
    fraction : float
        Share of the distance removed, in [0, 1].

    Returns
    -------
    numpy.ndarray
        Regressed ratings.
    """
    result: FloatArray = mean + (np.asarray(rating, dtype=np.float64) - mean) * (1.0 - fraction)
    return result


def _encode_results(
    results: pd.DataFrame, extra: tuple[str, ...] = ()
) -> tuple[NDArray[Any], IntArray, IntArray, FloatArray, FloatArray]:
    """Validate a results frame; return (team names, home codes, away codes, goals, goals)."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    missing = [c for c in (*_MATCH_COLUMNS, *extra) if c not in results.columns]
    if missing:
        raise ValueError(f"results is missing columns {missing}")
    if results.empty:
        raise ValueError("results is empty: fit needs at least one finished match")
    columns = [*_MATCH_COLUMNS, *extra]
    if results[columns].isna().to_numpy().any():
        raise ValueError(f"results has missing values in {columns}; pass finished matches only")
    codes, teams = pd.factorize(pd.concat([results["home_team"], results["away_team"]]))
    n = len(results)
    goals = [results[c].to_numpy(dtype=np.float64) for c in ("home_goals", "away_goals")]
    if min(goals[0].min(), goals[1].min()) < 0:
        raise ValueError("goals must be non-negative")
    if bool(np.any(codes[:n] == codes[n:])):
        raise ValueError("a team cannot play itself: home_team equals away_team in some row")
    team_names = np.asarray(teams, dtype=object)
    return team_names, codes[:n].astype(np.int64), codes[n:].astype(np.int64), goals[0], goals[1]


def _require_teams(ratings: Mapping[str, object], *teams: str) -> None:
    """Raise KeyError naming the teams that ``fit`` never saw."""
    unknown = [t for t in teams if t not in ratings]
    if unknown:
        raise KeyError(f"unknown team(s) {unknown}: not in the results passed to fit")


def _last_values(
    home_idx: IntArray, away_idx: IntArray, home: FloatArray, away: FloatArray, n_teams: int
) -> FloatArray:
    """Each team's value on its last row (home or away)."""
    idx = np.column_stack([home_idx, away_idx]).ravel()[::-1]
    values = np.column_stack([home, away]).ravel()[::-1]
    out = np.full(n_teams, np.nan)
    teams, first = np.unique(idx, return_index=True)
    out[teams] = values[first]
    return out


class EloRatings(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Elo ratings fitted on finished results, in the order the results became known.

    Parameters
    ----------
    k : float, default 20.0
        Update size (rating points per unit of surprise).
    home_advantage : float, default 65.0
        Rating points added to the home side in the expected score.
    mean_rating : float, default 1500.0
        Starting rating of new teams and target of the season regression.
    promoted_penalty : float, default 100.0
        Teams first seen in a season that is not their competition's first season in the data
        (promoted teams) start at ``mean_rating - promoted_penalty``.
    season_regression : float, default 1/3
        Share of the distance to ``mean_rating`` removed when a team starts a new season.
    use_mov : bool, default True
        Scale updates by the margin-of-victory multiplier (see :func:`elo_kernel`).
    mov : {"log-goals", "log-points", "power-points"}, default "log-goals"
        Which multiplier (see :func:`elo_kernel`).
    initial_rating : float, optional
        Starting rating of new teams; ``mean_rating`` when None. FiveThirtyEight starts new
        franchises at 1300 and regresses towards 1505.

    A results frame with a boolean ``neutral`` column gives the rows played at a neutral venue
    no home edge.

    Attributes
    ----------
    ratings_ : dict of str to float
        Each team's rating after its last match (before any regression for a season not yet
        started).
    history_ : pandas.DataFrame
        Aligned with the input rows: ``home_rating_before``, ``away_rating_before``,
        ``home_rating_after``, ``away_rating_after``, ``home_expected``.
    """

    ratings_: dict[str, float]
    history_: pd.DataFrame

    def __init__(
        self,
        k: float = 20.0,
        home_advantage: float = 65.0,
        mean_rating: float = 1500.0,
        promoted_penalty: float = 100.0,
        season_regression: float = 1 / 3,
        use_mov: bool = True,
        mov: str = "log-goals",
        initial_rating: float | None = None,
    ) -> None:
        self.k = k
        self.home_advantage = home_advantage
        self.mean_rating = mean_rating
        self.promoted_penalty = promoted_penalty
        self.season_regression = season_regression
        self.use_mov = use_mov
        self.mov = mov
        self.initial_rating = initial_rating

    if not TYPE_CHECKING:  # hidden from mypy so that misspelt attributes stay type errors

        def __getattr__(self, name: str) -> NoReturn:
            _not_fitted(self, name)

    def _check_params(self) -> None:
        for name in ("k", "home_advantage", "mean_rating", "promoted_penalty"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite, got {getattr(self, name)!r}")
        if self.k <= 0:
            raise ValueError(f"k must be positive, got {self.k!r}")
        if not 0.0 <= self.season_regression <= 1.0:
            raise ValueError(f"season_regression must be in [0, 1], got {self.season_regression!r}")
        if self.mov not in MOV_FORMULAS:
            raise ValueError(f"mov must be one of {', '.join(MOV_FORMULAS)}; got {self.mov!r}")
        if self.initial_rating is not None and not math.isfinite(self.initial_rating):
            raise ValueError(f"initial_rating must be finite, got {self.initial_rating!r}")

    def fit(self, results: pd.DataFrame) -> EloRatings:
        """Run the ratings over ``results`` row by row, in the given order.

        Parameters
        ----------
        results : pandas.DataFrame
            Finished matches with ``home_team``, ``away_team``, ``home_goals``, ``away_goals``,
            ``season`` (e.g. ``"2022-23"``) and optionally ``competition`` (missing: one
            competition). Order the rows by ``observed_at`` first; rows are not re-sorted.

        Returns
        -------
        EloRatings
            ``self``, fitted.

        Raises
        ------
        ValueError
            If a hyperparameter is out of range, a column is missing, a value is missing or
            negative, or a row has the same team on both sides.
        """
        self._check_params()
        teams, home_idx, away_idx, home_goals, away_goals = _encode_results(results, ("season",))
        season_idx = pd.factorize(results["season"])[0].astype(np.int64)
        competition = np.zeros(len(results), dtype=np.int64)
        if "competition" in results.columns:  # a missing competition counts as one more
            competition = pd.factorize(results["competition"], use_na_sentinel=False)[0]
        # A team's first row decides its start; it is promoted if that row's season is not the
        # first season of that row's competition.
        first_season = pd.Series(season_idx).groupby(competition, sort=False).transform("first")
        promoted = season_idx != first_season.to_numpy()
        start = self.mean_rating if self.initial_rating is None else self.initial_rating
        initial = np.where(promoted, start - self.promoted_penalty, start)
        neutral = np.zeros(len(results), dtype=np.bool_)
        if "neutral" in results.columns:
            neutral = results["neutral"].fillna(False).to_numpy(dtype=np.bool_)
        home_before, away_before, home_after, away_after = elo_kernel(
            home_idx,
            away_idx,
            home_goals,
            away_goals,
            season_idx,
            initial,
            initial,
            self.k,
            self.home_advantage,
            self.season_regression,
            self.mean_rating,
            self.use_mov,
            mov=self.mov,
            neutral=neutral,
        )
        edge = np.where(neutral, 0.0, self.home_advantage)
        self.history_ = pd.DataFrame(
            {
                "home_rating_before": home_before,
                "away_rating_before": away_before,
                "home_rating_after": home_after,
                "away_rating_after": away_after,
                "home_expected": expected_home_score(home_before - away_before, 0.0, edge),
            },
            index=results.index,
        )
        final = _last_values(home_idx, away_idx, home_after, away_after, len(teams))
        self.ratings_ = {str(team): float(r) for team, r in zip(teams, final, strict=True)}
        return self

    def expected_home(self, home_team: str, away_team: str, *, neutral: bool = False) -> float:
        """Expected home score of a match between two fitted teams at their current ratings
        (no home edge at a neutral venue).

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        KeyError
            If a team was not in the fitted results.
        """
        _require_teams(self.ratings_, home_team, away_team)
        home, away = self.ratings_[home_team], self.ratings_[away_team]
        return float(expected_home_score(home, away, 0.0 if neutral else self.home_advantage))
