"""Optuna search over a tunable model type's hyperparameters, with the study kept in the store.

The study lives in the store's database (Optuna's own tables), so several workers pointed at
the same PostgreSQL store can share one study. Its name carries everything that defines the
search (model type, feature version, as_of, market use, competition, seed), and a rerun only
adds the trials still missing, so the same settings give the same best parameters. The model
type declares that it has a search (``ModelType.tunable``); the domain gives its space
(``Domain.search_space``) and the loss of a fold (``Domain.fold_loss``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from formline.pipeline.train import TrainConfig
    from formline.store.db import Store


def study_name(config: TrainConfig, feature_version: str, as_of: datetime) -> str:
    """The study's name: one study per search definition."""
    market = "market" if config.use_market else "no-market"
    return (
        f"{config.model_type}:{feature_version}:{as_of:%Y%m%dT%H%M%S}:{market}:"
        f"{config.competition or 'all'}:lookback{config.lookback_days}:seed{config.random_state}"
    )


def tune(
    store: Store,
    X: pd.DataFrame,
    y: Any,
    splits: list[Any],
    config: TrainConfig,
    feature_version: str,
    as_of: datetime,
) -> dict[str, Any]:
    """Search the hyperparameters of ``config.model_type`` by the mean walk-forward fold loss
    of its uncalibrated forecasts; return the best."""
    import optuna

    domain = config.resolved_domain
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

    def objective(trial: optuna.Trial) -> float:
        params = domain.search_space(config.model_type, trial)
        model = domain.make_model(
            config.model_type,
            use_market=config.use_market,
            random_state=config.random_state,
            **params,
        )
        losses = []
        for train, val in splits:
            fitted = model.fit(X.iloc[train], y.iloc[train])
            losses.append(domain.fold_loss(fitted, X.iloc[val], y.iloc[val]))
        return float(np.mean(losses))

    done = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
    if done < config.trials:
        study.optimize(objective, n_trials=config.trials - done)
    return dict(study.best_params)
