"""Walk-forward validation of a race model, calibrated on earlier folds, and the calibrated
refits of the backtest.

For splits ``1..K`` (expanding window by start time, with a gap; splits by start time never cut
a race, since all its runners share the start), the model is refitted on each training window
and predicts the next block. Fold ``k``'s win probabilities are calibrated by a
:class:`~formline.races.calibration.PowerCalibration` fitted on the raw predictions of folds
``1..k-1`` only, and its place probabilities use Benter's exponents fitted on those folds'
finishing orders. Fold 1 has no earlier fold: it calibrates, it is not scored.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Hashable, Mapping, MutableMapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from formline.core.splits import walk_forward_splits
from formline.domain import Window
from formline.races.calibration import (
    check_calibration,
    fit_exponents,
    make_race_calibrator,
    place_probabilities,
)
from formline.races.estimators import RACE_KEY, START, winners
from formline.races.models import DiscountExponents
from formline.races.scoring import targets

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class RaceWalkForward:
    """Out-of-fold predictions of the scored folds (2..K), one value per runner row."""

    rows: IntArray  # positions in the validated rows
    fold: IntArray
    p: FloatArray  # calibrated win probabilities
    raw_p: FloatArray
    place: FloatArray  # P(placed), Benter's exponents fitted on earlier folds
    harville: FloatArray  # P(placed), Harville's model
    all_rows: IntArray  # rows of every fold, 1..K
    all_raw_p: FloatArray
    all_groups: NDArray[Any]
    calibration: str = "temperature"
    #: Per extra frame (the rows as known at a lead), the calibrated win probabilities of the
    #: scored folds, aligned with ``rows``.
    extra_p: dict[str, FloatArray] = field(default_factory=dict)


def calibration_of(prototype: Any, calibration: str) -> str:
    """The calibration a model gets: ``none`` for a type that is not calibrated (the public)."""
    return "none" if not getattr(prototype, "calibrated", True) else check_calibration(calibration)


def walk_forward(
    prototype: Any,
    rows: pd.DataFrame,
    y: pd.DataFrame,
    splits: list[tuple[IntArray, IntArray]],
    calibration: str = "temperature",
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> RaceWalkForward:
    """Refit a clone of ``prototype`` on every split; calibrate each fold on the earlier ones.

    ``extra`` frames hold the same rows with other features (as known at a lead); each fold's
    model predicts their validation rows, calibrated by the fold's calibrator.

    Raises
    ------
    ValueError
        With fewer than two splits.
    """
    if len(splits) < 2:
        raise ValueError("walk-forward validation needs at least two folds")
    method = calibration_of(prototype, calibration)
    extra = dict(extra or {})
    groups = rows[RACE_KEY].to_numpy()
    won = winners(y)
    finish = y["finish_position"].to_numpy(dtype=np.float64, na_value=np.nan)
    size = rows["field_size"].to_numpy(dtype=np.float64, na_value=np.nan)
    raw: list[FloatArray] = []
    raw_extra: dict[str, list[FloatArray]] = {name: [] for name in extra}
    picked: list[IntArray] = []
    for train, val in splits:
        model = clone(prototype).fit(rows.iloc[train], y.iloc[train])
        raw.append(np.asarray(model.predict_proba(rows.iloc[val]), dtype=np.float64))
        for name, frame in extra.items():
            raw_extra[name].append(model.predict_proba(frame.iloc[val]))
        picked.append(np.asarray(val, dtype=np.int64))
    p, place, harville = [], [], []
    p_extra: dict[str, list[FloatArray]] = {name: [] for name in extra}
    for k in range(1, len(splits)):
        earlier = np.concatenate(picked[:k])
        earlier_raw = np.concatenate(raw[:k])
        calibrator = make_race_calibrator(method).fit(earlier_raw, won[earlier], groups[earlier])
        exponents = fit_exponents(
            calibrator.transform(earlier_raw, groups[earlier]), groups[earlier], finish[earlier]
        )
        val = picked[k]
        calibrated = calibrator.transform(raw[k], groups[val])
        p.append(calibrated)
        place.append(place_probabilities(calibrated, groups[val], size[val], exponents))
        harville.append(place_probabilities(calibrated, groups[val], size[val], None))
        for name in extra:
            p_extra[name].append(calibrator.transform(raw_extra[name][k], groups[val]))
    every = np.concatenate(picked)
    return RaceWalkForward(
        rows=np.concatenate(picked[1:]),
        fold=np.concatenate(
            [np.full(len(v), k + 1, dtype=np.int64) for k, v in enumerate(picked)][1:]
        ),
        p=np.concatenate(p),
        raw_p=np.concatenate(raw[1:]),
        place=np.concatenate(place),
        harville=np.concatenate(harville),
        all_rows=every,
        all_raw_p=np.concatenate(raw),
        all_groups=groups[every],
        calibration=method,
        extra_p={name: np.concatenate(parts) for name, parts in p_extra.items()},
    )


def final_calibrators(result: RaceWalkForward, y: pd.DataFrame, calibration: str) -> dict[str, Any]:
    """The final model's calibrator and place exponents, fitted on every fold's out-of-fold
    predictions (``result.calibration`` wins: the public is never calibrated)."""
    method = result.calibration if result.calibration == "none" else check_calibration(calibration)
    won = winners(y)[result.all_rows]
    finish = y["finish_position"].to_numpy(dtype=np.float64, na_value=np.nan)[result.all_rows]
    calibrator = make_race_calibrator(method).fit(result.all_raw_p, won, result.all_groups)
    calibrated = calibrator.transform(result.all_raw_p, result.all_groups)
    return {
        "calibrator": calibrator,
        "place_exponents": fit_exponents(calibrated, result.all_groups, finish),
    }


def calibrated_predictions(
    model: Any, bundle: Mapping[str, Any], rows: pd.DataFrame
) -> tuple[FloatArray, FloatArray]:
    """A fitted model's calibrated win and (Benter-discounted) place probabilities of ``rows``
    with the calibrator and exponents of ``bundle`` (as :func:`final_calibrators` makes)."""
    groups = rows[RACE_KEY].to_numpy()
    p = bundle["calibrator"].transform(np.asarray(model.predict_proba(rows)), groups)
    exponents: DiscountExponents = bundle["place_exponents"]
    size = rows["field_size"].to_numpy(dtype=np.float64, na_value=np.nan)
    return p, place_probabilities(p, groups, size, exponents)


def _fitted_with_calibrators(
    prototype: Any, rows: pd.DataFrame, splits: list[tuple[IntArray, IntArray]], calibration: str
) -> tuple[Any, dict[str, Any], int]:
    """``prototype`` fitted on every row, its calibrator and exponents, and the fits it took.

    The calibrator and the place exponents are fitted on walk-forward out-of-fold predictions
    over ``splits``, never on the model's own training rows; with ``none`` the calibrator is
    the identity and only the exponents are fitted there (Benter's published ones with fewer
    than two splits, where there is nothing out of fold to fit them on)."""
    y = targets(rows)
    model = clone(prototype).fit(rows, y)
    method = calibration_of(prototype, calibration)
    if method == "none" and len(splits) < 2:
        from formline.races.calibration import NoCalibration

        empty = np.zeros(0, dtype=np.float64)
        exponents = fit_exponents(empty, np.zeros(0, dtype=np.int64), empty)
        return model, {"calibrator": NoCalibration(), "place_exponents": exponents}, 1
    result = walk_forward(prototype, rows, y, splits, method)
    return model, final_calibrators(result, y, method), 1 + len(splits)


def fit_calibrated(
    prototype: Any,
    rows: pd.DataFrame,
    splits: list[tuple[IntArray, IntArray]],
    calibration: str,
    predict: pd.DataFrame,
) -> tuple[FloatArray, FloatArray]:
    """``prototype`` fitted on every row of ``rows`` with calibrators from walk-forward
    out-of-fold predictions over ``splits``: its win and place probabilities of ``predict``."""
    with threadpool_limits(FIT_THREADS):  # as the planned refits (predict_windows)
        model, bundle, _ = _fitted_with_calibrators(prototype, rows, splits, calibration)
        return calibrated_predictions(model, bundle, predict)


def _cache_key(
    prototype: Any, train: pd.DataFrame, requests: list[pd.DataFrame], tag: str
) -> bytes:
    """The model's type and parameters, the runners it trains on, the calibration and splits,
    and the runners (and features) it predicts."""
    digest = hashlib.sha256(f"{type(prototype).__qualname__}:{tag}".encode())
    digest.update(repr(sorted(prototype.get_params(deep=False).items())).encode())
    digest.update(
        pd.util.hash_pandas_object(train[[RACE_KEY, START]], index=False).to_numpy().tobytes()
    )
    for frame in requests:
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.digest()


def _window_splits(
    train: pd.DataFrame, n_splits: int, gap_days: int
) -> list[tuple[IntArray, IntArray]]:
    """The walk-forward splits of a window's training rows that calibrate it."""
    return walk_forward_splits(
        train[START].to_numpy(), n_splits=n_splits, gap=timedelta(days=gap_days)
    )


