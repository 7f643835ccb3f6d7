"""Race models: win probabilities for runners that sum to 1 within each race, and their scores.

Every estimator follows scikit-learn's contract and takes the race of each runner as a keyword:
``fit(X, y, groups=race_ids)`` with ``y`` 1 for the winner, ``predict_proba(X, groups=race_ids)``.
Pure: numpy, pandas, scipy, scikit-learn and LightGBM only.
"""

from formline.races.models.benter import STAGE2_INPUTS, BenterModel
from formline.races.models.conditional_logit import ConditionalLogit
from formline.races.models.metrics import (
    PairedBootstrap,
    paired_bootstrap,
    per_race_log_likelihood,
    pseudo_r2,
    win_brier,
    winner_log_loss,
)
from formline.races.models.place import (
    BENTER_DELTA,
    BENTER_GAMMA,
    DiscountExponents,
    benter_place,
    finish_probabilities,
    fit_discount_exponents,
    harville_place,
)
from formline.races.models.public import PublicModel, public_probabilities
from formline.races.models.ranking import GroupedSoftmaxObjective, RankingModel

__all__ = [
    "BENTER_DELTA",
    "BENTER_GAMMA",
    "STAGE2_INPUTS",
    "BenterModel",
    "ConditionalLogit",
    "DiscountExponents",
    "GroupedSoftmaxObjective",
    "PairedBootstrap",
    "PublicModel",
    "RankingModel",
    "benter_place",
    "finish_probabilities",
    "fit_discount_exponents",
    "harville_place",
    "paired_bootstrap",
    "per_race_log_likelihood",
    "pseudo_r2",
    "public_probabilities",
    "win_brier",
    "winner_log_loss",
]
