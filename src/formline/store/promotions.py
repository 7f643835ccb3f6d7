"""Promotion decisions: champions per slot, as of any instant, with an append-only ledger.

A *slot* is (domain, scope, information): the domain the model predicts, the competitions it may
predict (one code, or ``*`` for all) and the information state it needs at as_of (``market``
when prices are observed, ``no_market`` otherwise). Each slot has at most one champion at a time.

Every decision appends a row to ``model_promotions``, which the database keeps append-only:

* ``deploy``: the model is the slot's champion from ``effective_at`` on (the ``as_of`` of the
  training run that earned it, or of a hand promotion).
* ``rollback``: revokes the deploy of the current champion (``revokes_promotion_id``), from that
  deploy's own ``effective_at``: as if it had never been deployed. Rolling back again revokes the
  one before, so rollbacks walk back the history instead of toggling.
* ``archive`` (a champion replaced) and ``reject`` (a model that did not earn deployment) record
  what happened and change no champion.

The champion of a slot as of ``T`` (:func:`champion_at`) is the newest deploy (by
``effective_at``, then ledger order) with ``effective_at <= T`` that no revocation in force at
``T`` names. So a replay as of a past instant finds the model that was deployed then, and never a
model trained on data observed after it. ``model_versions.status`` keeps the current champion of
each slot (as of the newest instant) as ``deployed``.

Ledgers written before slots existed are migrated (revision 0003) so that their history means the
same: their ``rollback`` rows, which re-deployed a model, count as deploys, and their ``archive``
rows revoke the archived model's deploy from the instant it was replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from formline.errors import DataError, ModelNotFoundError
from formline.store.db import Store
from formline.store.registry import ModelVersion, fetch_model, lock, model_from_row
from formline.store.tables import model_promotions, model_versions
from formline.store.types import as_utc, utcnow

__all__ = [
    "Slot",
    "champion_at",
    "champions_at",
    "deploy",
    "list_promotions",
    "reject",
    "rollback",
    "slot_of",
]

_DEPLOY_LOCK = "formline.model_versions.deploy"


@dataclass(frozen=True, order=True)
class Slot:
    """A champion slot: (domain, scope, information)."""

    domain: str
    scope: str
    information: str

    def __str__(self) -> str:
        return f"{self.domain}/{self.scope}/{self.information}"


def slot_of(model: ModelVersion) -> Slot:
    """The slot a model version competes in."""
    return Slot(model.domain, model.scope, model.information)


def _slot_rows(conn: Connection, slot: Slot) -> list[dict[str, Any]]:
    query = (
        select(
            model_promotions.c.id,
            model_promotions.c.action,
            model_promotions.c.model_version_id,
            model_promotions.c.effective_at,
            model_promotions.c.revokes_promotion_id,
        )
        .where(
            (model_promotions.c.domain == slot.domain)
            & (model_promotions.c.scope == slot.scope)
            & (model_promotions.c.information == slot.information)
        )
        .order_by(model_promotions.c.effective_at, model_promotions.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def _current_event(rows: list[dict[str, Any]], as_of: datetime | None) -> dict[str, Any] | None:
    """The ledger row that makes the slot's champion as of ``as_of`` (None: the newest)."""
    revoked_from: dict[int, datetime] = {}
    for row in rows:
        target = row["revokes_promotion_id"]
        if target is not None:
            start = row["effective_at"]
            revoked_from[int(target)] = min(start, revoked_from.get(int(target), start))
    best = None
    for row in rows:  # ordered by (effective_at, id): the last eligible one wins
        asserts = row["action"] == "deploy" or (
            row["action"] == "rollback" and row["revokes_promotion_id"] is None
        )
        if not asserts or (as_of is not None and row["effective_at"] > as_of):
            continue
        revoked = revoked_from.get(int(row["id"]))
        if revoked is not None and (as_of is None or revoked <= as_of):
            continue
        best = row
    return best


def champion_at(conn: Connection, slot: Slot, as_of: datetime | None = None) -> ModelVersion | None:
    """The champion of ``slot`` as of ``as_of`` (None: as of the newest instant), or None.

    The champion as of ``T`` is the newest deploy with ``effective_at <= T`` that no revocation
    in force at ``T`` names; its model was trained on data observed before ``T``.
    """
    event = _current_event(_slot_rows(conn, slot), None if as_of is None else as_utc(as_of))
    return None if event is None else fetch_model(conn, int(event["model_version_id"]))


