"""Model versions for the registry and promotion tests."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from formline.store.db import Store
from formline.store.registry import ModelVersion, complete_model_version, create_model_version


def create_version(
    store: Store,
    name: str = "logistic",
    *,
    trained_as_of: datetime = datetime(2024, 1, 1),
    uses_market: bool = False,
    competition: str | None = "E0",
    job_run_id: int | None = None,
) -> ModelVersion:
    """A new ``training`` version of ``name`` (slot: matches/E0/no_market by default),
    trained by job ``job_run_id``."""
    return create_model_version(
        store,
        name=name,
        domain="matches",
        model_type="logistic_regression",
        horizon_days=7,
        training_as_of=trained_as_of,
        window_start=datetime(2020, 1, 1),
        window_end=datetime(2023, 12, 31),
        feature_version="abc123",
        feature_names=["elo_diff", "form_home"],
        uses_market=uses_market,
        hyperparameters={"C": 1.0},
        competition=competition,
        random_state=7,
        job_run_id=job_run_id,
    )


def trained_version(
    store: Store,
    log_loss: float,
    name: str = "logistic",
    *,
    trained_as_of: datetime = datetime(2024, 1, 1),
    uses_market: bool = False,
    competition: str | None = "E0",
) -> ModelVersion:
    """A ``completed`` version of ``name`` with the given validation log loss."""
    model = create_version(
        store, name, trained_as_of=trained_as_of, uses_market=uses_market, competition=competition
    )
    return complete_model_version(
        store,
        model.id,
        n_train=1000,
        n_validation=200,
        metrics={"log_loss": np.float64(log_loss), "ece": float("nan")},
        market_metrics={"log_loss": 0.98},
        validation={"match_ids": [1, 2], "losses": np.array([0.9, 1.1])},
        artifact_path=f"/models/{name}-v{model.version}.joblib",
        artifact_sha256="0" * 64,
        train_seconds=1.5,
    )
