"""The hyperparameter search of the tunable race model type (``ranking``) and the loss it
minimises: the mean winner log loss of a fold's uncalibrated forecasts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from formline.errors import ConfigError
from formline.races.scoring import RACE_KEY, win_metrics


def ranking_space(trial: Any) -> dict[str, Any]:
    """The ranking model's space: objective, trees, learning rate, leaves, leaf size,
    sampling, L2."""
    return {
        "objective": trial.suggest_categorical("objective", ["softmax", "lambdarank"]),
        "n_estimators": trial.suggest_int("n_estimators", 100, 600, step=50),
        "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.1, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 48),
        "min_child_samples": trial.suggest_int("min_child_samples", 20, 400, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.2, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 50.0, log=True),
    }


SEARCH_SPACES = {"ranking": ranking_space}


def search_space(model_type: str, trial: Any) -> dict[str, Any]:
    """The hyperparameters ``trial`` suggests for ``model_type``.

    Raises
    ------
    ConfigError
        If the type has no search.
    """
    space = SEARCH_SPACES.get(model_type)
    if space is None:
        raise ConfigError(f"--trials: model type {model_type} has no hyperparameter search")
    return space(trial)


def fold_loss(model: Any, rows: pd.DataFrame, y: pd.DataFrame) -> float:
    """The winner log loss of a fitted model's uncalibrated forecasts of ``rows``."""
    p = np.asarray(model.predict_proba(rows), dtype=np.float64)
    return float(win_metrics(rows[RACE_KEY].to_numpy(), y["won"], p)["log_loss"])
