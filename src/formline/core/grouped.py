"""Core maths for events with a variable number of outcomes: one winner among a group's members.

A horse race has 2 to 14 runners and one winner, so its forecasts do not fit the ``(n, k)``
arrays of :mod:`formline.core.metrics` and :mod:`formline.core.markets`. Here the data are long:
one row per member (a runner), a ``groups`` array naming each row's event, and, where known, a
0/1 ``won`` array with exactly one winner per event. Rows of an event need not be adjacent, and
no result depends on the order of the rows or of the events.

* :func:`grouped_softmax` and :func:`grouped_log_softmax` turn scores into probabilities that
  sum to 1 per event (stable for any score scale: each event's maximum is subtracted first).
* :func:`conditional_logit_loss` is the conditional logit's negative log likelihood and its
  gradient in the scores, for fitting a linear score with ``scipy.optimize.minimize``;
  :func:`grouped_cross_entropy` is the same with the winner's credit shared (a dead heat).
* :func:`grouped_demean` subtracts each event's mean from a feature matrix (features relative
  to the field).
* :func:`per_group_log_loss`, :func:`grouped_log_loss` and :func:`grouped_brier_score` score
  forecasts of the winner. The outcomes of an event are not ordered, so there is no grouped RPS
  (:func:`formline.core.metrics.rps` is for ordered outcomes such as 1X2).
* :func:`grouped_implied_probabilities` and :func:`grouped_overround` remove the bookmaker's
  margin event by event, with the methods of :mod:`formline.core.markets` (multiplicative,
  additive, power, Shin, odds ratio), which they call on the events of each size.

Every function returns per-row results as arrays aligned with the input rows and per-event
results as a :class:`pandas.Series` indexed by event id, in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from formline.core.markets import METHODS, Method, implied_probabilities, overround

# The fixed-k scores' tolerance on probability sums and log clipping, so that both agree.
from formline.core.metrics import _EPS, _SUM_TOL
from formline.errors import DataError, InvalidParameterError

__all__ = [
    "conditional_logit_loss",
    "grouped_brier_score",
    "grouped_cross_entropy",
    "grouped_demean",
    "grouped_implied_probabilities",
    "grouped_log_loss",
    "grouped_log_softmax",
    "grouped_overround",
    "grouped_softmax",
    "per_group_log_loss",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class _Groups:
    """Each row's event code ``0 .. n_groups - 1`` and the event ids in first-seen order."""

    codes: IntArray
    labels: pd.Index
    sizes: IntArray

    @property
    def n_groups(self) -> int:
        return len(self.labels)


def _encode(groups: ArrayLike, n_rows: int) -> _Groups:
    raw = np.asarray(groups)
    if raw.ndim != 1:
        raise InvalidParameterError(f"groups must be 1-D, got shape {raw.shape}")
    if raw.shape[0] != n_rows:
        raise InvalidParameterError(f"groups has {raw.shape[0]} rows but the values have {n_rows}")
    if n_rows == 0:
        raise DataError("no rows: need at least one event")
    codes, labels = pd.factorize(raw, sort=False)
    if bool((codes < 0).any()):
        raise DataError("groups contain missing event ids; drop those rows first")
    codes64 = codes.astype(np.int64)
    return _Groups(codes64, pd.Index(labels), np.bincount(codes64).astype(np.int64))


