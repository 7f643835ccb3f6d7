"""Walk-forward validation of a match model, with calibration fitted on later folds.

For splits ``1..K`` (expanding window ordered by kickoff, with a gap), the model is refitted on
each training window and predicts the following block. Fold ``k``'s predictions are then
calibrated by a calibrator fitted on the raw predictions of folds ``1..k-1`` only, so every
calibrated probability is out of sample twice over. Fold 1 has no earlier fold to calibrate on;
it is used to calibrate, not to score. An ensemble is validated the same way without nested
refits: its members are fitted once per fold and fold ``k`` is pooled with weights fitted on
folds ``1..k-1`` (see :func:`~formline.matches.models.ensemble.pooled_fold_predictions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import clone

from formline.core.calibration import CalibrationMethod, PlattScaling, make_calibrator
from formline.matches.models.base import FloatArray, outcome_codes, over_labels
from formline.matches.models.ensemble import EnsembleMatchModel, pooled_fold_predictions


@dataclass
class WalkForwardResult:
    """Out-of-fold predictions of the scored folds (2..K), aligned row by row."""

    rows: NDArray[np.int64]  # positions in X
    fold: NDArray[np.int64]
    proba: FloatArray  # calibrated (n, 3)
    raw_proba: FloatArray  # uncalibrated (n, 3)
    over: FloatArray  # calibrated P(over 2.5)
    raw_over: FloatArray
    all_rows: NDArray[np.int64]  # rows of every fold, 1..K
    all_raw_proba: FloatArray
    all_raw_over: FloatArray
    #: Per extra frame (the same rows with other features, e.g. as of N days before kickoff),
    #: the calibrated 1X2 predictions of the scored folds, aligned with ``rows``.
    extra_proba: dict[str, FloatArray] = field(default_factory=dict)


def walk_forward_predictions(
    prototype: Any,
    X: pd.DataFrame,
    y: pd.DataFrame,
    splits: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
    calibration: CalibrationMethod = "temperature",
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> WalkForwardResult:
    """Refit a clone of ``prototype`` on every split and collect calibrated predictions.

    ``extra`` frames hold the same rows as ``X`` (in the same order) with other features, for
    example as known N days before kickoff: each fold's model, fitted on ``X``, also predicts
    their validation rows, calibrated by the fold's calibrator (fitted on ``X``'s earlier
    folds), which is what happens when a model trained as of kickoff predicts further ahead.
    """
    if len(splits) < 2:
        raise ValueError("walk-forward validation needs at least two folds")
    extra = dict(extra or {})
    raw: list[FloatArray] = []
    raw_over: list[FloatArray] = []
    raw_extra: dict[str, list[FloatArray]] = {name: [] for name in extra}
    rows: list[NDArray[np.int64]] = []
    folds: list[NDArray[np.int64]] = []
    if isinstance(prototype, EnsembleMatchModel):
        # Members once per fold, pooled with weights from earlier folds: no nested refits.
        raw, raw_over, raw_extra = pooled_fold_predictions(prototype, X, y, splits, extra)
    for k, (train, val) in enumerate(splits):
        if not isinstance(prototype, EnsembleMatchModel):
            model = clone(prototype).fit(X.iloc[train], y.iloc[train])
            raw.append(model.predict_proba(X.iloc[val]))
            raw_over.append(model.predict_over_proba(X.iloc[val]))
            for name, frame in extra.items():
                raw_extra[name].append(model.predict_proba(frame.iloc[val]))
        rows.append(np.asarray(val, dtype=np.int64))
        folds.append(np.full(len(val), k + 1, dtype=np.int64))
    codes = outcome_codes(y)
    overs = over_labels(y)
    calibrated, calibrated_over = [], []
    calibrated_extra: dict[str, list[FloatArray]] = {name: [] for name in extra}
    for k in range(1, len(splits)):
        earlier = np.concatenate(rows[:k])
        calibrator = make_calibrator(calibration).fit(np.concatenate(raw[:k]), codes[earlier])
        over_calibrator = PlattScaling().fit(np.concatenate(raw_over[:k]), overs[earlier])
        calibrated.append(calibrator.transform(raw[k]))
        calibrated_over.append(over_calibrator.transform(raw_over[k]))
        for name in extra:
            calibrated_extra[name].append(calibrator.transform(raw_extra[name][k]))
    return WalkForwardResult(
        rows=np.concatenate(rows[1:]),
        fold=np.concatenate(folds[1:]),
        proba=np.concatenate(calibrated),
        raw_proba=np.concatenate(raw[1:]),
        over=np.concatenate(calibrated_over),
        raw_over=np.concatenate(raw_over[1:]),
        all_rows=np.concatenate(rows),
        all_raw_proba=np.concatenate(raw),
        all_raw_over=np.concatenate(raw_over),
        extra_proba={name: np.concatenate(parts) for name, parts in calibrated_extra.items()},
    )


def fit_final_calibrators(
    result: WalkForwardResult, y: pd.DataFrame, calibration: CalibrationMethod = "temperature"
) -> tuple[Any, Any]:
    """Calibrators for the final model, fitted on every fold's out-of-fold predictions."""
    codes = outcome_codes(y)[result.all_rows]
    overs = over_labels(y)[result.all_rows]
    calibrator = make_calibrator(calibration).fit(result.all_raw_proba, codes)
    over_calibrator = PlattScaling().fit(result.all_raw_over, overs)
    return calibrator, over_calibrator


class _Identity:
    """A calibrator that changes nothing."""

    def transform(self, p: FloatArray) -> FloatArray:
        return p


def fit_calibrated(
    prototype: Any,
    X: pd.DataFrame,
    y: pd.DataFrame,
    splits: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
    calibration: CalibrationMethod = "temperature",
) -> tuple[Any, Any, Any]:
    """Fit ``prototype`` on every row, with calibrators fitted on walk-forward out-of-fold
    predictions over ``splits`` (identity calibrators when ``calibration`` is ``"none"``)."""
    model = clone(prototype).fit(X, y)
    if calibration == "none":
        return model, _Identity(), _Identity()
    result = walk_forward_predictions(prototype, X, y, splits, calibration)
    calibrator, over_calibrator = fit_final_calibrators(result, y, calibration)
    return model, calibrator, over_calibrator
