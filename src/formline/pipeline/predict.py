"""Prediction step: the deployed models' probabilities for a domain's upcoming events, published
as an immutable snapshot with per-prediction drivers.

The domain predicts and shapes the rows (:meth:`formline.domain.Domain.predict_rows` and
:meth:`~formline.domain.Domain.prediction_rows`); this step picks the champion of each event
from what is known about it, and publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from formline.domain import Domain, model_type, resolve_domain
from formline.errors import SchemaMismatchError
from formline.pipeline.train import load_champions
from formline.store import registry
from formline.store.db import Store
from formline.store.predictions import publish_snapshot
from formline.store.promotions import Slot
from formline.store.tables import ALL_SCOPE


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


def upcoming(
    frame: pd.DataFrame, as_of: datetime, horizon_days: int, domain: Domain | str | None = None
) -> pd.DataFrame:
    """Events of ``domain`` (None: the only registered one) starting in ``(as_of, as_of +
    horizon]`` that were still to be played then."""
    start = resolve_domain(domain).start_column
    end = as_of + timedelta(days=horizon_days)
    window = (frame[start] > as_of) & (frame[start] <= end)
    playable = frame["status"].isin(["scheduled", "finished"])
    return frame[window & playable].reset_index(drop=True)


def upcoming_scopes(
    store: Store, as_of: datetime, horizon_days: int, domain: Domain | str | None = None
) -> list[str]:
    """The partitions of a prediction run: each scope (the domain's ``scope_column``, a
    competition) with an event in ``(as_of, as_of + horizon]``, sorted."""
    resolved = resolve_domain(domain)
    rows = upcoming(resolved.load_frame(store, as_of).frame, as_of, horizon_days, resolved)
    return sorted({str(v) for v in rows[resolved.scope_column].dropna()})


def assign_champions(
    rows: pd.DataFrame, slots: list[Slot], domain: Domain | str | None = None
) -> tuple[dict[Slot, np.ndarray], dict[str, int]]:
    """Which champion predicts each row, and how many rows none can.

    A row may be predicted by a champion needing an information state the row admits
    (:meth:`formline.domain.Domain.admits`: its own state or a poorer one of the domain's
    ``information_states``, richest first); the richest such state wins, then the row's own
    scope (a competition) before the domain-wide one. So a match with observed prices gets the
    market champion, one further out the no-market champion, and a competition's own champion
    beats the domain-wide one of the same state.

    Returns
    -------
    tuple
        Row positions per slot, and the count of unassigned rows per information state.
    """
    resolved = resolve_domain(domain)
    ranked = resolved.information_states
    admitted = {state: resolved.admits(state, rows) for state in ranked}
    # Each row's own state: the richest it admits (a row admitting none counts as the poorest).
    states = np.full(len(rows), ranked[-1], dtype=object)
    for state in reversed(ranked):
        states[admitted[state]] = state
    scopes = rows[resolved.scope_column].to_numpy(dtype=object)
    order: list[Slot] = []
    for information in ranked:
        same = [s for s in slots if s.information == information]
        order += sorted(s for s in same if s.scope != ALL_SCOPE)
        order += [s for s in same if s.scope == ALL_SCOPE]
    taken = np.zeros(len(rows), dtype=bool)
    chosen: dict[Slot, np.ndarray] = {}
    for slot in order:
        in_scope = np.ones(len(rows), dtype=bool)
        if slot.scope != ALL_SCOPE:
            in_scope = scopes == slot.scope
        pick = admitted[slot.information] & in_scope & ~taken
        if pick.any():
            chosen[slot] = np.flatnonzero(pick)
            taken |= pick
    left = states[~taken]
    unassigned = {str(k): int(v) for k, v in zip(*np.unique(left, return_counts=True), strict=True)}
    return chosen, unassigned


def current_champions(store: Store, as_of: datetime, domain: Domain) -> dict[Any, Any]:
    """The champions deployed as of ``as_of`` with their bundles, by slot (see
    :func:`formline.pipeline.train.load_champions`).

    Raises
    ------
    ModelNotFoundError
        When no model was deployed as of ``as_of``.
    SchemaMismatchError
        When a champion was trained on another feature version than this formline computes.
    """
    feature_version = domain.feature_set().schema_hash
    champions = load_champions(store, as_of, domain)
    for version, bundle in champions.values():
        if bundle["feature_version"] != feature_version:
            raise SchemaMismatchError(
                f"deployed model {version.label} uses feature version "
                f"{bundle['feature_version']}, this formline computes {feature_version}: "
                "retrain it"
            )
    return champions


def run_predictions(
    store: Store,
    as_of: datetime,
    horizon_days: int,
    publish: bool = True,
    domain: Domain | str | None = None,
    scope: str | None = None,
) -> PredictResult:
    """Predict every upcoming event with the champions deployed as of ``as_of``; publish one
    snapshot.

    Each event is predicted by the champion for what was known about it at ``as_of`` (see
    :func:`assign_champions`); an event no champion can predict gets no prediction at all, never
    one from a model fed inputs it was not validated on. Each prediction records its model and
    information state. Re-running with the same ``as_of`` and champions publishes nothing new
    (the snapshot is immutable); replaying a past ``as_of`` uses the champions deployed as of
    then and the features known then, so it reproduces what was published then.

    ``scope`` (a value of the domain's ``scope_column``, a competition) predicts only that
    partition's events, each exactly as a run over every event predicts it: a distributed run
    predicts the partitions apart and publishes them together (see formline.jobs).

    Raises
    ------
    ModelNotFoundError
        When no model was deployed as of ``as_of`` (nothing is written).
    SchemaMismatchError
        When a champion was trained on another feature version.
    """
    domain = resolve_domain(domain)
    champions = current_champions(store, as_of, domain)
    event_frame = domain.load_frame(store, as_of)
    rows = upcoming(event_frame.frame, as_of, horizon_days, domain)
    if scope is not None:
        in_scope = rows[domain.scope_column].astype(str) == scope
        rows = rows[in_scope.to_numpy()].reset_index(drop=True)
    chosen, unassigned = assign_champions(rows, list(champions), domain)
    pieces = []
    for slot, positions in chosen.items():
        version, bundle = champions[slot]
        declared = model_type(domain, version.model_type)
        piece = domain.predict_rows(bundle, rows.iloc[positions].reset_index(drop=True), declared)
        piece["model_version_id"] = version.id
        piece["information"] = slot.information
        pieces.append(piece)
    used = [champions[slot][0] for slot in chosen]
    models = used or [v for v, _ in champions.values()]
    if not pieces:
        return PredictResult(
            models, as_of, horizon_days, pd.DataFrame(), None, False, False, unassigned
        )
    predictions = pd.concat(pieces, ignore_index=True)
    predictions = predictions.sort_values(domain.event_key, kind="stable")
    predictions = predictions.reset_index(drop=True)
    if not publish:
        return PredictResult(
            models, as_of, horizon_days, predictions, None, False, False, unassigned
        )
    snapshot = publish_snapshot(
        store,
        as_of=as_of,
        horizon_days=horizon_days,
        feature_version=domain.feature_set().schema_hash,
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
