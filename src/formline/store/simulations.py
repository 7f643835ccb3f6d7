"""Season simulation snapshots: stored immutable, published atomically, read back.

A snapshot is one competition's season simulated as of an instant, with its models, draws, seed
and rules; its rows are one per team. Publishing inserts the snapshot, its rows and moves the
competition's pointer (``simulation_publications``) in one transaction, as predictions are
published (:mod:`formline.store.predictions`): a reader sees the old simulation or the whole new
one, a failed run leaves nothing. The pointer only moves forward in ``as_of``.

Plain SQLAlchemy Core and Python values (no pandas, no NumPy): the read API imports the reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from formline.errors import DataError
from formline.store.db import Store
from formline.store.tables import simulation_publications, simulation_snapshots, simulation_teams
from formline.store.types import as_utc, utcnow

__all__ = [
    "PublishedSimulation",
    "SimulationRecord",
    "TeamOdds",
    "publish_simulation",
    "published_simulation",
    "read_simulation",
    "simulation_pointers",
]


@dataclass(frozen=True)
class TeamOdds:
    """One team's row of a simulation, best expected points first."""

    team: str
    expected_points: float
    p_title: float
    p_top: float
    #: None when the snapshot counts no relegation.
    p_relegation: float | None
    #: P(finishing 1st), P(2nd) ... one per team.
    positions: list[float]


@dataclass(frozen=True)
class SimulationRecord:
    """A simulated season to store (see the table's comments in :mod:`formline.store.tables`).

    ``models`` has one entry per model that drew games: ``model_version_id``, ``information``
    and ``games``. ``relegated`` is 0 when no relegation is counted.
    """

    domain: str
    competition: str
    season: str
    as_of: datetime
    models: list[dict[str, Any]]
    n_sims: int
    seed: int
    draws: str
    top: int
    relegated: int
    points_label: str
    n_played: int
    n_remaining: int
    simplifications: str
    teams: list[TeamOdds] = field(default_factory=list)

    @property
    def models_key(self) -> str:
        """The models' ids, sorted and comma-separated."""
        return ",".join(str(i) for i in sorted({int(m["model_version_id"]) for m in self.models}))


@dataclass(frozen=True)
class PublishedSimulation:
    """What :func:`publish_simulation` did: the snapshot, whether it was written now, whether
    the competition's pointer is on it."""

    simulation_id: int
    created: bool
    published: bool


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _checked(record: SimulationRecord) -> None:
    if not record.teams:
        raise DataError("a simulation without teams is never stored")
    if not record.models:
        raise DataError("a simulation names the models that drew its games")
    n_teams = len(record.teams)
    for row in record.teams:
        values = [row.expected_points, row.p_title, row.p_top, *row.positions]
        if len(row.positions) != n_teams or not all(math.isfinite(v) for v in values):
            raise DataError(
                f"simulation row of {row.team}: expected {n_teams} finite position "
                "probabilities and finite odds"
            )
        if (row.p_relegation is None) != (record.relegated == 0):
            raise DataError(
                f"simulation row of {row.team}: p_relegation must be given exactly when "
                "relegation is counted"
            )


def _natural_key(record: SimulationRecord) -> Any:
    s = simulation_snapshots.c
    return (
        (s.domain == record.domain)
        & (s.competition == record.competition)
        & (s.season == record.season)
        & (s.as_of == record.as_of)
        & (s.models_key == record.models_key)
        & (s.n_sims == record.n_sims)
        & (s.seed == record.seed)
        & (s.top == record.top)
        & (s.relegated == record.relegated)
    )


