"""Match models: feature models, Dixon-Coles, the Elo and market references, the ensemble."""

from formline.matches.models.base import OUTCOMES, MatchModel, outcome_codes, over_labels
from formline.matches.models.factory import MODEL_TYPES, make_model

__all__ = ["MODEL_TYPES", "OUTCOMES", "MatchModel", "make_model", "outcome_codes", "over_labels"]
