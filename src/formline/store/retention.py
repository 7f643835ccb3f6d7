"""Retention: prune old prediction snapshots, never one that is still needed.

A snapshot created before the cutoff is deleted (its predicted events and their rows with it, by
the foreign keys' ``ON DELETE CASCADE``, in the same transaction) unless

* a publication points at it (the snapshot the API serves), or
* it holds a deployed model's latest prediction of some event made before the event started:
  the prediction the domain's track record (``/performance``) scores that event with (see
  :func:`formline.store.prediction_reads.pre_start_ranked`; when an event starts is its
  domain's :meth:`~formline.domain.Domain.event_starts`).

So the deployed models' track records stay computable however long retention is, while the many
intermediate snapshots of a daily schedule go. A deployed model of a domain that is not
registered in this process (its package is not installed) cannot be ranked: every snapshot it
predicted in is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from formline.domain import get_domain
from formline.errors import ConfigError
from formline.store.db import Store
from formline.store.prediction_reads import pre_start_ranked
from formline.store.tables import (
    model_versions,
    predicted_events,
    prediction_snapshots,
    publications,
)


@dataclass(frozen=True)
class PruneResult:
    """What a prune deleted (or, in a dry run, would delete), and what it kept."""

    cutoff: datetime
    snapshots_deleted: int
    predictions_deleted: int
    kept_current: int
    kept_for_evaluation: int
    dry_run: bool


def _candidates(conn: Connection, cutoff: datetime) -> tuple[set[int], set[int], set[int]]:
    """(deletable, kept as current, kept for evaluation) snapshot ids created before cutoff."""
    old = {
        int(i)
        for i in conn.execute(
            select(prediction_snapshots.c.id).where(prediction_snapshots.c.created_at < cutoff)
        ).scalars()
    }
    current = {int(i) for i in conn.execute(select(publications.c.snapshot_id)).scalars()}
    needed: set[int] = set()
    for model_id, domain_name in conn.execute(
        select(model_versions.c.id, model_versions.c.domain)
        .where(model_versions.c.status == "deployed")
        .order_by(model_versions.c.id)
    ):
        needed |= _evaluating(conn, int(model_id), str(domain_name))
    kept_current = old & current
    kept_needed = (old & needed) - current
    return old - current - needed, kept_current, kept_needed


def _evaluating(conn: Connection, model_id: int, domain_name: str) -> set[int]:
    """The snapshots holding a deployed model's latest pre-start prediction of some event (of
    an unregistered domain: every snapshot it predicted in)."""
    try:
        starts = get_domain(domain_name).event_starts()
    except ConfigError:
        query = select(predicted_events.c.snapshot_id).where(
            predicted_events.c.model_version_id == model_id
        )
    else:
        ranked = pre_start_ranked(
            domain_name, starts, model_id, dialect=conn.dialect.name
        ).subquery()
        query = select(ranked.c.snapshot_id).where(ranked.c.rank == 1)
    return {int(i) for i in conn.execute(query.distinct()).scalars()}


def prune_snapshots(store: Store, *, cutoff: datetime, dry_run: bool = False) -> PruneResult:
    """Delete the prediction snapshots created before ``cutoff`` that nothing needs.

    Parameters
    ----------
    store
        The store.
    cutoff
        Snapshots whose ``created_at`` is before this instant are candidates.
    dry_run
        Count what would go, delete nothing.

    Returns
    -------
    PruneResult
        Counts of deleted snapshots and predictions (predicted events), and of old snapshots
        kept (current, or needed to evaluate the deployed model).

    Raises
    ------
    StoreError
        If the database refuses; then nothing is deleted.
    """
    with store.begin("pruning prediction snapshots") as conn:
        doomed, kept_current, kept_needed = _candidates(conn, cutoff)
        ids = sorted(doomed)
        n_predictions = 0
        for start in range(0, len(ids), 500):  # bounded IN lists on every backend
            chunk = ids[start : start + 500]
            n_predictions += int(
                conn.execute(
                    select(func.count())
                    .select_from(predicted_events)
                    .where(predicted_events.c.snapshot_id.in_(chunk))
                ).scalar_one()
            )
            if not dry_run:
                conn.execute(
                    delete(prediction_snapshots).where(prediction_snapshots.c.id.in_(chunk))
                )
    return PruneResult(
        cutoff=cutoff,
        snapshots_deleted=len(ids),
        predictions_deleted=n_predictions,
        kept_current=len(kept_current),
        kept_for_evaluation=len(kept_needed),
        dry_run=dry_run,
    )
