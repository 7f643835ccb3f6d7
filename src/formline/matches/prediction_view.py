"""The matches domain's predictions in wide form: one row per (snapshot, match) with ``p_home``
... ``fair_under_2_5``, pivoted in SQL from the store's long rows.

A football prediction is five long rows: 1x2 home, draw and away (line 0, as in ``odds``) and
over/under 2.5 over and under. Plain SQLAlchemy Core, no pandas: the read API uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Subquery, and_, literal_column, select
from sqlalchemy.sql.selectable import NamedFromClause

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


def _cell_rows(cell: Cell) -> NamedFromClause:
    """``predictions`` under a name of its own, for the rows of ``cell``."""
    return predictions.alias(f"{cell.market.replace('1x2', 'result')}_{cell.selection}")


@cache
def wide_predictions(*, drivers: bool = False, values: tuple[str, ...] | None = None) -> Subquery:
    """The matches snapshots' predictions, one row per (snapshot, match), as a subquery.

    Columns: ``snapshot_id``, ``match_id``, ``model_version_id``, ``information``, ``drivers``
    (only with ``drivers``), the probabilities (:data:`PROBABILITY_COLUMNS`) and the fair odds
    (:data:`FAIR_COLUMNS`): the columns of the wide ``predictions`` table of revision 0003.

    Each predicted event of a ``matches`` snapshot is joined to its long rows by their primary
    key, one join per cell; an event lacking one of them is left out (a match prediction is all
    five rows, as the publisher writes them). The subquery has no grouping, so both SQLite and
    PostgreSQL merge it into the query that selects from it and narrow it there by that query's
    conditions (a snapshot, a match, a model) through the indexes of ``predicted_events``: filter
    on its columns in the outer query. Built once per argument set (building it costs more than
    the database spends answering a one-match read).

    Parameters
    ----------
    drivers
        Include each prediction's drivers.
    values
        Only these probability and fair odds columns (default: all of them), so only the cells
        that hold them are joined.
    """
    wanted = set(PROBABILITY_COLUMNS + FAIR_COLUMNS if values is None else values)
    events = predicted_events
    columns: list[ColumnElement[Any]] = [
        events.c.snapshot_id,
        events.c.event_id.label("match_id"),
        events.c.model_version_id,
        events.c.information,
        *([events.c.drivers] if drivers else []),
    ]
    joined: FromClause = events
    for cell in CELLS:
        picked = [c for c in (cell.probability, cell.fair) if c in wanted]
        if not picked:
            continue
        rows = _cell_rows(cell)
        joined = joined.join(
            rows,
            and_(
                rows.c.snapshot_id == events.c.snapshot_id,
                rows.c.event_id == events.c.event_id,
                rows.c.unit == events.c.unit,
                rows.c.market == literal_column(f"'{cell.market}'"),
                rows.c.selection == literal_column(f"'{cell.selection}'"),
                rows.c.line == literal_column(repr(cell.line)),
            ),
        )
        if cell.probability in wanted:
            columns.append(rows.c.probability.label(cell.probability))
        if cell.fair in wanted:
            columns.append(rows.c.fair_odds.label(cell.fair))
    matches_snapshots = select(prediction_snapshots.c.id).where(
        prediction_snapshots.c.domain == literal_column(f"'{DOMAIN}'")
    )
    query = (
        select(*columns)
        .select_from(joined)
        .where(events.c.unit == literal_column("''"), events.c.snapshot_id.in_(matches_snapshots))
    )
    return query.subquery("wide_predictions")
