"""Dixon-Coles (1997) goal model: time-weighted Poisson attack and defence strengths with a home
effect and the low-score correction ``tau``.

Rates: ``log lambda = intercept + home_advantage + attack[home] - defence[away]`` for the home
side and ``log mu = intercept + attack[away] - defence[home]`` for the away side, so a higher
``defence`` concedes fewer goals. ``P(x, y) = tau(x, y) * Poisson(x; lambda) * Poisson(y; mu)``
with ``tau = 1 - lambda mu rho`` (0-0), ``1 + lambda rho`` (0-1), ``1 + mu rho`` (1-0),
``1 - rho`` (1-1) and 1 otherwise. One fit gives the whole scoreline grid, hence 1X2 and totals.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize  # type: ignore[import-untyped, unused-ignore]
from scipy.sparse import coo_array  # type: ignore[import-untyped, unused-ignore]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped, unused-ignore]
from sklearn.base import BaseEstimator  # type: ignore[import-untyped, unused-ignore]

from formline.matches.models.base import FloatArray, not_fitted

__all__ = ["DixonColes", "dixon_coles_grid"]

IntArray = NDArray[np.int64]

_TAU_FLOOR = 1e-12  # an observed low score with tau below this is a barrier, not a NaN


def dixon_coles_grid(
    home_rate: ArrayLike, away_rate: ArrayLike, rho: ArrayLike, max_goals: int = 10
) -> FloatArray:
    """Scoreline probabilities ``P(home = i, away = j)`` for ``i, j <= max_goals``.

    Parameters
    ----------
    home_rate, away_rate : array_like of float, shape (n,)
        Positive Poisson rates ``lambda`` and ``mu``.
    rho : array_like of float
        Low-score dependence; per match it is clipped to ``[-1 / max(lambda, mu),
        min(1, 1 / (lambda mu))]``, the range where every ``tau`` is non-negative.
    max_goals : int, default 10
        Largest score per side kept; the grid is renormalised after truncation.

    Returns
    -------
    numpy.ndarray, shape (n, max_goals + 1, max_goals + 1)
        Non-negative grids, each summing to 1.
    """
    lam, mu, r = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (home_rate, away_rate, rho))
    )
    if max_goals < 1 or not (np.all(lam > 0) and np.all(mu > 0)):
        raise ValueError("rates must be positive and max_goals at least 1")
    goals = np.arange(max_goals + 1, dtype=np.float64)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(goals[1:]))])
    home = np.exp(goals * np.log(lam)[:, None] - lam[:, None] - log_factorial)
    away = np.exp(goals * np.log(mu)[:, None] - mu[:, None] - log_factorial)
    r = np.clip(r, -1.0 / np.maximum(lam, mu), np.minimum(1.0, 1.0 / (lam * mu)))
    grid = home[:, :, None] * away[:, None, :]
    grid[:, 0, 0] *= 1.0 - lam * mu * r
    grid[:, 0, 1] *= 1.0 + lam * r
    grid[:, 1, 0] *= 1.0 + mu * r
    grid[:, 1, 1] *= 1.0 - r
    np.clip(grid, 0.0, None, out=grid)  # rounding only: tau >= 0 after the clip of rho
    result: FloatArray = grid / grid.sum(axis=(1, 2), keepdims=True)
    return result


def grid_outcomes(grid: FloatArray) -> FloatArray:
    """(n, 3) probabilities of home win, draw and away win from scoreline grids."""
    draw = np.trace(grid, axis1=1, axis2=2)
    home = np.tril(grid, -1).sum(axis=(1, 2))
    result: FloatArray = np.column_stack([home, draw, np.triu(grid, 1).sum(axis=(1, 2))])
    return result


def grid_over(grid: FloatArray, line: float = 2.5) -> FloatArray:
    """(n,) probability that the total goals exceed ``line`` (strictly; a push is not over)."""
    goals = np.arange(grid.shape[1])
    result: FloatArray = grid[:, goals[:, None] + goals[None, :] > line].sum(axis=1)
    return result


class _FitData(NamedTuple):
    """What the objective needs; weights are normalised to sum to 1."""

    home: IntArray
    away: IntArray
    home_goals: FloatArray
    away_goals: FloatArray
    weight: FloatArray
    low: IntArray  # rows with a score in {0, 1} x {0, 1}
    low_sign: FloatArray  # tau = 1 + sign * lambda^ex * mu^ey * rho on those rows
    low_ex: FloatArray
    low_ey: FloatArray
    exposure: FloatArray  # each team's share of the weight (sums to 1)
    component: IntArray  # connected component of each team in the fixture graph
    l2: float  # ridge strength divided by the total weight
    gauge: float


def _dot(a: NDArray[Any], b: NDArray[Any]) -> float:
    """Inner product without BLAS: a threaded BLAS call on 1-D data is slower than the loop and
    stalls badly when the cores are busy (as in parallel backtests)."""
    return float(np.einsum("i,i->", a, b))


def _objective(theta: FloatArray, data: _FitData) -> tuple[float, FloatArray]:
    """Weighted negative log-likelihood per unit weight, plus penalties, and its gradient.

    ``theta = [attack (T), defence (T), intercept, home_advantage, rho]``. The log-factorial
    constants are left out. The gauge penalty pins the directions the likelihood cannot see
    (exposure-weighted mean attack and defence, and per component ``sum(attack + defence)``) to
    zero; every optimum of the likelihood has an equivalent that satisfies it: no bias.
    """
    n_teams = data.exposure.shape[0]
    attack, defence = theta[:n_teams], theta[n_teams : 2 * n_teams]
    intercept, home_adv, rho = theta[2 * n_teams], theta[2 * n_teams + 1], theta[2 * n_teams + 2]
    log_lam = intercept + home_adv + attack[data.home] - defence[data.away]
    log_mu = intercept + attack[data.away] - defence[data.home]
    lam, mu, w = np.exp(log_lam), np.exp(log_mu), data.weight
    ll = _dot(w, data.home_goals * log_lam - lam + data.away_goals * log_mu - mu)
    g_lam = w * (data.home_goals - lam)  # d ll / d log(lambda) per row
    g_mu = w * (data.away_goals - mu)
    low = data.low
    st = data.low_sign * np.exp(data.low_ex * log_lam[low] + data.low_ey * log_mu[low])
    tau = 1.0 + st * rho
    feasible = tau > _TAU_FLOOR
    ll += _dot(w[low], np.log(np.where(feasible, tau, _TAU_FLOOR)))
    k = np.where(feasible, w[low] / np.maximum(tau, _TAU_FLOOR), 0.0)
    g_lam[low] += k * st * rho * data.low_ex
    g_mu[low] += k * st * rho * data.low_ey
    g_attack = np.bincount(data.home, g_lam, n_teams) + np.bincount(data.away, g_mu, n_teams)
    g_defence = -np.bincount(data.away, g_lam, n_teams) - np.bincount(data.home, g_mu, n_teams)
    grad = -np.concatenate(
        [g_attack, g_defence, [g_lam.sum() + g_mu.sum(), g_lam.sum(), _dot(k, st)]]
    )
    e = data.exposure
    sum_a, sum_d = _dot(e, attack), _dot(e, defence)
    per_comp = np.bincount(data.component, e * (attack + defence))
    penalty = 0.5 * data.l2 * (_dot(attack, attack) + _dot(defence, defence))
    penalty += 0.5 * data.gauge * (sum_a**2 + sum_d**2 + _dot(per_comp, per_comp))
    grad[:n_teams] += data.l2 * attack + data.gauge * e * (sum_a + per_comp[data.component])
    grad[n_teams : 2 * n_teams] += data.l2 * defence + data.gauge * e * (
        sum_d + per_comp[data.component]
    )
    return -ll + penalty, grad


def _prepare(
    home: IntArray, away: IntArray, hg: FloatArray, ag: FloatArray, weight: FloatArray, l2: float
) -> _FitData:
    """The objective's inputs from team codes ``0 .. T - 1``, goals and raw weights."""
    total = float(weight.sum())
    if not total > 0:
        raise ValueError("all weights are zero")
    n_teams = int(max(home.max(), away.max())) + 1
    w = weight / total
    fixtures = coo_array((np.ones(home.size), (home, away)), shape=(n_teams, n_teams))
    component = connected_components(fixtures, directed=False)[1].astype(np.int64)
    low = np.flatnonzero((hg <= 1) & (ag <= 1))
    return _FitData(
        home, away, hg, ag, w, low,
        np.where(hg[low] == ag[low], -1.0, 1.0), 1.0 - hg[low], 1.0 - ag[low],
        (np.bincount(home, w, n_teams) + np.bincount(away, w, n_teams)) / 2.0,
        component, l2 / total, 1.0 / n_teams,
    )  # fmt: skip


