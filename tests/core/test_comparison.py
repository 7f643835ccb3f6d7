"""Paired bootstrap: separates a clearly better model, not identical ones; reproducible."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formline.core.comparison import BootstrapResult, paired_bootstrap


def _losses(n: int, edge: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    b = rng.gamma(2.0, 0.5, size=n)
    a = b - edge + rng.normal(0.0, 0.05, size=n)
    return a, b


def test_clearly_better_model() -> None:
    a, b = _losses(2_000, edge=0.02, seed=0)
    result = paired_bootstrap(a, b)
    assert result.mean_diff == pytest.approx(np.mean(a - b))
    assert result.low < result.mean_diff < result.high < 0.0
    assert result.excludes_zero
    assert result.p_value_a_not_better == pytest.approx(1 / 2001)
    assert result.n == 2_000 and result.n_blocks == 2_000


def test_identical_models() -> None:
    a, _ = _losses(500, edge=0.0, seed=1)
    result = paired_bootstrap(a, a.copy())
    assert result.mean_diff == 0.0
    assert result.low <= 0.0 <= result.high
    assert not result.excludes_zero


def test_no_difference_contains_zero() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.gamma(2.0, 0.5, size=(2, 3_000))
    result = paired_bootstrap(a, b)
    assert result.low < 0.0 < result.high
    assert 0.02 < result.p_value_a_not_better < 0.98


def test_deterministic_with_random_state() -> None:
    a, b = _losses(300, edge=0.01, seed=3)
    first = paired_bootstrap(a, b, n_boot=500, random_state=7)
    assert first == paired_bootstrap(a, b, n_boot=500, random_state=7)
    assert first != paired_bootstrap(a, b, n_boot=500, random_state=8)


def test_interval_width_matches_the_standard_error() -> None:
    rng = np.random.default_rng(4)
    diff = rng.normal(0.0, 1.0, size=4_000)
    result = paired_bootstrap(diff, np.zeros_like(diff), n_boot=2_000)
    expected_half_width = 1.96 * diff.std() / np.sqrt(diff.size)
    assert (result.high - result.low) / 2 == pytest.approx(expected_half_width, rel=0.1)


def test_block_bootstrap_widens_for_correlated_days() -> None:
    rng = np.random.default_rng(5)
    days = np.repeat(np.arange(200), 10)
    day_shock = rng.normal(0.0, 1.0, size=200)[days]  # every match of a day moves together
    diff = day_shock + rng.normal(0.0, 0.2, size=days.size)
    zeros = np.zeros_like(diff)
    plain = paired_bootstrap(diff, zeros)
    blocked = paired_bootstrap(diff, zeros, block=days)
    assert blocked.n_blocks == 200
    assert blocked.mean_diff == pytest.approx(plain.mean_diff)
    assert (blocked.high - blocked.low) > 2.0 * (plain.high - plain.low)


def test_unequal_blocks_use_the_match_weighted_mean() -> None:
    # One replicate drawing every block once reproduces the match-level mean.
    diff = np.array([1.0, 1.0, 1.0, 4.0])
    result = paired_bootstrap(diff, np.zeros(4), block=["d1", "d1", "d1", "d2"], n_boot=2_000)
    assert result.mean_diff == pytest.approx(1.75)
    assert 1.0 <= result.low <= result.high <= 4.0


def test_result_is_frozen() -> None:
    result = paired_bootstrap([1.0, 2.0], [1.5, 2.5], n_boot=10)
    assert isinstance(result, BootstrapResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.low = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss_a": [1.0, 2.0], "loss_b": [1.0]}, "rows"),
        ({"loss_a": [1.0, np.nan], "loss_b": [1.0, 2.0]}, "NaN"),
        ({"loss_a": [1.0], "loss_b": [1.0]}, "at least two"),
        ({"loss_a": [1.0, 2.0], "loss_b": [1.0, 2.0], "ci": 1.0}, "ci"),
        ({"loss_a": [1.0, 2.0], "loss_b": [1.0, 2.0], "n_boot": 0}, "n_boot"),
        ({"loss_a": [1.0, 2.0], "loss_b": [1.0, 2.0], "block": [1]}, "block"),
    ],
)
def test_bad_inputs(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(**kwargs)  # type: ignore[arg-type]
