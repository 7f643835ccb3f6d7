"""The predictions that evaluate a model: each match's latest prediction made before kickoff
(overall, and per lead bucket), shared by ``/performance``, the leads step and retention.

Plain SQLAlchemy Core returning dicts (no pandas, no NumPy). It reads the matches domain's wide
view of its snapshots: retention keeps what ``/performance`` scores, so both must rank the same
way; it moves behind the domain contract with retention.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, func, select

from formline.matches.prediction_view import wide_predictions
from formline.matches.tables import competitions, matches
from formline.store.tables import prediction_snapshots

#: Lead-time buckets of a prediction (kickoff minus the snapshot's as_of), in days:
#: (label, from, to), each ``[from, to)``; the last is open-ended.
LEAD_BUCKETS: tuple[tuple[str, float, float | None], ...] = (
    ("0-1d", 0.0, 1.0),
    ("1-3d", 1.0, 3.0),
    ("3-7d", 3.0, 7.0),
    ("7-30d", 7.0, 30.0),
    ("30-90d", 30.0, 90.0),
    ("90d+", 90.0, None),
)


def lead_days(dialect: str) -> ColumnElement[Any]:
    """Days from a prediction's snapshot ``as_of`` to its match's kickoff, in SQL."""
    if dialect == "postgresql":
        seconds = func.extract("epoch", matches.c.kickoff_at - prediction_snapshots.c.as_of)
        return seconds / 86400.0
    return func.julianday(matches.c.kickoff_at) - func.julianday(prediction_snapshots.c.as_of)


def _lead_bucket(dialect: str) -> ColumnElement[Any]:
    lead = lead_days(dialect)
    whens = [(lead < upper, index) for index, (_, _, upper) in enumerate(LEAD_BUCKETS) if upper]
    return case(*whens, else_=len(LEAD_BUCKETS) - 1)


def pre_kickoff_ranked(
    model_version_id: int | None, *, dialect: str = "sqlite", by_lead: bool = False
) -> Select[Any]:
    """Each prediction made before its match's kickoff, of one model (None: of every model),
    ranked per match.

    ``rank`` is 1 for the latest such prediction of the match (the snapshot with the greatest
    ``as_of`` strictly before kickoff; the higher id breaks ties). This is the prediction that
    evaluates the model on that match, and the one retention must keep. With ``by_lead`` the
    ranking is per match and lead bucket (:data:`LEAD_BUCKETS`, column ``lead_bucket``): rank 1
    is then the latest prediction made at that lead.
    """
    bucket = _lead_bucket(dialect)
    wide = wide_predictions(dialect, values=("p_home", "p_draw", "p_away"))
    partition = [wide.c.match_id, bucket] if by_lead else [wide.c.match_id]
    condition = prediction_snapshots.c.as_of < matches.c.kickoff_at
    if model_version_id is not None:
        condition = condition & (wide.c.model_version_id == model_version_id)
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
            wide.c.snapshot_id,
            wide.c.match_id,
            wide.c.model_version_id,
            wide.c.information,
            prediction_snapshots.c.as_of,
            wide.c.p_home,
            wide.c.p_draw,
            wide.c.p_away,
            bucket.label("lead_bucket"),
            rank,
        )
        .select_from(wide)
        .join(prediction_snapshots, prediction_snapshots.c.id == wide.c.snapshot_id)
        .join(matches, matches.c.id == wide.c.match_id)
        .where(condition)
    )


def settled_predictions(
    conn: Connection,
    model_version_id: int | None,
    *,
    settled_from: datetime,
    as_of: datetime,
    by_lead: bool = False,
) -> list[dict[str, Any]]:
    """The latest pre-kickoff prediction of each match (of one model, or of any when
    ``model_version_id`` is None) that was settled by ``as_of`` with kickoff in
    ``[settled_from, as_of]``, with the result; with ``by_lead``, the latest one per match and
    lead bucket.

    A match is settled when it is finished with both scores and its result was observed at or
    before ``as_of``. Keys: ``match_id``, ``competition``, ``kickoff_at``, ``home_goals``,
    ``away_goals``, ``p_home``, ``p_draw``, ``p_away``, ``snapshot_id``, ``predicted_as_of``,
    ``model_version_id``, ``information``, ``lead_bucket`` (an index into
    :data:`LEAD_BUCKETS`).
    """
    ranked = pre_kickoff_ranked(
        model_version_id, dialect=conn.dialect.name, by_lead=by_lead
    ).subquery()
    query = (
        select(
            ranked.c.match_id,
            competitions.c.code.label("competition"),
            matches.c.kickoff_at,
            matches.c.home_goals,
            matches.c.away_goals,
            ranked.c.p_home,
            ranked.c.p_draw,
            ranked.c.p_away,
            ranked.c.snapshot_id,
            ranked.c.as_of.label("predicted_as_of"),
            ranked.c.model_version_id,
            ranked.c.information,
            ranked.c.lead_bucket,
        )
        .select_from(ranked)
        .join(matches, matches.c.id == ranked.c.match_id)
        .join(competitions, competitions.c.id == matches.c.competition_id)
        .where(
            (ranked.c.rank == 1)
            & (matches.c.status == "finished")
            & matches.c.home_goals.is_not(None)
            & matches.c.away_goals.is_not(None)
            & (matches.c.observed_at <= as_of)
            & (matches.c.kickoff_at >= settled_from)
            & (matches.c.kickoff_at <= as_of)
        )
        .order_by(matches.c.kickoff_at, ranked.c.match_id, ranked.c.lead_bucket)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
