"""Read queries for the API: the published pointer, competitions, matches and models.

Plain SQLAlchemy Core over :mod:`formline.store.tables`, returning dicts of plain Python values:
nothing here imports pandas or NumPy, so the API can be installed without the numerical stack.
Every function takes an open :class:`~sqlalchemy.Connection`, so a caller can run several reads
in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select

from formline.errors import NotFoundError, StoreError
from formline.matches.tables import competitions, matches, teams
from formline.store.tables import model_versions, prediction_snapshots, publications

DEFAULT_PUBLICATION = "default"

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


def with_match_joins(query: Select[Any]) -> Select[Any]:
    """``query`` joined from ``matches`` to its competition and both teams."""
    return (
        query.join(competitions, competitions.c.id == matches.c.competition_id)
        .join(home_team, home_team.c.id == matches.c.home_team_id)
        .join(away_team, away_team.c.id == matches.c.away_team_id)
    )


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


def current_pointer(
    conn: Connection, publication: str = DEFAULT_PUBLICATION, domain: str | None = None
) -> Pointer | None:
    """The snapshot ``publication`` of ``domain`` points at (None: the domain that has that
    publication, StoreError if several do), read in one statement; None before any publish."""
    query = (
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
    row = one_pointer(list(conn.execute(query).mappings()), publication)
    if row is None:
        return None
    fields = dict(row)
    fields.pop("domain")
    key = fields.pop("models_key")
    return Pointer(**fields, model_version_ids=tuple(int(i) for i in key.split(",") if i))


def snapshot_exists(conn: Connection, snapshot_id: int) -> bool:
    """Whether a snapshot is still stored (retention may have pruned one a reader remembers)."""
    query = select(prediction_snapshots.c.id).where(prediction_snapshots.c.id == snapshot_id)
    return conn.execute(query).first() is not None


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
        .order_by(competitions.c.sport, competitions.c.code)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def competition_ids(conn: Connection, code: str) -> list[int]:
    """The ids of the competitions with ``code`` (one per sport); empty if none."""
    query = select(competitions.c.id).where(competitions.c.code == code)
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
        """``query`` (over ``matches``) restricted to this filter."""
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
        matches.c.id == match_id
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)


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


def deployed_model_ids(conn: Connection) -> list[int]:
    """The ids of the deployed models (each slot's current champion), ascending."""
    query = (
        select(model_versions.c.id)
        .where(model_versions.c.status == "deployed")
        .order_by(model_versions.c.id)
    )
    return [int(i) for i in conn.execute(query).scalars()]
