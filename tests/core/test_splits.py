"""Walk-forward splits: no training row within the gap of validation, ordered disjoint blocks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from formline.core.splits import season_blocks, walk_forward_splits


def _kickoffs(n: int, seed: int = 0) -> np.ndarray:
    """Unsorted kickoff times over about three years, several matches per day."""
    rng = np.random.default_rng(seed)
    days = np.sort(rng.integers(0, 1_000, size=n))
    times = np.datetime64("2020-08-01T15:00") + days.astype("timedelta64[D]")
    return rng.permutation(times)


@pytest.mark.parametrize("gap", [timedelta(days=7), np.timedelta64(0, "D"), timedelta(days=30)])
def test_training_ends_a_gap_before_validation(gap: timedelta | np.timedelta64) -> None:
    times = _kickoffs(2_000)
    splits = walk_forward_splits(times, n_splits=5, gap=gap)
    assert len(splits) == 5
    gap64 = pd.Timedelta(gap).to_timedelta64()
    for train, val in splits:
        assert train.size > 0 and val.size > 0
        assert times[train].max() < times[val].min() - gap64
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)


def test_blocks_are_disjoint_ordered_and_cover_the_tail() -> None:
    times = _kickoffs(2_000, seed=1)
    splits = walk_forward_splits(times, n_splits=4, min_train_fraction=0.5)
    blocks = [val for _, val in splits]
    for earlier, later in itertools.pairwise(blocks):
        assert times[earlier].max() < times[later].min()
    covered = np.concatenate(blocks)
    assert np.unique(covered).size == covered.size
    # Everything from the first validation time on is validated exactly once.
    first = times[blocks[0]].min()
    np.testing.assert_array_equal(np.sort(covered), np.flatnonzero(times >= first))
    assert times.max() in times[blocks[-1]]
    # Roughly the last half of the rows, in blocks of similar size.
    assert covered.size == pytest.approx(1_000, abs=60)
    sizes = [b.size for b in blocks]
    assert max(sizes) - min(sizes) < 60


def test_the_window_expands() -> None:
    splits = walk_forward_splits(_kickoffs(1_000), n_splits=3)
    sizes = [train.size for train, _ in splits]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert set(splits[0][0]) <= set(splits[1][0]) <= set(splits[2][0])


def test_exact_blocks_on_sorted_distinct_times() -> None:
    times = np.datetime64("2024-01-01") + np.arange(10).astype("timedelta64[D]")
    splits = walk_forward_splits(times, n_splits=2, gap=timedelta(days=1), min_train_fraction=0.6)
    (train_1, val_1), (train_2, val_2) = splits
    np.testing.assert_array_equal(val_1, [6, 7])
    np.testing.assert_array_equal(val_2, [8, 9])
    np.testing.assert_array_equal(train_1, [0, 1, 2, 3, 4])  # day 5 is within the gap of day 6
    np.testing.assert_array_equal(train_2, [0, 1, 2, 3, 4, 5, 6])


def test_equal_timestamps_stay_in_one_block() -> None:
    times = np.repeat(np.datetime64("2024-01-01") + np.arange(5).astype("timedelta64[D]"), 4)
    for _, val in walk_forward_splits(times, n_splits=2, gap=timedelta(0)):
        for day in np.unique(times[val]):
            assert np.all(np.isin(np.flatnonzero(times == day), val))


def test_deterministic() -> None:
    times = _kickoffs(500, seed=2)
    first = walk_forward_splits(times)
    second = walk_forward_splits(times.copy())
    for (a_train, a_val), (b_train, b_val) in zip(first, second, strict=True):
        np.testing.assert_array_equal(a_train, b_train)
        np.testing.assert_array_equal(a_val, b_val)


def test_accepts_aware_pandas_times() -> None:
    times = pd.Series(pd.date_range("2024-01-01", periods=50, freq="D", tz="Europe/London"))
    naive_utc = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    aware = walk_forward_splits(times, n_splits=2)
    naive = walk_forward_splits(naive_utc, n_splits=2)
    for (a_train, a_val), (b_train, b_val) in zip(aware, naive, strict=True):
        np.testing.assert_array_equal(a_train, b_train)
        np.testing.assert_array_equal(a_val, b_val)
    listed = [datetime(2024, 1, d, tzinfo=UTC) for d in range(1, 29)]
    assert len(walk_forward_splits(listed, n_splits=2)) == 2


def test_too_few_rows() -> None:
    times = np.datetime64("2024-01-01") + np.arange(6).astype("timedelta64[D]")
    with pytest.raises(ValueError, match="too few rows"):
        walk_forward_splits(times, n_splits=5)


def test_gap_longer_than_history() -> None:
    times = np.datetime64("2024-01-01") + np.arange(20).astype("timedelta64[D]")
    with pytest.raises(ValueError, match="no training rows"):
        walk_forward_splits(times, n_splits=2, gap=timedelta(days=60))


@pytest.mark.parametrize(
    "kwargs",
    [{"n_splits": 0}, {"min_train_fraction": 1.0}, {"gap": timedelta(days=-1)}],
)
def test_bad_parameters(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        walk_forward_splits(_kickoffs(100), **kwargs)  # type: ignore[arg-type]


def test_missing_times_are_refused() -> None:
    times = np.array(["2024-01-01", "NaT", "2024-01-03"], dtype="datetime64[ns]")
    with pytest.raises(ValueError, match="NaT"):
        walk_forward_splits(times, n_splits=1)


def test_season_blocks() -> None:
    starts = {"2021-22": "2021-08-01", "2022-23": "2022-08-01", "2023-24": "2023-08-01"}
    frames = [
        pd.DataFrame({"season": s, "kickoff_at": pd.date_range(d, periods=30, freq="7D", tz="UTC")})
        for s, d in starts.items()
    ]
    df = pd.concat(frames[::-1], ignore_index=True)  # seasons out of order in the input
    splits = season_blocks(df["season"], df["kickoff_at"])
    assert len(splits) == 2
    assert [df.loc[val, "season"].unique().tolist() for _, val in splits] == [
        ["2022-23"],
        ["2023-24"],
    ]
    for train, val in splits:
        assert df.loc[train, "kickoff_at"].max() < df.loc[val, "kickoff_at"].min()
    assert set(df.loc[splits[1][0], "season"]) == {"2021-22", "2022-23"}
    with pytest.raises(ValueError, match="more than 3"):
        season_blocks(df["season"], df["kickoff_at"], min_train_seasons=3)
