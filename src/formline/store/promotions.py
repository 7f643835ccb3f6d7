"""Promotion decisions: deploy, reject and roll back model versions, with an audit ledger.

A completed run can be deployed (the champion it replaces is archived), rejected (it stays
completed, with the reason) and a deployment rolled back. Every decision appends a row to
``model_promotions``, which the database keeps append-only (triggers refuse updates and
deletes). At most one model is deployed at a time, across names; decisions take a lock so two
workers cannot deploy at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from formline.errors import DataError, ModelNotFoundError
from formline.store.db import Store
from formline.store.registry import ModelVersion, fetch_model, lock, model_from_row
from formline.store.tables import model_promotions, model_versions
from formline.store.types import utcnow

__all__ = ["deploy", "list_promotions", "reject", "rollback"]

_DEPLOY_LOCK = "formline.model_versions.deploy"


def _current(conn: Connection) -> ModelVersion | None:
    query = select(model_versions).where(model_versions.c.status == "deployed")
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return None if row is None else model_from_row(row)


def _ledger(
    conn: Connection,
    action: str,
    model: ModelVersion,
    previous: ModelVersion | None,
    reason: str,
    triggered_by: str | None,
) -> None:
    conn.execute(
        model_promotions.insert().values(
            at=utcnow(),
            action=action,
            model_version_id=model.id,
            previous_model_version_id=None if previous is None else previous.id,
            reason=reason,
            metrics=model.metrics,
            previous_metrics=None if previous is None else previous.metrics,
            triggered_by=triggered_by,
        )
    )


def _set_status(conn: Connection, model: ModelVersion, status: str) -> None:
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == "deployed":
        values["deployed_at"] = now
    conn.execute(model_versions.update().where(model_versions.c.id == model.id).values(values))


def _promote(
    conn: Connection,
    model: ModelVersion,
    current: ModelVersion | None,
    action: str,
    reason: str,
    triggered_by: str,
) -> ModelVersion:
    """Archive ``current`` (if any), deploy ``model``, and write both ledger rows."""
    if current is not None:
        _set_status(conn, current, "archived")
        _ledger(
            conn, "archive", current, None, f"replaced by {model.label}: {reason}", triggered_by
        )
    _set_status(conn, model, "deployed")
    _ledger(conn, action, model, current, reason, triggered_by)
    return fetch_model(conn, model.id)


def deploy(
    store: Store, version_id: int, *, reason: str, triggered_by: str = "manual"
) -> ModelVersion:
    """Make ``version_id`` the deployed model, archiving the one it replaces, in one transaction.

    Writes an ``archive`` ledger row for the replaced model (if any) and a ``deploy`` row carrying
    both models' metrics and ``reason``.

    Raises
    ------
    ModelNotFoundError
        If there is no such version.
    DataError
        If the version is not ``completed`` or ``archived`` (training, failed, already deployed).
    """
    with store.begin(f"deploying model version {version_id}") as conn:
        lock(conn, _DEPLOY_LOCK)
        model = fetch_model(conn, version_id, for_update=True)
        if model.status not in ("completed", "archived"):
            raise DataError(
                f"model version {version_id} ({model.label}) is {model.status}; only completed "
                "or archived models can be deployed"
            )
        return _promote(conn, model, _current(conn), "deploy", reason, triggered_by)


def reject(store: Store, version_id: int, *, reason: str, triggered_by: str = "manual") -> None:
    """Record that a completed model was not promoted, and why.

    The model stays ``completed`` with ``status_reason = reason``; a ``reject`` ledger row
    carries its metrics and the deployed model's (if any).

    Raises
    ------
    ModelNotFoundError
        If there is no such version.
    DataError
        If the version is not ``completed``.
    """
    with store.begin(f"rejecting model version {version_id}") as conn:
        lock(conn, _DEPLOY_LOCK)
        model = fetch_model(conn, version_id, for_update=True)
        if model.status != "completed":
            raise DataError(
                f"model version {version_id} ({model.label}) is {model.status}; only completed "
                "models can be rejected"
            )
        conn.execute(
            model_versions.update()
            .where(model_versions.c.id == version_id)
            .values(status_reason=reason, updated_at=utcnow())
        )
        _ledger(conn, "reject", model, _current(conn), reason, triggered_by)


def rollback(
    store: Store, *, reason: str = "rollback", triggered_by: str = "manual"
) -> ModelVersion:
    """Re-deploy the model that was deployed before the current one; archive the current one.

    The previous champion is the model of the newest ``deploy``/``rollback`` ledger row written
    before the one that deployed the current model. Rolling back twice therefore returns to
    the model rolled back from. Appends ``archive`` and ``rollback`` rows.

    Raises
    ------
    ModelNotFoundError
        If no model is deployed, or none was deployed before it.
    """
    with store.begin("rolling back the deployed model") as conn:
        lock(conn, _DEPLOY_LOCK)
        current = _current(conn)
        if current is None:
            raise ModelNotFoundError("no model is deployed; there is nothing to roll back")
        promoted = model_promotions.c.action.in_(("deploy", "rollback"))
        current_row = conn.execute(
            select(func.max(model_promotions.c.id)).where(
                promoted & (model_promotions.c.model_version_id == current.id)
            )
        ).scalar()
        previous_id = conn.execute(
            select(model_promotions.c.model_version_id)
            .where(
                promoted
                & (model_promotions.c.model_version_id != current.id)
                & (model_promotions.c.id < (current_row or 0))
            )
            .order_by(model_promotions.c.id.desc())
            .limit(1)
        ).scalar()
        if previous_id is None:
            raise ModelNotFoundError(
                f"{current.label} is the first deployed model; there is nothing to roll back to"
            )
        previous = fetch_model(conn, int(previous_id), for_update=True)
        return _promote(conn, previous, current, "rollback", reason, triggered_by)


def list_promotions(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """The promotion ledger, newest first.

    Each row has the ledger's columns (``id``, ``at``, ``action``, ``model_version_id``,
    ``previous_model_version_id``, ``reason``, ``metrics``, ``previous_metrics``,
    ``triggered_by``) plus the model's ``name`` and ``version``.
    """
    query = (
        select(model_promotions, model_versions.c.name, model_versions.c.version)
        .join(model_versions, model_versions.c.id == model_promotions.c.model_version_id)
        .order_by(model_promotions.c.id.desc())
        .limit(limit)
    )
    with store.connect("reading the promotion ledger") as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
