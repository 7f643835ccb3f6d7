"""The one list of model types: the factory builds each, and bad choices fail before any work."""

from __future__ import annotations

from datetime import datetime

import pytest

from formline.errors import ConfigError
from formline.matches.domain import MatchesDomain
from formline.matches.features.registry import MATCH_FEATURES
from formline.matches.model_types import MODEL_TYPES, check_model_options
from formline.matches.models import factory, make_model
from formline.matches.models.base import MatchModel
from formline.pipeline.daily import DailyConfig
from formline.pipeline.train import TrainConfig


def test_the_factory_builds_every_listed_type_and_shares_the_list() -> None:
    assert factory.MODEL_TYPES is MODEL_TYPES
    for model_type in MODEL_TYPES:
        assert hasattr(make_model(model_type), "fit"), model_type


def test_every_model_type_declares_the_features_it_reads() -> None:
    domain = MatchesDomain()
    market = {spec.name for spec in MATCH_FEATURES if spec.uses_market}
    for model_type in MODEL_TYPES:
        for use_market in (True, False):
            if model_type == "market" and not use_market:
                continue
            model = make_model(model_type, use_market=use_market)
            assert isinstance(model, MatchModel), model_type
            features = domain.model_features(model)
            assert set(features) <= set(MATCH_FEATURES.names), model_type
            # What it declares is what it reads: prices exactly when it says it uses them.
            assert model.uses_market == bool(market & set(features)), (model_type, use_market)
    assert domain.model_features(make_model("dixon-coles")) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_type": "bogus"}, "--model-type: unknown 'bogus'; choose from logistic, goals"),
        ({"model_type": "market", "use_market": False}, "needs odds"),
        ({"model_type": "lightgbm", "trials": -1}, "--trials: -1 is negative"),
        ({"model_type": "goals", "trials": 5}, "only lightgbm has a search"),
        ({"lookback_days": -1}, "--lookback: -1 is below 0"),
        ({"random_state": -3}, "--seed: -3 is below 0"),
        ({"horizon_days": 0}, "horizon_days: 0 is below 1"),
    ],
)
def test_a_train_config_refuses_bad_options_before_any_work(
    kwargs: dict[str, object], message: str
) -> None:
    # Refused when the configuration is made: before features are read or a registry row is
    # written (a negative --trials used to leave a failed row behind).
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**kwargs)  # type: ignore[arg-type]


def test_a_daily_config_checks_every_model_type_before_any_step() -> None:
    as_of = datetime(2025, 11, 6)
    with pytest.raises(ConfigError, match="--model-types: unknown 'bogus'"):
        DailyConfig(as_of=as_of, model_types=("logistic", "goals", "bogus"))
    # No type named: the domain's default (its first declared).
    assert DailyConfig(as_of=as_of, model_types=()).model_types == ("logistic",)
    with pytest.raises(ConfigError, match="--horizon: 0 is below 1"):
        DailyConfig(as_of=as_of, horizon_days=0)
    assert DailyConfig(as_of=as_of, model_types=MODEL_TYPES).model_types == MODEL_TYPES


def test_check_model_options_accepts_what_can_run() -> None:
    check_model_options("lightgbm", trials=10)
    check_model_options("market")
    check_model_options("elo", use_market=False)
