"""Grouped maths: softmax, winner scores and margin removal over events of varying size."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad
from scipy.special import softmax

from formline.core.grouped import (
    conditional_logit_loss,
    grouped_brier_score,
    grouped_cross_entropy,
    grouped_demean,
    grouped_implied_probabilities,
    grouped_log_loss,
    grouped_log_softmax,
    grouped_overround,
    grouped_softmax,
    per_group_log_loss,
)
from formline.core.markets import METHODS, implied_probabilities, overround
from formline.core.metrics import brier_score, log_loss, per_match_log_loss
from formline.errors import DataError, InvalidParameterError


def _long(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An (n, k) matrix as long rows and their event ids (row i of the matrix is event i)."""
    n, k = matrix.shape
    return matrix.ravel(), np.repeat(np.arange(n), k)


def _won(y: np.ndarray, k: int) -> np.ndarray:
    return (np.arange(k)[None, :] == y[:, None]).ravel().astype(int)


# -- equivalence with the fixed-k functions --------------------------------------------------


def test_with_k_rows_per_event_the_softmax_is_the_row_softmax() -> None:
    scores = np.random.default_rng(0).normal(size=(50, 7)) * 3
    flat, groups = _long(scores)
    np.testing.assert_allclose(grouped_softmax(flat, groups), softmax(scores, axis=1).ravel())


def test_with_k_rows_per_event_the_scores_match_metrics() -> None:
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(3), size=200)
    y = rng.integers(0, 3, size=200)
    flat, groups = _long(p)
    won = _won(y, 3)
    np.testing.assert_allclose(
        per_group_log_loss(flat, groups, won).to_numpy(), per_match_log_loss(y, p), rtol=1e-12
    )
    assert grouped_log_loss(flat, groups, won) == pytest.approx(log_loss(y, p), rel=1e-12)
    assert grouped_brier_score(flat, groups, won) == pytest.approx(brier_score(y, p), rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [2, 3, 8, 14])
def test_with_k_runners_per_event_margin_removal_is_the_fixed_k_one(method: str, k: int) -> None:
    rng = np.random.default_rng(k)
    fair = rng.dirichlet(np.ones(k) * 2, size=40)
    odds = 1.0 / (fair * rng.uniform(1.02, 1.25, size=(40, 1)))
    flat, groups = _long(odds)
    np.testing.assert_array_equal(
        grouped_implied_probabilities(flat, groups, method),  # type: ignore[arg-type]
        implied_probabilities(odds, method).ravel(),  # type: ignore[arg-type]
    )
    np.testing.assert_array_equal(grouped_overround(flat, groups).to_numpy(), overround(odds))


def test_events_of_different_sizes_each_get_their_own_market() -> None:
    """A 2-runner and a 5-runner event, interleaved: each priced as its own row."""
    two = np.array([1.5, 2.6])
    five = np.array([3.0, 4.5, 6.0, 8.0, 11.0])
    odds = np.array([five[0], two[0], five[1], five[2], two[1], five[3], five[4]])
    groups = np.array(["b", "a", "b", "b", "a", "b", "b"])
    for method in METHODS:
        got = grouped_implied_probabilities(odds, groups, method)
        np.testing.assert_allclose(got[[1, 4]], implied_probabilities(two, method), rtol=1e-15)
        np.testing.assert_allclose(
            got[[0, 2, 3, 5, 6]], implied_probabilities(five, method), rtol=1e-15
        )
    margins = grouped_overround(odds, groups)
    assert list(margins.index) == ["b", "a"]
    assert margins["a"] == pytest.approx(1 / 1.5 + 1 / 2.6 - 1)


# -- hand-checked values ---------------------------------------------------------------------


def test_hand_checked_softmax_log_loss_and_brier() -> None:
    scores = np.array([0.0, math.log(3.0), 5.0, 5.0, 5.0])  # event 1: 1:3; event 2: three equal
    groups = np.array([1, 1, 2, 2, 2])
    p = grouped_softmax(scores, groups)
    np.testing.assert_allclose(p, [0.25, 0.75, 1 / 3, 1 / 3, 1 / 3])
    won = np.array([0, 1, 1, 0, 0])
    losses = per_group_log_loss(p, groups, won)
    assert losses[1] == pytest.approx(-math.log(0.75)) and losses[2] == pytest.approx(math.log(3))
    # event 1: 0.25**2 + 0.25**2; event 2 (uniform over three): 1 - 1/3.
    assert grouped_brier_score(p, groups, won) == pytest.approx((0.125 + 2 / 3) / 2)


