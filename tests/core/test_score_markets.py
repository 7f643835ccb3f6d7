"""Markets from the score grid: answers known in closed form (independent Poisson, Skellam) and
hand-checked settlements of whole, half and quarter lines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped, unused-ignore]

from formline.core.score_markets import (
    Settlement,
    asian_handicap,
    both_teams_to_score,
    double_chance,
    draw_no_bet,
    grid_markets,
    match_odds,
    total_goals,
)
from formline.matches.models.dixon_coles import dixon_coles_grid, grid_outcomes, grid_over

LAM, MU = 1.6, 1.1


def _poisson_grid(lam: float = LAM, mu: float = MU, size: int = 40) -> np.ndarray:
    goals = np.arange(size)
    grid = np.outer(stats.poisson.pmf(goals, lam), stats.poisson.pmf(goals, mu))
    return grid / grid.sum()


def _diff_pmf(d: int) -> float:
    return float(stats.skellam.pmf(d, LAM, MU))


def _fields(s: Settlement) -> list[float]:
    return [float(v) for v in s.as_array()]


def test_1x2_btts_and_totals_agree_with_closed_forms() -> None:
    grid = _poisson_grid()
    home, draw, away = match_odds(grid)
    assert home == pytest.approx(1 - stats.skellam.cdf(0, LAM, MU), abs=1e-12)
    assert draw == pytest.approx(_diff_pmf(0), abs=1e-12)
    assert away == pytest.approx(stats.skellam.cdf(-1, LAM, MU), abs=1e-12)
    yes, no = both_teams_to_score(grid)
    assert yes == pytest.approx((1 - math.exp(-LAM)) * (1 - math.exp(-MU)), abs=1e-12)
    assert yes + no == pytest.approx(1.0)
    over = total_goals(grid, 2.5)
    assert float(over.win) == pytest.approx(stats.poisson.sf(2, LAM + MU), abs=1e-12)
    assert float(over.push) == 0.0 and float(over.half_win) == 0.0


def test_double_chance() -> None:
    grid = _poisson_grid()
    home, draw, away = match_odds(grid)
    np.testing.assert_allclose(double_chance(grid), [home + draw, home + away, draw + away])
    # Away +0.5 on the handicap is "draw or away".
    assert float(asian_handicap(grid, 0.5, "away").win) == pytest.approx(draw + away)


def test_asian_handicap_zero_is_draw_no_bet() -> None:
    grid = _poisson_grid()
    home, draw, away = match_odds(grid)
    for side, p_win, p_loss in (("home", home, away), ("away", away, home)):
        dnb = draw_no_bet(grid, side)  # type: ignore[arg-type]
        assert _fields(dnb) == pytest.approx([p_win, 0, draw, 0, p_loss], abs=1e-12)
        assert _fields(asian_handicap(grid, 0.0, side)) == _fields(dnb)  # type: ignore[arg-type]
        # A draw returns the stake: the fair price is that of the win among decided matches.
        assert float(dnb.fair_odds) == pytest.approx((p_win + p_loss) / p_win)


def test_quarter_lines_split_the_stake_in_halves() -> None:
    grid = _poisson_grid()
    p = {d: _diff_pmf(d) for d in range(-3, 4)}
    win_by_2 = 1 - stats.skellam.cdf(1, LAM, MU)
    home_win = 1 - stats.skellam.cdf(0, LAM, MU)
    not_home = stats.skellam.cdf(0, LAM, MU)
    lose = stats.skellam.cdf(-1, LAM, MU)
    # -0.25 = half on 0, half on -0.5: a draw loses half the stake.
    assert _fields(asian_handicap(grid, -0.25)) == pytest.approx(
        [home_win, 0, 0, p[0], lose], abs=1e-12
    )
    # +0.25 = half on 0, half on +0.5: a draw wins half.
    assert _fields(asian_handicap(grid, 0.25)) == pytest.approx(
        [home_win, p[0], 0, 0, lose], abs=1e-12
    )
    # -0.75 = half on -0.5, half on -1: winning by one wins half.
    assert _fields(asian_handicap(grid, -0.75)) == pytest.approx(
        [win_by_2, p[1], 0, 0, not_home], abs=1e-12
    )
    # -1: winning by one is a push; -1.5: only a win by two or more.
    assert _fields(asian_handicap(grid, -1.0)) == pytest.approx(
        [win_by_2, 0, p[1], 0, not_home], abs=1e-12
    )
    assert _fields(asian_handicap(grid, -1.5)) == pytest.approx(
        [win_by_2, 0, 0, 0, 1 - win_by_2], abs=1e-12
    )


@pytest.mark.parametrize("line", [-1.75, -0.75, -0.25, 0.25, 0.75, 2.25, 2.75])
def test_quarter_line_profit_is_the_average_of_its_halves(line: float) -> None:
    grid = _poisson_grid()

    def profit(s: Settlement, price: float) -> float:
        return float((s.win + s.half_win / 2) * (price - 1) - s.loss - s.half_loss / 2)

    market = total_goals if line > 2 else asian_handicap
    quarter = market(grid, line)
    low, high = market(grid, line - 0.25), market(grid, line + 0.25)
    for price in (1.5, 1.95, 2.4):
        expected = (profit(low, price) + profit(high, price)) / 2
        assert profit(quarter, price) == pytest.approx(expected, abs=1e-12)
    assert profit(quarter, float(quarter.fair_odds)) == pytest.approx(0.0, abs=1e-12)


def test_totals_whole_and_quarter_lines() -> None:
    grid = _poisson_grid()
    t = {k: float(stats.poisson.pmf(k, LAM + MU)) for k in range(6)}
    at_most_1 = t[0] + t[1]
    over2 = total_goals(grid, 2.0, "over")
    assert _fields(over2) == pytest.approx([1 - at_most_1 - t[2], 0, t[2], 0, at_most_1], abs=1e-12)
    assert float(over2.fair_odds) == pytest.approx(1 + at_most_1 / (1 - at_most_1 - t[2]))
    under = total_goals(grid, 2.75, "under")  # halves on 2.5 and 3: three goals lose half
    at_most_2 = at_most_1 + t[2]
    assert _fields(under) == pytest.approx([at_most_2, 0, 0, t[3], 1 - at_most_2 - t[3]], abs=1e-12)
    over = total_goals(grid, 2.25, "over")  # halves on 2 and 2.5: two goals lose half
    assert _fields(over) == pytest.approx([1 - at_most_2, 0, 0, t[2], at_most_1], abs=1e-12)
    # Over and under one line are mirror images.
    for line in (1.5, 2.0, 2.25, 3.0, 3.75):
        o, u = total_goals(grid, line, "over"), total_goals(grid, line, "under")
        assert _fields(o) == pytest.approx(_fields(u)[::-1], abs=1e-15)


def test_home_and_away_handicaps_mirror() -> None:
    grid = _poisson_grid()
    for line in (-1.25, -0.5, 0.0, 0.75, 1.0):
        home, away = asian_handicap(grid, line, "home"), asian_handicap(grid, -line, "away")
        assert _fields(home) == pytest.approx(_fields(away)[::-1], abs=1e-15)


def test_a_hand_made_grid() -> None:
    # Rows are home goals 0..2, columns away goals 0..1.
    grid = np.array([[0.10, 0.15], [0.20, 0.10], [0.30, 0.15]])
    assert match_odds(grid) == pytest.approx([0.65, 0.20, 0.15])
    assert both_teams_to_score(grid) == pytest.approx([0.25, 0.75])
    ah = asian_handicap(grid, -1.0)  # win: 2-0; push: 1-0, 2-1; loss: the rest
    assert _fields(ah) == pytest.approx([0.30, 0, 0.35, 0, 0.35])
    assert float(ah.fair_odds) == pytest.approx(1 + 0.35 / 0.30)
    # Totals: 0 (0.10), 1 (0.35), 2 (0.40), 3 (0.15). Over 1.75 is half on 1.5, half on 2:
    # three goals win both halves, two win one and push the other, fewer lose.
    assert _fields(total_goals(grid, 1.75)) == pytest.approx([0.15, 0.40, 0, 0, 0.45])


def test_vectorised_over_matches_with_lines_per_match() -> None:
    rates = np.array([[1.2, 1.0], [2.1, 0.7], [0.9, 1.4]])
    grids = dixon_coles_grid(rates[:, 0], rates[:, 1], -0.08, max_goals=10)
    np.testing.assert_allclose(match_odds(grids), grid_outcomes(grids), atol=1e-14)
    np.testing.assert_allclose(total_goals(grids, 2.5).win, grid_over(grids, 2.5), atol=1e-14)
    lines = np.array([-0.25, -1.0, 0.5])
    together = asian_handicap(grids, lines)
    for i in range(3):
        alone = asian_handicap(grids[i], float(lines[i]))
        np.testing.assert_allclose(together.as_array()[i], alone.as_array(), atol=1e-15)
    assert together.as_array().shape == (3, 5)
    np.testing.assert_allclose(together.as_array().sum(axis=1), 1.0)
    assert double_chance(grids).shape == (3, 3) and both_teams_to_score(grids).shape == (3, 2)


def test_fair_odds_edge_cases() -> None:
    grid = np.zeros((3, 3))
    grid[0, 0] = 1.0  # a certain 0-0
    assert math.isnan(float(asian_handicap(grid, -0.5).fair_odds))  # cannot win
    assert float(asian_handicap(grid, 0.5).fair_odds) == 1.0  # cannot lose
    assert math.isnan(float(draw_no_bet(grid).fair_odds))  # only a push


def test_bad_input_raises() -> None:
    grid = _poisson_grid(size=8)
    with pytest.raises(ValueError, match=r"multiples of 0\.25"):
        asian_handicap(grid, 0.3)
    with pytest.raises(ValueError, match="sum to 1"):
        match_odds(grid * 0.9)
    with pytest.raises(ValueError, match="non-negative"):
        match_odds(np.where(grid == grid.max(), -0.01, grid))
    with pytest.raises(ValueError, match="shape"):
        match_odds(np.ones(3) / 3)
    with pytest.raises(ValueError, match="side"):
        total_goals(grid, 2.5, "both")  # type: ignore[arg-type]


def test_grid_markets_table() -> None:
    table = grid_markets(_poisson_grid(size=12))
    assert set(table["market"]) == {
        "1x2",
        "double chance",
        "both teams to score",
        "draw no bet",
        "asian handicap",
        "total goals",
    }
    settled = table[["win", "half_win", "push", "half_loss", "loss"]].to_numpy()
    np.testing.assert_allclose(settled.sum(axis=1), 1.0)
    one_x_two = table[table["market"] == "1x2"]
    assert one_x_two["win"].sum() == pytest.approx(1.0)
    home_minus_quarter = table[
        (table["market"] == "asian handicap")
        & (table["selection"] == "home")
        & (table["line"] == -0.25)
    ]
    assert len(home_minus_quarter) == 1
