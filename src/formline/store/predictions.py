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
from sqlalchemy import Connection, Select, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from formline.errors import DataError, SchemaMismatchError
from formline.store.db import Store
from formline.store.registry import fetch_model, to_json
from formline.store.staging import stage
from formline.store.tables import prediction_snapshots, predictions, publications
from formline.store.types import as_utc, utcnow

PROBABILITY_COLUMNS = ["p_home", "p_draw", "p_away", "p_over_2_5"]
FAIR_COLUMNS = ["fair_home", "fair_draw", "fair_away", "fair_over_2_5", "fair_under_2_5"]
PREDICTION_COLUMNS = [
    "match_id",
    "model_version_id",
    "information",
    *PROBABILITY_COLUMNS,
    *FAIR_COLUMNS,
    "drivers",
]

_STAGE = {
    "match_id": "int",
    "model_version_id": "int",
    "information": "text",
    **dict.fromkeys([*PROBABILITY_COLUMNS, *FAIR_COLUMNS], "float"),
    "drivers": "text",
}
_SNAPSHOT_COLUMNS = [
    prediction_snapshots.c.id.label("snapshot_id"),
    prediction_snapshots.c.models_key,
    prediction_snapshots.c.as_of,
    prediction_snapshots.c.horizon_days,
    prediction_snapshots.c.feature_version,
    prediction_snapshots.c.created_at,
]


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _checked(frame: pd.DataFrame) -> pd.DataFrame:
    """The prediction columns of ``frame`` with drivers as JSON text, or DataError."""
    if frame.empty:
        raise DataError("no predictions to publish; an empty snapshot is never published")
    missing = [c for c in PREDICTION_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"predictions are missing columns: {', '.join(missing)}")
    if frame["match_id"].isna().any() or frame["model_version_id"].isna().any():
        raise DataError("predictions have rows without a match_id or model_version_id")
    duplicated = frame["match_id"][frame["match_id"].duplicated()]
    if len(duplicated):
        raise DataError(f"predictions repeat match ids: {sorted(set(duplicated.tolist()))[:10]}")
    staged = frame[PREDICTION_COLUMNS].copy()
    staged["drivers"] = [_drivers_json(d) for d in staged["drivers"]]
    return staged


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
    predictions: pd.DataFrame,
    publication: str = "default",
    domain: str = "matches",
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
        One row per match: ``match_id``, ``model_version_id`` and ``information`` (the model
        that predicted it and the information state it used), ``p_home``, ``p_draw``,
        ``p_away``, ``p_over_2_5`` (each in [0, 1]), ``fair_home``, ``fair_draw``,
        ``fair_away``, ``fair_over_2_5``, ``fair_under_2_5`` and ``drivers`` (a JSON-able list
        per row, or None).
    publication
        The pointer to move (``"default"`` is the one the read API serves).
    domain
        The domain the snapshot belongs to.
    model_version_id
        The model of every row, for a frame without ``model_version_id`` and ``information``
        columns (one model predicted everything; its information state is filled in).

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
        If ``predictions`` is empty, lacks columns or repeats a match.
    ModelNotFoundError
        If a model version does not exist.
    SchemaMismatchError
        If ``feature_version`` is not every model's.
    StoreError
        If the database refuses a row (probability outside [0, 1], unknown match); then nothing
        is written.
    """
    if model_version_id is not None:
        predictions = predictions.assign(model_version_id=model_version_id)
        if "information" not in predictions.columns:
            with store.connect("reading the model registry") as conn:
                information = fetch_model(conn, model_version_id).information
            predictions = predictions.assign(information=information)
    staged = _checked(predictions)
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
        pointer_as_of = _pointer_as_of(conn, publication)
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
                select(publications.c.snapshot_id).where(publications.c.name == publication)
            ).scalar()
            return Published(int(existing), False, current == existing, pointer_as_of)
        stage(conn, "stage_predictions", _STAGE, staged)
        drivers = "CAST(drivers AS JSONB)" if conn.dialect.name == "postgresql" else "drivers"
        values = ", ".join(c for c in PREDICTION_COLUMNS if c != "drivers")
        conn.execute(
            text(
                f"INSERT INTO predictions (snapshot_id, {values}, drivers) "
                f"SELECT :snapshot_id, {values}, {drivers} FROM stage_predictions"
            ),
            {"snapshot_id": snapshot_id},
        )
        conn.execute(text("DROP TABLE stage_predictions"))
        if pointer_as_of is not None and as_utc(as_of) < pointer_as_of:
            return Published(int(snapshot_id), True, False, pointer_as_of)
        upsert = _insert(conn)(publications).values(
            name=publication, snapshot_id=snapshot_id, published_at=now
        )
        conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["name"],
                set_={"snapshot_id": snapshot_id, "published_at": now},
            )
        )
    return Published(int(snapshot_id), True, True, pointer_as_of)


def _pointer_as_of(conn: Connection, publication: str) -> datetime | None:
    """The ``as_of`` of the snapshot ``publication`` points at (None before any publish)."""
    query = (
        select(prediction_snapshots.c.as_of)
        .join(publications, publications.c.snapshot_id == prediction_snapshots.c.id)
        .where(publications.c.name == publication)
    )
    found: datetime | None = conn.execute(query).scalar()
    return found


def current_snapshot(store: Store, publication: str = "default") -> dict[str, Any] | None:
    """The snapshot ``publication`` points at, or None if nothing was published.

    Keys: ``id``, ``domain``, ``model_version_id`` (None when several models predicted),
    ``models_key``, ``as_of``, ``horizon_days``, ``feature_version``,
    ``n_predictions``, ``created_at`` (the snapshot row) plus ``publication``, ``published_at``.
    """
    query = (
        select(prediction_snapshots, publications.c.name.label("publication"))
        .add_columns(publications.c.published_at)
        .join(publications, publications.c.snapshot_id == prediction_snapshots.c.id)
        .where(publications.c.name == publication)
    )
    with store.connect("reading the published snapshot") as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)


def _frame(conn: Connection, query: Select[Any], columns: list[str]) -> pd.DataFrame:
    rows = [dict(r) for r in conn.execute(query).mappings()]
    frame = pd.DataFrame(rows, columns=columns)
    if "as_of" in frame and len(frame):
        for col in ("as_of", "created_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def read_snapshot_predictions(store: Store, snapshot_id: int) -> pd.DataFrame:
    """Every prediction of one snapshot, by ``match_id``, with ``drivers`` parsed.

    Columns: ``match_id``, the probabilities, the fair odds, ``drivers``. An unknown snapshot
    gives an empty frame.
    """
    query = (
        select(*[predictions.c[c] for c in PREDICTION_COLUMNS])
        .where(predictions.c.snapshot_id == snapshot_id)
        .order_by(predictions.c.match_id)
    )
    with store.connect("reading predictions") as conn:
        return _frame(conn, query, PREDICTION_COLUMNS)


def _history(match_id: int) -> Select[Any]:
    return (
        select(*_SNAPSHOT_COLUMNS, *[predictions.c[c] for c in PREDICTION_COLUMNS])
        .join(prediction_snapshots, prediction_snapshots.c.id == predictions.c.snapshot_id)
        .where(predictions.c.match_id == match_id)
        .order_by(prediction_snapshots.c.as_of.desc(), prediction_snapshots.c.id.desc())
    )


_HISTORY_COLUMNS = [c.name for c in _SNAPSHOT_COLUMNS] + PREDICTION_COLUMNS


def predictions_for_match(store: Store, match_id: int) -> pd.DataFrame:
    """Every stored prediction of one match, newest snapshot first.

    Columns: ``snapshot_id``, ``model_version_id``, ``as_of``, ``horizon_days``,
    ``feature_version``, ``created_at`` (of the snapshot), then those of
    :func:`read_snapshot_predictions`.
    """
    with store.connect("reading predictions") as conn:
        return _frame(conn, _history(match_id), _HISTORY_COLUMNS)


def latest_prediction_for_match(
    store: Store, match_id: int, publication: str = "default"
) -> dict[str, Any] | None:
    """The prediction of one match from the published snapshot if it covers the match, else from
    the newest snapshot that does; None if no snapshot does.

    Keys as the columns of :func:`predictions_for_match`, plus ``published`` (True when it comes
    from the published snapshot).
    """
    published = (
        select(publications.c.snapshot_id)
        .where(publications.c.name == publication)
        .scalar_subquery()
    )
    with store.connect("reading predictions") as conn:
        row = (
            conn.execute(_history(match_id).where(predictions.c.snapshot_id == published))
            .mappings()
            .first()
        )
        is_published = row is not None
        if row is None:
            row = conn.execute(_history(match_id).limit(1)).mappings().first()
    if row is None:
        return None
    return {**dict(row), "published": is_published}
