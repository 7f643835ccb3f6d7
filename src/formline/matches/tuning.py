"""The hyperparameter searches of the tunable match model types (``ModelType.tunable``), and
the loss they minimise: the shared tuning step (:mod:`formline.pipeline.tuning`) runs the Optuna
study and asks the domain what to suggest and how to score a fold."""

from __future__ import annotations

from typing import Any

import pandas as pd

from formline.core.metrics import log_loss
from formline.errors import ConfigError
from formline.matches.models import outcome_codes


def lightgbm_space(trial: Any) -> dict[str, Any]:
    """LightGBM's search space: trees, learning rate, leaves, leaf size, sampling, L2."""
    return {
        "n_estimators": trial.suggest_int("n_estimators", 100, 800, step=50),
        "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.1, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 48),
        "min_child_samples": trial.suggest_int("min_child_samples", 20, 400, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.2, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 50.0, log=True),
    }


#: The search space of each tunable match model type.
SEARCH_SPACES = {"lightgbm": lightgbm_space}


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
    """The 1X2 log loss of a fitted model's uncalibrated forecasts of ``rows``."""
    return log_loss(outcome_codes(y), model.predict_proba(rows))
