"""Model types by name, as the CLI and the pipeline name them."""

from __future__ import annotations

from typing import Any

from formline.matches.model_types import MODEL_TYPES, check_model_options

__all__ = ["MODEL_TYPES", "make_model"]


def make_model(
    model_type: str, *, use_market: bool = True, random_state: int = 0, **params: Any
) -> Any:
    """A fresh, unfitted model of ``model_type``.

    Raises
    ------
    ConfigError
        For an unknown type, or ``market`` with ``use_market=False``.
    """
    check_model_options(model_type, use_market=use_market)
    if model_type == "logistic":
        from formline.matches.models.feature_models import LogisticMatchModel

        return LogisticMatchModel(use_market=use_market, **params)
    if model_type == "goals":
        from formline.matches.models.goals_model import GoalsMatchModel

        return GoalsMatchModel(use_market=use_market, **params)
    if model_type == "lightgbm":
        from formline.matches.models.feature_models import LightGBMMatchModel

        return LightGBMMatchModel(use_market=use_market, random_state=random_state, **params)
    if model_type == "dixon-coles":
        from formline.matches.models.dixon_coles import DixonColes

        return DixonColes(**{"l2": 1.0, **params})
    if model_type == "elo":
        from formline.matches.models.references import EloMatchModel

        return EloMatchModel(**params)
    if model_type == "market":
        from formline.matches.models.references import MarketMatchModel

        return MarketMatchModel()
    if model_type == "ensemble":
        from formline.matches.models.ensemble import EnsembleMatchModel

        return EnsembleMatchModel(use_market=use_market, random_state=random_state, **params)
    raise AssertionError(f"MODEL_TYPES lists {model_type!r}, which make_model cannot build")