def _values(values: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidParameterError(f"{name} must be 1-D, one value per row; got shape {arr.shape}")
    return arr


def _label(groups: _Groups, code: int) -> object:
    """An event id as given (a NumPy scalar as the Python value, for messages)."""
    label = groups.labels[code]
    return label.item() if isinstance(label, np.generic) else label


def _group_sum(values: FloatArray, groups: _Groups) -> FloatArray:
    sums = np.bincount(groups.codes, weights=values, minlength=groups.n_groups)
    return np.asarray(sums, dtype=np.float64)


def _group_max(values: FloatArray, groups: _Groups) -> FloatArray:
    maxima = np.full(groups.n_groups, -np.inf)
    np.maximum.at(maxima, groups.codes, values)
    return maxima


def _finite(values: ArrayLike, groups: ArrayLike, name: str) -> tuple[FloatArray, _Groups]:
    """1-D finite values and their events."""
    arr = _values(values, name)
    encoded = _encode(groups, arr.shape[0])
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contain NaN or infinite values; drop or impute those rows first")
    return arr, encoded


def _scores(scores: ArrayLike, groups: ArrayLike) -> tuple[FloatArray, _Groups]:
    return _finite(scores, groups, "scores")


def _log_softmax(values: FloatArray, groups: _Groups) -> FloatArray:
    # A score more than ~1.8e308 below its event's maximum overflows to -inf: probability 0.
    with np.errstate(over="ignore"):
        shifted = values - _group_max(values, groups)[groups.codes]
    # Each event's maximum is now 0, so every sum is in [1, size]: no overflow, no log(0).
    log_norm = np.log(_group_sum(np.exp(shifted), groups))
    result: FloatArray = shifted - log_norm[groups.codes]
    return result


def grouped_log_softmax(scores: ArrayLike, groups: ArrayLike) -> FloatArray:
    """Log probabilities ``s_i - log(sum_{j in g(i)} exp(s_j))`` per row, computed stably.

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One score per row (a runner's linear predictor, a log strength).
    groups : array_like, shape (n,)
        The event of each row (any hashable ids).

    Returns
    -------
    numpy.ndarray, shape (n,)
        Log probabilities; ``exp`` of each event's values sums to 1.

    Raises
    ------
    InvalidParameterError
        If an array is not 1-D or the lengths differ.
    DataError
        If there are no rows, an event id is missing or a score is not finite.
    """
    values, encoded = _scores(scores, groups)
    return _log_softmax(values, encoded)


def grouped_softmax(scores: ArrayLike, groups: ArrayLike) -> FloatArray:
    """Probabilities ``exp(s_i) / sum_{j in g(i)} exp(s_j)``: the softmax within each event.

    With every event of ``k`` rows this is the row softmax of the ``(n / k, k)`` score matrix.
    Adding a constant to an event's scores changes nothing; scores of any size (``1e300``,
    ``-1e300``) are safe, since each event's maximum is subtracted before the exponential.

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One score per row.
    groups : array_like, shape (n,)
        The event of each row (any hashable ids; rows of an event need not be adjacent).

    Returns
    -------
    numpy.ndarray, shape (n,)
        Probabilities in ``[0, 1]`` summing to 1 within each event (a one-row event gets 1).

    Raises
    ------
    InvalidParameterError
        If an array is not 1-D or the lengths differ.
    DataError
        If there are no rows, an event id is missing or a score is not finite.
    """
    result: FloatArray = np.exp(grouped_log_softmax(scores, groups))
    return result


def _winners(won: ArrayLike, groups: _Groups) -> NDArray[np.bool_]:
    raw = np.asarray(won)
    if raw.ndim != 1 or raw.shape[0] != groups.codes.shape[0]:
        raise InvalidParameterError(
            f"won must be 1-D with one value per row ({groups.codes.shape[0]}), got {raw.shape}"
        )
    as_float = raw.astype(np.float64)
    if not np.all((as_float == 0.0) | (as_float == 1.0)):
        raise DataError("won must be 0 or 1 (or False/True) on every row, without missing values")
    flags: NDArray[np.bool_] = np.asarray(as_float == 1.0, dtype=np.bool_)
    counts = np.bincount(groups.codes, weights=as_float, minlength=groups.n_groups)
    wrong = np.flatnonzero(counts != 1.0)
    if wrong.size:
        first = _label(groups, int(wrong[0]))
        raise DataError(
            f"every event needs exactly one winner; {wrong.size} do not (event {first!r} has "
            f"{int(counts[wrong[0]])})"
        )
    return flags


def _probabilities(p: ArrayLike, groups: ArrayLike) -> tuple[FloatArray, _Groups]:
    """Validated probabilities, renormalised within each event (as metrics renormalises rows)."""
    values, encoded = _finite(p, groups, "probabilities")
    if np.any(values < 0.0) or np.any(values > 1.0):
        raise DataError("probabilities must lie in [0, 1]")
    sums = _group_sum(values, encoded)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > _SUM_TOL:
        raise DataError(
            f"probabilities must sum to 1 within each event; event {_label(encoded, worst)!r} "
            f"sums to {sums[worst]:.6g}"
        )
    normalised: FloatArray = values / sums[encoded.codes]
    return normalised, encoded


def per_group_log_loss(p: ArrayLike, groups: ArrayLike, won: ArrayLike) -> pd.Series:
    """Negative log probability of each event's winner (natural log).

    Parameters
    ----------
    p : array_like of float, shape (n,)
        Forecast probability of each row's member winning; each event's sum to 1 (within
        ``1e-6``; they are renormalised). Clipped at the float64 machine epsilon before the log,
        as :func:`formline.core.metrics.per_match_log_loss` does.
    groups : array_like, shape (n,)
        The event of each row.
    won : array_like of 0/1 or bool, shape (n,)
        1 on the winner's row, exactly one per event.

    Returns
    -------
    pandas.Series
        One value per event, indexed by event id in order of first appearance.

    Raises
    ------
    InvalidParameterError
        If an array is not 1-D or the lengths differ.
    DataError
        If a probability is missing or outside ``[0, 1]``, an event's do not sum to 1, or an
        event has no winner or more than one.
    """
    probs, encoded = _probabilities(p, groups)
    flags = _winners(won, encoded)
    observed = np.empty(encoded.n_groups)
    observed[encoded.codes[flags]] = probs[flags]
    losses = -np.log(np.clip(observed, _EPS, 1.0 - _EPS))
    return pd.Series(losses, index=encoded.labels, name="log_loss")


def grouped_log_loss(p: ArrayLike, groups: ArrayLike, won: ArrayLike) -> float:
    """Mean over events of the negative log probability of the winner (see
    :func:`per_group_log_loss`); with ``k`` rows per event, :func:`formline.core.metrics.log_loss`
    of the ``(n / k, k)`` matrix.

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`per_group_log_loss`.
    """
    return float(per_group_log_loss(p, groups, won).mean())


def grouped_brier_score(p: ArrayLike, groups: ArrayLike, won: ArrayLike) -> float:
    """Multiclass Brier score over events: mean over events of ``sum_i (p_i - won_i)**2``.

    Not halved, as :func:`formline.core.metrics.brier_score`: it ranges over ``[0, 2]``, and a
    uniform forecast of an event with ``k`` members scores ``1 - 1 / k``, so compare models on
    the same events.

    Parameters
    ----------
    p, groups, won
        As :func:`per_group_log_loss`.

    Returns
    -------
    float

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`per_group_log_loss`.
    """
    probs, encoded = _probabilities(p, groups)
    flags = _winners(won, encoded)
    squared = (probs - flags) ** 2
    return float(_group_sum(squared, encoded).mean())


def conditional_logit_loss(
    scores: ArrayLike, groups: ArrayLike, won: ArrayLike
) -> tuple[float, FloatArray]:
    """The conditional logit's negative log likelihood of the winners and its gradient.

    ``L = -sum_g log softmax_g(s)[winner of g]``; ``dL / ds_i = p_i - won_i`` with ``p`` the
    :func:`grouped_softmax` of ``s``. For scores ``X @ beta`` the gradient in ``beta`` is
    ``X.T @ grad``, which is what ``scipy.optimize.minimize(..., jac=True)`` needs.

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One score per row.
    groups : array_like, shape (n,)
        The event of each row.
    won : array_like of 0/1 or bool, shape (n,)
        1 on the winner's row, exactly one per event.

    Returns
    -------
    tuple of (float, numpy.ndarray of shape (n,))
        The summed loss (divide by the number of events for :func:`grouped_log_loss` without its
        clipping) and its gradient in ``scores``.

    Raises
    ------
    InvalidParameterError
        If an array is not 1-D or the lengths differ.
    DataError
        If a score is not finite, an event id is missing, or an event has no winner or more
        than one.
    """
    values, encoded = _scores(scores, groups)
    flags = _winners(won, encoded)
    log_p = _log_softmax(values, encoded)
    gradient: FloatArray = np.exp(log_p) - flags
    return float(-log_p[flags].sum()), gradient


def grouped_cross_entropy(
    scores: ArrayLike, groups: ArrayLike, target: ArrayLike
) -> tuple[float, FloatArray]:
    """Cross entropy of the grouped softmax against a target distribution within each event.

    ``L = -sum_i t_i log softmax_g(s)_i`` and ``dL / ds_i = p_i * T_g - t_i`` with ``T_g`` the
    event's total target. With one 1 per event this is :func:`conditional_logit_loss`; a dead
    heat of ``m`` winners gives each ``1 / m``. An event whose target is all zero adds nothing.

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One score per row.
    groups : array_like, shape (n,)
        The event of each row.
    target : array_like of float, shape (n,)
        Non-negative credit per row; each event's sums to 1 (within ``1e-6``) or to 0.

    Returns
    -------
    tuple of (float, numpy.ndarray of shape (n,))
        The summed loss and its gradient in ``scores``.

    Raises
    ------
    InvalidParameterError
        If an array is not 1-D or the lengths differ.
    DataError
        If a score or target is not finite, a target is negative, an event id is missing or an
        event's target sums to neither 0 nor 1.
    """
    values, encoded = _scores(scores, groups)
    weights = _values(target, "target")
    if weights.shape != values.shape:
        raise InvalidParameterError(f"target has {weights.shape[0]} rows, scores {values.shape[0]}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0.0):
        raise DataError("target must be finite and non-negative on every row")
    totals = _group_sum(weights, encoded)
    wrong = np.flatnonzero((np.abs(totals - 1.0) > _SUM_TOL) & (totals != 0.0))
    if wrong.size:
        raise DataError(
            f"each event's target must sum to 1 or 0; event {_label(encoded, int(wrong[0]))!r} "
            f"sums to {totals[wrong[0]]:.6g}"
        )
    log_p = _log_softmax(values, encoded)
    gradient: FloatArray = np.exp(log_p) * totals[encoded.codes] - weights
    return float(-(weights * log_p).sum()), gradient


def grouped_demean(values: ArrayLike, groups: ArrayLike) -> FloatArray:
    """Each value minus its event's mean, column by column.

    Missing values (NaN) stay missing and are left out of the mean; a column that is missing on
    every row of an event stays NaN there.

    Parameters
    ----------
    values : array_like of float, shape (n,) or (n, d)
        One row per member.
    groups : array_like, shape (n,)
        The event of each row.

    Returns
    -------
    numpy.ndarray, the shape of ``values``
        Values relative to the field: each event's (non-missing) values have mean 0.

    Raises
    ------
    InvalidParameterError
        If ``values`` is not 1-D or 2-D or the lengths differ.
    DataError
        If there are no rows or an event id is missing.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise InvalidParameterError(f"values must be 1-D or 2-D, got shape {arr.shape}")
    encoded = _encode(groups, arr.shape[0])
    matrix = arr.reshape(arr.shape[0], -1)
    present = ~np.isnan(matrix)
    filled = np.where(present, matrix, 0.0)
    means = np.empty((encoded.n_groups, matrix.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        for column in range(matrix.shape[1]):
            counts = _group_sum(present[:, column].astype(np.float64), encoded)
            means[:, column] = _group_sum(filled[:, column], encoded) / counts
    result: FloatArray = (matrix - means[encoded.codes]).reshape(arr.shape)
    return result


def _odds(odds: ArrayLike, groups: ArrayLike) -> tuple[FloatArray, _Groups, IntArray]:
    """Validated odds, their events and the row order that puts each event's rows together."""
    values = _values(odds, "odds")
    encoded = _encode(groups, values.shape[0])
    alone = np.flatnonzero(encoded.sizes < 2)
    if alone.size:
        raise DataError(
            f"an event needs at least two runners to have a market; {alone.size} have one "
            f"(event {_label(encoded, int(alone[0]))!r})"
        )
    return values, encoded, np.argsort(encoded.codes, kind="stable").astype(np.int64)


def _by_size(
    values: FloatArray,
    encoded: _Groups,
    order: IntArray,
    compute: Callable[[FloatArray], FloatArray],
) -> list[tuple[IntArray, IntArray, FloatArray]]:
    """Apply a fixed-``k`` function of :mod:`formline.core.markets` to the events of each size.

    Returns, per size, (the event codes, the ``(m, k)`` input row positions, the result).
    """
    starts = np.concatenate([[0], np.cumsum(encoded.sizes)[:-1]]).astype(np.int64)
    ordered = values[order]
    out = []
    for k in np.unique(encoded.sizes):
        events = np.flatnonzero(encoded.sizes == k).astype(np.int64)
        positions = starts[events][:, None] + np.arange(k)
        out.append((events, order[positions], compute(ordered[positions])))
    return out


def grouped_implied_probabilities(
    odds: ArrayLike, groups: ArrayLike, method: Method = "shin"
) -> FloatArray:
    """Probabilities implied by decimal odds with each event's margin removed.

    Each event is one market over its runners, priced by
    :func:`formline.core.markets.implied_probabilities` with ``method``, so an event of ``k``
    runners gets exactly what a ``(1, k)`` row would. Rows of an event need not be adjacent;
    within an event they keep their order.

    Parameters
    ----------
    odds : array_like of float, shape (n,)
        Decimal odds of each row's runner.
    groups : array_like, shape (n,)
        The event of each row; every event needs at least two runners.
    method : {"multiplicative", "additive", "power", "shin", "odds_ratio"}, default "shin"
        See :func:`formline.core.markets.implied_probabilities`.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Probabilities summing to 1 within each event; NaN on every row of an event with a
        missing, non-finite or ``<= 1`` price (and, for ``additive``, where the margin's share
        would leave a runner without probability).

    Raises
    ------
    InvalidParameterError
        If ``method`` is unknown, an array is not 1-D or the lengths differ.
    DataError
        If there are no rows, an event id is missing or an event has a single runner.
    """
    if method not in METHODS:
        raise InvalidParameterError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    values, encoded, order = _odds(odds, groups)
    result = np.empty(values.shape[0])
    for _, positions, probs in _by_size(
        values, encoded, order, lambda block: implied_probabilities(block, method)
    ):
        result[positions] = probs
    return result


def grouped_overround(odds: ArrayLike, groups: ArrayLike) -> pd.Series:
    """Bookmaker margin of each event: ``sum(1 / odds) - 1`` over its runners.

    Parameters
    ----------
    odds, groups
        As :func:`grouped_implied_probabilities`.

    Returns
    -------
    pandas.Series
        One value per event, indexed by event id in order of first appearance; NaN for an event
        with a missing or invalid (``<= 1``) price.

    Raises
    ------
    InvalidParameterError, DataError
        As :func:`grouped_implied_probabilities`.
    """
    values, encoded, order = _odds(odds, groups)
    margins = np.empty(encoded.n_groups)
    for events, _, margin in _by_size(values, encoded, order, overround):
        margins[events] = margin
    return pd.Series(margins, index=encoded.labels, name="overround")
