"""Scores of win probabilities over races: log loss, pseudo-R² (Benter's yardstick), Brier, and
a paired bootstrap over races for the difference between two models.

Every score takes per-runner probabilities ``p`` (summing to 1 within each race), ``y`` (1 for
a winner) and ``groups`` (each runner's race). A dead heat of ``m`` winners gives each ``1 / m``
of the race's credit; with one winner per race the scores are those of
:mod:`formline.core.grouped`. Every race must have a winner: score finished races only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from formline.errors import DataError, InvalidParameterError
from formline.races.models._inputs import FloatArray, race_codes, race_sum, winner_credit

# The clipping of formline.core.metrics, so that a probability of 0 costs the same everywhere.
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class _Scored:
    """Per-race log likelihood of the winners, and the uniform forecast's."""

    log_likelihood: FloatArray
    uniform: FloatArray
    labels: pd.Index


def _score(p: ArrayLike, y: ArrayLike, groups: ArrayLike) -> tuple[_Scored, FloatArray, FloatArray]:
    probs = np.asarray(p, dtype=np.float64)
    if probs.ndim != 1:
        raise InvalidParameterError(f"p must be 1-D, one value per runner; got {probs.shape}")
    codes, n_races = race_codes(groups, probs.shape[0])
    if not np.all(np.isfinite(probs)) or np.any(probs < 0.0) or np.any(probs > 1.0):
        raise DataError("probabilities must be finite and in [0, 1]")
    sums = race_sum(probs, codes, n_races)
    if np.any(np.abs(sums - 1.0) > 1e-6):
        worst = int(np.argmax(np.abs(sums - 1.0)))
        raise DataError(
            f"probabilities must sum to 1 within each race; one sums to {sums[worst]:.6g}"
        )
    credit = winner_credit(y, codes, n_races)
    if np.any(race_sum(credit, codes, n_races) == 0.0):
        raise DataError("a race has no winner; score finished races only")
    probs = probs / sums[codes]
    terms = credit * np.log(np.clip(probs, _EPS, 1.0 - _EPS))
    sizes = np.bincount(codes, minlength=n_races).astype(np.float64)
    labels = pd.Index(pd.unique(np.asarray(groups)))
    scored = _Scored(race_sum(terms, codes, n_races), -np.log(sizes), labels)
    return scored, probs, credit


def per_race_log_likelihood(p: ArrayLike, y: ArrayLike, *, groups: ArrayLike) -> pd.Series:
    """Each race's log probability of its winner (``sum_i t_i log p_i`` for a dead heat).

    Returns
    -------
    pandas.Series
        Indexed by race id in order of first appearance.

    Raises
    ------
    InvalidParameterError
        If the shapes disagree.
    DataError
        If a probability is invalid, a race's do not sum to 1 or a race has no winner.
    """
    scored, _, _ = _score(p, y, groups)
    return pd.Series(scored.log_likelihood, index=scored.labels, name="log_likelihood")


def winner_log_loss(p: ArrayLike, y: ArrayLike, *, groups: ArrayLike) -> float:
    """Mean over races of ``-log p(winner)`` (natural log); lower is better.

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`per_race_log_likelihood`.
    """
    scored, _, _ = _score(p, y, groups)
    return float(-scored.log_likelihood.mean())


def pseudo_r2(p: ArrayLike, y: ArrayLike, *, groups: ArrayLike) -> float:
    """``1 - L(model) / L(uniform)`` with ``L = -sum over races of log p(winner)`` and the
    uniform forecast giving each of a race's ``k`` runners ``1 / k``: Benter's (1994) measure.

    0 is no better than picking at random, 1 a certain forecast of every winner.

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`per_race_log_likelihood`.
    """
    scored, _, _ = _score(p, y, groups)
    return float(1.0 - scored.log_likelihood.sum() / scored.uniform.sum())


def win_brier(p: ArrayLike, y: ArrayLike, *, groups: ArrayLike) -> float:
    """Mean over races of ``sum_i (p_i - t_i)**2`` with ``t_i`` the runner's share of the win.

    Not halved (as :func:`formline.core.grouped.grouped_brier_score`): in ``[0, 2]``.

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`per_race_log_likelihood`.
    """
    _, probs, credit = _score(p, y, groups)
    codes, n_races = race_codes(groups, probs.shape[0])
    return float(race_sum((probs - credit) ** 2, codes, n_races).mean())


@dataclass(frozen=True)
class PairedBootstrap:
    """Model A against model B on the same races, resampling races with replacement.

    ``difference`` is the mean over races of ``log p_A(winner) - log p_B(winner)`` (positive:
    A is better) and ``delta_pseudo_r2`` the gain in pseudo-R², ``R²_A - R²_B``; each with its
    percentile interval at ``confidence``.
    """

    difference: float
    difference_low: float
    difference_high: float
    delta_pseudo_r2: float
    delta_low: float
    delta_high: float
    n_races: int
    n_resamples: int
    confidence: float

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval of the difference lies wholly on one side of 0."""
        return self.difference_low > 0.0 or self.difference_high < 0.0


def paired_bootstrap(
    p_a: ArrayLike,
    p_b: ArrayLike,
    y: ArrayLike,
    *,
    groups: ArrayLike,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    random_state: int = 0,
) -> PairedBootstrap:
    """A paired bootstrap over races of the log-likelihood difference between two models.

    Parameters
    ----------
    p_a, p_b : array_like of float, shape (n,)
        Two models' win probabilities for the same runners.
    y, groups
        As :func:`per_race_log_likelihood`.
    n_resamples : int, default 2000
        Bootstrap resamples of the races.
    confidence : float, default 0.95
        Coverage of the percentile intervals.
    random_state : int, default 0
        Seed: the same seed gives the same intervals.

    Returns
    -------
    PairedBootstrap

    Raises
    ------
    InvalidParameterError
        If ``n_resamples < 1`` or ``confidence`` is not in (0, 1), or the shapes disagree.
    DataError
        As :func:`per_race_log_likelihood`.
    """
    if n_resamples < 1:
        raise InvalidParameterError(f"n_resamples must be >= 1, got {n_resamples!r}")
    if not 0.0 < confidence < 1.0:
        raise InvalidParameterError(f"confidence must be in (0, 1), got {confidence!r}")
    a, _, _ = _score(p_a, y, groups)
    b, _, _ = _score(p_b, y, groups)
    gain = a.log_likelihood - b.log_likelihood
    uniform_loss = -a.uniform
    n = gain.shape[0]
    rng = np.random.default_rng(random_state)
    differences = np.empty(n_resamples)
    deltas = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // n)
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        picks = rng.integers(0, n, size=(stop - start, n))
        differences[start:stop] = gain[picks].mean(axis=1)
        deltas[start:stop] = gain[picks].sum(axis=1) / uniform_loss[picks].sum(axis=1)
    tail = 100.0 * (1.0 - confidence) / 2.0
    d_low, d_high = np.percentile(differences, [tail, 100.0 - tail])
    r_low, r_high = np.percentile(deltas, [tail, 100.0 - tail])
    return PairedBootstrap(
        difference=float(gain.mean()),
        difference_low=float(d_low),
        difference_high=float(d_high),
        delta_pseudo_r2=float(gain.sum() / uniform_loss.sum()),
        delta_low=float(r_low),
        delta_high=float(r_high),
        n_races=n,
        n_resamples=n_resamples,
        confidence=confidence,
    )
