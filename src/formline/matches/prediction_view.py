"""The matches domain's predictions in wide form: one row per (snapshot, match) with ``p_home``
... ``fair_under_2_5``, pivoted in SQL from the store's long rows.

A football prediction is five long rows: 1x2 home, draw and away (line 0, as in ``odds``) and
over/under 2.5 over and under. Plain SQLAlchemy Core, no pandas: the read API uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Subquery,
    and_,
    case,
    func,
    literal_column,
    select,
)

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


def _is_cell(rows: FromClause, cell: Cell) -> ColumnElement[bool]:
    """Whether a row of ``rows`` (``predictions`` or an alias) is of ``cell``."""
    return and_(
        rows.c.market == literal_column(f"'{cell.market}'"),
        rows.c.selection == literal_column(f"'{cell.selection}'"),
        rows.c.line == literal_column(repr(cell.line)),
    )


def _of_event(rows: FromClause) -> ColumnElement[bool]:
    """Whether a row of ``rows`` is of the predicted event it is joined to."""
    events = predicted_events
    return and_(
        rows.c.snapshot_id == events.c.snapshot_id,
        rows.c.event_id == events.c.event_id,
        rows.c.unit == events.c.unit,
    )


def _joined(wanted: set[str]) -> tuple[FromClause, list[ColumnElement[Any]]]:
    """Each predicted event joined to the row of every wanted cell by primary key."""
    joined: FromClause = predicted_events
    columns: list[ColumnElement[Any]] = []
    for cell in CELLS:
        if cell.probability not in wanted and cell.fair not in wanted:
            continue
        rows = predictions.alias(f"{cell.market.replace('1x2', 'result')}_{cell.selection}")
        joined = joined.join(rows, and_(_of_event(rows), _is_cell(rows, cell)))
        if cell.probability in wanted:
            columns.append(rows.c.probability.label(cell.probability))
        if cell.fair in wanted:
            columns.append(rows.c.fair_odds.label(cell.fair))
    return joined, columns


def _grouped(wanted: set[str]) -> tuple[FromClause, list[ColumnElement[Any]]]:
    """Each predicted event joined to all its rows, the cells picked by conditional
    aggregation (the query is grouped by the primary key of ``predicted_events``)."""
    columns: list[ColumnElement[Any]] = []
    for cell in CELLS:
        for name, value in ((cell.probability, "probability"), (cell.fair, "fair_odds")):
            if name in wanted:
                picked = func.max(case((_is_cell(predictions, cell), predictions.c[value])))
                columns.append(picked.label(name))
    return predicted_events.join(predictions, _of_event(predictions)), columns


@cache
def wide_predictions(
    dialect: str, *, drivers: bool = False, values: tuple[str, ...] | None = None
) -> Subquery:
    """The matches snapshots' predictions, one row per (snapshot, match), as a subquery.

    Columns: ``snapshot_id``, ``match_id``, ``model_version_id``, ``information``, ``drivers``
    (only with ``drivers``), the probabilities (:data:`PROBABILITY_COLUMNS`) and the fair odds
    (:data:`FAIR_COLUMNS`): the columns of the wide ``predictions`` table of revision 0003. Only
    events with every wanted cell are in it (a match prediction is all five rows, as the
    publisher writes them).

    Filter it on its own columns (a snapshot, a match, a model) in the query that reads it:
    both databases apply those conditions inside it, through the indexes of
    ``predicted_events``. Its shape is the one each database answers fastest: on SQLite, which
    merges a plain join into the reading query, one primary-key join per cell; on PostgreSQL,
    whose planner spends far longer on a dozen joins than on running them, one join grouped by
    event with the cells picked by conditional aggregation. Built once per argument set
    (building it costs more than a one-match read).

    Parameters
    ----------
    dialect
        ``"sqlite"`` or ``"postgresql"``.
    drivers
        Include each prediction's drivers.
    values
        Only these probability and fair odds columns (default: all of them).
    """
    wanted = set(PROBABILITY_COLUMNS + FAIR_COLUMNS if values is None else values)
    events = predicted_events
    grouped = dialect == "postgresql"
    joined, cells = _grouped(wanted) if grouped else _joined(wanted)
    matches_snapshots = select(prediction_snapshots.c.id).where(
        prediction_snapshots.c.domain == literal_column(f"'{DOMAIN}'")
    )
    query = (
        select(
            events.c.snapshot_id,
            events.c.event_id.label("match_id"),
            events.c.model_version_id,
            events.c.information,
            *([events.c.drivers] if drivers else []),
            *cells,
        )
        .select_from(joined)
        .where(events.c.unit == literal_column("''"), events.c.snapshot_id.in_(matches_snapshots))
    )
    if grouped:
        # Grouped by the primary key, so the other columns of predicted_events stay plain.
        query = query.group_by(events.c.snapshot_id, events.c.event_id, events.c.unit)
    return query.subquery("wide_predictions")