def _slots(conn: Connection, domain: str) -> list[Slot]:
    query = (
        select(model_promotions.c.scope, model_promotions.c.information)
        .where(model_promotions.c.domain == domain)
        .distinct()
    )
    return sorted(Slot(domain, scope, info) for scope, info in conn.execute(query).all())


def champions_at(
    store: Store, domain: str, as_of: datetime | None = None
) -> dict[Slot, ModelVersion]:
    """Every slot of ``domain`` that has a champion as of ``as_of`` (None: the newest instant)."""
    with store.connect("reading the champions") as conn:
        found = {}
        for slot in _slots(conn, domain):
            model = champion_at(conn, slot, as_of)
            if model is not None:
                found[slot] = model
        return found


def _ledger(
    conn: Connection,
    action: str,
    model: ModelVersion,
    previous: ModelVersion | None,
    reason: str,
    triggered_by: str | None,
    effective_at: datetime,
    revokes: int | None = None,
) -> int:
    return int(
        conn.execute(
            model_promotions.insert()
            .values(
                at=utcnow(),
                action=action,
                model_version_id=model.id,
                previous_model_version_id=None if previous is None else previous.id,
                reason=reason,
                metrics=model.metrics,
                previous_metrics=None if previous is None else previous.metrics,
                triggered_by=triggered_by,
                domain=model.domain,
                scope=model.scope,
                information=model.information,
                effective_at=effective_at,
                revokes_promotion_id=revokes,
            )
            .returning(model_promotions.c.id)
        ).scalar_one()
    )


