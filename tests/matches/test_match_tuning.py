"""The match model types' searches: declared tunable exactly where a search space exists."""

from __future__ import annotations

import optuna
import pytest

from formline.domain import ModelType
from formline.errors import ConfigError
from formline.matches.domain import MatchesDomain


@pytest.mark.parametrize("declared", MatchesDomain.model_types, ids=lambda t: t.name)
def test_a_type_has_a_search_space_exactly_when_it_is_tunable(declared: ModelType) -> None:
    domain = MatchesDomain()
    trial = optuna.trial.FixedTrial(
        {
            "n_estimators": 300,
            "learning_rate": 0.05,
            "num_leaves": 16,
            "min_child_samples": 50,
            "subsample": 0.8,
            "colsample_bytree": 0.5,
            "reg_lambda": 1.0,
        }
    )
    name = declared.name
    if declared.tunable:
        params = domain.search_space(name, trial)
        # The suggestions are hyperparameters the type's model takes.
        assert set(params) <= set(domain.make_model(name).get_params())
        assert params["num_leaves"] == 16
    else:
        with pytest.raises(ConfigError, match=f"{name} has no hyperparameter search"):
            domain.search_space(name, trial)
