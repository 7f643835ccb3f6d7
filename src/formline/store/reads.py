"""Read queries for the API that every domain shares: the published pointers and the models.

A domain's own reads (its events, its snapshots' rows) live in its package (the matches
domain's in :mod:`formline.matches.reads`). Plain SQLAlchemy Core over
:mod:`formline.store.tables`, returning dicts of plain Python values:
nothing here imports pandas or NumPy, so the API can be installed without the numerical stack.
Every function takes an open :class:`~sqlalchemy.Connection`, so a caller can run several reads
in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, select

from formline.errors import StoreError
from formline.store.tables import model_versions, prediction_snapshots, publications

DEFAULT_PUBLICATION = "default"


@dataclass(frozen=True)
class Pointer:
    """Where a publication points: the current snapshot and its header."""

    snapshot_id: int
    #: The model of every prediction, or None when several champions predicted.
    model_version_id: int | None
    #: Every model behind the snapshot, ids ascending.
    model_version_ids: tuple[int, ...]
    as_of: datetime
    horizon_days: int
    feature_version: str
    n_predictions: int
    created_at: datetime
    published_at: datetime


def publication_is(publication: str, domain: str | None) -> ColumnElement[bool]:
    """The ``publications`` rows of ``publication`` (of ``domain``; None: of any domain)."""
    named = publications.c.name == publication
    return named if domain is None else named & (publications.c.domain == domain)


def one_pointer(rows: list[Any], publication: str) -> Any:
    """The one row of a pointer lookup, None if there is none; StoreError when several domains
    publish under ``publication`` and the caller did not say which."""
    if len(rows) > 1:
        domains = ", ".join(sorted(str(r["domain"]) for r in rows))
        raise StoreError(
            f"several domains publish '{publication}' ({domains}): say which domain to read"
        )
    return rows[0] if rows else None


def _pointer_query(publication: str, domain: str | None) -> Any:
    return (
        select(
            prediction_snapshots.c.id.label("snapshot_id"),
            prediction_snapshots.c.model_version_id,
            prediction_snapshots.c.models_key,
            prediction_snapshots.c.as_of,
            prediction_snapshots.c.horizon_days,
            prediction_snapshots.c.feature_version,
            prediction_snapshots.c.n_predictions,
            prediction_snapshots.c.created_at,
            publications.c.published_at,
            publications.c.domain,
        )
        .join(publications, publications.c.snapshot_id == prediction_snapshots.c.id)
        .where(publication_is(publication, domain))
    )


def _pointer(row: Any) -> Pointer:
    fields = dict(row)
    fields.pop("domain")
    key = fields.pop("models_key")
    return Pointer(**fields, model_version_ids=tuple(int(i) for i in key.split(",") if i))


def current_pointer(
    conn: Connection, publication: str = DEFAULT_PUBLICATION, domain: str | None = None
) -> Pointer | None:
    """The snapshot ``publication`` of ``domain`` points at (None: the domain that has that
    publication, StoreError if several do), read in one statement; None before any publish."""
    rows = list(conn.execute(_pointer_query(publication, domain)).mappings())
    row = one_pointer(rows, publication)
    return None if row is None else _pointer(row)


def current_pointers(
    conn: Connection, publication: str = DEFAULT_PUBLICATION
) -> dict[str, Pointer]:
    """Every domain's snapshot under ``publication``, by domain, read in one statement (empty
    before any publish): what the read API memoises, one read for all its domains."""
    rows = conn.execute(_pointer_query(publication, None).order_by(publications.c.domain))
    return {str(row["domain"]): _pointer(row) for row in rows.mappings()}


def snapshot_exists(conn: Connection, snapshot_id: int) -> bool:
    """Whether a snapshot is still stored (retention may have pruned one a reader remembers)."""
    query = select(prediction_snapshots.c.id).where(prediction_snapshots.c.id == snapshot_id)
    return conn.execute(query).first() is not None


MODEL_SUMMARY_COLUMNS = (
    model_versions.c.id,
    model_versions.c.name,
    model_versions.c.model_type,
    model_versions.c.version,
    model_versions.c.status,
    model_versions.c.status_reason,
    model_versions.c.horizon_days,
    model_versions.c.domain,
    model_versions.c.competition,
    model_versions.c.scope,
    model_versions.c.information,
    model_versions.c.training_as_of,
    model_versions.c.window_start,
    model_versions.c.window_end,
    model_versions.c.n_train,
    model_versions.c.n_validation,
    model_versions.c.feature_version,
    model_versions.c.uses_market,
    model_versions.c.metrics,
    model_versions.c.market_metrics,
    model_versions.c.train_seconds,
    model_versions.c.created_at,
    model_versions.c.deployed_at,
)
MODEL_DETAIL_COLUMNS = (
    *MODEL_SUMMARY_COLUMNS,
    model_versions.c.feature_names,
    model_versions.c.hyperparameters,
    model_versions.c.random_state,
    model_versions.c.error,
)


def list_models(conn: Connection, status: str | None = None) -> list[dict[str, Any]]:
    """Model versions, newest first, optionally with one status."""
    query = select(*MODEL_SUMMARY_COLUMNS).order_by(
        model_versions.c.created_at.desc(), model_versions.c.id.desc()
    )
    if status is not None:
        query = query.where(model_versions.c.status == status)
    return [dict(r) for r in conn.execute(query).mappings()]


def get_model(conn: Connection, model_id: int) -> dict[str, Any] | None:
    """One model version with its features and hyperparameters, or None."""
    query = select(*MODEL_DETAIL_COLUMNS).where(model_versions.c.id == model_id)
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)
