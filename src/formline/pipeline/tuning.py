"""Optuna search over LightGBM's hyperparameters, with the study kept in the store.

The study lives in the store's database (Optuna's own tables), so several workers pointed at
the same PostgreSQL store can share one study. Its name carries everything that defines the
search (feature version, as_of, market use, competition, seed), and a rerun only adds the trials
still missing, so the same settings give the same best parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from formline.core.metrics import log_loss
from formline.matches.models import make_model, outcome_codes

if TYPE_CHECKING:
    from formline.pipeline.train import TrainConfig
    from formline.store.db import Store


def study_name(config: TrainConfig, feature_version: str, as_of: datetime) -> str:
    """The study's name: one study per search definition."""
    market = "market" if config.use_market else "no-market"
    return (
        f"lightgbm:{feature_version}:{as_of:%Y%m%dT%H%M%S}:{market}:"
        f"{config.competition or 'all'}:lookback{config.lookback_days}:seed{config.random_state}"
    )


def tune_lightgbm(
    store: Store,
    X: pd.DataFrame,
    y: pd.DataFrame,
    splits: list[Any],
    config: TrainConfig,
    feature_version: str,
    as_of: datetime,
) -> dict[str, Any]:
    """Search LightGBM hyperparameters by mean walk-forward log loss; return the best."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = store.engine.url.render_as_string(hide_password=False)
    storage = optuna.storages.RDBStorage(url=url)
    study = optuna.create_study(
        study_name=study_name(config, feature_version, as_of),
        storage=storage,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=config.random_state),
        load_if_exists=True,
    )
    codes = outcome_codes(y)

    def objective(trial: optuna.Trial) -> float:
        params = {
            "n_estimators": trial.suggest_int("n_estimators", 100, 800, step=50),
            "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.1, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 48),
            "min_child_samples": trial.suggest_int("min_child_samples", 20, 400, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.2, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 50.0, log=True),
        }
        model = make_model(
            "lightgbm", use_market=config.use_market, random_state=config.random_state, **params
        )
        losses = []
        for train, val in splits:
            fitted = model.fit(X.iloc[train], y.iloc[train])
            losses.append(log_loss(codes[val], fitted.predict_proba(X.iloc[val])))
        return float(np.mean(losses))

    done = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
    if done < config.trials:
        study.optimize(objective, n_trials=config.trials - done)
    return dict(study.best_params)
