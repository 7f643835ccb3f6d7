"""The matches domain's reads of its own tables for the API and the command line:
competitions, matches and their teams, of the served sports (:data:`SERVED_SPORTS`: football
for now; the US games are stored but not served yet).

Plain SQLAlchemy Core over :mod:`formline.matches.tables`, returning dicts of plain Python values
(no pandas, no NumPy: the read API uses it). Every function takes an open
:class:`~sqlalchemy.Connection`, so a caller can run several reads in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Subquery, func, select

from formline.errors import NotFoundError
from formline.matches.sports import SERVED_SPORTS
from formline.matches.tables import competitions, matches, teams

home_team = teams.alias("home_team")
away_team = teams.alias("away_team")

#: The columns describing a match, shared by every read that shows one.
MATCH_COLUMNS = (
    matches.c.id,
    matches.c.sport,
    matches.c.competition_id,
    competitions.c.code.label("competition"),
    matches.c.season,
    matches.c.kickoff_at,
    matches.c.status,
    matches.c.home_team_id,
    home_team.c.name.label("home_team"),
    matches.c.away_team_id,
    away_team.c.name.label("away_team"),
    matches.c.home_goals,
    matches.c.away_goals,
    matches.c.home_ht_goals,
    matches.c.away_ht_goals,
    matches.c.observed_at,
)


@cache
def match_starts() -> Subquery:
    """Each match's id and kickoff as ``event_id`` and ``start_at``: when a match starts, for
    the shared ranking of the predictions that evaluate a model (retention and
    ``/performance``, see :func:`formline.store.prediction_reads.pre_start_ranked`)."""
    query = select(matches.c.id.label("event_id"), matches.c.kickoff_at.label("start_at"))
    return query.subquery("match_starts")


def with_match_joins(query: Select[Any]) -> Select[Any]:
    """``query`` joined from ``matches`` to its competition and both teams."""
    return (
        query.join(competitions, competitions.c.id == matches.c.competition_id)
        .join(home_team, home_team.c.id == matches.c.home_team_id)
        .join(away_team, away_team.c.id == matches.c.away_team_id)
    )


def list_competitions(conn: Connection) -> list[dict[str, Any]]:
    """Every competition with its number of matches and kickoff range, by sport and code."""
    counts = (
        select(
            matches.c.competition_id,
            func.count().label("n_matches"),
            func.min(matches.c.kickoff_at).label("first_kickoff_at"),
            func.max(matches.c.kickoff_at).label("last_kickoff_at"),
        )
        .group_by(matches.c.competition_id)
        .subquery()
    )
    query = (
        select(
            competitions.c.id,
            competitions.c.sport,
            competitions.c.code,
            competitions.c.name,
            competitions.c.country,
            func.coalesce(counts.c.n_matches, 0).label("n_matches"),
            counts.c.first_kickoff_at,
            counts.c.last_kickoff_at,
        )
        .outerjoin(counts, counts.c.competition_id == competitions.c.id)
        .where(competitions.c.sport.in_(SERVED_SPORTS))
        .order_by(competitions.c.sport, competitions.c.code)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def competition_ids(conn: Connection, code: str) -> list[int]:
    """The ids of the competitions with ``code`` (one per sport); empty if none."""
    query = select(competitions.c.id).where(
        (competitions.c.code == code) & competitions.c.sport.in_(SERVED_SPORTS)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def competition_filter(conn: Connection, code: str | None) -> tuple[int, ...] | None:
    """The ids a ``competition=`` parameter selects: None (no filter) when ``code`` is None.

    Raises
    ------
    NotFoundError
        If no competition has ``code``.
    """
    if code is None:
        return None
    ids = tuple(competition_ids(conn, code))
    if not ids:
        raise NotFoundError(f"competition {code} does not exist")
    return ids


@dataclass(frozen=True)
class MatchFilter:
    """Which matches to list: kickoffs in ``[kickoff_from, kickoff_before)``, by status."""

    competition_ids: tuple[int, ...] | None = None
    kickoff_from: datetime | None = None
    kickoff_before: datetime | None = None
    status: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        """``query`` (over ``matches``) restricted to this filter (and to the served sports)."""
        query = query.where(matches.c.sport.in_(SERVED_SPORTS))
        if self.competition_ids is not None:
            query = query.where(matches.c.competition_id.in_(self.competition_ids))
        if self.kickoff_from is not None:
            query = query.where(matches.c.kickoff_at >= self.kickoff_from)
        if self.kickoff_before is not None:
            query = query.where(matches.c.kickoff_at < self.kickoff_before)
        if self.status is not None:
            query = query.where(matches.c.status == self.status)
        return query


def list_matches(
    conn: Connection, where: MatchFilter, *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """One page of matches by kickoff (then id), and how many match the filter in all."""
    total = conn.execute(where.apply(select(func.count()).select_from(matches))).scalar_one()
    query = with_match_joins(where.apply(select(*MATCH_COLUMNS).select_from(matches)))
    query = query.order_by(matches.c.kickoff_at, matches.c.id).limit(limit).offset(offset)
    return int(total), [dict(r) for r in conn.execute(query).mappings()]


def get_match(conn: Connection, match_id: int) -> dict[str, Any] | None:
    """One match with its competition and team names, or None."""
    query = with_match_joins(select(*MATCH_COLUMNS).select_from(matches)).where(
        (matches.c.id == match_id) & matches.c.sport.in_(SERVED_SPORTS)
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)
