"""``ingest:us-sports``: the US-sports files (NFL, NBA, MLB, NHL) into the matches tables.

Each file is read by its layout (:func:`formline.matches.sources.us.read_us_sports`), its games
are matched to the stored ones and to each other (:mod:`formline.matches.us_games`: the match
key, the preferred source, the times), and everything goes in through the matches domain's
staged writer (:func:`formline.matches.store.staged_load`) in one transaction: competitions
``NFL``/``NBA``/``MLB``/``NHL``, a team per franchise with an alias per source spelling,
matches (scores in the goal columns), their moneyline, spread and total lines in ``odds``, the
rejects in ``ingest_rejects``, and FiveThirtyEight's forecasts in ``reference_forecasts``.
Upserts are by natural key, so a rerun changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from formline.errors import DataError
from formline.matches.ingest import format_rejects
from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us import UsFileRead, read_us_sports
from formline.matches.store import MatchLoadReport, merge_rows, staged_load
from formline.matches.us_games import ANCHOR_COLUMNS, FORECAST_STAGE, US_SPORTS, plan_us_load
from formline.pipeline.progress import NoProgress, Progress
from formline.store.db import Store
from formline.store.load_report import Counts
from formline.store.staging import now_param, stage

log = logging.getLogger(__name__)

__all__ = ["UsIngestResult", "UsLoadReport", "ingest_us_sports", "stored_us_games"]


@dataclass(frozen=True)
class UsLoadReport:
    """What a US-sports load changed, per table (the staged writer's, the aliases and the
    reference forecasts)."""

    load: MatchLoadReport
    team_aliases: Counts = field(default_factory=Counts)
    reference_forecasts: Counts = field(default_factory=Counts)
    #: Forecasts whose game is not in the store (none: every forecast's game is loaded too).
    forecasts_unmatched: int = 0

    @property
    def tables(self) -> dict[str, Counts]:
        """The counts of every table, by name."""
        t = self.load.tables
        return {
            "competitions": t["competitions"],
            "teams": t["teams"],
            "team_aliases": self.team_aliases,
            "matches": t["matches"],
            "odds": t["odds"],
            "reference_forecasts": self.reference_forecasts,
            "rejects": t["rejects"],
        }

    @property
    def odds_unmatched(self) -> int:
        """Lines whose match is not in the store (not stored)."""
        odds_unmatched: int = self.load.odds_unmatched
        return odds_unmatched

    @property
    def notes(self) -> list[str]:
        """The staged writer's notes, and forecasts whose game is not in the store."""
        notes = list(self.load.notes)
        if self.forecasts_unmatched:
            notes.append(
                f"{self.forecasts_unmatched} forecasts name a game the store does not have "
                "(not stored)"
            )
        return notes

    @property
    def changed(self) -> bool:
        """Whether the load changed anything at all."""
        return any(c.changed for c in self.tables.values())


@dataclass
class UsIngestResult:
    """What ``ingest:us-sports`` did: the counts, the files as read, rejects and notes."""

    report: UsLoadReport
    reads: list[UsFileRead]
    games: int = 0
    rejects: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def stored_us_games(conn: Connection) -> pd.DataFrame:
    """Every stored US match (columns :data:`~formline.matches.us_games.ANCHOR_COLUMNS`,
    teams by their franchise name)."""
    sports = ", ".join(f"'{s}'" for s in US_SPORTS)
    rows = conn.execute(
        text(
            "SELECT m.sport, c.code AS competition, m.season, h.name AS home, a.name AS away, "
            "m.fixture_key, m.kickoff_at, m.home_goals AS home_score, "
            "m.away_goals AS away_score, m.source FROM matches m "
            "JOIN competitions c ON c.id = m.competition_id "
            "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id "
            f"WHERE m.sport IN ({sports})"
        )
    ).fetchall()
    frame = pd.DataFrame(rows, columns=ANCHOR_COLUMNS)
    kickoff = pd.to_datetime(frame["kickoff_at"], utc=True).dt.tz_localize(None)
    frame["kickoff_at"] = kickoff.astype("datetime64[us]")
    for side in ("home_score", "away_score"):
        frame[side] = frame[side].astype("Int64")
    return frame


