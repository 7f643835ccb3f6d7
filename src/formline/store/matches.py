"""Writing match facts to the store: competitions, teams and aliases, matches, odds, rejects.

Everything a load writes goes in through :func:`upsert_batch`, in one transaction: a load that
fails leaves the store as it was. Upserts are by natural key, so loading the same data twice
changes nothing and a corrected row updates in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select, text

from formline.matches.frames import SIDE_STATS, SourceBatch
from formline.store.db import Store
from formline.store.staging import now_param, stage, upsert_sql
from formline.store.tables import (
    competitions,
    feature_snapshots,
    ingest_rejects,
    matches,
    odds,
    team_aliases,
    teams,
)
from formline.store.types import utcnow

_RESULT_COLUMNS = [
    "home_goals",
    "away_goals",
    "home_ht_goals",
    "away_ht_goals",
    *[f"{side}_{stat}" for stat in SIDE_STATS for side in ("home", "away")],
]

_MATCH_STAGE = {
    "sport": "text",
    "competition": "text",
    "season": "text",
    "kickoff_at": "timestamp",
    "home_team": "text",
    "away_team": "text",
    "status": "text",
    **dict.fromkeys(_RESULT_COLUMNS, "int"),
    "home_xg": "float",
    "away_xg": "float",
    "observed_at": "timestamp",
    "source": "text",
    "source_file": "text",
    "source_line": "int",
}
_MATCH_VALUES = [
    "kickoff_at",
    "status",
    *_RESULT_COLUMNS,
    "home_xg",
    "away_xg",
    "observed_at",
    "source",
    "source_file",
    "source_line",
]

_ODDS_STAGE = {
    "sport": "text",
    "competition": "text",
    "season": "text",
    "home_team": "text",
    "away_team": "text",
    "bookmaker": "text",
    "market": "text",
    "selection": "text",
    "line": "float",
    "kind": "text",
    "price": "float",
    "captured_at": "timestamp",
    "observed_at": "timestamp",
}

_REJECT_STAGE = {
    "source": "text",
    "source_file": "text",
    "source_line": "int",
    "column": "text",
    "reason": "text",
    "raw": "text",
}


@dataclass(frozen=True)
class LoadReport:
    """What one load wrote: new and changed rows per table, and rejects kept."""

    matches_new: int = 0
    matches_changed: int = 0
    odds_new: int = 0
    odds_changed: int = 0
    rejects: int = 0
    teams_new: int = 0

    def __add__(self, other: LoadReport) -> LoadReport:
        return LoadReport(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, ...]:
        """The counts in field order."""
        return (
            self.matches_new,
            self.matches_changed,
            self.odds_new,
            self.odds_changed,
            self.rejects,
            self.teams_new,
        )


def _count(conn: Connection, table: object) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _upsert_competitions(conn: Connection, frame: pd.DataFrame) -> None:
    dialect = conn.dialect.name
    columns = {
        "sport": "text",
        "competition": "text",
        "competition_name": "text",
        "country": "text",
    }
    comps = frame[list(columns)].drop_duplicates(["sport", "competition"])
    stage(conn, "stage_competitions", columns, comps)
    conn.execute(
        text(
            upsert_sql(
                dialect,
                "competitions",
                ["sport", "code", "name", "country", "created_at"],
                "SELECT sport, competition, COALESCE(competition_name, competition), country, "
                ":now FROM stage_competitions",
                conflict=["sport", "code"],
                update=[],
            )
        ),
        {"now": now_param(conn.dialect.name)},
    )


def _upsert_teams(conn: Connection, frame: pd.DataFrame) -> int:
    """Create a team (and an alias of its own spelling) for every name no alias knows yet."""
    names = pd.concat(
        [
            frame[["sport", "home_team"]].rename(columns={"home_team": "name"}),
            frame[["sport", "away_team"]].rename(columns={"away_team": "name"}),
        ]
    ).drop_duplicates()
    names["source"] = frame["source"].iloc[0] if len(frame) else None
    stage(conn, "stage_teams", {"sport": "text", "name": "text", "source": "text"}, names)
    before = _count(conn, teams)
    now = now_param(conn.dialect.name)
    conn.execute(
        text(
            "INSERT INTO teams (sport, name, created_at) "
            "SELECT s.sport, s.name, :now FROM stage_teams s "
            "WHERE NOT EXISTS (SELECT 1 FROM team_aliases a "
            "                  WHERE a.sport = s.sport AND a.alias = s.name) "
            "ON CONFLICT (sport, name) DO NOTHING"
        ),
        {"now": now},
    )
    conn.execute(
        text(
            "INSERT INTO team_aliases (sport, alias, team_id, source, created_at) "
            "SELECT s.sport, s.name, t.id, s.source, :now FROM stage_teams s "
            "JOIN teams t ON t.sport = s.sport AND t.name = s.name "
            "WHERE NOT EXISTS (SELECT 1 FROM team_aliases a "
            "                  WHERE a.sport = s.sport AND a.alias = s.name) "
            "ON CONFLICT (sport, alias) DO NOTHING"
        ),
        {"now": now},
    )
    return _count(conn, teams) - before


_RESOLVE_MATCH = (
    "JOIN competitions c ON c.sport = s.sport AND c.code = s.competition "
    "JOIN team_aliases ha ON ha.sport = s.sport AND ha.alias = s.home_team "
    "JOIN team_aliases aa ON aa.sport = s.sport AND aa.alias = s.away_team"
)


def _upsert_matches(conn: Connection, frame: pd.DataFrame) -> tuple[int, int]:
    dialect = conn.dialect.name
    stage(conn, "stage_matches", _MATCH_STAGE, frame)
    before = _count(conn, matches)
    columns = [
        "sport",
        "competition_id",
        "season",
        "home_team_id",
        "away_team_id",
        *_MATCH_VALUES,
        "created_at",
        "updated_at",
    ]
    values = ", ".join(f"s.{c}" for c in _MATCH_VALUES)
    select_sql = (
        f"SELECT s.sport, c.id, s.season, ha.team_id, aa.team_id, {values}, :now, :now "
        f"FROM stage_matches s {_RESOLVE_MATCH}"
    )
    sql = upsert_sql(
        dialect,
        "matches",
        columns,
        select_sql,
        conflict=["competition_id", "season", "home_team_id", "away_team_id"],
        update=_MATCH_VALUES,
    )
    touched = len(conn.execute(text(sql), {"now": now_param(conn.dialect.name)}).fetchall())
    inserted = _count(conn, matches) - before
    return inserted, touched - inserted


def _upsert_odds(conn: Connection, frame: pd.DataFrame) -> tuple[int, int]:
    dialect = conn.dialect.name
    stage(conn, "stage_odds", _ODDS_STAGE, frame)
    before = _count(conn, odds)
    select_sql = (
        "SELECT m.id, s.bookmaker, s.market, s.selection, s.line, s.kind, s.price, "
        "s.captured_at, s.observed_at, :source, :now, :now "
        f"FROM stage_odds s {_RESOLVE_MATCH} "
        "JOIN matches m ON m.competition_id = c.id AND m.season = s.season "
        "AND m.home_team_id = ha.team_id AND m.away_team_id = aa.team_id"
    )
    sql = upsert_sql(
        dialect,
        "odds",
        [
            "match_id",
            "bookmaker",
            "market",
            "selection",
            "line",
            "kind",
            "price",
            "captured_at",
            "observed_at",
            "source",
            "created_at",
            "updated_at",
        ],
        select_sql,
        conflict=["match_id", "bookmaker", "market", "selection", "line", "kind"],
        update=["price", "captured_at", "observed_at", "source"],
    )
    source = str(frame["source"].iloc[0]) if "source" in frame and len(frame) else "unknown"
    touched = len(
        conn.execute(text(sql), {"now": now_param(conn.dialect.name), "source": source}).fetchall()
    )
    inserted = _count(conn, odds) - before
    return inserted, touched - inserted


def _upsert_rejects(conn: Connection, frame: pd.DataFrame) -> int:
    stage(conn, "stage_rejects", _REJECT_STAGE, frame)
    sql = upsert_sql(
        conn.dialect.name,
        "ingest_rejects",
        ["source", "source_file", "source_line", "column", "reason", "raw", "created_at"],
        'SELECT source, source_file, source_line, "column", reason, raw, :now FROM stage_rejects',
        conflict=["source_file", "source_line", "column"],
        update=["reason", "raw"],
        touch=(),
    )
    conn.execute(text(sql), {"now": now_param(conn.dialect.name)})
    return len(frame)


def upsert_batch(store: Store, batch: SourceBatch) -> LoadReport:
    """Write one source batch in a single transaction and report what changed.

    Raises
    ------
    StoreError
        If the database refuses the load; nothing is written then.
    """
    batch = batch.conformed()
    frame = batch.matches
    odds_frame = batch.odds.copy()
    if len(odds_frame):
        odds_frame["source"] = frame["source"].iloc[0] if len(frame) else "unknown"
    with store.begin("loading matches") as conn:
        teams_new = 0
        matches_new = matches_changed = odds_new = odds_changed = 0
        if len(frame):
            _upsert_competitions(conn, frame)
            teams_new = _upsert_teams(conn, frame)
            matches_new, matches_changed = _upsert_matches(conn, frame)
        if len(odds_frame):
            odds_new, odds_changed = _upsert_odds(conn, odds_frame)
        rejects = _upsert_rejects(conn, batch.rejects) if len(batch.rejects) else 0
    return LoadReport(matches_new, matches_changed, odds_new, odds_changed, rejects, teams_new)


def delete_source(store: Store, source: str) -> int:
    """Delete every match (with its odds and feature snapshots) that ``source`` loaded, and the
    competitions and teams that only it used. Returns the number of matches deleted.
    """
    with store.begin(f"deleting {source} data") as conn:
        comp_ids = [
            r[0]
            for r in conn.execute(
                select(matches.c.competition_id).where(matches.c.source == source).distinct()
            )
        ]
        team_ids = {
            r[0]
            for col in (matches.c.home_team_id, matches.c.away_team_id)
            for r in conn.execute(select(col).where(matches.c.source == source).distinct())
        }
        match_ids = select(matches.c.id).where(matches.c.source == source).scalar_subquery()
        conn.execute(feature_snapshots.delete().where(feature_snapshots.c.match_id.in_(match_ids)))
        conn.execute(odds.delete().where(odds.c.match_id.in_(match_ids)))
        deleted = conn.execute(matches.delete().where(matches.c.source == source)).rowcount
        conn.execute(ingest_rejects.delete().where(ingest_rejects.c.source == source))
        for comp_id in comp_ids:
            if (
                conn.execute(
                    select(matches.c.id).where(matches.c.competition_id == comp_id).limit(1)
                ).first()
                is None
            ):
                conn.execute(competitions.delete().where(competitions.c.id == comp_id))
        for team_id in team_ids:
            used = conn.execute(
                select(matches.c.id)
                .where((matches.c.home_team_id == team_id) | (matches.c.away_team_id == team_id))
                .limit(1)
            ).first()
            if used is None:
                conn.execute(team_aliases.delete().where(team_aliases.c.team_id == team_id))
                conn.execute(teams.delete().where(teams.c.id == team_id))
    return int(deleted)


def add_alias(store: Store, sport: str, alias: str, team_name: str) -> None:
    """Map another spelling (``alias``) onto an existing team, so later loads resolve to it."""
    from formline.errors import DataError

    with store.begin("adding a team alias") as conn:
        team_id = conn.execute(
            select(team_aliases.c.team_id).where(
                (team_aliases.c.sport == sport) & (team_aliases.c.alias == team_name)
            )
        ).scalar()
        if team_id is None:
            raise DataError(f"team '{team_name}': no such {sport} team")
        existing = conn.execute(
            select(team_aliases.c.team_id).where(
                (team_aliases.c.sport == sport) & (team_aliases.c.alias == alias)
            )
        ).scalar()
        if existing is not None and existing != team_id:
            raise DataError(f"alias '{alias}' already names another team")
        if existing is None:
            conn.execute(
                team_aliases.insert().values(
                    sport=sport, alias=alias, team_id=team_id, source="manual", created_at=utcnow()
                )
            )
