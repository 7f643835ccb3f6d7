"""Prediction step: the deployed model's probabilities for upcoming matches, published as an
immutable snapshot with per-prediction drivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from formline.core.markets import fair_odds
from formline.domain import Domain, model_type, resolve_domain
from formline.errors import SchemaMismatchError
from formline.matches.information import INFORMATION_STATES, information_states, serves
from formline.pipeline.train import load_champions
from formline.store import registry
from formline.store.db import Store
from formline.store.predictions import publish_snapshot
from formline.store.promotions import Slot
from formline.store.tables import ALL_SCOPE

OUTCOMES = ("home", "draw", "away")
N_DRIVERS = 5


@dataclass
class PredictResult:
    """What a prediction run did.

    ``models`` are the champions that predicted (one per slot used); ``unpredicted`` counts the
    upcoming matches no champion could predict with what was known at ``as_of``, by information
    state (for example ``{"no_market": 12}`` when only a model that needs prices is deployed).
    """

    models: list[registry.ModelVersion]
    as_of: datetime
    horizon_days: int
    predictions: pd.DataFrame
    snapshot_id: int | None
    created: bool
    published: bool = False
    unpredicted: dict[str, int] = field(default_factory=dict)

    @property
    def model(self) -> registry.ModelVersion:
        """The champion behind most predictions."""
        if self.predictions.empty or len(self.models) == 1:
            return self.models[0]
        counts = self.predictions["model_version_id"].value_counts()
        top = int(counts.index[0])
        return next(m for m in self.models if m.id == top)


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


def predict_frame(bundle: dict[str, Any], X: pd.DataFrame, *, explains: bool) -> pd.DataFrame:
    """Calibrated probabilities, fair odds and drivers (if the model type ``explains``) for the
    rows of ``X``."""
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
    explained = drivers(model, X, explains=explains)
    frame["drivers"] = pd.Series(explained, index=frame.index, dtype=object)
    return frame


def upcoming(frame: pd.DataFrame, as_of: datetime, horizon_days: int) -> pd.DataFrame:
    """Matches with kickoff in ``(as_of, as_of + horizon]`` that were still to be played then."""
    end = as_of + timedelta(days=horizon_days)
    window = (frame["kickoff_at"] > as_of) & (frame["kickoff_at"] <= end)
    playable = frame["status"].isin(["scheduled", "finished"])
    return frame[window & playable].reset_index(drop=True)


def assign_champions(
    rows: pd.DataFrame, slots: list[Slot]
) -> tuple[dict[Slot, np.ndarray], dict[str, int]]:
    """Which champion predicts each row, and how many rows none can.

    A row in information state ``s`` may be predicted by a champion needing ``s`` or less; the
    richest such state wins, then the row's own competition before the domain-wide scope. So a
    match with observed prices gets the market champion, one further out the no-market champion,
    and a competition's own champion beats the domain-wide one of the same state.

    Returns
    -------
    tuple
        Row positions per slot, and the count of unassigned rows per information state.
    """
    states = information_states(rows)
    competitions = rows["competition"].to_numpy(dtype=object)
    order: list[Slot] = []
    for information in INFORMATION_STATES:
        same = [s for s in slots if s.information == information]
        order += sorted(s for s in same if s.scope != ALL_SCOPE)
        order += [s for s in same if s.scope == ALL_SCOPE]
    taken = np.zeros(len(rows), dtype=bool)
    chosen: dict[Slot, np.ndarray] = {}
    for slot in order:
        in_scope = np.ones(len(rows), dtype=bool)
        if slot.scope != ALL_SCOPE:
            in_scope = competitions == slot.scope
        pick = serves(slot.information, states) & in_scope & ~taken
        if pick.any():
            chosen[slot] = np.flatnonzero(pick)
            taken |= pick
    left = states[~taken]
    unassigned = {str(k): int(v) for k, v in zip(*np.unique(left, return_counts=True), strict=True)}
    return chosen, unassigned


def run_predictions(
    store: Store,
    as_of: datetime,
    horizon_days: int,
    publish: bool = True,
    domain: Domain | str | None = None,
) -> PredictResult:
    """Predict every upcoming match with the champions deployed as of ``as_of``; publish one
    snapshot.

    Each match is predicted by the champion for what was known about it at ``as_of`` (see
    :func:`assign_champions`); a match no champion can predict gets no prediction at all, never
    one from a model fed inputs it was not validated on. Each prediction records its model and
    information state. Re-running with the same ``as_of`` and champions publishes nothing new
    (the snapshot is immutable); replaying a past ``as_of`` uses the champions deployed as of
    then and the features known then, so it reproduces what was published then.

    Raises
    ------
    ModelNotFoundError
        When no model was deployed as of ``as_of`` (nothing is written).
    SchemaMismatchError
        When a champion was trained on another feature version.
    """
    domain = resolve_domain(domain)
    feature_version = domain.feature_set().schema_hash
    champions = load_champions(store, as_of, domain)
    for version, bundle in champions.values():
        if bundle["feature_version"] != feature_version:
            raise SchemaMismatchError(
                f"deployed model {version.label} uses feature version "
                f"{bundle['feature_version']}, this formline computes {feature_version}: "
                "retrain it"
            )
    match_frame = domain.load_frame(store, as_of)
    rows = upcoming(match_frame.frame, as_of, horizon_days)
    chosen, unassigned = assign_champions(rows, list(champions))
    pieces = []
    for slot, positions in chosen.items():
        version, bundle = champions[slot]
        explains = model_type(domain, version.model_type).explains
        piece = predict_frame(
            bundle, rows.iloc[positions].reset_index(drop=True), explains=explains
        )
        piece["model_version_id"] = version.id
        piece["information"] = slot.information
        pieces.append(piece)
    used = [champions[slot][0] for slot in chosen]
    models = used or [v for v, _ in champions.values()]
    if not pieces:
        return PredictResult(
            models, as_of, horizon_days, pd.DataFrame(), None, False, False, unassigned
        )
    predictions = pd.concat(pieces, ignore_index=True).sort_values("match_id", kind="stable")
    predictions = predictions.reset_index(drop=True)
    if not publish:
        return PredictResult(
            models, as_of, horizon_days, predictions, None, False, False, unassigned
        )
    snapshot = publish_snapshot(
        store,
        as_of=as_of,
        horizon_days=horizon_days,
        feature_version=feature_version,
        predictions=domain.prediction_rows(predictions),
        domain=domain.name,
    )
    return PredictResult(
        models,
        as_of,
        horizon_days,
        predictions,
        snapshot.snapshot_id,
        snapshot.created,
        snapshot.published,
        unassigned,
    )