def _upsert_aliases(conn: Connection, aliases: pd.DataFrame) -> tuple[Counts, list[str]]:
    """Map every source spelling onto its franchise's team; an alias that already names
    another team is left as it is (and reported)."""
    columns = {"sport": "text", "alias": "text", "team": "text", "source": "text"}
    total = stage(conn, "stage_us_aliases", columns, aliases)
    inserted = conn.execute(
        text(
            "INSERT INTO team_aliases (sport, alias, team_id, source, created_at) "
            "SELECT s.sport, s.alias, t.id, s.source, :now FROM stage_us_aliases s "
            "JOIN teams t ON t.sport = s.sport AND t.name = s.team WHERE NOT EXISTS "
            "(SELECT 1 FROM team_aliases a WHERE a.sport = s.sport AND a.alias = s.alias) "
            "ON CONFLICT DO NOTHING"
        ),
        {"now": now_param(conn.dialect.name)},
    ).rowcount
    clashes = conn.execute(
        text(
            "SELECT s.sport, s.alias, s.team, o.name FROM stage_us_aliases s "
            "JOIN team_aliases a ON a.sport = s.sport AND a.alias = s.alias "
            "JOIN teams o ON o.id = a.team_id WHERE o.name <> s.team ORDER BY 1, 2"
        )
    ).fetchall()
    notes = [
        f"{sport}: the alias '{alias}' names '{other}', not '{team}': left as it is"
        for sport, alias, team, other in clashes
    ]
    return Counts(inserted=inserted, unchanged=total - inserted - len(clashes)), notes


_FORECAST_VALUES = [
    "p_home",
    "p_away",
    "p_draw",
    "rating_home_pre",
    "rating_away_pre",
    "rating_home_post",
    "rating_away_post",
    "observed_at",
    "source",
    "source_file",
    "source_line",
]


def _upsert_forecasts(conn: Connection, forecasts: pd.DataFrame) -> tuple[Counts, int]:
    """Upsert the reference forecasts onto their stored matches by (match, forecaster)."""
    total = stage(conn, "stage_us_forecasts", FORECAST_STAGE, forecasts)
    values = ", ".join(f's."{c}"' for c in _FORECAST_VALUES)
    source_sql = (
        f"SELECT m.id AS match_id, s.forecaster, {values} FROM stage_us_forecasts s "
        "JOIN competitions c ON c.sport = s.sport AND c.code = s.competition "
        "JOIN teams h ON h.sport = s.sport AND h.name = s.home_team "
        "JOIN teams a ON a.sport = s.sport AND a.name = s.away_team "
        "JOIN matches m ON m.competition_id = c.id AND m.season = s.season "
        "AND m.home_team_id = h.id AND m.away_team_id = a.id AND m.fixture_key = s.fixture_key"
    )
    resolved = int(conn.execute(text(f"SELECT count(*) FROM ({source_sql}) AS r")).scalar_one())
    counts = merge_rows(
        conn,
        "reference_forecasts",
        source_sql,
        ["match_id", "forecaster"],
        _FORECAST_VALUES,
        resolved,
    )
    return counts, total - resolved


def ingest_us_sports(
    store: Store,
    paths: list[Path],
    *,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> UsIngestResult:
    """Load US-sports files (or folders of them) in one transaction (see the module).

    Raises
    ------
    SourceError
        If a path does not exist, a file's layout is not recognised or a file passes a limit;
        nothing is written then.
    DataError
        If the paths hold no file.
    """
    # No refusal beside the football demo world (as ingest:football-data has): the football
    # features, frames and models read football only (formline.matches.frames.SERVED_SPORTS).
    progress = progress or NoProgress()
    progress.start("reading files", None)
    reads = read_us_sports(paths, limits)
    progress.finish("reading files")
    if not reads:
        raise DataError(f"no CSV files found in {', '.join(str(p) for p in paths)}")
    for read in reads:
        log.info("%s", read.describe())
    progress.start("writing to the store", None)
    with staged_load(store, "loading US-sports games") as load:
        plan = plan_us_load(reads, stored_us_games(load.conn))
        load.add(plan.batch)
        written = load.write()
        alias_counts, clashes = _upsert_aliases(load.conn, plan.aliases)
        forecast_counts, unmatched = _upsert_forecasts(load.conn, plan.forecasts)
        rejects = load.rejects()
    progress.finish("writing to the store")
    return UsIngestResult(
        UsLoadReport(written, alias_counts, forecast_counts, unmatched),
        reads,
        plan.games,
        format_rejects(rejects),
        [*plan.notes, *clashes],
    )