def test_hand_checked_multiplicative_margin_removal() -> None:
    odds = np.array([2.0, 2.0, 4.0, 4.0, 4.0])  # 1/2 + 1/2 = 1 (no margin); 3/4: a negative one
    groups = np.array(["x", "x", "y", "y", "y"])
    got = grouped_implied_probabilities(odds, groups, "multiplicative")
    np.testing.assert_allclose(got, [0.5, 0.5, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(grouped_overround(odds, groups), [0.0, -0.25])


def test_shin_over_a_race_sums_to_one_and_favours_the_favourite_less_than_the_odds() -> None:
    odds = np.array([2.5, 4.0, 6.0, 9.0, 15.0, 26.0, 41.0])
    p = grouped_implied_probabilities(odds, np.zeros(7, dtype=int), "shin")
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    naive = (1 / odds) / (1 / odds).sum()
    assert p[0] > naive[0] and p[-1] < naive[-1]  # Shin moves margin onto the long shots


def test_an_event_with_a_bad_price_is_nan_on_every_row_and_others_are_priced() -> None:
    odds = np.array([2.0, np.nan, 3.0, 1.8, 2.1])
    groups = np.array([1, 1, 1, 2, 2])
    got = grouped_implied_probabilities(odds, groups, "power")
    assert np.isnan(got[:3]).all() and got[3:].sum() == pytest.approx(1.0)
    assert np.isnan(grouped_overround(odds, groups)[1])


def test_softmax_is_stable_for_huge_scores() -> None:
    p = grouped_softmax(np.array([1e308, -1e308, 1e308, 1.0, 2.0]), np.array([0, 0, 0, 1, 1]))
    np.testing.assert_allclose(p, [0.5, 0.0, 0.5, 1 / (1 + math.e), math.e / (1 + math.e)])
    log_p = grouped_log_softmax(np.array([-800.0, 0.0]), np.array([0, 0]))
    assert log_p[0] == pytest.approx(-800.0) and np.isfinite(log_p).all()


def test_the_conditional_logit_gradient_is_the_derivative_of_its_loss() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(30), rng.integers(2, 15, size=30))
    won = np.zeros(groups.size, dtype=int)
    won[np.unique(groups, return_index=True)[1]] = 1
    scores = rng.normal(size=groups.size)
    loss, grad = conditional_logit_loss(scores, groups, won)
    p = grouped_softmax(scores, groups)
    assert loss == pytest.approx(grouped_log_loss(p, groups, won) * 30, rel=1e-10)
    np.testing.assert_allclose(grad, p - won, atol=1e-15)
    np.testing.assert_allclose(pd.Series(grad).groupby(groups).sum(), 0.0, atol=1e-12)
    error = check_grad(
        lambda s: conditional_logit_loss(s, groups, won)[0],
        lambda s: conditional_logit_loss(s, groups, won)[1],
        scores,
    )
    assert error < 1e-5


def test_the_cross_entropy_with_one_winner_is_the_conditional_logit_loss() -> None:
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(20), rng.integers(2, 15, size=20))
    won = np.zeros(groups.size)
    won[np.unique(groups, return_index=True)[1] + 1] = 1.0
    scores = rng.normal(size=groups.size) * 2
    loss, grad = grouped_cross_entropy(scores, groups, won)
    expected_loss, expected_grad = conditional_logit_loss(scores, groups, won)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, atol=1e-15)


def test_the_cross_entropy_matches_a_brute_force_reference_with_dead_heats() -> None:
    scores = np.array([0.3, -1.2, 2.0, 0.5, 0.5, -0.7, 1.1, 0.0])
    groups = np.array([1, 1, 1, 2, 2, 2, 3, 3])
    target = np.array([0.0, 0.5, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0])  # event 3 has no result
    expected = 0.0
    for event in (1, 2):
        rows = np.flatnonzero(groups == event)
        log_norm = math.log(sum(math.exp(scores[i]) for i in rows))
        expected -= sum(target[i] * (scores[i] - log_norm) for i in rows)
    loss, grad = grouped_cross_entropy(scores, groups, target)
    assert loss == pytest.approx(expected, rel=1e-12)
    assert np.all(grad[groups == 3] == 0.0)
    error = check_grad(
        lambda s: grouped_cross_entropy(s, groups, target)[0],
        lambda s: grouped_cross_entropy(s, groups, target)[1],
        scores,
    )
    assert error < 1e-6
    with pytest.raises(DataError, match="sum to 1 or 0"):
        grouped_cross_entropy(scores, groups, target * 0.5)
    with pytest.raises(DataError, match="non-negative"):
        grouped_cross_entropy(scores, groups, -target)


def test_demeaning_is_a_groupby_transform_and_keeps_missing_values() -> None:
    rng = np.random.default_rng(6)
    groups = rng.integers(0, 9, size=80)
    values = rng.normal(size=(80, 3)) + groups[:, None]
    values[rng.random((80, 3)) < 0.1] = np.nan
    got = grouped_demean(values, groups)
    frame = pd.DataFrame(values)
    expected = frame - frame.groupby(groups).transform("mean")
    np.testing.assert_allclose(got, expected.to_numpy(), atol=1e-12)
    assert np.array_equal(np.isnan(got), np.isnan(values))
    np.testing.assert_allclose(grouped_demean(values[:, 0], groups), got[:, 0], atol=1e-12)
    with pytest.raises(InvalidParameterError, match="1-D or 2-D"):
        grouped_demean(np.zeros((2, 2, 2)), [0, 1])


