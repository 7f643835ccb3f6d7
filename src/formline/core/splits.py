"""Walk-forward splits: validate on later blocks, train only on what was known a gap before.

Splits are lists of ``(train_indices, validation_indices)`` pairs of int64 positions into the
input (ascending), usable with any estimator or with ``sklearn.model_selection`` helpers that take
an iterable of splits. Nothing is random. Times are compared in UTC: naive timestamps are taken as
UTC, aware ones are converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["Split", "TimesLike", "season_blocks", "walk_forward_splits"]

IntArray = NDArray[np.int64]
Split = tuple[IntArray, IntArray]
TimesLike = ArrayLike | Sequence[datetime]

_DEFAULT_GAP = timedelta(days=7)


def _as_times(times: TimesLike) -> NDArray[np.datetime64]:
    """UTC datetime64[ns] values, without missing values."""
    raw = times if isinstance(times, pd.Series | pd.Index) else np.asarray(times)
    if getattr(raw, "ndim", 1) != 1:
        raise ValueError(f"times must be 1-D, got shape {np.shape(raw)}")
    index = pd.DatetimeIndex(pd.to_datetime(raw, utc=True)).tz_convert(None)
    if index.hasnans:
        raise ValueError("times contain missing values (NaT); drop those rows first")
    return index.to_numpy(dtype="datetime64[ns]")


def _as_gap(gap: timedelta | np.timedelta64) -> np.timedelta64:
    value = pd.Timedelta(gap)
    if pd.isna(value) or value < pd.Timedelta(0):
        raise ValueError(f"gap must be a non-negative duration, got {gap!r}")
    return value.to_timedelta64()


def _split_for(
    values: NDArray[np.datetime64],
    in_block: NDArray[np.bool_],
    start: np.datetime64,
    gap: np.timedelta64,
) -> Split:
    train = np.flatnonzero(values < start - gap).astype(np.int64)
    return train, np.flatnonzero(in_block).astype(np.int64)


def walk_forward_splits(
    times: TimesLike,
    n_splits: int = 5,
    gap: timedelta | np.timedelta64 = _DEFAULT_GAP,
    min_train_fraction: float = 0.4,
) -> list[Split]:
    """Expanding-window splits ordered by time, with a gap between training and validation.

    The rows are ordered by time (stably). The first ``ceil(min_train_fraction * n)`` rows are
    only ever trained on; the rest is cut into ``n_splits`` consecutive blocks of (almost) equal
    row counts, the last block ending with the latest row. A block's start is moved back so that
    rows sharing a timestamp never straddle two blocks. For the block starting at ``t0``, the
    training rows are all rows with ``time < t0 - gap`` (so earlier validation blocks join the
    training set as the window expands).

    Parameters
    ----------
    times : array_like of datetime64, shape (n,)
        When each row became known (e.g. kickoff times); need not be sorted. Also accepts a
        pandas Series or Index (naive or aware) or a sequence of ``datetime``.
    n_splits : int, default 5
        Number of validation blocks.
    gap : datetime.timedelta or numpy.timedelta64, default 7 days
        Training rows end at least this long before the validation block starts.
    min_train_fraction : float, default 0.4
        Share of rows (earliest first) before the first validation block; in ``(0, 1)``.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        ``n_splits`` pairs of int64 positions into ``times``, ascending, ordered by block.

    Raises
    ------
    ValueError
        If a parameter is out of range, ``times`` has missing values, there are fewer
        validation rows than blocks, ties leave a block empty, or the gap leaves the first
        block without training rows.
    """
    if not isinstance(n_splits, int | np.integer) or n_splits < 1:
        raise ValueError(f"n_splits must be a positive integer, got {n_splits!r}")
    if not 0.0 < min_train_fraction < 1.0:
        raise ValueError(f"min_train_fraction must be in (0, 1), got {min_train_fraction!r}")
    values = _as_times(times)
    gap_value = _as_gap(gap)
    n = values.shape[0]
    n_initial = int(np.ceil(min_train_fraction * n - 1e-9))  # 0.7 * 10 is 7.000000000000001
    if n - n_initial < n_splits:
        raise ValueError(
            f"too few rows for {n_splits} validation blocks: {n} rows, of which {n_initial} are "
            f"the initial training portion (min_train_fraction={min_train_fraction}); "
            "lower n_splits or min_train_fraction"
        )
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first_positions = [int(chunk[0]) for chunk in np.array_split(np.arange(n_initial, n), n_splits)]
    starts = ordered[first_positions]
    if np.any(np.diff(starts) <= np.timedelta64(0, "ns")):
        raise ValueError(
            "too many rows share a timestamp to form distinct validation blocks; lower n_splits"
        )
    ends = np.append(starts[1:], ordered[-1] + np.timedelta64(1, "ns"))
    splits = [
        _split_for(values, (values >= start) & (values < end), start, gap_value)
        for start, end in zip(starts, ends, strict=True)
    ]
    if splits[0][0].size == 0:
        raise ValueError(
            f"no training rows before the first validation block minus the gap ({gap!r}); "
            "raise min_train_fraction or shorten the gap"
        )
    return splits


def season_blocks(
    seasons: ArrayLike,
    times: TimesLike,
    gap: timedelta | np.timedelta64 = _DEFAULT_GAP,
    min_train_seasons: int = 1,
) -> list[Split]:
    """Walk-forward splits that validate on whole seasons (refit at every season boundary).

    Seasons are ordered by their earliest time. Each season after the first
    ``min_train_seasons`` is one validation block; its training rows are all rows with
    ``time < season start - gap``.

    Parameters
    ----------
    seasons : array_like, shape (n,)
        Season label of each row (e.g. ``"2022-23"``); labels need not sort in time order.
    times : array_like of datetime64, shape (n,)
        When each row became known.
    gap : datetime.timedelta or numpy.timedelta64, default 7 days
        Training rows end at least this long before the season starts.
    min_train_seasons : int, default 1
        Seasons used only for training before the first validation season.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        One pair of int64 positions per validation season, in time order.

    Raises
    ------
    ValueError
        If the inputs differ in length, hold missing values, there are not more seasons
        than ``min_train_seasons``, or the gap leaves the first validation season without
        training rows.
    """
    labels = np.asarray(seasons)
    values = _as_times(times)
    gap_value = _as_gap(gap)
    if labels.ndim != 1 or labels.shape[0] != values.shape[0]:
        raise ValueError(f"seasons has shape {labels.shape} but times has {values.shape}")
    if pd.isna(labels).any():
        raise ValueError("seasons contain missing values; drop those rows first")
    if min_train_seasons < 1:
        raise ValueError(f"min_train_seasons must be at least 1, got {min_train_seasons!r}")
    codes, uniques = pd.factorize(labels)
    starts = np.array([values[codes == c].min() for c in range(len(uniques))])
    by_start = np.argsort(starts, kind="stable")
    if by_start.shape[0] <= min_train_seasons:
        raise ValueError(
            f"need more than {min_train_seasons} season(s) to validate on; got {by_start.shape[0]}"
        )
    splits = [
        _split_for(values, codes == code, starts[code], gap_value)
        for code in by_start[min_train_seasons:]
    ]
    if splits[0][0].size == 0:
        raise ValueError(
            f"no training rows before the first validation season minus the gap ({gap!r})"
        )
    return splits
