"""Prediction snapshots: write a model's predictions as of a time, publish them atomically.

A snapshot is every prediction one model made as of one time for one horizon. Publishing
inserts the snapshot and its rows and moves the publication pointer (``publications``) to it in
one transaction, so readers see either the old snapshot or the whole new one, never a half.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from formline.errors import DataError, SchemaMismatchError
from formline.store.db import Store
from formline.store.reads import one_pointer, publication_is
from formline.store.registry import fetch_model, to_json
from formline.store.staging import stage
from formline.store.tables import prediction_snapshots, publications
from formline.store.types import as_utc, utcnow

#: One row per predicted event (and unit): who predicted it, with what, and why.
EVENT_COLUMNS = ["event_id", "unit", "model_version_id", "information", "drivers"]
#: One row per (event, unit, market, selection, line): the probability and its fair odds.
ROW_COLUMNS = ["event_id", "unit", "market", "selection", "line", "probability", "fair_odds"]

_EVENT_STAGE = {
    "event_id": "int",
    "unit": "text",
    "model_version_id": "int",
    "information": "text",
    "drivers": "text",
}
_ROW_STAGE = {
    "event_id": "int",
    "unit": "text",
    "market": "text",
    "selection": "text",
    "line": "float",
    "probability": "float",
    "fair_odds": "float",
}


@dataclass(frozen=True)
class PredictionRows:
    """A snapshot's predictions in long form, as a domain hands them to :func:`publish_snapshot`.

    ``events`` has one row per predicted event and unit (:data:`EVENT_COLUMNS`; ``unit`` may be
    left out for events predicted as a whole, and ``model_version_id`` and ``information`` when
    one model predicted everything); ``rows`` one per market, selection and line
    (:data:`ROW_COLUMNS`, ``unit`` likewise optional).
    """

    events: pd.DataFrame
    rows: pd.DataFrame


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _with_unit(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if "unit" in frame.columns else frame.assign(unit="")


def _checked(predictions: PredictionRows) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events (drivers as JSON text) and rows of ``predictions``, or DataError."""
    events, rows = _with_unit(predictions.events), _with_unit(predictions.rows)
    if events.empty:
        raise DataError("no predictions to publish; an empty snapshot is never published")
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    missing += [c for c in ROW_COLUMNS if c not in rows.columns and c not in missing]
    if missing:
        raise DataError(f"predictions are missing columns: {', '.join(missing)}")
    if events["event_id"].isna().any() or events["model_version_id"].isna().any():
        raise DataError("predictions have rows without an event_id or model_version_id")
    repeated = events[events.duplicated(["event_id", "unit"])]
    if len(repeated):
        raise DataError(
            f"predictions repeat event ids: {sorted(set(repeated['event_id'].tolist()))[:10]}"
        )
    staged = events[EVENT_COLUMNS].copy()
    staged["drivers"] = [_drivers_json(d) for d in staged["drivers"]]
    return staged, rows[ROW_COLUMNS]


def _drivers_json(drivers: Any) -> str:
    if drivers is None or (isinstance(drivers, float) and pd.isna(drivers)):
        return "[]"
    try:
        return to_json(drivers)
    except (TypeError, ValueError) as exc:
        raise DataError(f"prediction drivers are not JSON: {exc}") from exc


@dataclass(frozen=True)
class Published:
    """What :func:`publish_snapshot` did: the snapshot, whether it was written now, and whether
    the publication points at it."""

    snapshot_id: int
    created: bool
    published: bool
    pointer_as_of: datetime | None = None


