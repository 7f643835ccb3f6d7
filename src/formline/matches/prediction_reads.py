"""The matches domain's reads over its prediction snapshots for the API: a snapshot's rows, a
match's history, the latest odds to compare them with, and the settled predictions that score a
model (``/performance``).

Plain SQLAlchemy Core returning dicts (no pandas, no NumPy). Each query is one statement, so it
sees one consistent state of the database even while a publish commits. The settled predictions
are ranked as retention ranks them (:func:`formline.store.prediction_reads.pre_start_ranked`
over :func:`formline.matches.reads.match_starts`), so retention keeps what they score.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Subquery,
    and_,
    func,
    select,
)

from formline.matches.prediction_view import (
    DOMAIN,
    FAIR_COLUMNS,
    PROBABILITY_COLUMNS,
    wide_predictions,
)
from formline.matches.reads import (
    MATCH_COLUMNS,
    away_team,
    home_team,
    match_starts,
    with_match_joins,
)
from formline.matches.tables import AGGREGATE_BOOKMAKERS, competitions, matches, odds
from formline.store.prediction_reads import pre_start_ranked
from formline.store.tables import predicted_events, prediction_snapshots

PROBABILITIES = tuple(PROBABILITY_COLUMNS)
FAIR_ODDS = tuple(FAIR_COLUMNS)
OUTCOMES = ("home", "draw", "away")


def _values(wide: Subquery) -> list[ColumnElement[Any]]:
    return [wide.c[c] for c in (*PROBABILITIES, *FAIR_ODDS)]


def _prediction_rows(wide: Subquery, *, drivers: bool) -> Select[Any]:
    """The wide predictions of ``wide`` joined to their snapshot, match, competition and teams."""
    columns = [
        wide.c.snapshot_id,
        wide.c.model_version_id,
        wide.c.information,
        prediction_snapshots.c.as_of,
        prediction_snapshots.c.horizon_days,
        prediction_snapshots.c.created_at.label("snapshot_created_at"),
        *MATCH_COLUMNS,
        *_values(wide),
        *([wide.c.drivers] if drivers else []),
    ]
    query = (
        select(*columns)
        .select_from(wide)
        .join(prediction_snapshots, prediction_snapshots.c.id == wide.c.snapshot_id)
        .join(matches, matches.c.id == wide.c.match_id)
    )
    return with_match_joins(query)


def _in_snapshot(
    query: Select[Any],
    wide: Subquery,
    snapshot_id: int,
    competition_ids: Sequence[int] | None,
    kickoff_from: datetime | None,
    kickoff_before: datetime | None,
) -> Select[Any]:
    """``query`` narrowed to one snapshot and the optional competition and kickoff filters."""
    query = query.where(wide.c.snapshot_id == snapshot_id)
    if competition_ids is not None:
        query = query.where(matches.c.competition_id.in_(list(competition_ids)))
    if kickoff_from is not None:
        query = query.where(matches.c.kickoff_at >= kickoff_from)
    if kickoff_before is not None:
        query = query.where(matches.c.kickoff_at < kickoff_before)
    return query


def snapshot_predictions(
    conn: Connection,
    snapshot_id: int,
    *,
    competition_ids: Sequence[int] | None = None,
    kickoff_from: datetime | None = None,
    kickoff_before: datetime | None = None,
    match_id: int | None = None,
    drivers: bool = False,
) -> list[dict[str, Any]]:
    """The predictions of one snapshot, by kickoff then match id, with their match's details.

    Parameters
    ----------
    conn
        An open connection.
    snapshot_id
        The snapshot.
    competition_ids, kickoff_from, kickoff_before, match_id
        Optional filters: competitions, kickoffs in ``[kickoff_from, kickoff_before)``, a match.
    drivers
        Include each prediction's ``drivers`` (parsed JSON).

    Returns
    -------
    list of dict
        Keys: ``snapshot_id``, ``model_version_id`` and ``information`` (of the prediction),
        ``as_of``, ``horizon_days``,
        ``snapshot_created_at``, the match columns (``id``, ``competition``, ``kickoff_at``,
        ``home_team`` ...), the probabilities and fair odds, and ``drivers`` if asked for.
    """
    wide = wide_predictions(conn.dialect.name, drivers=drivers)
    rows = _prediction_rows(wide, drivers=drivers)
    query = _in_snapshot(rows, wide, snapshot_id, competition_ids, kickoff_from, kickoff_before)
    if match_id is not None:
        query = query.where(wide.c.match_id == match_id)
    query = query.order_by(matches.c.kickoff_at, matches.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


@cache
def _list_query(dialect: str) -> tuple[Select[Any], Subquery]:
    """One snapshot's predictions as the list shows them: only what it shows, no snapshot
    columns (the caller knows the snapshot), labelled as the list's fields; and the wide view
    it reads. Built once per dialect: the list is the hot read."""
    wide = wide_predictions(dialect)
    query = with_match_joins(
        select(
            matches.c.id.label("match_id"),
            competitions.c.code.label("competition"),
            matches.c.kickoff_at,
            matches.c.status,
            home_team.c.name.label("home_team"),
            away_team.c.name.label("away_team"),
            wide.c.model_version_id,
            wide.c.information,
            *_values(wide),
        )
        .select_from(wide)
        .join(matches, matches.c.id == wide.c.match_id)
    )
    return query, wide


def snapshot_prediction_list(
    conn: Connection,
    snapshot_id: int,
    *,
    competition_ids: Sequence[int] | None = None,
    kickoff_from: datetime | None = None,
    kickoff_before: datetime | None = None,
) -> list[dict[str, Any]]:
    """The predictions of one snapshot as a list shows them, by kickoff then match id.

    The rows of :func:`snapshot_predictions` without what the caller already knows or the list
    does not show (the snapshot's columns, the match's scores and ids), which is most of the
    cost of reading a whole snapshot.

    Parameters
    ----------
    conn
        An open connection.
    snapshot_id
        The snapshot.
    competition_ids, kickoff_from, kickoff_before
        Optional filters: competitions, kickoffs in ``[kickoff_from, kickoff_before)``.

    Returns
    -------
    list of dict
        Keys: ``match_id``, ``competition`` (its code), ``kickoff_at``, ``status``,
        ``home_team``, ``away_team`` (names), ``model_version_id``, ``information``, the
        probabilities and the fair odds.
    """
    listed, wide = _list_query(conn.dialect.name)
    query = _in_snapshot(listed, wide, snapshot_id, competition_ids, kickoff_from, kickoff_before)
    result = conn.execute(query.order_by(matches.c.kickoff_at, matches.c.id))
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def match_prediction_history(conn: Connection, match_id: int) -> list[dict[str, Any]]:
    """Every stored prediction of one match with drivers, newest snapshot (``as_of``) first."""
    wide = wide_predictions(conn.dialect.name, drivers=True)
    query = (
        _prediction_rows(wide, drivers=True)
        .where(wide.c.match_id == match_id)
        .order_by(prediction_snapshots.c.as_of.desc(), prediction_snapshots.c.id.desc())
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def latest_match_prediction(conn: Connection, match_id: int) -> dict[str, Any] | None:
    """The newest stored prediction of one match (by snapshot ``as_of``), with drivers."""
    wide = wide_predictions(conn.dialect.name, drivers=True)
    query = (
        _prediction_rows(wide, drivers=True)
        .where(wide.c.match_id == match_id)
        .order_by(prediction_snapshots.c.as_of.desc(), prediction_snapshots.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)


def latest_odds_for_snapshot(
    conn: Connection,
    snapshot_id: int,
    *,
    as_of: datetime,
    competition_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """The latest 1X2 price per (match, bookmaker, selection) observed at or before ``as_of``,
    for the matches of one snapshot that kick off after ``as_of``.

    Only books one can bet at: summaries across books (the best and the average price, see
    :data:`~formline.matches.tables.AGGREGATE_BOOKMAKERS`) are left out.

    Keys: ``match_id``, ``bookmaker``, ``selection`` (home, draw, away), ``kind`` (opening or
    closing), ``price``, ``observed_at``.
    """
    rank = (
        func.row_number()
        .over(
            partition_by=(odds.c.match_id, odds.c.bookmaker, odds.c.selection),
            order_by=(odds.c.observed_at.desc(), odds.c.id.desc()),
        )
        .label("rank")
    )
    in_snapshot = and_(
        predicted_events.c.event_id == odds.c.match_id,
        predicted_events.c.snapshot_id == snapshot_id,
        predicted_events.c.unit == "",
    )
    query = (
        select(
            odds.c.match_id,
            odds.c.bookmaker,
            odds.c.selection,
            odds.c.kind,
            odds.c.price,
            odds.c.observed_at,
            rank,
        )
        .select_from(odds)
        .join(predicted_events, in_snapshot)
        .join(matches, matches.c.id == odds.c.match_id)
        .where(
            (odds.c.market == "1x2")
            & odds.c.bookmaker.not_in(AGGREGATE_BOOKMAKERS)
            & odds.c.selection.in_(OUTCOMES)
            & (odds.c.observed_at <= as_of)
            & (matches.c.kickoff_at > as_of)
        )
    )
    if competition_ids is not None:
        query = query.where(matches.c.competition_id.in_(list(competition_ids)))
    ranked = query.subquery()
    latest = (
        select(
            ranked.c.match_id,
            ranked.c.bookmaker,
            ranked.c.selection,
            ranked.c.kind,
            ranked.c.price,
            ranked.c.observed_at,
        )
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.match_id, ranked.c.bookmaker, ranked.c.selection)
    )
    return [dict(r) for r in conn.execute(latest).mappings()]


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
    :data:`formline.store.prediction_reads.LEAD_BUCKETS`).
    """
    dialect = conn.dialect.name
    ranked = pre_start_ranked(
        DOMAIN, match_starts(), model_version_id, dialect=dialect, by_lead=by_lead
    ).subquery()
    wide = wide_predictions(dialect, values=("p_home", "p_draw", "p_away"))
    query = (
        select(
            ranked.c.event_id.label("match_id"),
            competitions.c.code.label("competition"),
            matches.c.kickoff_at,
            matches.c.home_goals,
            matches.c.away_goals,
            wide.c.p_home,
            wide.c.p_draw,
            wide.c.p_away,
            ranked.c.snapshot_id,
            ranked.c.as_of.label("predicted_as_of"),
            ranked.c.model_version_id,
            ranked.c.information,
            ranked.c.lead_bucket,
        )
        .select_from(ranked)
        .join(
            wide,
            (wide.c.snapshot_id == ranked.c.snapshot_id) & (wide.c.match_id == ranked.c.event_id),
        )
        .join(matches, matches.c.id == ranked.c.event_id)
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
        .order_by(matches.c.kickoff_at, ranked.c.event_id, ranked.c.lead_bucket)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
