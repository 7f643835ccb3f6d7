"""Point-in-time match features: the registry and the DuckDB builder."""

from formline.matches.features.build import (
    MATCH_INPUT_COLUMNS,
    ODDS_INPUT_COLUMNS,
    build_match_features,
    create_input_tables,
)
from formline.matches.features.registry import (
    FEATURE_SET_VERSION,
    MATCH_FEATURES,
    FeatureParams,
    match_feature_set,
)

__all__ = [
    "FEATURE_SET_VERSION",
    "MATCH_FEATURES",
    "MATCH_INPUT_COLUMNS",
    "ODDS_INPUT_COLUMNS",
    "FeatureParams",
    "build_match_features",
    "create_input_tables",
    "match_feature_set",
]
