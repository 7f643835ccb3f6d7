"""The markets a model's score grid implies for one predicted match (``predict:match --markets``).

Only model types that declare an exact-score grid have them (Dixon-Coles and the goals model,
through ``predict_score_grid``). The grid is recomputed from the stored model and the match's
features as of the prediction's ``as_of``, the inputs the published prediction used; it is the
model's raw grid, before the 1X2 calibration the published probabilities went through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from formline.core.score_markets import grid_markets
from formline.domain import ModelType, get_domain, model_type
from formline.matches.dataset import load_match_frame
from formline.pipeline.train import load_model_bundle
from formline.store import registry
from formline.store.db import Store

__all__ = ["match_grid_markets", "score_grid_method"]


def score_grid_method(
    model: Any, declared: ModelType
) -> Callable[[pd.DataFrame], np.ndarray] | None:
    """The score-grid method of ``model``, a fitted model of type ``declared``: None for a
    type that does not declare score grids."""
    if not declared.score_grid:
        return None
    method: Callable[[pd.DataFrame], np.ndarray] = model.predict_score_grid
    return method


def _naive_utc(instant: datetime) -> datetime:
    """The store's instants are UTC; the match frame compares them without a zone."""
    if instant.tzinfo is None:
        return instant
    return instant.astimezone(UTC).replace(tzinfo=None)


def match_grid_markets(
    store: Store,
    version: registry.ModelVersion,
    match_id: int,
    kickoff_at: datetime,
    as_of: datetime,
) -> pd.DataFrame | None:
    """Every grid market of ``match_id`` as the model ``version`` priced it at ``as_of``.

    Returns
    -------
    pandas.DataFrame or None
        :func:`formline.core.score_markets.grid_markets` of the match's grid; None when the
        model has no score grid.

    Raises
    ------
    ModelNotFoundError, SchemaMismatchError
        When the model's bundle is missing or does not match the registry.
    """
    bundle = load_model_bundle(version)
    declared = model_type(get_domain(version.domain), version.model_type)
    method = score_grid_method(bundle["model"], declared)
    if method is None:
        return None
    kickoff_at, as_of = _naive_utc(kickoff_at), _naive_utc(as_of)
    cutoff = min(kickoff_at, as_of)
    queries = pd.DataFrame({"match_id": [match_id], "cutoff_at": [cutoff]})
    frame = load_match_frame(store, as_of, queries=queries).frame
    row = frame[frame["match_id"] == match_id].head(1).reset_index(drop=True)
    if row.empty:
        return None
    return grid_markets(np.asarray(method(row), dtype=np.float64)[0])
