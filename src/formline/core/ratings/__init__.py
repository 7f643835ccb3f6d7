"""Team rating systems fitted on finished results in the order they became known.

Each system has a compiled kernel over plain arrays (for feature builders) and a scikit-learn
estimator (a ``BaseEstimator``: ``get_params``, ``set_params`` and ``clone`` work; hyperparameters
in ``__init__``, ``fit`` returns ``self``, learned state ends in ``_``; see
tests/core/test_estimator_contract.py).
"""

from formline.core.ratings.elo import (
    EloRatings,
    NotFittedError,
    elo_kernel,
    expected_home_score,
    regress_to_mean,
)
from formline.core.ratings.home_advantage import home_advantage_kernel, recent_home_advantage
from formline.core.ratings.margin import MarginRatings, margin_kernel
from formline.core.ratings.pi import PiRatings, pi_expected_goal_difference, pi_kernel

__all__ = [
    "EloRatings",
    "MarginRatings",
    "NotFittedError",
    "PiRatings",
    "elo_kernel",
    "expected_home_score",
    "home_advantage_kernel",
    "margin_kernel",
    "pi_expected_goal_difference",
    "pi_kernel",
    "recent_home_advantage",
    "regress_to_mean",
]
