"""Pi-ratings: the paper's update rule, a slow reference implementation and the contract."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest

from formline.core.ratings import NotFittedError, PiRatings, pi_expected_goal_difference, pi_kernel


def _frame(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["home_team", "away_team", "home_goals", "away_goals"])


def _reference(
    home: np.ndarray, away: np.ndarray, hg: np.ndarray, ag: np.ndarray, n_teams: int,
    lam: float, gamma: float, c: float, b: float,
) -> list[list[float]]:  # fmt: skip
    """Slow pure-Python pi-ratings, following the paper's absolute-error formulation."""
    r_home, r_away = [0.0] * n_teams, [0.0] * n_teams
    out: list[list[float]] = [[] for _ in range(8)]

    def goals(rating: float) -> float:
        return float(b ** (abs(rating) / c) - 1) * (1 if rating >= 0 else -1)

    for i in range(len(home)):
        h, a = int(home[i]), int(away[i])
        before = [r_home[h], r_away[h], r_home[a], r_away[a]]
        expected = goals(r_home[h]) - goals(r_away[a])
        observed = hg[i] - ag[i]
        error = abs(observed - expected)
        psi = c * math.log(1 + error, b)
        psi_home = psi if expected < observed else -psi
        psi_away = psi if expected > observed else -psi
        new_hh = r_home[h] + psi_home * lam
        r_away[h] += (new_hh - r_home[h]) * gamma
        r_home[h] = new_hh
        new_aa = r_away[a] + psi_away * lam
        r_home[a] += (new_aa - r_away[a]) * gamma
        r_away[a] = new_aa
        for lst, value in zip(
            out, [*before, r_home[h], r_away[h], r_home[a], r_away[a]], strict=True
        ):
            lst.append(value)
    return out


@pytest.mark.parametrize("params", [(0.035, 0.7, 3.0, 10.0), (0.06, 0.5, 2.5, 8.0)])
def test_kernel_matches_slow_reference(params: tuple[float, float, float, float]) -> None:
    rng = np.random.default_rng(17)
    n, n_teams = 500, 20
    home = rng.integers(0, n_teams, n)
    away = (home + rng.integers(1, n_teams, n)) % n_teams
    hg, ag = rng.poisson(1.5, n), rng.poisson(1.1, n)
    fast = pi_kernel(home, away, hg, ag, n_teams, *params)
    slow = _reference(home, away, hg, ag, n_teams, *params)
    assert len(fast) == 8
    for got, want in zip(fast, slow, strict=True):
        assert np.allclose(got, want, rtol=0, atol=1e-12)


def test_first_match_by_hand() -> None:
    model = PiRatings().fit(_frame([("A", "B", 2, 0)]))
    step = 0.035 * 3 * math.log10(3)  # error 2 against an expected 0
    assert model.ratings_["A"] == pytest.approx((step, 0.7 * step))
    assert model.ratings_["B"] == pytest.approx((-0.7 * step, -step))


def test_home_winner_rises_at_home_and_less_away() -> None:
    rows = [("A", opponent, 2, 0) for opponent in "BCDEFGHIJK" * 3]
    history = PiRatings().fit(_frame(rows)).history_
    home, away = history["home_team_home_after"], history["home_team_away_after"]
    assert home.is_monotonic_increasing and away.is_monotonic_increasing
    assert (home > away).all() and (away > 0).all()
    first_losses = history.groupby(pd.Series([r[1] for r in rows])).head(1)
    assert (first_losses["away_team_away_after"] < 0).all()
    assert (first_losses["away_team_home_after"] < 0).all()


def test_expected_goal_difference() -> None:
    assert pi_expected_goal_difference(0.0, 0.0) == 0.0
    assert pi_expected_goal_difference(3.0, 0.0) == pytest.approx(9.0)  # 10 ** (3 / 3) - 1
    assert pi_expected_goal_difference(0.5, -0.2) > 0
    assert pi_expected_goal_difference(-0.5, 0.2) < 0
    ratings = np.linspace(-2, 2, 9)
    gd = pi_expected_goal_difference(ratings, ratings[::-1])
    assert np.allclose(gd, -gd[::-1])
    assert np.all(np.diff(gd) > 0)


def test_fit_history_ratings_and_determinism() -> None:
    rng = np.random.default_rng(4)
    teams = [f"T{i}" for i in range(12)]
    rows = []
    for _ in range(400):
        h, a = rng.choice(12, size=2, replace=False)
        rows.append((teams[h], teams[a], int(rng.poisson(1.5)), int(rng.poisson(1.1))))
    frame = _frame(rows).set_axis(pd.RangeIndex(500, 900))
    first, second = PiRatings().fit(frame), PiRatings().fit(frame)
    pd.testing.assert_frame_equal(first.history_, second.history_)
    assert first.history_.index.equals(frame.index)
    assert list(first.history_.columns) == [
        *(f"{side}_{when}" for when in ("before", "after") for side in (
            "home_team_home", "home_team_away", "away_team_home", "away_team_away")),
        "expected_goal_difference",
    ]  # fmt: skip
    last = first.history_.iloc[-1]
    assert first.ratings_[rows[-1][0]] == (
        last["home_team_home_after"],
        last["home_team_away_after"],
    )
    assert first.ratings_[rows[-1][1]] == (
        last["away_team_home_after"],
        last["away_team_away_after"],
    )
    home, away = first.ratings_["T1"][0], first.ratings_["T2"][1]
    assert first.expected_goal_difference("T1", "T2") == pytest.approx(
        pi_expected_goal_difference(home, away)
    )


def test_estimator_contract_and_unfitted_error() -> None:
    model = PiRatings(learning_rate=0.05)
    init_params = set(inspect.signature(PiRatings).parameters)
    assert set(vars(model)) == init_params
    with pytest.raises(
        NotFittedError, match=r"PiRatings is not fitted yet. Call `.fit\(\)` first."
    ):
        _ = model.ratings_
    with pytest.raises(NotFittedError):
        model.expected_goal_difference("A", "B")
    assert model.fit(_frame([("A", "B", 1, 1)])) is model
    learned = set(vars(model)) - init_params
    assert learned and all(name.endswith("_") and not name.startswith("_") for name in learned)


def test_invalid_input_raises() -> None:
    with pytest.raises(ValueError, match="b is out of range"):
        PiRatings(b=1.0).fit(_frame([("A", "B", 1, 0)]))
    with pytest.raises(ValueError, match="non-negative"):
        PiRatings().fit(_frame([("A", "B", -1, 0)]))
    with pytest.raises(ValueError, match="n_teams"):
        pi_kernel([0], [2], [1], [0], n_teams=2)
