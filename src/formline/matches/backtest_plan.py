"""The backtest's fits, planned: every distinct fit once, for every window and lead that needs it.

A backtest window (a refit boundary at one lead) needs a final model fitted on its training rows
and, to calibrate it, the raw out-of-fold predictions of models refitted on walk-forward splits
of those rows. Done naively (:func:`~formline.matches.models.validation.fit_calibrated` per
window), an ensemble fits its members three times over: inside its own ``fit`` on its internal
splits, again per calibration fold, and once more on every row; and two leads whose boundaries
see the same training rows repeat all of it.

Here each window is broken into member fits, one per (member, training rows), each with the
rows it must predict. Identical fits (the ensemble's internal splits are the calibration splits;
the same rows at two leads) are fitted once, optionally in worker processes; the windows are
then assembled from the members' predictions exactly as the naive path computes them: the
ensemble's weights from the members' out-of-fold predictions, the calibration folds pooled with
weights from earlier folds, calibrators on all folds. Every fit is deterministic, so the
probabilities equal the naive path's (``tests/pipeline/test_backtest_plan.py``).

The backtest step (:mod:`formline.pipeline.backtest`) reaches it through
:meth:`formline.matches.domain.MatchesDomain.predict_windows`: the plan is shaped by the match
models (an ensemble's members and internal splits, 1X2 and over/under calibrators).
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

from formline.core.calibration import CalibrationMethod, PlattScaling, make_calibrator
from formline.core.splits import walk_forward_splits
from formline.domain import Window
from formline.matches.models import outcome_codes, over_labels
from formline.matches.models.base import FloatArray
from formline.matches.models.ensemble import (
    EnsembleMatchModel,
    final_weights,
    fold_weights,
    pool,
)

IntArray = NDArray[np.int64]
#: A frame and rows of it: ``(frame key, positions)``.
Rows = tuple[Hashable, IntArray]
#: What one fit predicts for each requested rows: (1X2 (n, 3), P(over 2.5) (n,)).
Predictions = tuple[FloatArray, FloatArray]


@dataclass
class _Fit:
    """One member fitted on some rows of the base frame, and the rows it predicts."""

    member: int
    train: IntArray
    requests: list[Rows] = field(default_factory=list)

    def request(self, rows: Rows) -> int:
        key, positions = rows
        for i, (k, p) in enumerate(self.requests):
            if k == key and np.array_equal(p, positions):
                return i
        self.requests.append((key, positions))
        return len(self.requests) - 1


class _Planner:
    """Collects the fits of every window, one per distinct (member, training rows)."""

    def __init__(self) -> None:
        self.fits: dict[tuple[int, bytes], _Fit] = {}

    def ask(self, member: int, train: IntArray, rows: Rows) -> tuple[tuple[int, bytes], int]:
        key = (member, np.ascontiguousarray(train, dtype=np.int64).tobytes())
        fit = self.fits.setdefault(key, _Fit(member, train))
        return key, fit.request(rows)


# Worker state: the frames and members, set once per process by the pool's initializer.
_FRAMES: Mapping[Hashable, pd.DataFrame] = {}
_MEMBERS: Sequence[Any] = ()
_BASE: Hashable = None


def _init_worker(
    frames: Mapping[Hashable, pd.DataFrame], members: Sequence[Any], base: Hashable
) -> None:
    global _FRAMES, _MEMBERS, _BASE
    _FRAMES, _MEMBERS, _BASE = frames, members, base


def _run_fit(fit: _Fit) -> list[Predictions]:
    """Fit one member on its rows and predict every requested rows (in the worker's frames)."""
    X = _FRAMES[_BASE].iloc[fit.train].reset_index(drop=True)
    model = clone(_MEMBERS[fit.member]).fit(X, X[["home_goals", "away_goals"]])
    out = []
    for key, positions in fit.requests:
        rows = _FRAMES[key].iloc[positions].reset_index(drop=True)
        out.append((model.predict_proba(rows), model.predict_over_proba(rows)))
    return out


@dataclass
class _Layout:
    """Where one window's parts are among the fits: per member and fold, the fold fit and its
    request; per member, the final fit and the requests of each predicted rows."""

    outer: list[tuple[IntArray, IntArray]]
    inner: list[tuple[IntArray, IntArray]]
    outer_parts: list[list[tuple[tuple[int, bytes], int]]]  # [fold][member]
    inner_parts: list[list[tuple[tuple[int, bytes], int]]]
    final_parts: list[list[tuple[tuple[int, bytes], int]]]  # [request][member]


def predict_windows(
    prototype: Any,
    frames: Mapping[Hashable, pd.DataFrame],
    base: Hashable,
    windows: Sequence[Window],
    calibration: CalibrationMethod | str,
    n_splits: int = 3,
    gap_days: int = 7,
    jobs: int = 1,
    fit_cache: MutableMapping[bytes, list[Predictions]] | None = None,
) -> tuple[list[list[Predictions]], int]:
    """Calibrated predictions of every window's requested rows, and how many fits it took.

    Parameters
    ----------
    prototype
        The unfitted model (an :class:`EnsembleMatchModel` is split into its members).
    frames
        The frames rows are taken from; ``frames[base]`` holds the training rows (with
        ``home_goals`` and ``away_goals``).
    windows
        The refits, in any order.
    calibration
        As in :func:`~formline.matches.models.validation.fit_calibrated`: ``"none"`` fits the
        final model only.
    n_splits, gap_days
        The walk-forward splits of each window's training rows that calibrate it.
    jobs
        Worker processes for the fits (1: in this process).
    fit_cache
        Member predictions of earlier calls with frames of the same match frame (the same
        features), keyed by the member's type and parameters, the matches it is trained on and
        the matches it predicts (and at which lead); filled with this call's.
        The backtests of several models share it: an ensemble's members are then the fits of
        the models' own backtests.

    Returns
    -------
    list of list of (numpy.ndarray, numpy.ndarray), int
        Per window, per requested rows, the calibrated 1X2 and over/under predictions; the
        number of member fits it ran (distinct, and not found in ``fit_cache``).
    """
    ensemble = isinstance(prototype, EnsembleMatchModel)
    members = prototype.member_prototypes() if ensemble else [prototype]
    planner = _Planner()
    layouts = []
    for window in windows:
        X = frames[base].iloc[window.train].reset_index(drop=True)
        outer: list[tuple[IntArray, IntArray]] = []
        if calibration != "none":
            outer = walk_forward_splits(
                X["kickoff_at"].to_numpy(), n_splits=n_splits, gap=timedelta(days=gap_days)
            )
        inner = prototype.splits(X) if ensemble else []

        def parts(splits: list[tuple[IntArray, IntArray]], train: IntArray = window.train) -> Any:
            return [
                [planner.ask(m, train[fold], (base, train[val])) for m in range(len(members))]
                for fold, val in splits
            ]

        final = [
            [planner.ask(m, window.train, rows) for m in range(len(members))]
            for rows in window.predict
        ]
        layouts.append(_Layout(outer, inner, parts(outer), parts(inner), final))
    cache = {} if fit_cache is None else fit_cache
    cached = {
        key: _cache_key(members[fit.member], fit, frames, base) for key, fit in planner.fits.items()
    }
    todo = sorted(
        ((k, f) for k, f in planner.fits.items() if cached[k] not in cache),
        key=lambda item: -len(item[1].train),
    )
    ran = _execute([f for _, f in todo], frames, members, base, jobs)
    for (key, _), predictions in zip(todo, ran, strict=True):
        cache[cached[key]] = predictions
    results = {key: cache[cached[key]] for key in planner.fits}
    out = [
        _assemble(layout, results, frames[base].iloc[window.train], ensemble, calibration)
        for layout, window in zip(layouts, windows, strict=True)
    ]
    return out, len(todo)


def _cache_key(
    member: Any, fit: _Fit, frames: Mapping[Hashable, pd.DataFrame], base: Hashable
) -> bytes:
    """What makes a fit's predictions: the member's type and parameters, the matches it is
    trained on, and the matches (of which frame) it predicts."""

    def ids(key: Hashable, positions: IntArray) -> bytes:
        matches = frames[key]["match_id"].to_numpy(dtype=np.int64)[positions]
        return np.ascontiguousarray(matches).tobytes()

    digest = hashlib.sha256(f"{type(member).__module__}.{type(member).__qualname__}".encode())
    digest.update(repr(sorted(member.get_params(deep=False).items())).encode())
    digest.update(ids(base, fit.train))
    for key, positions in fit.requests:
        digest.update(repr(key).encode())
        digest.update(ids(key, positions))
    return digest.digest()


def _execute(
    fits: list[_Fit],
    frames: Mapping[Hashable, pd.DataFrame],
    members: Sequence[Any],
    base: Hashable,
    jobs: int,
) -> list[list[Predictions]]:
    if not fits:
        return []
    if jobs <= 1 or len(fits) <= 1:
        _init_worker(frames, members, base)
        try:
            return [_run_fit(fit) for fit in fits]
        finally:
            _init_worker({}, (), None)
    # spawn: a forked child of a process that ran OpenMP (LightGBM) can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(fits)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(dict(frames), list(members), base),
    ) as pool_:
        return list(pool_.map(_run_fit, fits))


