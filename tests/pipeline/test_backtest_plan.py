"""The planned backtest (every distinct member fit once, in worker processes or not) gives the
probabilities of the naive one (one ``fit_calibrated`` per refit), bit for bit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from formline.pipeline.backtest import run_backtest
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.train import TrainConfig
from formline.store.db import Store, open_store

NOW = datetime(2025, 11, 6)
P = ["p_home", "p_draw", "p_away", "p_over_2_5"]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path: Path = tmp_path_factory.mktemp("plan") / "formline.db"
    store = open_store(f"sqlite:///{path}")
    ingest_demo(store, seed=3, now=NOW, n_leagues=2, n_teams=8, n_seasons=4)
    return store


def _same(store: Store, config: TrainConfig, start: datetime, **kwargs: object) -> tuple[int, int]:
    naive = run_backtest(store, start, NOW, config, planned=False, **kwargs)  # type: ignore[arg-type]
    planned = run_backtest(store, start, NOW, config, **kwargs)  # type: ignore[arg-type]
    assert len(planned.frame) == len(naive.frame) > 0
    assert planned.frame["match_id"].tolist() == naive.frame["match_id"].tolist()
    assert planned.frame["lead_days"].tolist() == naive.frame["lead_days"].tolist()
    np.testing.assert_array_equal(planned.frame[P].to_numpy(), naive.frame[P].to_numpy())
    return planned.fits, planned.refits


@pytest.mark.parametrize(
    "model_type",
    [
        pytest.param("logistic", marks=pytest.mark.slow),
        "market",
        pytest.param("dixon-coles", marks=pytest.mark.slow),
    ],
)
def test_planned_equals_naive(small_store: Store, model_type: str) -> None:
    config = TrainConfig(model_type=model_type, lookback_days=0)
    fits, refits = _same(small_store, config, datetime(2025, 7, 1), refit="month", lead_days=(0, 2))
    # At most a final fit and three fold fits per distinct training window (fewer where a
    # fold's training rows are another window's); the uncalibrated market: the final fit only.
    assert refits > 1
    assert fits == refits if model_type == "market" else refits < fits <= 4 * refits


@pytest.mark.slow
def test_planned_ensemble_equals_naive_in_worker_processes(small_store: Store) -> None:
    config = TrainConfig(model_type="ensemble", lookback_days=0)
    fits, refits = _same(small_store, config, datetime(2025, 7, 1), lead_days=(0, 2), jobs=2)
    # One refit (leads 0 and 2 see the same results in the summer break): three members fitted
    # on three folds and on every row, where the naive path fits 21.
    assert (fits, refits) == (12, 1)


@pytest.mark.slow
def test_an_ensemble_after_its_members_reuses_their_fits(small_store: Store) -> None:
    start, cache = datetime(2025, 7, 1), {}  # type: ignore[var-annotated]
    for member in ("logistic", "goals", "lightgbm"):
        config = TrainConfig(model_type=member, lookback_days=0)
        assert run_backtest(small_store, start, NOW, config, fit_cache=cache).fits == 4
    ensemble = TrainConfig(model_type="ensemble", lookback_days=0)
    reused = run_backtest(small_store, start, NOW, ensemble, fit_cache=cache)
    assert reused.fits == 0  # every member fit came from the members' own backtests
    alone = run_backtest(small_store, start, NOW, ensemble)
    assert alone.fits == 12
    np.testing.assert_array_equal(reused.frame[P].to_numpy(), alone.frame[P].to_numpy())