#: BLAS and OpenMP threads of a backtest's refits, in this process and in each worker. One:
#: workers share the cores (each with every core's threads would oversubscribe them), and a
#: refit then sums in the same order wherever it runs, so ``jobs`` never changes a
#: probability (a thread count changes the last bits of BLAS sums, which a fit's optimiser
#: carries to about 1e-7).
FIT_THREADS = 1

# Worker state: the frames and the prototype, set once per process by the pool's initializer.
_FRAMES: Mapping[Hashable, pd.DataFrame] = {}
_PROTOTYPE: Any = None


def _init_worker(frames: Mapping[Hashable, pd.DataFrame], prototype: Any) -> None:
    global _FRAMES, _PROTOTYPE
    _FRAMES, _PROTOTYPE = frames, prototype


def _init_pool_worker(frames: Mapping[Hashable, pd.DataFrame], prototype: Any) -> None:
    """A worker process: its frames and prototype, and one BLAS/OpenMP thread, as the fits in
    this process have (:data:`FIT_THREADS`)."""
    threadpool_limits(FIT_THREADS)
    _init_worker(frames, prototype)


@dataclass(frozen=True)
class _WindowFit:
    """One window's refit, as a worker runs it: rows of the base frame, requests, settings."""

    base: Hashable
    train: IntArray
    predict: list[tuple[Hashable, Any]]
    method: str
    n_splits: int
    gap_days: int


