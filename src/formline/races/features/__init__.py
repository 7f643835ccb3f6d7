"""Point-in-time runner features: the registry and the DuckDB builder."""

from formline.races.features.build import (
    RACE_INPUT_COLUMNS,
    build_race_features,
    create_input_tables,
)
from formline.races.features.registry import (
    RACE_FEATURE_SET_VERSION,
    RACE_FEATURES,
    RaceFeatureParams,
    race_feature_set,
)

__all__ = [
    "RACE_FEATURES",
    "RACE_FEATURE_SET_VERSION",
    "RACE_INPUT_COLUMNS",
    "RaceFeatureParams",
    "build_race_features",
    "create_input_tables",
    "race_feature_set",
]
