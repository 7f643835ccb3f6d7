"""Scores: hand-computed examples, agreement with the written definitions, calibration checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from formline.core.markets import implied_probabilities
from formline.core.metrics import (
    accuracy,
    as_outcomes,
    as_probabilities,
    brier_score,
    calibration_slope_intercept,
    evaluate,
    evaluate_binary,
    expected_calibration_error,
    log_loss,
    per_match_log_loss,
    per_match_rps,
    rps,
)
from support import FOOTBALL_ODDS

Y = np.array([0, 1, 2])
P = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]])


def _simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dirichlet probabilities and outcomes drawn from them (so perfectly calibrated)."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet([2.0, 1.5, 2.0], size=n)
    y = (p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    return y, p


def _sharpen(p: np.ndarray, temperature: float) -> np.ndarray:
    q = p ** (1.0 / temperature)
    return q / q.sum(axis=1, keepdims=True)


def test_hand_computed_example() -> None:
    assert log_loss(Y, P) == pytest.approx(-(2 * math.log(0.5) + math.log(0.7)) / 3)
    # Rows: 0.25 + 0.09 + 0.04, 0.04 + 0.25 + 0.09, 0.01 + 0.04 + 0.09.
    assert brier_score(Y, P) == pytest.approx((0.38 + 0.38 + 0.14) / 3)
    # Cumulative (0.5, 0.8) vs (1, 1); (0.2, 0.7) vs (0, 1); (0.1, 0.3) vs (0, 0).
    np.testing.assert_allclose(per_match_rps(Y, P), [0.145, 0.065, 0.05])
    assert rps(Y, P) == pytest.approx(0.26 / 3)
    assert accuracy(Y, P) == 1.0
    np.testing.assert_allclose(per_match_log_loss(Y, P), -np.log([0.5, 0.5, 0.7]))


def test_perfect_predictions_score_zero() -> None:
    y = np.array([0, 1, 2, 2, 0])
    p = np.eye(3)[y]
    assert log_loss(y, p) == pytest.approx(0.0, abs=1e-12)
    assert brier_score(y, p) == 0.0
    assert rps(y, p) == 0.0
    assert accuracy(y, p) == 1.0
    assert expected_calibration_error(y, p) == 0.0


def test_uniform_predictions() -> None:
    uniform = np.full((3, 3), 1 / 3)
    np.testing.assert_allclose(
        per_match_rps(Y, uniform), [((1 / 3 - 1) ** 2 + (2 / 3 - 1) ** 2) / 2, 1 / 9, 5 / 18]
    )
    assert brier_score(Y, uniform) == pytest.approx(2 / 3)
    assert log_loss(Y, uniform) == pytest.approx(math.log(3))


def test_rps_rewards_near_misses() -> None:
    away = np.array([2])
    draw_forecast = np.array([[0.0, 1.0, 0.0]])
    home_forecast = np.array([[1.0, 0.0, 0.0]])
    assert rps(away, draw_forecast) == pytest.approx(0.5)
    assert rps(away, home_forecast) == pytest.approx(1.0)
    # Log loss and Brier cannot tell these two misses apart; RPS can.
    assert brier_score(away, draw_forecast) == brier_score(away, home_forecast)


def test_sklearn_backed_scores_match_the_definitions() -> None:
    y, p = _simulate(500, seed=1)
    onehot = np.eye(3)[y]
    assert brier_score(y, p) == pytest.approx(np.mean(((p - onehot) ** 2).sum(axis=1)))
    assert log_loss(y, p) == pytest.approx(-np.mean(np.log(p[np.arange(500), y])))
    assert log_loss(y, p) == pytest.approx(per_match_log_loss(y, p).mean())
    assert accuracy(y, p) == pytest.approx(np.mean(np.argmax(p, axis=1) == y))
    cum = np.cumsum(p, axis=1)[:, :2] - np.cumsum(onehot, axis=1)[:, :2]
    assert rps(y, p) == pytest.approx(np.mean((cum**2).sum(axis=1) / 2))


def test_scores_when_a_class_never_happens() -> None:
    y = np.array([0, 0, 1])  # no away wins: labels are fixed, not inferred
    assert log_loss(y, P) == pytest.approx(-np.mean(np.log([0.5, 0.2, 0.2])))
    # Rows: 0.25 + 0.09 + 0.04, 0.64 + 0.25 + 0.09, 0.01 + 0.64 + 0.49.
    assert brier_score(y, P) == pytest.approx((0.38 + 0.98 + 1.14) / 3)


def test_accuracy_ties_go_to_the_lower_index() -> None:
    assert accuracy([0, 1], [[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]]) == 0.5


def test_ece_hand_example() -> None:
    y = np.array([0, 0])
    p = np.array([[0.75, 0.25, 0.0], [0.75, 0.25, 0.0]])
    # Home: 0.75 vs 1; draw: 0.25 vs 0; away: 0 vs 0. Mean of 0.25, 0.25, 0.
    assert expected_calibration_error(y, p) == pytest.approx(1 / 6)


def test_calibrated_forecasts() -> None:
    y, p = _simulate(20_000, seed=2)
    slope, intercept = calibration_slope_intercept(y, p)
    assert slope == pytest.approx(1.0, abs=0.05)
    assert intercept == pytest.approx(0.0, abs=0.05)
    assert expected_calibration_error(y, p) < 0.015


def test_over_confident_forecasts_have_slope_below_one() -> None:
    y, p = _simulate(20_000, seed=3)
    sharp = _sharpen(p, 0.5)
    slope, _ = calibration_slope_intercept(y, sharp)
    assert slope < 0.7
    assert expected_calibration_error(y, sharp) > expected_calibration_error(y, p)
    soft_slope, _ = calibration_slope_intercept(y, _sharpen(p, 2.0))
    assert soft_slope > 1.5


def test_constant_forecasts_have_no_slope() -> None:
    slope, intercept = calibration_slope_intercept(Y, np.full((3, 3), 1 / 3))
    assert math.isnan(slope) and math.isnan(intercept)


def test_evaluate() -> None:
    y, p = _simulate(2_000, seed=4)
    scores = evaluate(y, p)
    assert set(scores) == {
        "log_loss",
        "brier",
        "rps",
        "accuracy",
        "ece",
        "calibration_slope",
        "calibration_intercept",
        "n",
    }
    assert scores["n"] == 2_000
    assert scores["rps"] == pytest.approx(rps(y, p))
    assert scores["brier"] == pytest.approx(brier_score(y, p))


def test_evaluate_binary() -> None:
    y = np.array([1, 0, 1, 0])
    p_over = np.array([0.8, 0.4, 0.5, 0.6])
    scores = evaluate_binary(y, p_over)
    assert scores["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.6, 0.5, 0.4])))
    assert scores["brier"] == pytest.approx((0.04 + 0.16 + 0.25 + 0.36) / 4)
    assert scores["accuracy"] == pytest.approx(0.75)  # p >= 0.5 predicts over: only 0.6 misses
    # Bins: 0.4 -> 0 happened (0.4); 0.5 -> 1 (0.5); 0.6 -> 0 (0.6); 0.8 -> 1 (0.2).
    assert scores["ece"] == pytest.approx((0.4 + 0.5 + 0.6 + 0.2) / 4)
    assert scores["n"] == 4


def test_evaluate_binary_calibrated() -> None:
    rng = np.random.default_rng(5)
    p_over = rng.uniform(0.2, 0.8, size=20_000)
    y = (rng.random(20_000) < p_over).astype(int)
    scores = evaluate_binary(y, p_over)
    assert scores["calibration_slope"] == pytest.approx(1.0, abs=0.1)
    assert scores["ece"] < 0.02


@pytest.mark.parametrize(
    ("p", "message"),
    [
        ([[0.5, 0.5, np.nan]], "NaN"),
        ([[0.5, 0.6, -0.1]], r"\[0, 1\]"),
        ([[0.5, 0.3, 0.1]], "sum to 1"),
        ([0.5, 0.3, 0.2], "shape"),
        (np.zeros((0, 3)), "empty"),
    ],
)
def test_bad_probabilities_are_refused(p: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        as_probabilities(p)  # type: ignore[arg-type]


@pytest.mark.parametrize("y", [[0, 1, 3], [0, 1.5, 2], [0, np.nan, 2], [0, 1]])
def test_bad_outcomes_are_refused(y: list[float]) -> None:
    with pytest.raises(ValueError, match="outcomes"):
        rps(y, P)


def test_outcomes_accept_integral_floats() -> None:
    np.testing.assert_array_equal(as_outcomes([0.0, 2.0, 1.0]), [0, 2, 1])


def test_rows_are_renormalised() -> None:
    p = as_probabilities([[0.5, 0.3, 0.2 + 5e-7]])
    assert p.sum() == pytest.approx(1.0, abs=1e-15)


MATCHES_ALL = FOOTBALL_ODDS / "matches_all.csv.gz"


@pytest.mark.realdata
@pytest.mark.skipif(not MATCHES_ALL.exists(), reason=f"real data not found at {MATCHES_ALL}")
def test_known_answers_for_the_pinnacle_close() -> None:
    """shared/data/README.md: 19,981 matches, RPS 0.1944, log loss 0.9638, Brier 0.5722."""
    columns = ["FTR", "PSCH", "PSCD", "PSCA"]
    df = pd.read_csv(MATCHES_ALL, usecols=columns, low_memory=False)
    probs = implied_probabilities(df[columns[1:]].to_numpy(dtype=float), method="shin")
    keep = np.isfinite(probs).all(axis=1) & df["FTR"].isin(["H", "D", "A"]).to_numpy()
    y = df.loc[keep, "FTR"].map({"H": 0, "D": 1, "A": 2}).to_numpy()
    scores = evaluate(y, probs[keep])
    assert scores["n"] == 19_981
    assert scores["rps"] == pytest.approx(0.1944, abs=5e-5)
    assert scores["log_loss"] == pytest.approx(0.9638, abs=5e-5)
    assert scores["brier"] == pytest.approx(0.5722, abs=5e-5)
    assert scores["accuracy"] == pytest.approx(0.538, abs=5e-4)
    assert scores["calibration_slope"] == pytest.approx(1.0, abs=0.05)  # the close is calibrated
