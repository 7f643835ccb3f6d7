"""Writing match facts to the store: competitions, teams and aliases, matches, odds, rejects.

Everything a load writes goes in through :func:`upsert_batch`, in one transaction: a load that
fails leaves the store as it was. Upserts are by natural key, so loading the same data twice
changes nothing and a corrected row updates in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select, text

from formline.errors import ReloadRefusedError
from formline.matches.frames import SIDE_STATS, SourceBatch
from formline.matches.tables import competitions, matches, odds, team_aliases, teams
from formline.store.db import Store
from formline.store.staging import distinct_from, now_param, stage
from formline.store.tables import feature_snapshots, ingest_rejects
from formline.store.types import utcnow

_RESULT_COLUMNS = [
    "home_goals",
    "away_goals",
    "home_ht_goals",
    "away_ht_goals",
    *[f"{side}_{stat}" for stat in SIDE_STATS for side in ("home", "away")],
]

#: A match's natural key as a source spells it (see formline.matches.frames).
_KEY = ["sport", "competition", "season", "home_team", "away_team"]
#: The odds' natural key besides their match.
_ODDS_KEY = ["bookmaker", "market", "selection", "line", "kind"]
_ODDS_VALUES = ["price", "captured_at", "observed_at", "source"]
#: The match's natural key in the store.
_MATCH_KEY = ["competition_id", "season", "home_team_id", "away_team_id"]

_MATCH_STAGE = {
    "key_id": "int",
    "kickoff_at": "timestamp",
    "status": "text",
    **dict.fromkeys(_RESULT_COLUMNS, "int"),
    "home_xg": "float",
    "away_xg": "float",
    "observed_at": "timestamp",
    "source": "text",
    "source_file": "text",
    "source_line": "int",
}
_MATCH_VALUES = [c for c in _MATCH_STAGE if c != "key_id"]

_KEY_STAGE = {"key_id": "int", **dict.fromkeys(_KEY, "text")}

_ODDS_STAGE = {
    "key_id": "int",
    "bookmaker": "text",
    "market": "text",
    "selection": "text",
    "line": "float",
    "kind": "text",
    "price": "float",
    "captured_at": "timestamp",
    "observed_at": "timestamp",
    "source": "text",
}

_REJECT_STAGE = {
    "source": "text",
    "source_file": "text",
    "source_line": "int",
    "column": "text",
    "reason": "text",
    "raw": "text",
}


_Summable = TypeVar("_Summable", "Counts", "LoadReport")


def _field_sum(left: _Summable, right: _Summable) -> _Summable:
    """Two reports (or counts) added field by field."""
    return type(left)(
        **{f.name: getattr(left, f.name) + getattr(right, f.name) for f in fields(left)}
    )


@dataclass(frozen=True)
class Counts:
    """What a load did to one table: rows inserted, updated in place, found unchanged (the load
    had them already, value for value), and deleted (a reload's rows its source no longer has)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __add__(self, other: Counts) -> Counts:
        return _field_sum(self, other)

    @property
    def changed(self) -> bool:
        """Whether the load changed anything in this table."""
        return bool(self.inserted or self.updated or self.deleted)


@dataclass(frozen=True)
class LoadReport:
    """What one load changed, per table; ``odds_unmatched`` counts odds rows whose match is in
    neither the batch nor the store (not stored)."""

    competitions: Counts = field(default_factory=Counts)
    teams: Counts = field(default_factory=Counts)
    matches: Counts = field(default_factory=Counts)
    odds: Counts = field(default_factory=Counts)
    rejects: Counts = field(default_factory=Counts)
    odds_unmatched: int = 0
    #: Feature snapshots a reload dropped because the data under them changed.
    feature_snapshots_deleted: int = 0

    def __add__(self, other: LoadReport) -> LoadReport:
        return _field_sum(self, other)

    @property
    def tables(self) -> dict[str, Counts]:
        """The counts of every table, by name."""
        return {
            "competitions": self.competitions,
            "teams": self.teams,
            "matches": self.matches,
            "odds": self.odds,
            "rejects": self.rejects,
        }

    @property
    def changed(self) -> bool:
        """Whether the load changed anything at all."""
        return any(c.changed for c in self.tables.values()) or bool(self.feature_snapshots_deleted)


def _merge(
    conn: Connection,
    table: str,
    source_sql: str,
    keys: list[str],
    values: list[str],
    total: int,
    *,
    inserts: tuple[str, ...] = (),
    created: tuple[str, ...] = ("created_at", "updated_at"),
    touch: tuple[str, ...] = ("updated_at",),
) -> Counts:
    """Upsert the rows of ``source_sql`` (columns ``keys``, ``values`` and ``inserts``, one row
    per key) into ``table`` by ``keys``, set-based: update the rows whose ``values`` differ,
    insert the missing ones (with ``inserts`` too, and ``created`` set to now). ``total`` is the
    number of source rows; the rest are unchanged."""
    dialect = conn.dialect.name
    params = {"now": now_param(dialect)}
    sets = ", ".join([*(f'"{c}" = s."{c}"' for c in values), *(f'"{c}" = :now' for c in touch)])
    same_key = " AND ".join(f'{table}."{k}" = s."{k}"' for k in keys)
    differs = " OR ".join(distinct_from(dialect, f'{table}."{c}"', f's."{c}"') for c in values)
    updated = 0
    if values:
        updated = conn.execute(
            text(
                f"UPDATE {table} SET {sets} FROM ({source_sql}) AS s "
                f"WHERE {same_key} AND ({differs})"
            ),
            params,
        ).rowcount
    columns = ", ".join(f'"{c}"' for c in [*keys, *values, *inserts, *created])
    selected = ", ".join(
        [*(f's."{c}"' for c in [*keys, *values, *inserts]), *(":now" for _ in created)]
    )
    present = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
    inserted = conn.execute(
        text(
            f"INSERT INTO {table} ({columns}) SELECT {selected} FROM ({source_sql}) AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {present}) "
            "ON CONFLICT DO NOTHING"
        ),
        params,
    ).rowcount
    return Counts(inserted, updated, max(total - inserted - updated, 0))


def _scalar(conn: Connection, sql: str, params: dict[str, object] | None = None) -> int:
    return int(conn.execute(text(sql), params or {}).scalar_one())


def _keyed(batch: SourceBatch, source: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The batch's distinct match keys (``key_id`` + natural key), and its matches and odds with
    their ``key_id``, one row per natural key (a key repeated in the batch: its last row)."""
    frame = batch.matches.drop_duplicates(_KEY, keep="last")
    odds_frame = batch.odds.drop_duplicates([*_KEY, *_ODDS_KEY], keep="last")
    both = pd.concat([frame[_KEY], odds_frame[_KEY]], ignore_index=True)
    codes = both.groupby(_KEY, sort=False, dropna=False).ngroup().to_numpy()
    first = ~pd.Series(codes).duplicated().to_numpy()
    keys = both[first].reset_index(drop=True)
    keys.insert(0, "key_id", codes[first].astype(np.int64))
    frame = frame.assign(key_id=codes[: len(frame)])
    odds_frame = odds_frame.assign(key_id=codes[len(frame) :], source=source)
    return keys, frame, odds_frame


def _upsert_competitions(conn: Connection, frame: pd.DataFrame) -> Counts:
    columns = {
        "sport": "text",
        "competition": "text",
        "competition_name": "text",
        "country": "text",
    }
    comps = frame[list(columns)].drop_duplicates(["sport", "competition"])
    stage(conn, "stage_competitions", columns, comps)
    return _merge(
        conn,
        "competitions",
        "SELECT sport, competition AS code, COALESCE(competition_name, competition) AS name, "
        "country FROM stage_competitions",
        ["sport", "code"],
        [],
        len(comps),
        inserts=("name", "country"),
        created=("created_at",),
    )


def _upsert_teams(conn: Connection, frame: pd.DataFrame) -> Counts:
    """Create a team (and an alias of its own spelling) for every name no alias knows yet."""
    names = pd.concat(
        [
            frame[["sport", "home_team"]].rename(columns={"home_team": "name"}),
            frame[["sport", "away_team"]].rename(columns={"away_team": "name"}),
        ]
    ).drop_duplicates()
    names["source"] = frame["source"].iloc[0] if len(frame) else None
    stage(conn, "stage_teams", {"sport": "text", "name": "text", "source": "text"}, names)
    now = now_param(conn.dialect.name)
    inserted = conn.execute(
        text(
            "INSERT INTO teams (sport, name, created_at) "
            "SELECT s.sport, s.name, :now FROM stage_teams s "
            "WHERE NOT EXISTS (SELECT 1 FROM team_aliases a "
            "                  WHERE a.sport = s.sport AND a.alias = s.name) "
            "ON CONFLICT (sport, name) DO NOTHING"
        ),
        {"now": now},
    ).rowcount
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
    return Counts(inserted=inserted, unchanged=len(names) - inserted)


def _resolve_keys(conn: Connection, keys: pd.DataFrame) -> None:
    """``stage_keys``: each batch key resolved to the store's competition and team ids (keys
    naming a competition or team the store does not know are left out)."""
    stage(conn, "stage_keys_raw", _KEY_STAGE, keys)
    _temporary_table(
        conn,
        "stage_keys",
        "SELECT k.key_id, c.id AS competition_id, k.season, "
        "ha.team_id AS home_team_id, aa.team_id AS away_team_id "
        "FROM stage_keys_raw k "
        "JOIN competitions c ON c.sport = k.sport AND c.code = k.competition "
        "JOIN team_aliases ha ON ha.sport = k.sport AND ha.alias = k.home_team "
        "JOIN team_aliases aa ON aa.sport = k.sport AND aa.alias = k.away_team",
        unique="key_id",
    )


def _temporary_table(
    conn: Connection,
    name: str,
    select_sql: str,
    params: dict[str, object] | None = None,
    *,
    unique: str | None = None,
) -> None:
    """(Re)create temporary table ``name`` from ``select_sql``, with a unique index on
    ``unique``, analysed on PostgreSQL (temporary tables get no statistics otherwise)."""
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} AS {select_sql}"), params or {})
    if unique:
        conn.execute(text(f"CREATE UNIQUE INDEX ix_{name} ON {name} ({unique})"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {name}"))


def _upsert_matches(conn: Connection, frame: pd.DataFrame) -> Counts:
    stage(conn, "stage_matches", _MATCH_STAGE, frame)
    values = ", ".join(f's."{c}"' for c in _MATCH_VALUES)
    source_sql = (
        f"SELECT s.key_id, k.competition_id, k.season, k.home_team_id, k.away_team_id, "
        f"m_sport.sport, {values} FROM stage_matches s JOIN stage_keys k ON k.key_id = s.key_id "
        "JOIN stage_keys_raw m_sport ON m_sport.key_id = s.key_id"
    )
    return _merge(
        conn,
        "matches",
        source_sql,
        _MATCH_KEY,
        _MATCH_VALUES,
        len(frame),
        inserts=("sport",),
    )


def _match_ids(conn: Connection) -> None:
    """``stage_match_ids``: the store's match id of every resolved batch key."""
    _temporary_table(
        conn,
        "stage_match_ids",
        "SELECT k.key_id, m.id AS match_id FROM stage_keys k "
        "JOIN matches m ON m.competition_id = k.competition_id AND m.season = k.season "
        "AND m.home_team_id = k.home_team_id AND m.away_team_id = k.away_team_id",
        unique="key_id",
    )


def _upsert_odds(conn: Connection, frame: pd.DataFrame) -> tuple[Counts, int]:
    """Upsert the batch's odds against the store's matches (in this batch or loaded before);
    the counts and the number of odds rows whose match the store does not have."""
    stage(conn, "stage_odds", _ODDS_STAGE, frame)
    resolved = _scalar(
        conn, "SELECT count(*) FROM stage_odds s JOIN stage_match_ids i ON i.key_id = s.key_id"
    )
    columns = ", ".join(f's."{c}"' for c in [*_ODDS_KEY, *_ODDS_VALUES])
    source_sql = (
        f"SELECT i.match_id, {columns} FROM stage_odds s "
        "JOIN stage_match_ids i ON i.key_id = s.key_id"
    )
    counts = _merge(conn, "odds", source_sql, ["match_id", *_ODDS_KEY], _ODDS_VALUES, resolved)
    return counts, len(frame) - resolved


def _upsert_rejects(conn: Connection, frame: pd.DataFrame) -> Counts:
    frame = frame.drop_duplicates(["source_file", "source_line", "column"], keep="last")
    stage(conn, "stage_rejects", _REJECT_STAGE, frame)
    return _merge(
        conn,
        "ingest_rejects",
        'SELECT source, source_file, source_line, "column", reason, raw FROM stage_rejects',
        ["source_file", "source_line", "column"],
        ["source", "reason", "raw"],
        len(frame),
        created=("created_at",),
        touch=(),
    )


def _source_of(batch: SourceBatch, source: str | None) -> str:
    if source is not None:
        return source
    if len(batch.matches):
        return str(batch.matches["source"].iloc[0])
    if len(batch.rejects):
        return str(batch.rejects["source"].iloc[0])
    return "unknown"


def _write(conn: Connection, batch: SourceBatch, source: str) -> LoadReport:
    """Write a conformed batch on ``conn`` (inside the caller's transaction)."""
    keys, frame, odds_frame = _keyed(batch, source)
    competitions_counts = teams_counts = Counts()
    if len(frame):
        competitions_counts = _upsert_competitions(conn, frame)
        teams_counts = _upsert_teams(conn, frame)
    # Every staging table is created, empty or not, so that a reload can refer to them all.
    _resolve_keys(conn, keys)
    matches_counts = _upsert_matches(conn, frame)
    _match_ids(conn)
    odds_counts, unmatched = _upsert_odds(conn, odds_frame)
    rejects = _upsert_rejects(conn, batch.rejects)
    return LoadReport(
        competitions_counts, teams_counts, matches_counts, odds_counts, rejects, unmatched
    )


def upsert_batch(store: Store, batch: SourceBatch, *, source: str | None = None) -> LoadReport:
    """Write one source batch in a single transaction and report what changed.

    Matches are upserted by natural key; odds are resolved against the store's matches, those
    of this batch and those loaded before (an odds-only batch updates the odds of stored
    matches). ``source`` names the loader of the odds (default: the batch's matches' source).

    Raises
    ------
    StoreError
        If the database refuses the load; nothing is written then.
    """
    batch = batch.conformed()
    with store.begin("loading matches") as conn:
        return _write(conn, batch, _source_of(batch, source))


def replace_source(store: Store, batch: SourceBatch, source: str) -> LoadReport:
    """Make ``source``'s data in the store what ``batch`` holds, in one transaction.

    Rows are upserted by natural key, so a match the batch still has keeps its id (and the
    predictions published for it); ``source``'s matches, odds and rejects the batch no longer
    has are deleted, with the competitions and teams only they used. If the data changed, the
    feature snapshots of ``source``'s matches are deleted (``features:build`` recomputes them).

    Raises
    ------
    ReloadRefusedError
        If a match the batch no longer has is referenced by a stored prediction: a reload never
        destroys what was published, so nothing is written and the error says which snapshots
        hold such matches.
    StoreError
        If the database refuses the load.
    """
    batch = batch.conformed()
    with store.begin(f"reloading {source} data") as conn:
        report = _write(conn, batch, source)
        report = _delete_missing(conn, source, report)
    return report


def _delete_missing(conn: Connection, source: str, report: LoadReport) -> LoadReport:
    """Delete ``source``'s rows that the batch just written on ``conn`` no longer has."""
    params: dict[str, object] = {"source": source}
    kept = "SELECT i.match_id FROM stage_match_ids i JOIN stage_matches s ON s.key_id = i.key_id"
    _temporary_table(
        conn,
        "stage_gone",
        "SELECT id, competition_id, home_team_id, away_team_id FROM matches "
        f"WHERE source = :source AND id NOT IN ({kept})",
        params,
    )
    gone = _scalar(conn, "SELECT count(*) FROM stage_gone")
    if gone:
        _refuse_if_predicted(conn, source)
    _temporary_table(
        conn,
        "stage_odds_kept",
        "SELECT o.id FROM stage_odds s JOIN stage_match_ids i ON i.key_id = s.key_id "
        "JOIN odds o ON o.match_id = i.match_id AND o.bookmaker = s.bookmaker "
        "AND o.market = s.market AND o.selection = s.selection AND o.line = s.line "
        "AND o.kind = s.kind",
        unique="id",
    )
    odds_deleted = conn.execute(
        text(
            "DELETE FROM odds WHERE match_id IN (SELECT id FROM matches WHERE source = :source) "
            "AND id NOT IN (SELECT id FROM stage_odds_kept)"
        ),
        params,
    ).rowcount
    rejects_kept = (
        "SELECT 1 FROM stage_rejects s WHERE s.source_file = ingest_rejects.source_file "
        'AND s.source_line = ingest_rejects.source_line AND s."column" = ingest_rejects."column"'
    )
    rejects_deleted = conn.execute(
        text(f"DELETE FROM ingest_rejects WHERE source = :source AND NOT EXISTS ({rejects_kept})"),
        params,
    ).rowcount
    matches_deleted = teams_deleted = competitions_deleted = 0
    if gone:
        conn.execute(
            text(
                "DELETE FROM feature_snapshots WHERE domain = 'matches' "
                "AND event_id IN (SELECT id FROM stage_gone)"
            )
        )
        matches_deleted = conn.execute(
            text("DELETE FROM matches WHERE id IN (SELECT id FROM stage_gone)")
        ).rowcount
        unused_team = (
            "SELECT t FROM (SELECT home_team_id AS t FROM stage_gone "
            "UNION SELECT away_team_id FROM stage_gone) g WHERE NOT EXISTS "
            "(SELECT 1 FROM matches m WHERE m.home_team_id = g.t OR m.away_team_id = g.t)"
        )
        conn.execute(text(f"DELETE FROM team_aliases WHERE team_id IN ({unused_team})"))
        teams_deleted = conn.execute(
            text(
                "DELETE FROM teams WHERE id IN (SELECT home_team_id FROM stage_gone "
                "UNION SELECT away_team_id FROM stage_gone) AND NOT EXISTS "
                "(SELECT 1 FROM team_aliases a WHERE a.team_id = teams.id)"
            )
        ).rowcount
        competitions_deleted = conn.execute(
            text(
                "DELETE FROM competitions WHERE id IN (SELECT competition_id FROM stage_gone) "
                "AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.competition_id = competitions.id)"
            )
        ).rowcount
    report = replace(
        report,
        competitions=report.competitions + Counts(deleted=competitions_deleted),
        teams=report.teams + Counts(deleted=teams_deleted),
        matches=report.matches + Counts(deleted=matches_deleted),
        odds=report.odds + Counts(deleted=odds_deleted),
        rejects=report.rejects + Counts(deleted=rejects_deleted),
    )
    if report.changed:
        features_deleted = conn.execute(
            text(
                "DELETE FROM feature_snapshots WHERE domain = 'matches' AND event_id IN "
                "(SELECT id FROM matches WHERE source = :source)"
            ),
            params,
        ).rowcount
        report = replace(report, feature_snapshots_deleted=features_deleted)
    return report


def _refuse_if_predicted(conn: Connection, source: str) -> None:
    """Raise if a stored prediction (of a matches snapshot) is of a match in ``stage_gone``."""
    predicted = (
        "FROM predicted_events p JOIN stage_gone g ON g.id = p.event_id "
        "JOIN prediction_snapshots s ON s.id = p.snapshot_id AND s.domain = 'matches' "
    )
    rows = conn.execute(
        text(
            f"SELECT p.snapshot_id, min(pub.name) AS publication {predicted}"
            "LEFT JOIN publications pub ON pub.snapshot_id = p.snapshot_id "
            "GROUP BY p.snapshot_id ORDER BY p.snapshot_id"
        )
    ).fetchall()
    if not rows:
        return
    n_matches = _scalar(conn, f"SELECT count(DISTINCT p.event_id) {predicted}")
    snapshots = ", ".join(
        f"{r.snapshot_id}" + (f" (published as '{r.publication}')" if r.publication else "")
        for r in rows
    )
    raise ReloadRefusedError(
        f"refusing to reload the {source} data: the new data lacks {n_matches} of its stored "
        f"matches that prediction snapshot{'s' if len(rows) > 1 else ''} {snapshots} predicted, "
        "and a reload never deletes published predictions; nothing was changed"
    )


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
        conn.execute(
            feature_snapshots.delete().where(
                (feature_snapshots.c.domain == "matches")
                & feature_snapshots.c.event_id.in_(match_ids)
            )
        )
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
