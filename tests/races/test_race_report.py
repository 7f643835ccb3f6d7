"""The racing report's value rule, on a frame small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from formline.races.report import value_rule


def test_the_value_rule_backs_the_runners_whose_edge_clears_the_threshold() -> None:
    frame = pd.DataFrame(
        {
            "race_id": [1, 1, 1, 2, 2],
            "won": [1.0, 0.0, 0.0, 1.0, 1.0],  # race 2: a dead heat, each pays half
            "p_win": [0.5, 0.3, 0.2, 0.5, 0.5],
            "win_odds": [3.0, 2.0, 10.0, 1.5, np.nan],
        }
    )
    rows = {r["label"]: r for r in value_rule(frame, edges=(0.0, 0.5))}
    every = rows["every priced runner"]
    # Four priced bets: returns 3 (winner), 0, 0 and 0.5 x 1.5 (half a dead heat).
    assert every["bets"] == 4 and every["winners"] == pytest.approx(1.5)
    assert every["roi"] == pytest.approx((3.0 + 0.75 - 4) / 4)
    # Edges p x odds - 1: 0.5, -0.4, 1.0, -0.25.
    assert rows["edge at least 0%"]["bets"] == 2
    assert rows["edge at least 0%"]["roi"] == pytest.approx((3.0 - 2) / 2)
    assert rows["edge at least 50%"]["bets"] == 2
    assert value_rule(frame.drop(columns=["win_odds"])) == []
