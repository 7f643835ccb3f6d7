"""The model registry: versioned model runs and their status.

A run is created as ``training``, then completed (metrics, artifact) or failed. Deploying,
rejecting and rolling back are promotion decisions, in :mod:`formline.store.promotions`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, RowMapping, func, select, text

from formline.errors import DataError, UnknownModelError
from formline.store.db import Store
from formline.store.tables import ALL_SCOPE, model_versions
from formline.store.types import utcnow


@dataclass(frozen=True)
class ModelVersion:
    """One row of ``model_versions``: JSON fields parsed, timestamps timezone-aware UTC.

    ``n_train``, ``n_validation`` are 0 and ``metrics`` is ``{}`` until the run completes.
    """

    id: int
    name: str
    model_type: str
    version: int
    horizon_days: int
    domain: str
    competition: str | None
    scope: str
    information: str
    training_as_of: datetime
    window_start: datetime
    window_end: datetime
    n_train: int
    n_validation: int
    feature_version: str
    feature_names: list[str]
    uses_market: bool
    hyperparameters: dict[str, Any]
    metrics: dict[str, Any]
    market_metrics: dict[str, Any] | None
    validation: dict[str, Any] | None
    artifact_path: str | None
    artifact_sha256: str | None
    status: str
    status_reason: str | None
    error: str | None
    random_state: int | None
    train_seconds: float | None
    created_at: datetime
    updated_at: datetime
    deployed_at: datetime | None

    @property
    def label(self) -> str:
        """``name vN``, for messages."""
        return f"{self.name} v{self.version}"


_FIELDS = [f.name for f in fields(ModelVersion)]


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays made plain Python, and NaN/inf made None.

    JSONB refuses NaN, and the stdlib encoder refuses NumPy types; metrics and drivers carry both.
    """
    if value is None or isinstance(value, str | bool | int):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict | Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return [jsonable(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """JSON text of ``value`` as :func:`jsonable` would make it (fast when already plain)."""
    try:
        return json.dumps(value, allow_nan=False, default=_plain)
    except ValueError:  # NaN or inf somewhere
        return json.dumps(jsonable(value), allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return jsonable(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def model_from_row(row: RowMapping) -> ModelVersion:
    """A :class:`ModelVersion` from a ``model_versions`` row."""
    return ModelVersion(**{name: row[name] for name in _FIELDS})


def fetch_model(conn: Connection, version_id: int, *, for_update: bool = False) -> ModelVersion:
    """Read one model version inside ``conn``'s transaction (locking it with ``for_update``).

    Raises
    ------
    UnknownModelError
        If there is no such version.
    """
    query = select(model_versions).where(model_versions.c.id == version_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise UnknownModelError(f"model version {version_id} does not exist")
    return model_from_row(row)


def lock(conn: Connection, key: str) -> None:
    """Serialise writers on ``key`` until the transaction ends (PostgreSQL advisory lock).

    SQLite serialises every writer already.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def create_model_version(
    store: Store,
    *,
    name: str,
    domain: str,
    model_type: str,
    horizon_days: int,
    training_as_of: datetime,
    window_start: datetime,
    window_end: datetime,
    feature_version: str,
    feature_names: Sequence[str],
    uses_market: bool,
    hyperparameters: Mapping[str, Any],
    competition: str | None = None,
    random_state: int | None = None,
    information: str | None = None,
    job_run_id: int | None = None,
) -> ModelVersion:
    """Register a new training run of model ``name`` with status ``training``.

    Parameters
    ----------
    store
        The store.
    name
        The model's name (``"logistic"``); versions count 1, 2, ... per name.
    model_type, horizon_days, training_as_of, window_start, window_end
        What is trained, for how far ahead, as of when, on events in which window.
    feature_version, feature_names
        The feature set's schema hash and its columns in model order.
    uses_market, hyperparameters, competition, random_state
        Whether market prices are inputs, the settings, the training filter (also the model's
        scope: what it may predict), the seed.
    domain, information
        The domain (always named: the shared tables have no default domain), and the
        information state the model needs at as_of (default ``market``
        when ``uses_market``, else ``no_market``): with the scope, the model's champion slot.
    job_run_id
        The ``job_runs`` row of the run that trains it: if that run dies, this version is
        failed with it (see formline.store.jobs.mark_dead_runs).

    Returns
    -------
    ModelVersion
        The new row; its ``version`` is one more than the newest of the same name.
    """
    now = utcnow()
    next_version = (
        select(func.coalesce(func.max(model_versions.c.version), 0) + 1)
        .where(model_versions.c.name == name)
        .scalar_subquery()
    )
    with store.begin(f"registering model {name}") as conn:
        lock(conn, f"formline.model_versions.{name}")
        version_id = conn.execute(
            model_versions.insert()
            .values(
                name=name,
                model_type=model_type,
                version=next_version,
                horizon_days=int(horizon_days),
                domain=domain,
                competition=competition,
                scope=competition or ALL_SCOPE,
                information=information or ("market" if uses_market else "no_market"),
                training_as_of=training_as_of,
                window_start=window_start,
                window_end=window_end,
                n_train=0,
                n_validation=0,
                feature_version=feature_version,
                feature_names=[str(n) for n in feature_names],
                uses_market=bool(uses_market),
                hyperparameters=jsonable(dict(hyperparameters)),
                metrics={},
                status="training",
                random_state=None if random_state is None else int(random_state),
                job_run_id=job_run_id,
                created_at=now,
                updated_at=now,
            )
            .returning(model_versions.c.id)
        ).scalar_one()
        return fetch_model(conn, int(version_id))


def complete_model_version(
    store: Store,
    version_id: int,
    *,
    n_train: int,
    n_validation: int,
    metrics: Mapping[str, Any],
    market_metrics: Mapping[str, Any] | None,
    validation: Mapping[str, Any] | None,
    artifact_path: str | None,
    artifact_sha256: str | None,
    train_seconds: float | None,
    status_reason: str | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Record a finished training run: counts, metrics, artifact; status ``completed``.

    ``hyperparameters``, when given, replace those recorded at the start (a search may have
    chosen them during the run).

    Raises
    ------
    UnknownModelError
        If there is no such version.
    DataError
        If the run is not ``training``.
    """
    with store.begin(f"completing model version {version_id}") as conn:
        _require_training(fetch_model(conn, version_id, for_update=True))
        chosen = (
            {} if hyperparameters is None else {"hyperparameters": jsonable(dict(hyperparameters))}
        )
        conn.execute(
            model_versions.update()
            .where(model_versions.c.id == version_id)
            .values(
                **chosen,
                n_train=int(n_train),
                n_validation=int(n_validation),
                metrics=jsonable(dict(metrics)),
                market_metrics=None if market_metrics is None else jsonable(dict(market_metrics)),
                validation=None if validation is None else jsonable(dict(validation)),
                artifact_path=artifact_path,
                artifact_sha256=artifact_sha256,
                train_seconds=None if train_seconds is None else float(train_seconds),
                status="completed",
                status_reason=status_reason,
                updated_at=utcnow(),
            )
        )
        return fetch_model(conn, version_id)


def fail_model_version(store: Store, version_id: int, error: str) -> None:
    """Mark a training run ``failed`` and keep its error message.

    Raises
    ------
    UnknownModelError
        If there is no such version.
    DataError
        If the run is not ``training``.
    """
    with store.begin(f"failing model version {version_id}") as conn:
        _require_training(fetch_model(conn, version_id, for_update=True))
        conn.execute(
            model_versions.update()
            .where(model_versions.c.id == version_id)
            .values(status="failed", error=error, updated_at=utcnow())
        )


def _require_training(model: ModelVersion) -> None:
    if model.status != "training":
        raise DataError(f"model version {model.id} ({model.label}) is {model.status}, not training")


def get_model_version(store: Store, version_id: int) -> ModelVersion:
    """One model version.

    Raises
    ------
    UnknownModelError
        ``"model version {id} does not exist"`` (exit code 3).
    """
    with store.connect("reading the model registry") as conn:
        return fetch_model(conn, version_id)


def list_model_versions(
    store: Store, name: str | None = None, status: str | None = None
) -> list[ModelVersion]:
    """Model versions, newest first, optionally only of ``name`` and/or with ``status``."""
    query = select(model_versions).order_by(
        model_versions.c.created_at.desc(), model_versions.c.id.desc()
    )
    if name is not None:
        query = query.where(model_versions.c.name == name)
    if status is not None:
        query = query.where(model_versions.c.status == status)
    with store.connect("reading the model registry") as conn:
        return [model_from_row(row) for row in conn.execute(query).mappings()]


def deployed_models(store: Store, domain: str | None = None) -> list[ModelVersion]:
    """The current champion of every slot (status ``deployed``), optionally of one domain."""
    found = list_model_versions(store, status="deployed")
    return [m for m in found if domain is None or m.domain == domain]
