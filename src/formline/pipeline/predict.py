"""Prediction step: the deployed model's probabilities for upcoming matches, published as an
immutable snapshot with per-prediction drivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from formline.core.markets import fair_odds
from formline.errors import SchemaMismatchError
from formline.matches.features import FEATURE_SET_VERSION
from formline.pipeline.dataset import load_match_frame
from formline.pipeline.train import load_deployed
from formline.store import registry
from formline.store.db import Store
from formline.store.predictions import publish_snapshot

OUTCOMES = ("home", "draw", "away")
N_DRIVERS = 5


@dataclass
class PredictResult:
    """What a prediction run did."""

    model: registry.ModelVersion
    as_of: datetime
    horizon_days: int
    predictions: pd.DataFrame
    snapshot_id: int | None
    created: bool


def drivers(model: Any, X: pd.DataFrame, top: int = N_DRIVERS) -> list[list[dict[str, Any]]]:
    """The top feature contributions of each prediction (empty lists if the model has none).

    Contributions are on the model's raw score per outcome: exact terms for linear models,
    TreeSHAP for trees. Features are ranked by their largest absolute contribution.
    """
    explain = getattr(model, "explain", None)
    contributions = explain(X) if callable(explain) else None
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


def predict_frame(bundle: dict[str, Any], X: pd.DataFrame) -> pd.DataFrame:
    """Calibrated probabilities, fair odds and drivers for the rows of ``X``."""
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
    frame["drivers"] = pd.Series(drivers(model, X), index=frame.index, dtype=object)
    return frame


def upcoming(frame: pd.DataFrame, as_of: datetime, horizon_days: int) -> pd.DataFrame:
    """Matches with kickoff in ``(as_of, as_of + horizon]`` that were still to be played then."""
    end = as_of + timedelta(days=horizon_days)
    window = (frame["kickoff_at"] > as_of) & (frame["kickoff_at"] <= end)
    playable = frame["status"].isin(["scheduled", "finished"])
    return frame[window & playable].reset_index(drop=True)


def run_predictions(
    store: Store, as_of: datetime, horizon_days: int, publish: bool = True
) -> PredictResult:
    """Predict every upcoming match with the deployed model and publish one snapshot.

    Re-running with the same ``as_of`` and model publishes nothing new (the snapshot is
    immutable); replaying a past ``as_of`` reproduces what was published then, because the
    features use only facts observed before it.

    Raises
    ------
    ModelNotFoundError
        When no model is deployed (nothing is written).
    SchemaMismatchError
        When the deployed model was trained on another feature version.
    """
    version, bundle = load_deployed(store)
    if bundle["feature_version"] != FEATURE_SET_VERSION:
        raise SchemaMismatchError(
            f"deployed model {version.name} v{version.version} uses feature version "
            f"{bundle['feature_version']}, this formline computes {FEATURE_SET_VERSION}: retrain it"
        )
    match_frame = load_match_frame(store, as_of)
    rows = upcoming(match_frame.frame, as_of, horizon_days)
    predictions = predict_frame(bundle, rows) if len(rows) else pd.DataFrame()
    if predictions.empty or not publish:
        return PredictResult(version, as_of, horizon_days, predictions, None, False)
    snapshot_id, created = publish_snapshot(
        store,
        model_version_id=version.id,
        as_of=as_of,
        horizon_days=horizon_days,
        feature_version=bundle["feature_version"],
        predictions=predictions,
    )
    return PredictResult(version, as_of, horizon_days, predictions, snapshot_id, created)
