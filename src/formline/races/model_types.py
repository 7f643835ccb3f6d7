"""The race model types, declared with their capabilities: the one list the racing factory
builds from (:func:`formline.races.estimators.make_race_model`), and that the command line's
help and checks derive from.

It imports nothing heavy: the command line reads it for ``--help`` without NumPy and pandas.
"""

from __future__ import annotations

from formline.domain import ModelType

#: Every race model type, the default first.
RACE_MODEL_TYPES = (
    ModelType(
        "conditional-logit",
        "conditional logit (softmax within each race) on the runner features; the market "
        "features join unless --no-market",
        explains=True,
    ),
    ModelType(
        "benter",
        "Benter's two stages: a fundamental conditional logit, then its and the public's log "
        "probabilities combined on later races",
        uses_market=True,
    ),
    ModelType(
        "ranking",
        "LightGBM per-race scores (grouped softmax or lambdarank), calibrated through a "
        "conditional logit on later races (Optuna search)",
        tunable=True,
    ),
    ModelType(
        "rating",
        "conditional logit on the learned rating features only (the reference)",
        uses_market=False,
        explains=True,
    ),
    ModelType(
        "public",
        "the public's de-margined final win odds (the market reference)",
        uses_market=True,
        calibrated=False,
    ),
)
RACE_MODEL_TYPE_NAMES = tuple(t.name for t in RACE_MODEL_TYPES)
