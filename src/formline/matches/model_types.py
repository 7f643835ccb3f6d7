"""The match model types, declared with their capabilities: the one list the factory builds
from, and that the command line's help and checks and the pipeline's capability lookups derive
from (no ``getattr`` probing of fitted models).

It lives apart from :mod:`formline.matches.models.factory` (which re-exports it) because it
imports nothing heavy: the command line reads it for ``--help`` without loading NumPy and pandas.
"""

from __future__ import annotations

from formline.domain import ModelType
from formline.domain import check_model_options as domain_check

#: Every match model type, the default first.
MATCH_MODEL_TYPES = (
    ModelType(
        "logistic",
        "multinomial logistic regression on the point-in-time features",
        explains=True,
    ),
    ModelType(
        "goals",
        "Poisson goal rates from the features, Dixon-Coles low-score correction",
        explains=True,
        score_grid=True,
    ),
    ModelType(
        "lightgbm",
        "gradient-boosted trees on the features (TreeSHAP explanations, Optuna search)",
        explains=True,
        tunable=True,
    ),
    ModelType(
        "dixon-coles",
        "Dixon-Coles team strengths fitted on time-weighted results",
        uses_market=False,
        score_grid=True,
        reports_ratings=True,
    ),
    ModelType(
        "elo",
        "multinomial logistic regression on the Elo rating difference (the reference)",
        uses_market=False,
        explains=True,
    ),
    ModelType(
        "market",
        "the de-margined opening line (the market reference)",
        uses_market=True,
        calibrated=False,
    ),
    ModelType(
        "ensemble",
        "a weighted blend of the models above, weights fitted out of fold",
        explains=True,
    ),
)
MODEL_TYPES = tuple(t.name for t in MATCH_MODEL_TYPES)


def check_model_options(
    model_type: str, *, use_market: bool = True, trials: int = 0, option: str = "--model-type"
) -> None:
    """Refuse an unknown match model type, a price model without odds, and a search that cannot
    run (see :func:`formline.domain.check_model_options`).

    Raises
    ------
    ConfigError
        Naming the option and the reason.
    """
    from formline.matches.domain import MatchesDomain

    domain_check(MatchesDomain(), model_type, use_market=use_market, trials=trials, option=option)
