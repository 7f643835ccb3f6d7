"""A stored race model's predictions for race cards: each runner's calibrated win
probability, its place probability (Benter's discounted exponents, fitted in training) and,
for a model type that explains, its drivers (the largest linear terms)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from formline.domain import ModelType
from formline.races.validation import calibrated_predictions

N_DRIVERS = 5


def drivers(model: Any, X: pd.DataFrame, top: int = N_DRIVERS) -> list[list[dict[str, Any]]]:
    """Each runner's ``top`` features by absolute contribution to its score relative to the
    field (``model.explain``), with the feature's value."""
    contributions = model.explain(X)
    names = list(model.feature_names_)
    values = X[names].to_numpy(dtype=np.float64, na_value=np.nan)
    out = []
    for i in range(len(X)):
        order = np.argsort(-np.abs(contributions[i]), kind="stable")[:top]
        out.append(
            [
                {
                    "feature": names[j],
                    "value": None if np.isnan(values[i, j]) else float(values[i, j]),
                    "contribution": float(contributions[i, j]),
                }
                for j in order
            ]
        )
    return out


def predict_frame(
    bundle: Mapping[str, Any], rows: pd.DataFrame, declared: ModelType
) -> pd.DataFrame:
    """One row per runner of ``rows``: ``race_id``, ``runner_id``, ``p_win``, ``p_place`` and,
    if the model type explains, ``drivers``."""
    model = bundle["model"]
    p_win, p_place = calibrated_predictions(model, bundle, rows)
    frame = pd.DataFrame(
        {
            "race_id": rows["race_id"].to_numpy(),
            "runner_id": rows["runner_id"].to_numpy(),
            "p_win": p_win,
            "p_place": p_place,
        }
    )
    if declared.explains and hasattr(model, "explain"):
        frame["drivers"] = pd.Series(drivers(model, rows), index=frame.index, dtype=object)
    return frame
