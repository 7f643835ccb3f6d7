"""The grid markets a match prediction publishes: long rows computed by core.score_markets,
summing right per market and line, and exactly the markets the domain declares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from formline.core import score_markets as sm
from formline.domain import get_domain
from formline.matches.domain import HANDICAP_LINES, TOTAL_LINES
from formline.matches.grid_markets import (
    GRID_ROW_COLUMNS,
    grid_prediction_rows,
    published_grid_markets,
)
from formline.matches.predictions import prediction_rows


def _grid(home_rate: float, away_rate: float, n: int = 11) -> np.ndarray:
    goals = np.arange(n)
    grid = np.outer(poisson.pmf(goals, home_rate), poisson.pmf(goals, away_rate))
    return grid / grid.sum()


GRID = _grid(1.7, 0.9)


def _effective(s: sm.Settlement) -> float:
    gain = float(s.win) + 0.5 * float(s.half_win)
    lose = float(s.loss) + 0.5 * float(s.half_loss)
    return gain / (gain + lose)


def test_each_published_row_is_the_core_price_of_its_bet() -> None:
    rows = published_grid_markets(GRID)
    assert list(rows.columns) == GRID_ROW_COLUMNS
    by = rows.set_index(["market", "selection", "line"])
    for line in HANDICAP_LINES:
        home = sm.asian_handicap(GRID, line, "home")
        away = sm.asian_handicap(GRID, -line + 0.0, "away")
        assert by.loc[("asian_handicap", "home", line), "probability"] == pytest.approx(
            _effective(home), abs=1e-12
        )
        assert by.loc[("asian_handicap", "away", -line + 0.0), "fair_odds"] == pytest.approx(
            float(away.fair_odds), abs=1e-12
        )
    for line in TOTAL_LINES:
        for side in ("over", "under"):
            settlement = sm.total_goals(GRID, line, side)  # type: ignore[arg-type]
            row = by.loc[("total_goals", side, line)]
            assert row["probability"] == pytest.approx(_effective(settlement), abs=1e-12)
            assert row["fair_odds"] == pytest.approx(float(settlement.fair_odds), abs=1e-12)
    yes, no = sm.both_teams_to_score(GRID)
    assert by.loc[("both_teams_to_score", "yes", 0.0), "probability"] == pytest.approx(yes)
    assert by.loc[("both_teams_to_score", "no", 0.0), "probability"] == pytest.approx(no)
    chances = sm.double_chance(GRID)
    names = ("home_or_draw", "home_or_away", "draw_or_away")
    for name, p in zip(names, chances, strict=True):
        assert by.loc[("double_chance", name, 0.0), "probability"] == pytest.approx(p)
    home_dnb = sm.draw_no_bet(GRID, "home")
    assert by.loc[("draw_no_bet", "home", 0.0), "probability"] == pytest.approx(
        _effective(home_dnb)
    )
    # The 1X2 of the grid is not published with them: the published 1X2 is the calibrated one.
    assert "1x2" not in set(rows["market"])
    np.testing.assert_allclose(rows["fair_odds"], 1.0 / rows["probability"], rtol=1e-12)


def test_the_selections_of_each_market_and_line_sum_right() -> None:
    rows = published_grid_markets(_grid(1.1, 1.4))
    assert rows["probability"].between(0.0, 1.0).all()
    # A handicap is paired with the opposite line on the other side.
    handicaps = rows[rows["market"] == "asian_handicap"].copy()
    handicaps["home_line"] = np.where(
        handicaps["selection"] == "home", handicaps["line"], -handicaps["line"]
    )
    sums = handicaps.groupby("home_line")["probability"].sum()
    assert len(sums) == len(HANDICAP_LINES)
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    others = rows[rows["market"] != "asian_handicap"]
    totals = others.groupby(["market", "line"])["probability"].sum()
    expected = pd.Series(2.0 if m == "double_chance" else 1.0 for m, _ in totals.index)
    np.testing.assert_allclose(totals.to_numpy(), expected.to_numpy(), atol=1e-12)
    assert len(totals) == len(TOTAL_LINES) + 3  # totals per line, btts, double chance, dnb


def test_exactly_the_declared_grid_markets_are_published() -> None:
    declared = {m.name: m for m in get_domain("matches").markets if m.score_grid}
    rows = published_grid_markets(GRID)
    assert set(rows["market"]) == set(declared)
    for name, market in declared.items():
        mine = rows[rows["market"] == name]
        assert set(mine["selection"]) == set(market.selections), name
        if name == "asian_handicap":  # declared as the home side's; the away side's are opposite
            mine = mine[mine["selection"] == "home"]
        lines = set(mine["line"])
        assert lines == (set(market.lines) if market.lines else {0.0}), name
    # 1X2 and over/under 2.5 stay every model's, never the grid's.
    assert {m.name for m in get_domain("matches").markets if not m.score_grid} == {
        "1x2",
        "over_under",
    }


def test_a_wide_prediction_publishes_its_grid_rows_after_its_five() -> None:
    grids = np.stack([GRID, _grid(0.8, 2.0)])
    frame = pd.DataFrame(
        {
            "match_id": [7, 9],
            "p_home": [0.5, 0.2],
            "p_draw": [0.3, 0.3],
            "p_away": [0.2, 0.5],
            "p_over_2_5": [0.6, 0.4],
            **{c: [2.0, 3.0] for c in ("fair_home", "fair_draw", "fair_away")},
            **{c: [1.9, 2.1] for c in ("fair_over_2_5", "fair_under_2_5")},
            "drivers": [[], []],
            "markets": grid_prediction_rows(grids),
        }
    )
    rows = prediction_rows(frame).rows
    five = rows[rows["market"].isin(["1x2", "over_under"])]
    assert len(five) == 10
    plain = prediction_rows(frame.drop(columns="markets")).rows
    pd.testing.assert_frame_equal(five.reset_index(drop=True), plain)
    grid_rows = rows[~rows["market"].isin(["1x2", "over_under"])]
    for event, grid in ((7, grids[0]), (9, grids[1])):
        mine = grid_rows[grid_rows["event_id"] == event][GRID_ROW_COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, published_grid_markets(grid), check_dtype=False)
    # A model without a grid gives empty lists: no grid rows at all.
    empty = prediction_rows(frame.assign(markets=[[], []])).rows
    pd.testing.assert_frame_equal(empty, plain)
