"""The store's tables (SQLAlchemy Core). The Alembic migrations create exactly these.

Every fact row carries ``observed_at``: when formline may consider it known, as opposed to when
the event happened. Features are defined by ``observed_at`` only (see docs/as-of.md).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from formline.store.types import UTCDateTime

# JSONB on PostgreSQL (comparable, indexable); JSON text elsewhere.
_Json = JSON().with_variant(JSONB(), "postgresql")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Integer primary keys that autoincrement on both SQLite and PostgreSQL.
_Id = BigInteger().with_variant(Integer(), "sqlite")

competitions = Table(
    "competitions",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("sport", String(32), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("country", String(100)),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("sport", "code", name="uq_competitions_sport_code"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("sport", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("sport", "name", name="uq_teams_sport_name"),
)

team_aliases = Table(
    "team_aliases",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("sport", String(32), nullable=False),
    Column("alias", String(200), nullable=False),
    Column("team_id", _Id, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("sport", "alias", name="uq_team_aliases_sport_alias"),
)

_side_stats = [
    Column(f"{side}_{stat}", Integer)
    for stat in ("shots", "shots_on_target", "corners", "fouls", "yellow_cards", "red_cards")
    for side in ("home", "away")
]

matches = Table(
    "matches",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("sport", String(32), nullable=False),
    Column("competition_id", _Id, ForeignKey("competitions.id"), nullable=False),
    Column("season", String(16), nullable=False),
    Column("kickoff_at", UTCDateTime(), nullable=False),
    Column("home_team_id", _Id, ForeignKey("teams.id"), nullable=False),
    Column("away_team_id", _Id, ForeignKey("teams.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("home_goals", Integer),
    Column("away_goals", Integer),
    Column("home_ht_goals", Integer),
    Column("away_ht_goals", Integer),
    *_side_stats,
    Column("home_xg", Float),
    Column("away_xg", Float),
    # When the result and stats became known; NULL until the match is finished.
    Column("observed_at", UTCDateTime()),
    Column("source", String(64), nullable=False),
    Column("source_file", Text),
    Column("source_line", Integer),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint(
        "competition_id", "season", "home_team_id", "away_team_id", name="uq_matches_natural_key"
    ),
    CheckConstraint("status IN ('scheduled', 'finished', 'postponed', 'cancelled')", name="status"),
    CheckConstraint("home_team_id <> away_team_id", name="distinct_teams"),
    CheckConstraint(
        "(home_goals IS NULL OR home_goals >= 0) AND (away_goals IS NULL OR away_goals >= 0)",
        name="goals_non_negative",
    ),
    Index("ix_matches_kickoff_at", "kickoff_at"),
    Index("ix_matches_observed_at", "observed_at"),
)

odds = Table(
    "odds",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("match_id", _Id, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False),
    Column("bookmaker", String(64), nullable=False),
    Column("market", String(32), nullable=False),
    Column("selection", String(16), nullable=False),
    Column("line", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("price", Float, nullable=False),
    Column("captured_at", UTCDateTime(), nullable=False),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint(
        "match_id", "bookmaker", "market", "selection", "line", "kind", name="uq_odds_natural_key"
    ),
    CheckConstraint("price > 1", name="price_above_one"),
    CheckConstraint("kind IN ('opening', 'closing')", name="kind"),
    CheckConstraint("market IN ('1x2', 'over_under', 'asian_handicap')", name="market"),
    Index("ix_odds_observed_at", "observed_at"),
)

ingest_rejects = Table(
    "ingest_rejects",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("source_file", Text, nullable=False),
    Column("source_line", Integer, nullable=False),
    Column("column", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("source_file", "source_line", "column", name="uq_ingest_rejects_location"),
)

feature_snapshots = Table(
    "feature_snapshots",
    metadata,
    Column("match_id", _Id, ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True),
    # The cutoff the features are true as of: min(kickoff_at, as_of of the build).
    Column("as_of", UTCDateTime(), primary_key=True),
    # The feature set's schema hash (see formline.matches.features.FEATURE_SET_VERSION).
    Column("feature_version", String(32), primary_key=True),
    Column("features", _Json, nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
)

feature_builds = Table(
    "feature_builds",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("feature_version", String(32), nullable=False),
    Column("feature_names", _Json, nullable=False),
    Column("n_matches", Integer, nullable=False),
    Column("n_written", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
