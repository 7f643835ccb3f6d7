"""A stored match model's predictions for upcoming matches, in the wide frame the matches domain
publishes (:func:`formline.matches.predictions.prediction_rows`): calibrated 1X2 and over/under
2.5 probabilities with fair odds, per-prediction drivers, and, for a model type with a score
grid, the grid markets (:mod:`formline.matches.grid_markets`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from formline.core.markets import fair_odds
from formline.domain import ModelType
from formline.matches.grid_markets import grid_prediction_rows, score_grid_method

OUTCOMES = ("home", "draw", "away")
N_DRIVERS = 5


def drivers(
    model: Any, X: pd.DataFrame, top: int = N_DRIVERS, *, explains: bool = True
) -> list[list[dict[str, Any]]]:
    """The top feature contributions of each prediction (empty lists for a model type that
    does not declare explanations, or whose explanation is empty for these rows).

    Contributions are on the model's raw score per outcome: exact terms for linear models,
    TreeSHAP for trees. Features are ranked by their largest absolute contribution.
    """
    contributions = model.explain(X) if explains else None
    if contributions is None:
        return [[] for _ in range(len(X))]
    names = list(model.feature_names_)
    values = X[names].to_numpy(dtype=np.float64)
    strength = np.abs(contributions).max(axis=2)
    out = []
    for i in range(len(X)):
        order = np.argsort(-strength[i], kind="stable")[:top]
        out.append(
            [
                {
                    "feature": names[j],
                    "value": None if np.isnan(values[i, j]) else float(values[i, j]),
                    **{o: float(contributions[i, j, k]) for k, o in enumerate(OUTCOMES)},
                }
                for j in order
            ]
        )
    return out


def predict_frame(bundle: Mapping[str, Any], X: pd.DataFrame, declared: ModelType) -> pd.DataFrame:
    """Calibrated probabilities, fair odds, drivers (if the model type explains) and grid
    markets (if it has a score grid; else empty lists) for the rows of ``X``."""
    model = bundle["model"]
    proba = bundle["calibrator"].transform(model.predict_proba(X))
    over = bundle["over_calibrator"].transform(model.predict_over_proba(X))
    frame = pd.DataFrame({"match_id": X["match_id"].to_numpy()})
    for k, outcome in enumerate(OUTCOMES):
        frame[f"p_{outcome}"] = proba[:, k]
        frame[f"fair_{outcome}"] = fair_odds(proba[:, k])
    frame["p_over_2_5"] = over
    frame["fair_over_2_5"] = fair_odds(over)
    frame["fair_under_2_5"] = fair_odds(1.0 - over)
    explained = drivers(model, X, explains=declared.explains)
    frame["drivers"] = pd.Series(explained, index=frame.index, dtype=object)
    grid = score_grid_method(model, declared)
    markets = grid_prediction_rows(grid(X)) if grid is not None else [[] for _ in range(len(X))]
    frame["markets"] = pd.Series(markets, index=frame.index, dtype=object)
    return frame
