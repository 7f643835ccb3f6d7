"""The matches domain's predictions in wide form: one row per (snapshot, match) with ``p_home``
... ``fair_under_2_5``, pivoted in SQL from the store's long rows.

A football prediction is five long rows: 1x2 home, draw and away (line 0, as in ``odds``) and
over/under 2.5 over and under. Plain SQLAlchemy Core, no pandas: the read API uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, select

from formline.store.tables import predicted_events, prediction_snapshots, predictions

#: The domain the matches' prediction snapshots belong to.
DOMAIN = "matches"


@dataclass(frozen=True)
class Cell:
    """One long row of a match prediction and the wide columns it fills."""

    market: str
    selection: str
    line: float
    #: The wide probability column, or None when it is the complement of ``complement_of``.
    probability: str | None
    fair: str
    complement_of: str | None = None


CELLS = (
    Cell("1x2", "home", 0.0, "p_home", "fair_home"),
    Cell("1x2", "draw", 0.0, "p_draw", "fair_draw"),
    Cell("1x2", "away", 0.0, "p_away", "fair_away"),
    Cell("over_under", "over", 2.5, "p_over_2_5", "fair_over_2_5"),
    Cell("over_under", "under", 2.5, None, "fair_under_2_5", complement_of="p_over_2_5"),
)
PROBABILITY_COLUMNS = [c.probability for c in CELLS if c.probability is not None]
FAIR_COLUMNS = [c.fair for c in CELLS]


def _pick(cell: Cell, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """``value`` of the long row of ``cell`` within a group of one match's rows."""
    is_cell = and_(
        predictions.c.market == cell.market,
        predictions.c.selection == cell.selection,
        predictions.c.line == cell.line,
    )
    return func.max(case((is_cell, value)))


def wide_predictions(
    *where: ColumnElement[bool], drivers: bool = False, values: Sequence[str] | None = None
) -> Subquery:
    """The matches snapshots' predictions, one row per (snapshot, match), as a subquery.

    Columns: ``snapshot_id``, ``match_id``, ``model_version_id``, ``information``, ``drivers``
    (only with ``drivers``), the probabilities (:data:`PROBABILITY_COLUMNS`) and the fair odds
    (:data:`FAIR_COLUMNS`): the columns of the wide ``predictions`` table of revision 0003.

    Parameters
    ----------
    *where
        Conditions on :data:`~formline.store.tables.predicted_events` (a snapshot, a match, a
        model), applied before the pivot so that it only groups the rows asked for.
    drivers
        Include each prediction's drivers.
    values
        Only these probability and fair odds columns (default: all of them).
    """
    wanted = set(PROBABILITY_COLUMNS + FAIR_COLUMNS if values is None else values)
    events = predicted_events
    of_event = and_(
        predictions.c.snapshot_id == events.c.snapshot_id,
        predictions.c.event_id == events.c.event_id,
        predictions.c.unit == events.c.unit,
    )
    matches_snapshots = select(prediction_snapshots.c.id).where(
        prediction_snapshots.c.domain == DOMAIN
    )
    columns: list[ColumnElement[Any]] = [
        events.c.snapshot_id,
        events.c.event_id.label("match_id"),
        events.c.model_version_id,
        events.c.information,
        *([events.c.drivers] if drivers else []),
        *[
            _pick(c, predictions.c.probability).label(c.probability)
            for c in CELLS
            if c.probability in wanted
        ],
        *[_pick(c, predictions.c.fair_odds).label(c.fair) for c in CELLS if c.fair in wanted],
    ]
    # Grouped by the primary key of predicted_events, so its other columns are single-valued.
    query = (
        select(*columns)
        .select_from(events.join(predictions, of_event))
        .where(events.c.unit == "", events.c.snapshot_id.in_(matches_snapshots), *where)
        .group_by(events.c.snapshot_id, events.c.event_id, events.c.unit)
    )
    return query.subquery("wide_predictions")
