"""Simultaneous Kelly: the exclusive closed form against brute force, independent bets, and the
check on the multiplier."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize  # type: ignore[import-untyped, unused-ignore]

from formline.core.betting import backtest_value_rule, kelly_fraction
from formline.core.kelly import check_kelly_multiplier, kelly_exclusive, kelly_independent
from formline.errors import ConfigError, InvalidParameterError

NAN = float("nan")


def _brute_exclusive(p: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximise sum_i p_i log(1 - sum f + f_i o_i) (+ the rest at 1 - sum f) by SLSQP from
    several starts; return the best stakes and their growth."""
    rest = 1.0 - p.sum()

    def growth(f: np.ndarray) -> float:
        keep = 1.0 - f.sum()
        wealth = np.maximum(keep + f * o, 1e-300)
        return float(p @ np.log(wealth) + (rest * np.log(max(keep, 1e-300)) if rest > 0 else 0))

    best, best_value = np.zeros_like(p), growth(np.zeros_like(p))
    for start in (np.zeros_like(p), np.full_like(p, 0.3 / p.size), p * 0.9):
        res = minimize(
            lambda f: -growth(f),
            start,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * p.size,
            constraints=[{"type": "ineq", "fun": lambda f: 1.0 - 1e-12 - f.sum()}],
            options={"ftol": 1e-15, "maxiter": 2000},
        )
        if -res.fun > best_value:
            best, best_value = res.x, -res.fun
    return best, best_value


def _growth_exclusive(p: np.ndarray, o: np.ndarray, f: np.ndarray) -> float:
    keep = 1.0 - f.sum()
    rest = 1.0 - p.sum()
    return float(p @ np.log(keep + f * o) + (rest * np.log(keep) if rest > 0 else 0.0))


@pytest.mark.parametrize(
    ("p", "o"),
    [
        ([0.5, 0.3, 0.2], [2.2, 3.6, 5.5]),  # two outcomes worth betting (home and away)
        ([0.45, 0.30, 0.25], [2.3, 3.0, 4.4]),  # home and away both with an edge
        ([0.6, 0.25, 0.15], [1.5, 4.0, 8.0]),  # only the long shot has an edge
        ([0.4, 0.3, 0.2, 0.1], [3.0, 4.0, 6.0, 12.0]),  # an arbitrage: sum 1/o < 1
    ],
)
def test_exclusive_matches_brute_force(p: list[float], o: list[float]) -> None:
    prob, odds = np.array(p), np.array(o)
    stakes = kelly_exclusive(prob, odds)
    brute, brute_value = _brute_exclusive(prob, odds)
    assert _growth_exclusive(prob, odds, stakes) >= brute_value - 1e-10
    np.testing.assert_allclose(stakes, brute, atol=2e-4)
    assert np.all(stakes >= 0) and stakes.sum() <= 1.0 + 1e-12


def test_exclusive_on_random_markets_is_never_beaten() -> None:
    rng = np.random.default_rng(5)
    for _ in range(12):
        prob = rng.dirichlet(np.ones(3))
        odds = 1.0 / (rng.dirichlet(np.ones(3)) * 1.05)
        odds = np.maximum(odds, 1.01)
        stakes = kelly_exclusive(prob, odds)
        _, brute_value = _brute_exclusive(prob, odds)
        assert _growth_exclusive(prob, odds, stakes) >= brute_value - 1e-9


def test_exclusive_single_edge_is_kelly_fraction() -> None:
    # Only the home price has an edge (0.5 * 2.2 = 1.1): the same stake as betting it alone.
    stakes = kelly_exclusive([0.5, 0.3, 0.2], [2.2, 3.0, 4.5])
    assert stakes[0] == pytest.approx(float(kelly_fraction(0.5, 2.2, fraction=1.0)))
    assert stakes[1:].tolist() == [0.0, 0.0]
    quarter = kelly_exclusive([0.5, 0.3, 0.2], [2.2, 3.0, 4.5], fraction=0.25)
    np.testing.assert_allclose(quarter, stakes / 4)


def test_exclusive_vectorised_rows_and_no_edge() -> None:
    p = np.array([[0.5, 0.3, 0.2], [0.4, 0.3, 0.3], [0.5, 0.3, 0.2], [NAN, NAN, NAN]])
    o = np.array([[2.2, 3.6, 5.5], [2.4, 3.2, 3.2], [NAN, 3.6, 5.5], [2.0, 3.0, 4.0]])
    stakes = kelly_exclusive(p, o)
    np.testing.assert_allclose(stakes[0], kelly_exclusive(p[0], o[0]))
    assert stakes[1].tolist() == [0.0, 0.0, 0.0]  # every expected return below 1
    assert stakes[2, 0] == 0.0 and stakes[2, 2] > 0  # no home price: the away edge alone
    assert stakes[3].tolist() == [0.0, 0.0, 0.0]  # no probabilities: no bet
    with pytest.raises(ValueError, match="sum to more than 1"):
        kelly_exclusive([0.6, 0.5], [2.0, 2.0])


