"""The predictions that evaluate a model: each event's latest prediction made before the event
starts (overall, and per lead bucket), for any domain.

Retention keeps what a domain's track record scores (``/performance`` for matches), so both rank
with :func:`pre_start_ranked`. When an event starts is the domain's to say
(:meth:`formline.domain.Domain.event_starts`); the ranking itself is shared.

Plain SQLAlchemy Core (no pandas, no NumPy): the read API uses it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, case, func, literal, select

from formline.store.tables import predicted_events, prediction_snapshots

#: Lead-time buckets of a prediction (the event's start minus the snapshot's as_of), in days:
#: (label, from, to), each ``[from, to)``; the last is open-ended.
LEAD_BUCKETS: tuple[tuple[str, float, float | None], ...] = (
    ("0-1d", 0.0, 1.0),
    ("1-3d", 1.0, 3.0),
    ("3-7d", 3.0, 7.0),
    ("7-30d", 7.0, 30.0),
    ("30-90d", 30.0, 90.0),
    ("90d+", 90.0, None),
)


def lead_days(dialect: str, start: ColumnElement[Any]) -> ColumnElement[Any]:
    """Days from a prediction's snapshot ``as_of`` to ``start`` (its event's start), in SQL."""
    if dialect == "postgresql":
        seconds = func.extract("epoch", start - prediction_snapshots.c.as_of)
        return seconds / 86400.0
    return func.julianday(start) - func.julianday(prediction_snapshots.c.as_of)


def _lead_bucket(dialect: str, start: ColumnElement[Any]) -> ColumnElement[Any]:
    lead = lead_days(dialect, start)
    whens = [(lead < upper, index) for index, (_, _, upper) in enumerate(LEAD_BUCKETS) if upper]
    return case(*whens, else_=len(LEAD_BUCKETS) - 1)


def pre_start_ranked(
    domain: str,
    starts: FromClause,
    model_version_id: int | None,
    *,
    dialect: str = "sqlite",
    by_lead: bool = False,
) -> Select[Any]:
    """Each prediction of a ``domain`` snapshot made before its event starts, of one model
    (None: of every model), ranked per event and unit.

    ``starts`` is when each of the domain's events starts (columns ``event_id`` and
    ``start_at``; :meth:`formline.domain.Domain.event_starts`).

    ``rank`` is 1 for the latest such prediction (the snapshot with the greatest ``as_of``
    strictly before the start; the higher id breaks ties). This is the prediction that evaluates
    the model on that event, and the one retention must keep. With ``by_lead`` the ranking is
    per event, unit and lead bucket (:data:`LEAD_BUCKETS`, column ``lead_bucket``): rank 1 is
    then the latest prediction made at that lead.

    Columns: ``snapshot_id``, ``event_id``, ``unit``, ``model_version_id``, ``information``,
    ``as_of`` (the snapshot's), ``start_at`` (the event's), ``lead_bucket``, ``rank``.
    """
    start = starts.c.start_at
    events = predicted_events
    bucket = _lead_bucket(dialect, start)
    partition = [events.c.event_id, events.c.unit, *([bucket] if by_lead else [])]
    condition = (prediction_snapshots.c.domain == literal(domain)) & (
        prediction_snapshots.c.as_of < start
    )
    if model_version_id is not None:
        condition = condition & (events.c.model_version_id == model_version_id)
    rank = (
        func.row_number()
        .over(
            partition_by=partition,
            order_by=(prediction_snapshots.c.as_of.desc(), prediction_snapshots.c.id.desc()),
        )
        .label("rank")
    )
    return (
        select(
            events.c.snapshot_id,
            events.c.event_id,
            events.c.unit,
            events.c.model_version_id,
            events.c.information,
            prediction_snapshots.c.as_of,
            start.label("start_at"),
            bucket.label("lead_bucket"),
            rank,
        )
        .select_from(events)
        .join(prediction_snapshots, prediction_snapshots.c.id == events.c.snapshot_id)
        .join(starts, starts.c.event_id == events.c.event_id)
        .where(condition)
    )
