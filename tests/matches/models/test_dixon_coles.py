"""Dixon-Coles: parameter recovery, the analytic gradient, grid invariants, decay and contract."""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pandas as pd
import pytest

from formline.matches.models.base import NotFittedError
from formline.matches.models.dixon_coles import (
    DixonColes,
    _objective,
    _prepare,
    dixon_coles_grid,
)

START = pd.Timestamp("2010-08-01")


def _fixtures(n_leagues: int, n_teams: int, n_seasons: int, seed: int = 0) -> pd.DataFrame:
    """Double round-robins, one per league and season, on random days of a 280-day season."""
    rng = np.random.default_rng(seed)
    home, away = np.meshgrid(np.arange(n_teams), np.arange(n_teams), indexing="ij")
    pairs = home != away
    frames = []
    for season in range(n_seasons):
        for league in range(n_leagues):
            days = season * 365 + rng.integers(0, 280, pairs.sum())
            frames.append(
                pd.DataFrame(
                    {
                        "home_team_id": home[pairs] + league * n_teams + 100,
                        "away_team_id": away[pairs] + league * n_teams + 100,
                        "competition_id": league,
                        "season": season,
                        "kickoff_at": START + pd.to_timedelta(days, unit="D"),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _goals(
    X: pd.DataFrame, attack: np.ndarray, defence: np.ndarray, home: float, rho: float, seed: int
) -> pd.DataFrame:
    """Scores drawn from the Dixon-Coles model; ``attack`` / ``defence`` indexed by row or team."""
    a = attack if attack.ndim == 2 else np.broadcast_to(attack, (len(X), attack.size))
    d = defence if defence.ndim == 2 else np.broadcast_to(defence, (len(X), defence.size))
    rows, h, g = np.arange(len(X)), X["home_team_id"] - 100, X["away_team_id"] - 100
    lam = np.exp(0.2 + home + a[rows, h] - d[rows, g])
    mu = np.exp(0.2 + a[rows, g] - d[rows, h])
    grid = dixon_coles_grid(lam, mu, rho, max_goals=12).reshape(len(X), -1)
    cell = (grid.cumsum(axis=1) < np.random.default_rng(seed).random(len(X))[:, None]).sum(axis=1)
    cell = np.minimum(cell, grid.shape[1] - 1)
    return pd.DataFrame({"home_goals": cell // 13, "away_goals": cell % 13})


@pytest.fixture(scope="module")
def league() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    attack, defence = rng.normal(0, 0.3, 20), rng.normal(0, 0.3, 20)
    X = _fixtures(1, 20, 10)
    return X, _goals(X, attack, defence, home=0.25, rho=-0.12, seed=1), attack, defence


@pytest.fixture(scope="module")
def fitted(league: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]) -> DixonColes:
    X, y, _, _ = league
    return DixonColes(xi=0.0).fit(X, y)


def test_recovers_the_simulated_parameters(
    league: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray], fitted: DixonColes
) -> None:
    _, _, attack, defence = league
    assert fitted.converged_
    assert np.corrcoef(fitted.attack_, attack)[0, 1] > 0.9
    assert np.corrcoef(fitted.defence_, defence)[0, 1] > 0.9
    assert abs(fitted.home_advantage_ - 0.25) < 0.05
    assert -0.2 <= fitted.rho_ < 0
    assert abs(float(np.mean(fitted.attack_))) < 1e-9  # every team plays equally often


def test_analytic_gradient_matches_central_differences() -> None:
    rng = np.random.default_rng(7)
    n, n_teams = 300, 6
    home = rng.integers(0, n_teams, n)
    away = (home + rng.integers(1, n_teams, n)) % n_teams
    hg, ag = rng.poisson(1.4, n).astype(float), rng.poisson(1.1, n).astype(float)
    data = _prepare(home, away, hg, ag, rng.uniform(0.1, 2.0, n), l2=3.0)
    for _ in range(3):
        theta = np.concatenate(
            [rng.normal(0, 0.3, 2 * n_teams), [0.1, 0.3, rng.uniform(-0.2, 0.2)]]
        )
        _, grad = _objective(theta, data)
        eps, numeric = 1e-6, np.empty_like(theta)
        for i in range(theta.size):
            step = np.zeros_like(theta)
            step[i] = eps
            numeric[i] = (_objective(theta + step, data)[0] - _objective(theta - step, data)[0]) / (
                2 * eps
            )
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_grid_is_a_distribution_and_rho_is_kept_valid() -> None:
    lam, mu = np.array([0.2, 1.4, 3.0, 6.0]), np.array([0.3, 1.1, 6.0, 0.5])
    for rho in (-0.9, -0.1, 0.0, 0.1, 0.9):  # extreme rho: clipped per match, never negative
        grid = dixon_coles_grid(lam, mu, rho, max_goals=10)
        assert grid.shape == (4, 11, 11)
        assert (grid >= 0).all()
        np.testing.assert_allclose(grid.sum(axis=(1, 2)), 1.0)
    grid = dixon_coles_grid(lam, mu, -0.1, max_goals=30)  # tau leaves the marginals Poisson
    np.testing.assert_allclose((grid.sum(axis=2) * np.arange(31)).sum(axis=1), lam, rtol=1e-9)
    np.testing.assert_allclose((grid.sum(axis=1) * np.arange(31)).sum(axis=1), mu, rtol=1e-9)


def test_predictions_are_coherent(
    league: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray], fitted: DixonColes
) -> None:
    X = league[0].iloc[:50]
    grid = fitted.predict_score_grid(X)
    assert grid.shape == (50, 11, 11) and (grid >= 0).all()
    np.testing.assert_allclose(grid.sum(axis=(1, 2)), 1.0)
    proba = fitted.predict_proba(X)
    assert proba.shape == (50, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    over = fitted.predict_over_proba(X)
    assert over.shape == (50,) and ((over > 0) & (over < 1)).all()
    assert (fitted.predict_over_proba(X, line=0.5) > over).all()
    assert fitted.expected_goals(X).shape == (50, 2)


def test_the_stronger_team_is_more_likely_to_win(fitted: DixonColes) -> None:
    strength = fitted.attack_ + fitted.defence_
    strong, weak = fitted.teams_[np.argmax(strength)], fitted.teams_[np.argmin(strength)]
    X = pd.DataFrame({"home_team_id": [strong, weak], "away_team_id": [weak, strong]})
    proba = fitted.predict_proba(X)
    assert proba[0, 0] > proba[0, 2] and proba[1, 2] > proba[1, 0]
    assert proba[0, 0] > proba[1, 2]  # home advantage


def test_unseen_teams_get_the_promoted_prior(fitted: DixonColes) -> None:
    X = pd.DataFrame({"home_team_id": [100, 999], "away_team_id": [999, 100], "competition_id": 0})
    rates = fitted.expected_goals(X)
    promoted_attack = fitted.competition_attack_[0] - 0.15
    np.testing.assert_allclose(
        rates[0, 1], np.exp(fitted.intercept_ + promoted_attack - fitted.defence_[0])
    )
    average = copy.deepcopy(fitted).set_params(unseen_attack=0.0, unseen_defence=0.0)
    assert fitted.predict_proba(X)[0, 0] > average.predict_proba(X)[0, 0]


def test_time_decay_lets_recent_matches_dominate() -> None:
    X = _fixtures(1, 20, 5, seed=3)
    attack = np.zeros((len(X), 20))
    last_season = (X["season"] == 4).to_numpy()
    attack[:, 0] = np.where(last_season, -0.6, 0.6)  # team 100: strong long ago, weak lately
    y = _goals(X, attack, attack.copy(), home=0.25, rho=0.0, seed=4)
    old = DixonColes(xi=0.0).fit(X, y)
    recent = DixonColes(xi=0.01).fit(X, y)
    assert old.attack_[0] + old.defence_[0] > 0 > recent.attack_[0] + recent.defence_[0]
    assert recent.reference_time_ == X["kickoff_at"].max()


def test_estimator_contract(
    league: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray],
) -> None:
    X, y, _, _ = league
    model = DixonColes(xi=0.0, l2=1.0)
    params = set(inspect.signature(DixonColes).parameters)
    assert set(vars(model)) == params
    with pytest.raises(
        NotFittedError, match=r"DixonColes is not fitted yet\. Call `\.fit\(\)` first\."
    ):
        model.predict_proba(X)
    assert model.fit(X, y) is model
    learned = set(vars(model)) - params
    assert learned and all(name.endswith("_") for name in learned)
    assert model.n_matches_ == len(X)
    again = DixonColes(xi=0.0, l2=1.0).fit(X, y)
    np.testing.assert_array_equal(again.attack_, model.attack_)  # deterministic
    with pytest.raises(ValueError, match="non-negative"):
        DixonColes().fit(X, y.assign(home_goals=-1))
    with pytest.raises(ValueError, match="kickoff_at"):
        DixonColes().fit(X.drop(columns="kickoff_at"), y)


def test_fits_many_unconnected_leagues() -> None:
    """Timing at 100k matches is benchmarks/core_speed.py's; here, that such a fit converges."""
    X = _fixtures(4, 12, 3, seed=5)  # 1,584 matches, 48 teams in 4 unconnected leagues
    rng = np.random.default_rng(6)
    strength = rng.normal(0, 0.3, (2, 48))
    lam = np.exp(0.45 + strength[0, X["home_team_id"] - 100] - strength[1, X["away_team_id"] - 100])
    mu = np.exp(0.2 + strength[0, X["away_team_id"] - 100] - strength[1, X["home_team_id"] - 100])
    y = pd.DataFrame({"home_goals": rng.poisson(lam), "away_goals": rng.poisson(mu)})
    model = DixonColes().fit(X, y)
    assert model.converged_
    teams = np.asarray(model.teams_) - 100
    assert np.corrcoef(model.attack_, strength[0, teams])[0, 1] > 0.6