def publish_simulation(store: Store, record: SimulationRecord) -> PublishedSimulation:
    """Store ``record`` and point its competition's publication at it, in one transaction.

    The same season, instant, models, number of simulations, seed and rules give the same
    simulation: stored once, and the next time only published again (the pointer moved back to
    it; nothing else written). A simulation as of an instant before the published one is stored
    but not published: a replay of the past never replaces what the API serves.

    Raises
    ------
    DataError
        For a record without teams or models, or with rows that do not fit it.
    StoreError
        If the database refuses a row (a probability outside [0, 1], a repeated team); then
        nothing is written.
    """
    _checked(record)
    with store.begin("publishing a season simulation") as conn:
        now = utcnow()
        simulation_id = conn.execute(
            _insert(conn)(simulation_snapshots)
            .values(
                domain=record.domain,
                competition=record.competition,
                season=record.season,
                as_of=record.as_of,
                models_key=record.models_key,
                models=record.models,
                n_sims=record.n_sims,
                seed=record.seed,
                draws=record.draws,
                top=record.top,
                relegated=record.relegated,
                points_label=record.points_label,
                n_teams=len(record.teams),
                n_played=record.n_played,
                n_remaining=record.n_remaining,
                simplifications=record.simplifications,
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(simulation_snapshots.c.id)
        ).scalar()
        pointer = _pointer(conn, record.domain, record.competition)
        created = simulation_id is not None
        if simulation_id is None:
            simulation_id = conn.execute(
                select(simulation_snapshots.c.id).where(_natural_key(record))
            ).scalar_one()
            if pointer is not None and pointer[0] == simulation_id:
                return PublishedSimulation(int(simulation_id), False, True)
        else:
            _insert_teams(conn, int(simulation_id), record)
        if pointer is not None and as_utc(record.as_of) < pointer[1]:
            return PublishedSimulation(int(simulation_id), created, False)
        upsert = _insert(conn)(simulation_publications).values(
            domain=record.domain,
            competition=record.competition,
            simulation_id=simulation_id,
            published_at=now,
        )
        conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["domain", "competition"],
                set_={"simulation_id": simulation_id, "published_at": now},
            )
        )
    return PublishedSimulation(int(simulation_id), created, True)


def _insert_teams(conn: Connection, simulation_id: int, record: SimulationRecord) -> None:
    conn.execute(
        insert(simulation_teams),
        [
            {
                "simulation_id": simulation_id,
                "team": row.team,
                "rank": rank,
                "expected_points": float(row.expected_points),
                "p_title": float(row.p_title),
                "p_top": float(row.p_top),
                "p_relegation": None if row.p_relegation is None else float(row.p_relegation),
                "positions": [float(p) for p in row.positions],
            }
            for rank, row in enumerate(record.teams, start=1)
        ],
    )


def _pointer(conn: Connection, domain: str, competition: str) -> tuple[int, datetime] | None:
    """The published simulation of ``competition`` and its ``as_of`` (None before any)."""
    p, s = simulation_publications.c, simulation_snapshots.c
    row = conn.execute(
        select(s.id, s.as_of)
        .join(simulation_publications, p.simulation_id == s.id)
        .where((p.domain == domain) & (p.competition == competition))
    ).first()
    return None if row is None else (int(row[0]), as_utc(row[1]))


def simulation_pointers(
    conn: Connection, competition: str, domain: str | None = None
) -> list[tuple[str, int]]:
    """(domain, simulation id) of the published simulation of ``competition`` in each domain
    (of ``domain`` only, when given), by domain."""
    p = simulation_publications.c
    query = select(p.domain, p.simulation_id).where(p.competition == competition)
    if domain is not None:
        query = query.where(p.domain == domain)
    return [(str(d), int(i)) for d, i in conn.execute(query.order_by(p.domain))]


def read_simulation(
    conn: Connection, simulation_id: int, *, published: bool = False
) -> dict[str, Any] | None:
    """A stored simulation: its header (the snapshot's columns; with ``published``, also
    ``published_at``, of its competition's pointer when it is on it, else the creation time)
    and ``teams``, a list of row dicts (``team``, ``rank``, ``expected_points``, ``p_title``,
    ``p_top``, ``p_relegation``, ``positions``) best first; None if there is no such
    simulation."""
    header = (
        conn.execute(select(simulation_snapshots).where(simulation_snapshots.c.id == simulation_id))
        .mappings()
        .first()
    )
    if header is None:
        return None
    extra: dict[str, Any] = {}
    if published:
        p = simulation_publications.c
        at = conn.execute(select(p.published_at).where(p.simulation_id == simulation_id)).scalar()
        extra["published_at"] = at if at is not None else header["created_at"]
    t = simulation_teams.c
    rows = conn.execute(
        select(t.team, t.rank, t.expected_points, t.p_title, t.p_top, t.p_relegation, t.positions)
        .where(t.simulation_id == simulation_id)
        .order_by(t.rank)
    ).mappings()
    return {**dict(header), **extra, "teams": [dict(r) for r in rows]}


def published_simulation(conn: Connection, domain: str, competition: str) -> dict[str, Any] | None:
    """The simulation ``competition``'s pointer is on (see :func:`read_simulation`), with
    ``published_at``; None when none was published."""
    p = simulation_publications.c
    row = conn.execute(
        select(p.simulation_id, p.published_at).where(
            (p.domain == domain) & (p.competition == competition)
        )
    ).first()
    if row is None:
        return None
    found = read_simulation(conn, int(row[0]))
    return None if found is None else {**found, "published_at": row[1]}