def _assemble(
    layout: _Layout,
    results: Mapping[tuple[int, bytes], list[Predictions]],
    train: pd.DataFrame,
    ensemble: bool,
    calibration: CalibrationMethod | str,
) -> list[Predictions]:
    """One window's calibrated predictions from its members' predictions."""
    y = train[["home_goals", "away_goals"]].reset_index(drop=True)

    def got(parts: list[list[tuple[tuple[int, bytes], int]]]) -> tuple[list[Any], list[Any]]:
        proba = [[results[key][i][0] for key, i in fold] for fold in parts]
        over = [[results[key][i][1] for key, i in fold] for fold in parts]
        return proba, over

    final_proba, final_over = got(layout.final_parts)
    if ensemble:
        weights, over_weights = final_weights(*got(layout.inner_parts), layout.inner, y)
        raw = [
            (pool(p, weights), pool(o, over_weights, clip=False))
            for p, o in zip(final_proba, final_over, strict=True)
        ]
    else:
        raw = [(p[0], o[0]) for p, o in zip(final_proba, final_over, strict=True)]
    if calibration == "none":
        return raw
    fold_proba, fold_over = got(layout.outer_parts)
    if ensemble:
        per_fold = fold_weights(fold_proba, fold_over, layout.outer, y)
        fold_raw = [pool(p, w) for p, (w, _) in zip(fold_proba, per_fold, strict=True)]
        fold_raw_over = [
            pool(p, w, clip=False) for p, (_, w) in zip(fold_over, per_fold, strict=True)
        ]
    else:
        fold_raw = [p[0] for p in fold_proba]
        fold_raw_over = [o[0] for o in fold_over]
    rows = np.concatenate([val for _, val in layout.outer])
    calibrator = make_calibrator(calibration).fit(  # type: ignore[arg-type]
        np.concatenate(fold_raw), outcome_codes(y)[rows]
    )
    over_calibrator = PlattScaling().fit(np.concatenate(fold_raw_over), over_labels(y)[rows])
    return [(calibrator.transform(p), over_calibrator.transform(o)) for p, o in raw]
