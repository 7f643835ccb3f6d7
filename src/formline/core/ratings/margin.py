"""Margin ratings: one number per team that predicts the margin of a match statistic.

A team's rating ``r`` is its expected margin (own minus opponent's: goals, shots on target,
shots...) against an average side on neutral ground, and each competition has a home advantage
``h`` in the same units. A match's expected margin is ``r_home - r_away + h``. After the match the
error ``e = margin - expected`` moves the home rating by ``k * e``, the away rating by ``-k * e``
and the competition's home advantage by ``home_k * e``: an online least-squares fit (the rating
is a stochastic-gradient "Massey" rating). Between seasons a rating keeps ``1 - season_regression``
of itself, at the team's first match of the new season. Rated on shots or shots on target, the
ratings are opponent-adjusted chance-creation measures, a sturdier signal than goals.

:func:`margin_kernel` is the compiled recurrence; :class:`MarginRatings` wraps it as an estimator.
Both take results in the order they became known (by ``observed_at``); a row whose margin is
missing (NaN) changes nothing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NoReturn

import numba
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator  # type: ignore[import-untyped, unused-ignore]

from formline.core.ratings.elo import _last_values, _not_fitted, _require_teams

__all__ = ["MarginRatings", "margin_kernel"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
MarginHistory = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


@numba.njit(cache=True)
def _margin_loop(
    home_idx: IntArray,
    away_idx: IntArray,
    competition_idx: IntArray,
    season_idx: IntArray,
    margin: FloatArray,
    n_teams: int,
    n_competitions: int,
    k: float,
    home_k: float,
    season_regression: float,
) -> MarginHistory:
    n = home_idx.shape[0]
    rating = np.zeros(n_teams)
    home_advantage = np.zeros(n_competitions)
    last_season = np.full(n_teams, -1, dtype=np.int64)
    out = np.empty((6, n))
    keep = 1.0 - season_regression
    for i in range(n):
        h, a, c = home_idx[i], away_idx[i], competition_idx[i]
        for team in (h, a):
            if last_season[team] != -1 and last_season[team] != season_idx[i]:
                rating[team] *= keep
            last_season[team] = season_idx[i]
        out[0, i], out[1, i], out[2, i] = rating[h], rating[a], home_advantage[c]
        if not math.isnan(margin[i]):
            error = margin[i] - (rating[h] - rating[a] + home_advantage[c])
            rating[h] += k * error
            rating[a] -= k * error
            home_advantage[c] += home_k * error
        out[3, i], out[4, i], out[5, i] = rating[h], rating[a], home_advantage[c]
    return out[0], out[1], out[2], out[3], out[4], out[5]


def margin_kernel(
    home_idx: ArrayLike,
    away_idx: ArrayLike,
    competition_idx: ArrayLike,
    season_idx: ArrayLike,
    margin: ArrayLike,
    n_teams: int,
    n_competitions: int,
    k: float = 0.01,
    home_k: float = 0.002,
    season_regression: float = 0.2,
) -> MarginHistory:
    """Run the margin-rating recurrence over matches in the order results became known.

    Every team starts at 0 and every competition's home advantage at 0.

    Parameters
    ----------
    home_idx, away_idx : array_like of int, shape (n,)
        Team codes ``0 .. n_teams - 1``.
    competition_idx : array_like of int, shape (n,)
        Competition codes ``0 .. n_competitions - 1`` (each has its own home advantage).
    season_idx : array_like of int, shape (n,)
        Season codes, increasing with time; a change for a team triggers its regression.
    margin : array_like of float, shape (n,)
        The home side's margin in the statistic (home minus away); NaN skips the update.
    n_teams, n_competitions : int
        Number of team and competition codes.
    k : float, default 0.01
        Share of the error added to the home rating and taken from the away rating.
    home_k : float, default 0.002
        Share of the error added to the competition's home advantage.
    season_regression : float, default 0.2
        Share of a rating removed (towards 0) when its team starts a new season.

    Returns
    -------
    tuple of 6 numpy.ndarray, each shape (n,)
        ``(home_before, away_before, home_advantage_before, home_after, away_after,
        home_advantage_after)``; "before" values include the season regression.

    Raises
    ------
    ValueError
        If the arrays differ in length, a code is out of range or a row has the same team twice.
    """
    hi, ai, ci, si = (
        np.ascontiguousarray(x, dtype=np.int64)
        for x in (home_idx, away_idx, competition_idx, season_idx)
    )
    values = np.ascontiguousarray(margin, dtype=np.float64)
    if any(x.shape != hi.shape or x.ndim != 1 for x in (ai, ci, si, values)):
        raise ValueError("margin_kernel needs 1-D arrays of one length")
    if hi.size:
        if min(hi.min(), ai.min()) < 0 or max(hi.max(), ai.max()) >= n_teams:
            raise ValueError("team codes must be in [0, n_teams)")
        if bool(np.any(hi == ai)):
            raise ValueError("a team cannot play itself: home and away codes equal in some row")
        if ci.min() < 0 or ci.max() >= n_competitions:
            raise ValueError("competition codes must be in [0, n_competitions)")
    result: MarginHistory = _margin_loop(
        hi,
        ai,
        ci,
        si,
        values,
        int(n_teams),
        int(n_competitions),
        float(k),
        float(home_k),
        float(season_regression),
    )
    return result


class MarginRatings(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Margin ratings of one statistic, fitted on finished matches in the order they became known.

    Parameters
    ----------
    home_column, away_column : str, default "home_goals", "away_goals"
        The statistic of each side; the margin is their difference.
    k : float, default 0.01
        Share of the error moving each team's rating.
    home_k : float, default 0.002
        Share of the error moving the competition's home advantage.
    season_regression : float, default 0.2
        Share of a rating removed (towards 0) when its team starts a new season.

    Attributes
    ----------
    ratings_ : dict of str to float
        Each team's rating after its last match.
    home_advantage_ : dict of str to float
        Each competition's home advantage after its last match.
    history_ : pandas.DataFrame
        Aligned with the input rows: ``home_rating_before``, ``away_rating_before``,
        ``home_advantage_before``, the same three ``..._after``, and ``expected_margin``
        (before the match).
    """

    ratings_: dict[str, float]
    home_advantage_: dict[str, float]
    history_: pd.DataFrame

    def __init__(
        self,
        home_column: str = "home_goals",
        away_column: str = "away_goals",
        k: float = 0.01,
        home_k: float = 0.002,
        season_regression: float = 0.2,
    ) -> None:
        self.home_column = home_column
        self.away_column = away_column
        self.k = k
        self.home_k = home_k
        self.season_regression = season_regression

    if not TYPE_CHECKING:  # hidden from mypy so that misspelt attributes stay type errors

        def __getattr__(self, name: str) -> NoReturn:
            _not_fitted(self, name)

    def _check_params(self) -> None:
        if not (math.isfinite(self.k) and 0 < self.k < 0.5):
            raise ValueError(f"k must be in (0, 0.5), got {self.k!r}")
        if not (math.isfinite(self.home_k) and 0 <= self.home_k < 0.5):
            raise ValueError(f"home_k must be in [0, 0.5), got {self.home_k!r}")
        if not 0.0 <= self.season_regression <= 1.0:
            raise ValueError(f"season_regression must be in [0, 1], got {self.season_regression!r}")

    def fit(self, results: pd.DataFrame) -> MarginRatings:
        """Run the ratings over ``results`` row by row, in the given order.

        Parameters
        ----------
        results : pandas.DataFrame
            Finished matches with ``home_team``, ``away_team``, ``season``, the two statistic
            columns and optionally ``competition`` (missing: one competition). A missing
            statistic skips that row's update. Order the rows by ``observed_at`` first.

        Returns
        -------
        MarginRatings
            ``self``, fitted.

        Raises
        ------
        ValueError
            If a hyperparameter is out of range, a column is missing, a team or season is
            missing, or a row has the same team on both sides.
        """
        self._check_params()
        needed = ["home_team", "away_team", "season", self.home_column, self.away_column]
        missing = [c for c in needed if c not in results.columns]
        if missing:
            raise ValueError(f"results is missing columns {missing}")
        if results.empty:
            raise ValueError("results is empty: fit needs at least one finished match")
        if results[["home_team", "away_team", "season"]].isna().to_numpy().any():
            raise ValueError("results has missing teams or seasons")
        codes, teams = pd.factorize(pd.concat([results["home_team"], results["away_team"]]))
        n = len(results)
        competition = (
            results["competition"]
            if "competition" in results.columns
            else pd.Series("all", index=results.index)
        )
        competition_codes, competitions = pd.factorize(competition, use_na_sentinel=False)
        margin = results[self.home_column].to_numpy(dtype=np.float64) - results[
            self.away_column
        ].to_numpy(dtype=np.float64)
        out = margin_kernel(
            codes[:n],
            codes[n:],
            competition_codes,
            pd.factorize(results["season"])[0],
            margin,
            len(teams),
            len(competitions),
            self.k,
            self.home_k,
            self.season_regression,
        )
        names = ("home_rating", "away_rating", "home_advantage")
        columns = [f"{name}_{when}" for when in ("before", "after") for name in names]
        history = pd.DataFrame(dict(zip(columns, out, strict=True)), index=results.index)
        history["expected_margin"] = out[0] - out[1] + out[2]
        self.history_ = history
        home_idx, away_idx = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
        final = _last_values(home_idx, away_idx, out[3], out[4], len(teams))
        self.ratings_ = {str(t): float(r) for t, r in zip(teams, final, strict=True)}
        last_row = pd.Series(np.arange(n)).groupby(competition_codes).last()
        self.home_advantage_ = {
            str(competitions[int(c)]): float(out[5][int(i)])
            for c, i in zip(last_row.index, last_row.to_numpy(), strict=True)
        }
        return self

    def expected_margin(self, home_team: str, away_team: str, competition: str = "all") -> float:
        """Expected margin (home minus away) between two fitted teams in ``competition``.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        KeyError
            If a team or the competition was not in the fitted results.
        """
        _require_teams(self.ratings_, home_team, away_team)
        if competition not in self.home_advantage_:
            raise KeyError(f"unknown competition {competition!r}")
        return (
            self.ratings_[home_team] - self.ratings_[away_team] + self.home_advantage_[competition]
        )