# -- properties ------------------------------------------------------------------------------


@st.composite
def _events(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, event ids (events of 2..14 rows, shuffled together) and a winner per event."""
    sizes = draw(st.lists(st.integers(2, 14), min_size=1, max_size=6))
    groups = np.repeat(np.arange(len(sizes)) * 7 + 3, sizes)
    scores = np.array(
        draw(st.lists(st.floats(-50, 50), min_size=groups.size, max_size=groups.size))
    )
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    won = np.zeros(groups.size, dtype=int)
    won[[s + draw(st.integers(0, k - 1)) for s, k in zip(starts, sizes, strict=True)]] = 1
    order = np.array(draw(st.permutations(range(groups.size))))
    return scores[order], groups[order], won[order]


@settings(deadline=None)  # the number of examples comes from the Hypothesis profile
@given(_events())
def test_softmax_sums_to_one_in_every_event(events: tuple[np.ndarray, ...]) -> None:
    scores, groups, _ = events
    p = grouped_softmax(scores, groups)
    assert np.all((p >= 0) & (p <= 1))
    sums = pd.Series(p).groupby(groups).sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)


@settings(deadline=None)  # the number of examples comes from the Hypothesis profile
@given(_events(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_of_rows(
    events: tuple[np.ndarray, ...], rnd: random.Random
) -> None:
    scores, groups, won = events
    order = np.arange(scores.size)
    rnd.shuffle(order)
    p = grouped_softmax(scores, groups)
    np.testing.assert_allclose(grouped_softmax(scores[order], groups[order]), p[order], atol=1e-15)
    losses = per_group_log_loss(p, groups, won)
    shuffled = per_group_log_loss(p[order], groups[order], won[order])
    pd.testing.assert_series_equal(shuffled.sort_index(), losses.sort_index(), rtol=1e-12)
    assert grouped_brier_score(p[order], groups[order], won[order]) == pytest.approx(
        grouped_brier_score(p, groups, won), rel=1e-12
    )
    odds = 1.0 / (p * 1.15) + 0.01  # prices above 1 with a margin
    for method in ("multiplicative", "power", "shin"):
        implied = grouped_implied_probabilities(odds, groups, method)
        again = grouped_implied_probabilities(odds[order], groups[order], method)
        np.testing.assert_allclose(again, implied[order], rtol=1e-12, atol=1e-15)


@settings(deadline=None)  # the number of examples comes from the Hypothesis profile
@given(_events(), st.floats(-1e6, 1e6))
def test_a_constant_added_to_an_event_changes_nothing(
    events: tuple[np.ndarray, ...], shift: float
) -> None:
    scores, groups, _ = events
    first = groups == groups[0]
    np.testing.assert_allclose(
        grouped_softmax(np.where(first, scores + shift, scores), groups),
        grouped_softmax(scores, groups),
        atol=1e-9,
    )


# -- bad input -------------------------------------------------------------------------------


def test_bad_shapes_and_lengths_are_invalid_parameters() -> None:
    with pytest.raises(InvalidParameterError, match="1-D"):
        grouped_softmax(np.zeros((2, 2)), np.zeros(4))
    with pytest.raises(InvalidParameterError, match="groups has 3 rows"):
        grouped_softmax(np.zeros(2), np.zeros(3))
    with pytest.raises(InvalidParameterError, match="won must be 1-D"):
        grouped_log_loss(np.array([0.5, 0.5]), np.array([1, 1]), np.array([1]))
    with pytest.raises(InvalidParameterError, match="unknown method 'fair'"):
        grouped_implied_probabilities(np.array([2.0, 2.0]), np.array([1, 1]), "fair")  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # an InvalidParameterError is a ValueError too
        grouped_softmax(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: grouped_softmax([], []), "no rows"),
        (lambda: grouped_softmax([0.0, np.nan], [1, 1]), "NaN or infinite"),
        (lambda: grouped_softmax([0.0, 1.0], [1, None]), "missing event ids"),
        (lambda: grouped_log_loss([0.5, 0.5], [1, 1], [1, 1]), "exactly one winner"),
        (lambda: grouped_log_loss([0.5, 0.5, 1.0], [1, 1, 2], [1, 0, 0]), "event 2 has 0"),
        (lambda: grouped_log_loss([0.5, 0.5], [1, 1], [1, 0.5]), "0 or 1"),
        (lambda: grouped_brier_score([0.5, 0.6], [1, 1], [1, 0]), "sum to 1 within each event"),
        (lambda: grouped_brier_score([1.5, -0.5], [1, 1], [1, 0]), r"lie in \[0, 1\]"),
        (lambda: grouped_implied_probabilities([2.0, 2.0, 3.0], [1, 1, 2]), "two runners"),
        (lambda: conditional_logit_loss([0.0, 1.0], [1, 1], [0, 0]), "exactly one winner"),
    ],
)
def test_malformed_data_is_a_data_error(call: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        call()  # type: ignore[operator]
