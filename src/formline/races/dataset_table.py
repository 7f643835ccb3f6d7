"""The rows of the racing training dataset, as a rebuild assembles them in its DuckDB session:
the frame of :func:`~formline.races.dataset.load_race_frame` (the same ids, names, targets,
prices and features, from the same code), with each runner's race-card time added for the
checks."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from formline.domain import EventFrame
from formline.engine import InputQuery
from formline.races.dataset import RUNNER_INFO, assemble_race_frame
from formline.races.features import RaceFeatureParams, race_feature_set
from formline.races.features.build import read_race_features
from formline.races.features.inputs import RACE_FEATURE_INPUTS

#: What a rebuild reads from the store: the builder's inputs and each runner's names and result.
DATASET_INPUTS: dict[str, InputQuery] = {**RACE_FEATURE_INPUTS, "runner_info": RUNNER_INFO}

#: Kinds of the dataset's columns that pandas alone would not say right (targets blank until
#: known are floats there, whole numbers here; flags are booleans there).
_KINDS: dict[str, str] = {
    "race_id": "int",
    "runner_id": "int",
    "horse_id": "int",
    "race_number": "int",
    "saddle_number": "int",
    "finish_position": "int",
    "finished": "int",
    "won": "int",
    "placed": "int",
    "start_at": "timestamp",
    "cutoff_at": "timestamp",
    "result_observed_at": "timestamp",
    "card_observed_at": "timestamp",
}


def assemble_dataset(
    con: duckdb.DuckDBPyConnection, as_of: datetime, params: RaceFeatureParams | None = None
) -> pd.DataFrame:
    """The dataset's rows from a session holding :data:`DATASET_INPUTS` and the builder's
    features (after :func:`~formline.races.features.build.build_advanced`): the runner frame
    of :func:`~formline.races.dataset.assemble_race_frame`, plus ``card_observed_at``."""
    feature_set = race_feature_set(params)
    built = EventFrame(
        read_race_features(con, params), as_of, feature_set.schema_hash, list(feature_set.names)
    )
    info = con.sql("SELECT * FROM runner_info").to_arrow_table().to_pandas()
    frame = assemble_race_frame(built, info, as_of).frame
    cards = con.sql("SELECT runner_id, observed_at FROM runners").df()
    card_at = pd.Series(cards["observed_at"].to_numpy(), index=cards["runner_id"].to_numpy())
    names = [c for c in frame.columns if c not in feature_set.names]
    frame["card_observed_at"] = frame["runner_id"].map(card_at).to_numpy()
    return frame[[*names, "card_observed_at", *feature_set.names]]


def dataset_kinds(frame: pd.DataFrame, features: list[str]) -> dict[str, str]:
    """Each column of ``frame`` and the kind it is stored as (int, float, text, timestamp):
    ``features`` float, the known columns as :data:`_KINDS`, the rest by their dtype."""
    kinds: dict[str, str] = {}
    feature_names = set(features)
    for column, dtype in frame.dtypes.items():
        name = str(column)
        if name in feature_names:
            kinds[name] = "float"
        elif name in _KINDS:
            kinds[name] = _KINDS[name]
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kinds[name] = "timestamp"
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            kinds[name] = "int"
        elif pd.api.types.is_float_dtype(dtype):
            kinds[name] = "float"
        else:
            kinds[name] = "text"
    return kinds
