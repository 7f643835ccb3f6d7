"""Value betting: hand-computed edges, stakes, a small backtest and its closing-line value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formline.core.betting import backtest_value_rule, edge, kelly_fraction, value_bets
from formline.core.markets import implied_probabilities

NAN = float("nan")

P_MODEL = np.array(
    [
        [0.50, 0.30, 0.20],  # edges 0.10, 0.02, -0.20: bet home at 2.2
        [0.30, 0.30, 0.40],  # edges -0.10, -0.04, -0.04: no bet
        [0.60, 0.25, 0.15],  # edges -0.10, 0.00, 0.05: bet away at 7.0
        [NAN, NAN, NAN],  # no forecast: skipped
        [0.40, 0.30, 0.30],  # no prices: skipped
    ]
)
OPENING = np.array(
    [
        [2.2, 3.4, 4.0],
        [3.0, 3.2, 2.4],
        [1.5, 4.0, 7.0],
        [2.0, 3.0, 4.0],
        [NAN, NAN, NAN],
    ]
)
# Rows 0 and 2 close without margin, so the fair closing prices are the prices themselves.
CLOSING = np.array(
    [
        [2.0, 4.0, 4.0],
        [3.0, 3.2, 2.4],
        [1.6, 4.0, 8.0],
        [2.0, 3.0, 4.0],
        [2.0, 3.0, 4.0],
    ]
)
OUTCOMES = np.array([0, 2, 1, 0, 0])


def test_edge() -> None:
    np.testing.assert_allclose(edge([0.5, 0.25], [2.2, 4.0]), [0.1, 0.0], atol=1e-12)
    assert np.isnan(edge(0.5, NAN)) and np.isnan(edge(0.5, 1.0)) and np.isnan(edge(NAN, 2.0))


def test_kelly_fraction() -> None:
    # Full Kelly at p = 0.5, price 2.2: 0.1 / 1.2.
    assert kelly_fraction(0.5, 2.2, fraction=1.0) == pytest.approx(1 / 12)
    assert kelly_fraction(0.5, 2.2) == pytest.approx(1 / 48)
    assert kelly_fraction(0.3, 2.0) == 0.0  # negative edge: no stake
    assert np.isnan(kelly_fraction(0.5, NAN))
    with pytest.raises(ValueError, match="fraction"):
        kelly_fraction(0.5, 2.2, fraction=0.0)


def test_value_bets_pick_the_best_edge_per_match() -> None:
    bets = value_bets(P_MODEL, OPENING, min_edge=0.02)
    assert bets["row"].tolist() == [0, 2]
    assert bets["selection"].tolist() == [0, 2]
    np.testing.assert_allclose(bets["edge"], [0.1, 0.05])
    np.testing.assert_allclose(bets["price"], [2.2, 7.0])
    np.testing.assert_allclose(bets["p_model"], [0.5, 0.15])
    assert value_bets(P_MODEL, OPENING, min_edge=0.06)["row"].tolist() == [0]
    assert value_bets(P_MODEL, OPENING, min_edge=0.2).empty


def test_value_bets_skip_missing_selections() -> None:
    prices = np.array([[NAN, 3.4, 4.0]])  # the best edge (home) has no price
    bets = value_bets([[0.5, 0.32, 0.18]], prices)
    assert bets["selection"].tolist() == [1]
    assert bets["edge"].iloc[0] == pytest.approx(0.088)


def test_backtest_hand_computed() -> None:
    bets, summary = backtest_value_rule(P_MODEL, OPENING, CLOSING, OUTCOMES, kelly=0.25)
    assert bets["won"].tolist() == [True, False]
    np.testing.assert_allclose(bets["flat_profit"], [1.2, -1.0])
    assert summary["n_bets"] == 2 and summary["n_matches"] == 5
    assert summary["hit_rate"] == 0.5
    assert summary["flat_profit"] == pytest.approx(0.2)
    assert summary["flat_roi"] == pytest.approx(0.1)

    # Quarter Kelly: 1/48 of 1.0 wins at 2.2, then (0.05 / 6) / 4 of the new bankroll loses.
    first_stake = 1 / 48
    after_first = 1 + first_stake * 1.2
    second_stake = after_first / 480
    final = after_first - second_stake
    np.testing.assert_allclose(bets["kelly_stake"], [first_stake, second_stake])
    np.testing.assert_allclose(bets["bankroll_after"], [after_first, final])
    assert summary["final_bankroll"] == pytest.approx(final)
    assert summary["kelly_staked"] == pytest.approx(first_stake + second_stake)
    assert summary["kelly_profit"] == pytest.approx(final - 1.0)
    assert summary["kelly_roi"] == pytest.approx((final - 1.0) / (first_stake + second_stake))

    # CLV: 2.2 against a fair close of 2.0, 7.0 against 8.0.
    np.testing.assert_allclose(bets["fair_closing_price"], [2.0, 8.0])
    np.testing.assert_allclose(bets["clv"], [0.1, -0.125])
    assert summary["mean_clv"] == pytest.approx(-0.0125)
    assert summary["clv_positive_share"] == 0.5


def test_clv_uses_shin_on_a_margined_close() -> None:
    closing = np.array([[1.9, 3.5, 4.0]])
    bets, summary = backtest_value_rule([[0.5, 0.3, 0.2]], [[2.2, 3.4, 4.0]], closing, [1])
    fair = implied_probabilities(closing, method="shin")[0, 0]
    assert bets["clv"].iloc[0] == pytest.approx(2.2 * fair - 1.0)
    assert bets["fair_closing_price"].iloc[0] > 1.9  # the margin is removed
    assert summary["flat_profit"] == -1.0


def test_missing_closing_prices_and_outcomes() -> None:
    closing = CLOSING.copy()
    closing[0, 1] = NAN  # the home bet's closing line is incomplete
    outcomes = OUTCOMES.astype(float)
    outcomes[2] = NAN  # the away bet's match has no result: not bet
    bets, summary = backtest_value_rule(P_MODEL, OPENING, closing, outcomes)
    assert bets["row"].tolist() == [0]
    assert math.isnan(bets["clv"].iloc[0])
    assert summary["n_clv"] == 0 and math.isnan(summary["mean_clv"])


def test_no_bets() -> None:
    bets, summary = backtest_value_rule(P_MODEL, OPENING, CLOSING, OUTCOMES, min_edge=0.5)
    assert bets.empty
    assert summary["n_bets"] == 0 and summary["final_bankroll"] == 1.0
    assert math.isnan(summary["flat_roi"]) and math.isnan(summary["kelly_roi"])


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="shape"):
        backtest_value_rule(P_MODEL, OPENING[:2], CLOSING, OUTCOMES)
    with pytest.raises(ValueError, match="class indices"):
        backtest_value_rule(P_MODEL, OPENING, CLOSING, [0, 1, 3, 0, 0])
    with pytest.raises(ValueError, match="bankroll"):
        backtest_value_rule(P_MODEL, OPENING, CLOSING, OUTCOMES, bankroll=0.0)