def test_independent_single_bet_is_kelly_fraction() -> None:
    stakes = kelly_independent([0.5, 0.3], [2.2, 3.0], fraction=0.5)
    assert stakes[0] == pytest.approx(float(kelly_fraction(0.5, 2.2, fraction=0.5)))
    assert stakes[1] == 0.0  # 0.3 * 3.0 = 0.9: no edge


def _growth_independent(p: np.ndarray, o: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Expected log wealth of stakes ``f`` (shape (..., m)) over every joint outcome."""
    wins = np.array(list(itertools.product((0.0, 1.0), repeat=p.size)))
    weight = np.prod(np.where(wins == 1, p, 1 - p), axis=1)
    wealth = 1.0 - f.sum(axis=-1, keepdims=True) + f @ (wins * o).T
    result: np.ndarray = np.log(wealth) @ weight
    return result


def test_independent_two_bets_beat_every_grid_point() -> None:
    p, o = np.array([0.55, 0.4]), np.array([2.1, 2.9])
    stakes = kelly_independent(p, o)
    value = float(_growth_independent(p, o, stakes))
    grid = np.linspace(0.0, 0.45, 181)
    points = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    assert value >= float(_growth_independent(p, o, points).max()) - 1e-12
    # Staked together, each bet gets less than it would alone.
    alone = kelly_fraction(p, o, fraction=1.0)
    assert np.all(stakes < alone) and np.all(stakes > 0)


def test_independent_many_bets_stay_within_the_bankroll() -> None:
    # Ten strong edges: single-bet Kelly stakes add to more than the bankroll.
    p = np.full(10, 0.7)
    o = np.full(10, 2.5)
    assert float(kelly_fraction(p, o, fraction=1.0).sum()) > 1.0
    stakes = kelly_independent(p, o)
    assert np.all(stakes >= 0) and stakes.sum() < 1.0
    np.testing.assert_allclose(stakes, stakes[0], rtol=1e-5)  # symmetric bets, equal stakes
    np.testing.assert_allclose(kelly_independent(p, o, fraction=0.25), stakes / 4, rtol=1e-6)


def test_independent_sampled_beyond_the_exact_limit_agrees() -> None:
    rng = np.random.default_rng(2)
    p = rng.uniform(0.3, 0.6, 6)
    o = (1.0 + rng.uniform(0.03, 0.15, 6)) / p
    exact = kelly_independent(p, o)
    sampled = kelly_independent(p, o, max_exact=3, n_scenarios=50_000, random_state=1)
    np.testing.assert_allclose(sampled, exact, atol=0.01)


def test_independent_without_edge_stakes_nothing() -> None:
    stakes = kelly_independent([0.5, 0.3, 0.2, 0.5], [1.9, 3.0, 4.0, NAN])
    assert stakes.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert kelly_independent([], []).shape == (0,)


@pytest.mark.parametrize("bad", [2.0, 1.0001, 0.0, -0.25, NAN, float("inf"), "half"])
def test_multiplier_outside_unit_interval_is_bad_input(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"\(0, 1\]"):
        check_kelly_multiplier(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        kelly_exclusive([0.5, 0.5], [2.2, 2.2], fraction=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        kelly_independent([0.5], [2.2], fraction=bad)  # type: ignore[arg-type]


def test_kelly_fraction_above_one_is_refused() -> None:
    # Before: kelly_fraction(0.9, 2.0, fraction=2.0) staked 1.6 of the bankroll.
    with pytest.raises(InvalidParameterError) as excinfo:
        kelly_fraction(0.9, 2.0, fraction=2.0)
    assert isinstance(excinfo.value, ConfigError) and isinstance(excinfo.value, ValueError)
    assert excinfo.value.exit_code == 2
    assert kelly_fraction(0.9, 2.0, fraction=1.0) == pytest.approx(0.8)


def test_backtest_refuses_a_kelly_multiplier_above_one_up_front() -> None:
    p = np.array([[0.9, 0.05, 0.05]])
    prices = np.array([[2.0, 10.0, 10.0]])
    with pytest.raises(InvalidParameterError, match="kelly"):
        backtest_value_rule(p, prices, prices, [0.0], kelly=2.0)
    # Even with no bet to stake (no settled outcome), the bad multiplier is refused.
    with pytest.raises(InvalidParameterError):
        backtest_value_rule(p, prices, prices, [NAN], kelly=1.5)
