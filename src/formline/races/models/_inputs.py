"""Input handling shared by the race models: race codes, winners' credit, matrices, time splits.

Rows are runners; ``groups`` names each row's race. Rows of a race need not be adjacent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from formline.errors import DataError, InvalidParameterError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def race_codes(groups: ArrayLike | None, n_rows: int) -> tuple[IntArray, int]:
    """Each row's race as a code ``0 .. n_races - 1`` (first-seen order) and the race count."""
    if groups is None:
        raise InvalidParameterError("pass the race of every row as groups=..., e.g. race ids")
    raw = np.asarray(groups)
    if raw.ndim != 1 or raw.shape[0] != n_rows:
        raise InvalidParameterError(f"groups must be 1-D with {n_rows} values, got {raw.shape}")
    if n_rows == 0:
        raise DataError("no rows: need at least one race")
    codes, labels = pd.factorize(raw, sort=False)
    if bool((codes < 0).any()):
        raise DataError("groups contain missing race ids; drop those rows first")
    return codes.astype(np.int64), len(labels)


def race_sum(values: FloatArray, codes: IntArray, n_races: int) -> FloatArray:
    """Per-race sums of ``values``."""
    return np.bincount(codes, weights=values, minlength=n_races).astype(np.float64)


def winner_credit(y: ArrayLike, codes: IntArray, n_races: int) -> FloatArray:
    """Each row's share of its race's win: 1 for a lone winner, ``1 / m`` in an ``m``-way dead
    heat, 0 for losers and for every runner of a race without a winner."""
    won = np.asarray(y, dtype=np.float64)
    if won.ndim != 1 or won.shape[0] != codes.shape[0]:
        raise InvalidParameterError(f"y must be 1-D with {codes.shape[0]} values, got {won.shape}")
    if not np.all((won == 0.0) | (won == 1.0)):
        raise DataError("y must be 1 for a winner and 0 otherwise on every row, without gaps")
    winners = race_sum(won, codes, n_races)
    with np.errstate(invalid="ignore", divide="ignore"):
        credit = np.where(winners[codes] > 0.0, won / winners[codes], 0.0)
    return credit


def feature_matrix(
    X: Any, names: Sequence[str] | None = None
) -> tuple[FloatArray, list[str] | None]:
    """``X`` as a float matrix, with its column names when it is a frame.

    With ``names`` (the names seen in fit), a frame's columns are taken in that order.
    """
    if isinstance(X, pd.DataFrame):
        columns = [str(c) for c in X.columns]
        if names is not None:
            missing = [n for n in names if n not in columns]
            if missing:
                raise DataError(f"X lacks the columns the model was fitted on: {missing}")
            X = X[list(names)]
            columns = list(names)
        try:
            matrix = X.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise DataError(f"X must be numeric: {exc}") from exc
        return matrix, columns
    matrix = np.asarray(X, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2:
        raise InvalidParameterError(f"X must be 2-D (runners by features), got {matrix.shape}")
    if names is not None and matrix.shape[1] != len(names):
        raise DataError(f"X has {matrix.shape[1]} columns; the model was fitted on {len(names)}")
    return matrix, None


def frame_column(X: Any, column: str) -> pd.Series:
    """One column of the frame ``X``, or a :class:`DataError` naming it."""
    if not isinstance(X, pd.DataFrame):
        raise InvalidParameterError(f"X must be a DataFrame with a {column!r} column")
    if column not in X.columns:
        raise DataError(f"X has no {column!r} column")
    return X[column]


def numeric_columns(X: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    """The numeric (or boolean) columns of ``X`` not in ``exclude``, in frame order."""
    chosen = [
        str(c)
        for c in X.columns
        if c not in exclude
        and (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
    ]
    if not chosen:
        raise DataError("X has no numeric feature columns")
    return chosen


def later_races(
    start_at: pd.Series, codes: IntArray, n_races: int, fraction: float, name: str
) -> BoolArray:
    """Rows of about the last ``fraction`` of races by start time, all strictly later than the
    rest.

    Races are ordered by their start time (a race's earliest row, numbers or instants in any
    time zone). Races that share a start time stay on one side: the cut is the first boundary
    between distinct start times at or after the target, else the last one before it. Raises
    :class:`DataError` when every race starts at the same time.
    """
    if not 0.0 < fraction < 1.0:
        raise InvalidParameterError(f"{name} must be in (0, 1), got {fraction!r}")
    if bool(pd.isna(start_at).any()):
        raise DataError("the start time is missing on some rows")
    times: NDArray[Any]
    if _is_numeric(start_at):
        times = np.asarray(start_at, dtype=np.float64)
    else:
        # Instants as UTC nanoseconds: comparable across time zones, and fast to group.
        utc = pd.to_datetime(pd.Series(np.asarray(start_at, dtype=object)), utc=True)
        times = utc.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    start = np.full(n_races, np.iinfo(np.int64).max, dtype=times.dtype)
    np.minimum.at(start, codes, times)
    order = np.argsort(start, kind="stable")
    target = min(max(int(np.floor(n_races * (1.0 - fraction))), 1), n_races - 1)
    # The nearest cut at or after the target between two distinct start times, else before it.
    steps = np.flatnonzero(np.diff(start[order]) > 0) + 1
    if steps.size == 0:
        raise DataError(f"every race starts at the same time: cannot split off {name}")
    after = steps[steps >= target]
    cut = int(after[0]) if after.size else int(steps[-1])
    late = np.zeros(n_races, dtype=np.bool_)
    late[order[cut:]] = True
    mask: BoolArray = late[codes]
    return mask


def _is_numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)