def _run_window(task: _WindowFit) -> tuple[list[tuple[FloatArray, FloatArray]], int]:
    """Fit one window (in the worker's frames): its calibrated predictions and its fits."""
    train = _FRAMES[task.base].iloc[task.train].reset_index(drop=True)
    splits = _window_splits(train, task.n_splits, task.gap_days)
    model, bundle, ran = _fitted_with_calibrators(_PROTOTYPE, train, splits, task.method)
    out = []
    for key, positions in task.predict:
        rows = _FRAMES[key].iloc[positions].reset_index(drop=True)
        out.append(calibrated_predictions(model, bundle, rows))
    return out, ran


def _execute(
    tasks: list[_WindowFit], frames: Mapping[Hashable, pd.DataFrame], prototype: Any, jobs: int
) -> list[tuple[list[tuple[FloatArray, FloatArray]], int]]:
    """Run ``tasks`` here (``jobs`` 1, or one task) or in ``jobs`` worker processes."""
    if not tasks:
        return []
    if jobs <= 1 or len(tasks) <= 1:
        _init_worker(frames, prototype)
        try:
            with threadpool_limits(FIT_THREADS):
                return [_run_window(task) for task in tasks]
        finally:
            _init_worker({}, None)
    # spawn: a forked child of a process that ran OpenMP (LightGBM) can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)),
        mp_context=context,
        initializer=_init_pool_worker,
        initargs=(dict(frames), prototype),
    ) as pool:
        return list(pool.map(_run_window, tasks))


def predict_windows(
    prototype: Any,
    frames: Mapping[Hashable, pd.DataFrame],
    base: Hashable,
    windows: Sequence[Window],
    calibration: str,
    *,
    n_splits: int,
    gap_days: int,
    jobs: int = 1,
    fit_cache: MutableMapping[bytes, Any] | None = None,
) -> tuple[list[list[tuple[FloatArray, FloatArray]]], int]:
    """Per window, per requested rows, the calibrated win and place probabilities of
    ``prototype`` refitted on the window's training rows (``frames[base]``), as
    :func:`fit_calibrated` gives them; and the model fits that took (windows found in
    ``fit_cache`` cost none).

    Each distinct window (its training rows and requests) is fitted once; with ``jobs`` above
    1 the windows run in that many worker processes (spawned), largest first. Every fit is
    deterministic, so the probabilities are the same for any ``jobs``."""
    cache = {} if fit_cache is None else fit_cache
    method = calibration_of(prototype, calibration)
    keys = []
    todo: dict[bytes, _WindowFit] = {}
    for window in windows:
        train = frames[base].iloc[window.train].reset_index(drop=True)
        requests = [frames[key].iloc[pos].reset_index(drop=True) for key, pos in window.predict]
        key = _cache_key(prototype, train, requests, f"{method}:{n_splits}:{gap_days}")
        keys.append(key)
        if key not in cache and key not in todo:
            train_rows = np.asarray(window.train, dtype=np.int64)
            todo[key] = _WindowFit(
                base, train_rows, list(window.predict), method, n_splits, gap_days
            )
    ordered = sorted(todo.items(), key=lambda item: -len(item[1].train))
    ran = _execute([task for _, task in ordered], frames, prototype, jobs)
    fits = 0
    for (key, _), (predictions, count) in zip(ordered, ran, strict=True):
        cache[key] = predictions
        fits += count
    return [cache[key] for key in keys], fits
