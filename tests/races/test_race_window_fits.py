"""The races backtest's refits: windows run in worker processes give the same probabilities as
in this process, and without calibration the place exponents are still fitted out of fold."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from race_domain import _Races
from race_frames import synthetic_frame
from race_models import PidRecordingModel

from formline.core.splits import walk_forward_splits
from formline.domain import Window
from formline.races.calibration import fit_exponents, place_probabilities
from formline.races.validation import final_calibrators, walk_forward


@pytest.fixture(scope="module")
def domain() -> _Races:
    return _Races()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(n_races=240, seed=4)


def _splits(rows: pd.DataFrame) -> list:
    return walk_forward_splits(rows["start_at"].to_numpy(), n_splits=3, gap=timedelta(0))


def test_jobs_run_the_windows_in_workers_with_the_same_predictions(
    domain: _Races, frame: pd.DataFrame, tmp_path: Path
) -> None:
    start = frame["start_at"]
    cuts = start.quantile([0.6, 0.8]).to_list()
    windows = [
        Window(
            np.flatnonzero(start < cut),
            [(0, np.flatnonzero(start >= cut)), (1, np.flatnonzero(start >= cut))],
        )
        for cut in cuts
    ]
    frames = {"train": frame, 0: frame, 1: frame.assign(rating_mu=frame["rating_mu"] * 0.5)}
    here, there = tmp_path / "jobs1", tmp_path / "jobs2"
    here.mkdir(), there.mkdir()
    options = {"n_splits": 3, "gap_days": 0}
    alone, fits = domain.predict_windows(
        PidRecordingModel(str(here), use_market=False),
        frames, "train", windows, "temperature", **options,
    )  # fmt: skip
    pooled, pooled_fits = domain.predict_windows(
        PidRecordingModel(str(there), use_market=False),
        frames, "train", windows, "temperature", jobs=2, **options,
    )  # fmt: skip
    assert fits == pooled_fits == 2 * 4
    assert [p.name for p in here.iterdir()] == [str(os.getpid())]
    # Fitted in worker processes (one or two: a pool may hand both windows to one).
    workers = {p.name for p in there.iterdir()}
    assert workers and str(os.getpid()) not in workers
    for one, other in zip(alone, pooled, strict=True):
        for (p, place), (q, place_q) in zip(one, other, strict=True):
            np.testing.assert_array_equal(p, q)
            np.testing.assert_array_equal(place, place_q)
    assert not np.array_equal(alone[0][0][0], alone[1][0][0])  # the windows differ


def test_without_calibration_the_place_exponents_are_fitted_out_of_fold(
    domain: _Races, frame: pd.DataFrame
) -> None:
    start = frame["start_at"]
    train = frame[start < start.quantile(0.75)].reset_index(drop=True)
    later = frame[start >= start.quantile(0.75)].reset_index(drop=True)
    prototype = domain.make_model("conditional-logit", use_market=False)
    splits = _splits(train)
    p, place = domain.fit_calibrated(prototype, train, splits, "none", later)
    y = domain.targets(train)
    out_of_fold = final_calibrators(walk_forward(prototype, train, y, splits, "none"), y, "none")
    exponents = out_of_fold["place_exponents"]
    groups, size = later["race_id"].to_numpy(), later["field_size"].to_numpy()
    np.testing.assert_allclose(place, place_probabilities(p, groups, size, exponents))
    # Not what the model's own training rows give (the in-sample fit it replaces).
    fitted = prototype.__class__(**prototype.get_params()).fit(train, y)
    finish = y["finish_position"].to_numpy(dtype=np.float64, na_value=np.nan)
    in_sample = fit_exponents(fitted.predict_proba(train), train["race_id"].to_numpy(), finish)
    assert (in_sample.gamma, in_sample.delta) != pytest.approx((exponents.gamma, exponents.delta))
    assert not np.allclose(place, place_probabilities(p, groups, size, in_sample))