def _deployed(conn: Connection, slot: Slot) -> ModelVersion | None:
    query = select(model_versions).where(
        (model_versions.c.status == "deployed")
        & (model_versions.c.domain == slot.domain)
        & (model_versions.c.scope == slot.scope)
        & (model_versions.c.information == slot.information)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return None if row is None else model_from_row(row)


def _set_status(conn: Connection, model: ModelVersion, status: str) -> None:
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == "deployed":
        values["deployed_at"] = now
    conn.execute(model_versions.update().where(model_versions.c.id == model.id).values(values))


def _sync_status(
    conn: Connection, slot: Slot, reason: str, triggered_by: str, effective_at: datetime
) -> None:
    """Make the slot's newest champion the ``deployed`` model, archiving the one it replaces."""
    newest = champion_at(conn, slot)
    current = _deployed(conn, slot)
    if current is not None and (newest is None or current.id != newest.id):
        _set_status(conn, current, "archived")
        replaced_by = "nothing" if newest is None else newest.label
        _ledger(
            conn,
            "archive",
            current,
            None,
            f"replaced by {replaced_by}: {reason}",
            triggered_by,
            effective_at,
        )
    if newest is not None and (current is None or current.id != newest.id):
        _set_status(conn, newest, "deployed")


def deploy(
    store: Store,
    version_id: int,
    *,
    reason: str,
    triggered_by: str = "manual",
    effective_at: datetime | None = None,
) -> ModelVersion:
    """Make ``version_id`` its slot's champion from ``effective_at`` on, in one transaction.

    Parameters
    ----------
    store
        The store.
    version_id
        A completed (or archived) model version.
    reason, triggered_by
        For the ledger.
    effective_at
        The as_of instant from which it is champion; at least the model's ``training_as_of``
        (it cannot serve before its training data was observed). Default: the newer of its
        ``training_as_of`` and the slot's newest deploy, so a hand promotion takes over now.

    Returns
    -------
    ModelVersion
        The model, ``deployed`` if it is now the slot's newest champion, else ``archived`` (a
        deploy into the past, as of an instant before the slot's newest champion).

    Raises
    ------
    ModelNotFoundError
        If there is no such version.
    DataError
        If the version is not ``completed`` or ``archived``, or ``effective_at`` is before its
        ``training_as_of``.
    """
    with store.begin(f"deploying model version {version_id}") as conn:
        lock(conn, _DEPLOY_LOCK)
        model = fetch_model(conn, version_id, for_update=True)
        if model.status not in ("completed", "archived"):
            raise DataError(
                f"model version {version_id} ({model.label}) is {model.status}; only completed "
                "or archived models can be deployed"
            )
        slot = slot_of(model)
        rows = _slot_rows(conn, slot)
        if effective_at is None:
            effective_at = max([model.training_as_of, *(r["effective_at"] for r in rows)])
        effective_at = as_utc(effective_at)
        if effective_at < model.training_as_of:
            raise DataError(
                f"{model.label} was trained on data up to {model.training_as_of:%Y-%m-%d %H:%M}; "
                f"it cannot be champion as of {effective_at:%Y-%m-%d %H:%M}, before that"
            )
        incumbent = _current_event(rows, effective_at)
        previous = None if incumbent is None else fetch_model(conn, incumbent["model_version_id"])
        _ledger(conn, "deploy", model, previous, reason, triggered_by, effective_at)
        if model.status == "archived":
            _set_status(conn, model, "completed")
        _sync_status(conn, slot, reason, triggered_by, effective_at)
        final = fetch_model(conn, model.id)
        if final.status == "completed":  # a deploy into the past: it served, it is not current
            _set_status(conn, final, "archived")
            final = fetch_model(conn, model.id)
        return final


def reject(store: Store, version_id: int, *, reason: str, triggered_by: str = "manual") -> None:
    """Record that a completed model was not promoted, and why.

    The model stays ``completed`` with ``status_reason = reason``; a ``reject`` ledger row
    carries its metrics and those of its slot's champion as of its training instant (if any).

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
        incumbent = champion_at(conn, slot_of(model), model.training_as_of)
        _ledger(conn, "reject", model, incumbent, reason, triggered_by, model.training_as_of)


def rollback(
    store: Store,
    slot: Slot,
    *,
    reason: str = "rollback",
    triggered_by: str = "manual",
) -> ModelVersion:
    """Revoke the deploy of ``slot``'s current champion; the champion before it takes over.

    The revocation holds from the revoked deploy's own ``effective_at``: replays as of any
    later instant no longer see that model. Rolling back again revokes the one before, and so
    on, walking back the slot's history. Appends a ``rollback`` row (and an ``archive`` row for
    the model rolled back from).

    Returns
    -------
    ModelVersion
        The slot's champion after the rollback.

    Raises
    ------
    ModelNotFoundError
        If the slot has no champion, or none was deployed before it.
    """
    with store.begin(f"rolling back {slot}") as conn:
        lock(conn, _DEPLOY_LOCK)
        rows = _slot_rows(conn, slot)
        event = _current_event(rows, None)
        if event is None:
            raise ModelNotFoundError(f"no model is deployed in {slot}; nothing to roll back")
        current = fetch_model(conn, int(event["model_version_id"]))
        revocation = {
            "id": -1,
            "action": "rollback",
            "model_version_id": current.id,
            "effective_at": event["effective_at"],
            "revokes_promotion_id": event["id"],
        }
        after = _current_event([*rows, revocation], None)
        if after is None:
            raise ModelNotFoundError(
                f"{current.label} is the first champion of {slot}; there is nothing to roll back to"
            )
        previous = fetch_model(conn, int(after["model_version_id"]))
        _ledger(
            conn,
            "rollback",
            previous,
            current,
            reason,
            triggered_by,
            event["effective_at"],
            revokes=int(event["id"]),
        )
        _sync_status(conn, slot, f"rolled back: {reason}", triggered_by, event["effective_at"])
        return fetch_model(conn, previous.id)


def list_promotions(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """The promotion ledger, newest first.

    Each row has the ledger's columns (``id``, ``at``, ``action``, ``model_version_id``,
    ``previous_model_version_id``, ``reason``, ``metrics``, ``previous_metrics``,
    ``triggered_by``, ``domain``, ``scope``, ``information``, ``effective_at``,
    ``revokes_promotion_id``) plus the model's ``name`` and ``version``.
    """
    query = (
        select(model_promotions, model_versions.c.name, model_versions.c.version)
        .join(model_versions, model_versions.c.id == model_promotions.c.model_version_id)
        .order_by(model_promotions.c.id.desc())
        .limit(limit)
    )
    with store.connect("reading the promotion ledger") as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