def _column(X: pd.DataFrame, name: str, dtype: type[np.generic]) -> NDArray[Any]:
    if name not in X.columns:
        raise ValueError(f"missing column {name!r}")
    values = X[name].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        raise ValueError(f"{name} has missing values (fit needs finished matches)")
    return values.astype(dtype)


def _lookup(keys: IntArray, values: FloatArray, query: IntArray) -> tuple[FloatArray, NDArray[Any]]:
    """``values`` at ``query`` in sorted ``keys``, and a mask of the queries found."""
    if keys.size == 0:
        return np.zeros(query.shape), np.zeros(query.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    found = keys[pos] == query
    return np.where(found, values[pos], 0.0), found


class DixonColes(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """Dixon-Coles goal model fitted by time-weighted maximum likelihood (L-BFGS-B).

    Parameters
    ----------
    xi : float, default 0.0019
        Time decay per day: a match ``d`` days before the latest kickoff in the fit weighs
        ``exp(-xi * d)``.
    max_goals : int, default 10
        Largest goals per side in the predicted grids.
    rho_bounds : tuple of float, default (-0.2, 0.2)
        Bounds of ``rho`` in the fit; at prediction ``rho`` is further clipped per match to keep
        every ``tau`` non-negative (see :func:`dixon_coles_grid`).
    l2 : float, default 0.0
        Ridge penalty ``l2 / 2 * sum(attack**2 + defence**2)``, in units of (decayed) matches.
        It also shrinks teams seen only long ago toward the average.
    unseen_attack, unseen_defence : float, default -0.15
        Strength of a team absent from the fit, relative to the (weight-averaged) mean of its
        competition's teams, or of all teams when ``competition_id`` is unknown. Negative: such a
        team is usually promoted; -0.15 each is about -0.4 goals per match of goal difference,
        roughly a promoted side's in the big European leagues.
    max_iter : int, default 500
        Iteration limit of L-BFGS-B.

    Attributes
    ----------
    teams_ : numpy.ndarray of int
        Sorted team ids; ``attack_[i]`` and ``defence_[i]`` belong to ``teams_[i]``.
    attack_, defence_ : numpy.ndarray of float
        Log-scale strengths; their exposure-weighted means are 0.
    intercept_, home_advantage_, rho_ : float
        Log away rate of two average teams, log home effect, low-score dependence.
    competitions_, competition_attack_, competition_defence_ : numpy.ndarray
        Weight-averaged strengths of the teams in each competition (priors for unseen teams).
    n_matches_ : int
        Rows in the fit.
    reference_time_ : pandas.Timestamp
        Latest kickoff in the fit, the "as of" of the decay.
    converged_ : bool
        Whether L-BFGS-B reported convergence (a ``RuntimeWarning`` is raised otherwise).

    Notes
    -----
    With ``l2 = 0`` a team that never scored (or never conceded) has an infinite estimate; use a
    small ``l2`` (say 1-5) on small samples. Leagues whose teams never meet share no scale: the
    fit sets each one's mean attack plus mean defence to 0, which matters only across leagues.
    """

    uses_market = False

    def __init__(
        self,
        xi: float = 0.0019,
        max_goals: int = 10,
        rho_bounds: tuple[float, float] = (-0.2, 0.2),
        l2: float = 0.0,
        unseen_attack: float = -0.15,
        unseen_defence: float = -0.15,
        max_iter: int = 500,
    ) -> None:
        self.xi = xi
        self.max_goals = max_goals
        self.rho_bounds = rho_bounds
        self.l2 = l2
        self.unseen_attack = unseen_attack
        self.unseen_defence = unseen_defence
        self.max_iter = max_iter

    def feature_list(self) -> list[str]:
        """None: the model reads the teams and the results, no feature."""
        return []

    def _check_params(self) -> None:
        lo, hi = self.rho_bounds
        if not (
            math.isfinite(self.xi) and self.xi >= 0 and math.isfinite(self.l2) and self.l2 >= 0
        ):
            raise ValueError(f"xi and l2 must be finite and >= 0, got {self.xi!r}, {self.l2!r}")
        if not -1.0 < lo < hi < 1.0:
            raise ValueError(f"rho_bounds must satisfy -1 < low < high < 1, got {self.rho_bounds}")
        if self.max_goals < 1 or self.max_iter < 1:
            raise ValueError("max_goals and max_iter must be at least 1")

    def fit(
        self, X: pd.DataFrame, y: pd.DataFrame, sample_weight: ArrayLike | None = None
    ) -> DixonColes:
        """Fit strengths, home advantage and ``rho`` on finished matches.

        Parameters
        ----------
        X : pandas.DataFrame
            ``home_team_id``, ``away_team_id`` (int), ``kickoff_at`` (datetime) and optionally
            ``competition_id`` (int); other columns are ignored. Row order does not matter.
        y : pandas.DataFrame
            ``home_goals`` and ``away_goals``, aligned with ``X``.
        sample_weight : array_like of float, shape (n,), optional
            Multiplies the time-decay weights.

        Returns
        -------
        DixonColes
            ``self``, fitted.

        Raises
        ------
        ValueError
            If a hyperparameter is out of range, a column is missing, a value is missing or
            negative, a team plays itself, the lengths differ or all weights are zero.
        """
        self._check_params()
        home_ids = _column(X, "home_team_id", np.int64)
        away_ids = _column(X, "away_team_id", np.int64)
        hg, ag = (_column(y, c, np.float64) for c in ("home_goals", "away_goals"))
        n = len(X)
        if n == 0 or len(y) != n or bool(np.any(home_ids == away_ids)):
            raise ValueError("X and y need the same non-zero length and two teams per row")
        if min(hg.min(), ag.min()) < 0 or np.any(hg % 1 + ag % 1):
            raise ValueError("goals must be non-negative integers")
        if "kickoff_at" not in X.columns or X["kickoff_at"].isna().any():
            raise ValueError("X needs kickoff_at on every row")
        kickoff = pd.to_datetime(X["kickoff_at"])
        reference = kickoff.max()
        days = ((reference - kickoff).dt.total_seconds() / 86400.0).to_numpy(dtype=np.float64)
        weight = np.exp(-self.xi * days)
        if sample_weight is not None:
            extra = np.asarray(sample_weight, dtype=np.float64)
            if extra.shape != (n,) or not np.all(np.isfinite(extra) & (extra >= 0)):
                raise ValueError("sample_weight must be finite, non-negative, one per row")
            weight = weight * extra
        teams, codes = np.unique(np.concatenate([home_ids, away_ids]), return_inverse=True)
        data = _prepare(codes[:n], codes[n:], hg, ag, weight, self.l2)
        home, away, w, n_teams = data.home, data.away, data.weight, teams.size
        mean_home, mean_away = max(_dot(w, hg), 0.05), max(_dot(w, ag), 0.05)
        x0 = np.zeros(2 * n_teams + 3)
        x0[2 * n_teams :] = (math.log(mean_away), math.log(mean_home / mean_away), 0.0)
        lo, hi = self.rho_bounds
        result = minimize(
            _objective, x0, args=(data,), jac=True, method="L-BFGS-B",
            bounds=[(None, None)] * (2 * n_teams + 2) + [(lo, hi)],
            options={"maxiter": self.max_iter, "ftol": 1e-12, "gtol": 1e-7},
        )  # fmt: skip
        if not result.success:
            warnings.warn(f"DixonColes fit: {result.message}", RuntimeWarning, stacklevel=2)
        theta = np.asarray(result.x, dtype=np.float64)
        attack, defence = theta[:n_teams].copy(), theta[n_teams : 2 * n_teams].copy()
        shift_a, shift_d = _dot(data.exposure, attack), _dot(data.exposure, defence)
        self.teams_: IntArray = teams
        self.attack_: FloatArray = attack - shift_a
        self.defence_: FloatArray = defence - shift_d
        self.intercept_ = float(theta[2 * n_teams]) + shift_a - shift_d
        self.home_advantage_ = float(theta[2 * n_teams + 1])
        self.rho_ = float(theta[2 * n_teams + 2])
        self._fit_competitions(X, home, away, w)
        self.n_matches_ = n
        self.reference_time_ = pd.Timestamp(reference)
        self.converged_ = bool(result.success)
        return self

    def _fit_competitions(
        self, X: pd.DataFrame, home: IntArray, away: IntArray, w: FloatArray
    ) -> None:
        """Weight-averaged strength of each competition's teams, over its rows in the fit."""
        if "competition_id" not in X.columns:
            self.competitions_ = np.zeros(0, dtype=np.int64)
            self.competition_attack_ = self.competition_defence_ = np.zeros(0)
            return
        comps, code = np.unique(_column(X, "competition_id", np.int64), return_inverse=True)
        mass = np.bincount(code, w, comps.size)
        mean_a = np.bincount(code, w * (self.attack_[home] + self.attack_[away]) / 2, comps.size)
        mean_d = np.bincount(code, w * (self.defence_[home] + self.defence_[away]) / 2, comps.size)
        safe = np.maximum(mass, np.finfo(np.float64).tiny)
        self.competitions_ = comps.astype(np.int64)
        self.competition_attack_, self.competition_defence_ = mean_a / safe, mean_d / safe

    def _strengths(self, team_ids: IntArray, comp_ids: IntArray | None) -> tuple[FloatArray, ...]:
        attack, seen = _lookup(self.teams_, self.attack_, team_ids)
        defence, _ = _lookup(self.teams_, self.defence_, team_ids)
        base_a = base_d = np.zeros(team_ids.shape)
        if comp_ids is not None:
            base_a = _lookup(self.competitions_, self.competition_attack_, comp_ids)[0]
            base_d = _lookup(self.competitions_, self.competition_defence_, comp_ids)[0]
        attack = np.where(seen, attack, base_a + self.unseen_attack)
        return attack, np.where(seen, defence, base_d + self.unseen_defence)

    def expected_goals(self, X: pd.DataFrame) -> FloatArray:
        """(n, 2) Poisson rates ``lambda`` (home) and ``mu`` (away).

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        """
        if not hasattr(self, "attack_"):
            not_fitted(self)
        comps = _column(X, "competition_id", np.int64) if "competition_id" in X.columns else None
        home_a, home_d = self._strengths(_column(X, "home_team_id", np.int64), comps)
        away_a, away_d = self._strengths(_column(X, "away_team_id", np.int64), comps)
        lam = np.exp(self.intercept_ + self.home_advantage_ + home_a - away_d)
        return np.column_stack([lam, np.exp(self.intercept_ + away_a - home_d)])

    def predict_score_grid(self, X: pd.DataFrame) -> FloatArray:
        """(n, max_goals + 1, max_goals + 1) scoreline probabilities, home goals first."""
        rates = self.expected_goals(X)
        return dixon_coles_grid(rates[:, 0], rates[:, 1], self.rho_, self.max_goals)

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n, 3) probabilities of home win, draw and away win."""
        return grid_outcomes(self.predict_score_grid(X))

    def predict_over_proba(self, X: pd.DataFrame, line: float = 2.5) -> FloatArray:
        """(n,) probability that the total goals exceed ``line`` (strictly; a push is not over)."""
        return grid_over(self.predict_score_grid(X), line)