def publish_snapshot(
    store: Store,
    *,
    as_of: datetime,
    horizon_days: int,
    feature_version: str,
    predictions: PredictionRows,
    domain: str,
    publication: str = "default",
    model_version_id: int | None = None,
) -> Published:
    """Store a snapshot of predictions and point ``publication`` at it, in one transaction.

    Parameters
    ----------
    store
        The store.
    as_of, horizon_days, feature_version
        As of when, how far ahead, from which feature set.
    predictions
        The predicted events, each with ``model_version_id`` and ``information`` (the model
        that predicted it and the information state it used) and ``drivers`` (a JSON-able list,
        or None), and their rows, each probability in [0, 1] (see :class:`PredictionRows`; a
        domain builds them, as :func:`formline.matches.predictions.prediction_rows` does).
    publication
        The pointer to move (``"default"`` is the one the read API serves).
    domain
        The domain the snapshot belongs to.
    model_version_id
        The model of every event, for events without ``model_version_id`` and
        ``information`` columns (one model predicted everything; its information state is
        filled in).

    Returns
    -------
    Published
        The snapshot id; whether it was written (a snapshot of the same models, ``as_of`` and
        horizon already stored is returned with nothing written); and whether the publication
        now points at it. The pointer only moves forward in ``as_of``: a snapshot as of an
        instant before the one already published is stored but not published (a replay of the
        past never replaces what the API serves).

    Raises
    ------
    DataError
        If ``predictions`` is empty, lacks columns or repeats an event.
    ModelNotFoundError
        If a model version does not exist.
    SchemaMismatchError
        If ``feature_version`` is not every model's.
    StoreError
        If the database refuses a row (probability outside [0, 1], a row of no event, a
        repeated row); then nothing is written.
    """
    if model_version_id is not None:
        events = predictions.events.assign(model_version_id=model_version_id)
        if "information" not in events.columns:
            with store.connect("reading the model registry") as conn:
                information = fetch_model(conn, model_version_id).information
            events = events.assign(information=information)
        predictions = PredictionRows(events, predictions.rows)
    staged, rows = _checked(predictions)
    model_ids = sorted({int(m) for m in staged["model_version_id"]})
    models_key = ",".join(str(m) for m in model_ids)
    with store.begin("publishing predictions") as conn:
        for model_id in model_ids:
            model = fetch_model(conn, model_id)
            if model.feature_version != feature_version:
                raise SchemaMismatchError(
                    f"predictions use feature version {feature_version}, but {model.label} was "
                    f"trained on {model.feature_version}"
                )
        now = utcnow()
        natural_key = ["domain", "models_key", "as_of", "horizon_days"]
        snapshot_id = conn.execute(
            _insert(conn)(prediction_snapshots)
            .values(
                domain=domain,
                model_version_id=model_ids[0] if len(model_ids) == 1 else None,
                models_key=models_key,
                as_of=as_of,
                horizon_days=int(horizon_days),
                feature_version=feature_version,
                n_predictions=len(staged),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=natural_key)
            .returning(prediction_snapshots.c.id)
        ).scalar()
        pointer_as_of = _pointer_as_of(conn, publication, domain)
        if snapshot_id is None:
            existing = conn.execute(
                select(prediction_snapshots.c.id).where(
                    (prediction_snapshots.c.domain == domain)
                    & (prediction_snapshots.c.models_key == models_key)
                    & (prediction_snapshots.c.as_of == as_of)
                    & (prediction_snapshots.c.horizon_days == int(horizon_days))
                )
            ).scalar_one()
            current = conn.execute(
                select(publications.c.snapshot_id).where(publication_is(publication, domain))
            ).scalar()
            return Published(int(existing), False, current == existing, pointer_as_of)
        _insert_rows(conn, int(snapshot_id), staged, rows)
        if pointer_as_of is not None and as_utc(as_of) < pointer_as_of:
            return Published(int(snapshot_id), True, False, pointer_as_of)
        upsert = _insert(conn)(publications).values(
            domain=domain, name=publication, snapshot_id=snapshot_id, published_at=now
        )
        conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["domain", "name"],
                set_={"snapshot_id": snapshot_id, "published_at": now},
            )
        )
    return Published(int(snapshot_id), True, True, pointer_as_of)


def _insert_rows(
    conn: Connection, snapshot_id: int, events: pd.DataFrame, rows: pd.DataFrame
) -> None:
    """Insert a new snapshot's events and rows, staged in bulk."""
    stage(conn, "stage_predicted_events", _EVENT_STAGE, events)
    drivers = "CAST(drivers AS JSONB)" if conn.dialect.name == "postgresql" else "drivers"
    values = ", ".join(c for c in EVENT_COLUMNS if c != "drivers")
    conn.execute(
        text(
            f"INSERT INTO predicted_events (snapshot_id, {values}, drivers) "
            f"SELECT :snapshot_id, {values}, {drivers} FROM stage_predicted_events"
        ),
        {"snapshot_id": snapshot_id},
    )
    stage(conn, "stage_predictions", _ROW_STAGE, rows)
    values = ", ".join(ROW_COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO predictions (snapshot_id, {values}) "
            f"SELECT :snapshot_id, {values} FROM stage_predictions"
        ),
        {"snapshot_id": snapshot_id},
    )
    conn.execute(text("DROP TABLE stage_predicted_events"))
    conn.execute(text("DROP TABLE stage_predictions"))
    if conn.dialect.name == "postgresql":
        # Fresh statistics with the snapshot, so that its first reads are planned for its size:
        # until autovacuum gets round to it, a new or fast-grown table is estimated at a row
        # per condition, and the pivot's join can then be planned as a loop over every row of
        # the snapshot for each event (seconds instead of milliseconds for 1,000 events).
        conn.execute(text("ANALYZE predicted_events, predictions"))


def _pointer_as_of(conn: Connection, publication: str, domain: str) -> datetime | None:
    """The ``as_of`` of the snapshot ``domain``'s ``publication`` points at (None before any
    publish)."""
    query = (
        select(prediction_snapshots.c.as_of)
        .join(publications, publications.c.snapshot_id == prediction_snapshots.c.id)
        .where(publication_is(publication, domain))
    )
    found: datetime | None = conn.execute(query).scalar()
    return found


def current_snapshot(
    store: Store, publication: str = "default", domain: str | None = None
) -> dict[str, Any] | None:
    """The snapshot ``publication`` of ``domain`` points at (None: of the domain that has that
    publication; StoreError if several do), or None if nothing was published.

    Keys: ``id``, ``domain``, ``model_version_id`` (None when several models predicted),
    ``models_key``, ``as_of``, ``horizon_days``, ``feature_version``,
    ``n_predictions``, ``created_at`` (the snapshot row) plus ``publication``, ``published_at``.
    """
    query = (
        select(prediction_snapshots, publications.c.name.label("publication"))
        .add_columns(publications.c.published_at)
        .join(publications, publications.c.snapshot_id == prediction_snapshots.c.id)
        .where(publication_is(publication, domain))
    )
    with store.connect("reading the published snapshot") as conn:
        row = one_pointer(list(conn.execute(query).mappings()), publication)
    return None if row is None else dict(row)
