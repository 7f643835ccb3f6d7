"""The matches domain's tables: competitions, teams and their aliases, matches, odds and the
reference forecasts.

They live on the store's one ``metadata`` (formline.store.tables), so the Alembic migrations see
them.

The shared tables that hold a match's rows (``feature_snapshots``, ``predicted_events`` and
``predictions``) name it by ``event_id`` in the domain ``matches``, without a foreign key. The
guards a foreign key gave are this domain's own DDL, triggers created by
migration 0004_long_predictions (on SQLite and PostgreSQL alike):

* ``matches_keep_predicted`` (BEFORE DELETE) refuses deleting a match that a row of
  ``predicted_events`` of a snapshot of domain ``matches`` names: a stored prediction never
  loses its match (the ingest refuses such a reload first, with ReloadRefusedError; any other
  delete fails with StoreError).
* ``matches_delete_feature_snapshots`` (AFTER DELETE) deletes the match's feature snapshots of
  domain ``matches``, as the old ``ON DELETE CASCADE`` did.
* ``predicted_events_match_exists`` (BEFORE INSERT on ``predicted_events``) refuses a
  prediction of a ``matches`` snapshot whose ``event_id`` is no match, as the old foreign key
  did.

A later migration that rebuilds ``matches`` (a SQLite batch migration copies the table) must
create both triggers again.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from formline.store.tables import Id, metadata
from formline.store.types import UTCDateTime

competitions = Table(
    "competitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
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
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sport", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("sport", "name", name="uq_teams_sport_name"),
)

team_aliases = Table(
    "team_aliases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sport", String(32), nullable=False),
    Column("alias", String(200), nullable=False),
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
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
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sport", String(32), nullable=False),
    Column("competition_id", Id, ForeignKey("competitions.id"), nullable=False),
    Column("season", String(16), nullable=False),
    # What tells apart the fixtures of one season between the same home and away sides: ""
    # in football (one fixture per ordered pair), "YYYY-MM-DD#n" in the US sports (the day the
    # game was first stored under and its number that day; see formline.matches.us_ingest).
    Column("fixture_key", String(32), nullable=False, server_default=""),
    Column("kickoff_at", UTCDateTime(), nullable=False),
    Column("home_team_id", Id, ForeignKey("teams.id"), nullable=False),
    Column("away_team_id", Id, ForeignKey("teams.id"), nullable=False),
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
        "competition_id",
        "season",
        "home_team_id",
        "away_team_id",
        "fixture_key",
        name="uq_matches_natural_key",
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

#: ``odds.bookmaker`` values that summarise many books rather than name one: football-data's
#: best price (``Max``, ``BbMx``) and average price (``Avg``, ``BbAv``). No one can bet at them
#: (the best price of each outcome comes from different books, above any one book's line), so a
#: value bet is never priced with them.
AGGREGATE_BOOKMAKERS = ("market_max", "market_avg")

odds = Table(
    "odds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("match_id", Id, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False),
    Column("bookmaker", String(64), nullable=False),
    Column("market", String(32), nullable=False),
    Column("selection", String(16), nullable=False),
    Column("line", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    # NULL for a line quoted without its price (spreadspoke's and SBR's NBA spreads and totals).
    Column("price", Float),
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
    CheckConstraint(
        "market IN ('1x2', 'over_under', 'asian_handicap', 'moneyline', 'spread', 'total')",
        name="market",
    ),
    Index("ix_odds_observed_at", "observed_at"),
)

#: A published forecaster's pre-game probabilities of a stored match (FiveThirtyEight's Elo),
#: kept beside the models so a report can score both on the same games; never a feature.
#: ``observed_at`` is when the forecast was known (before the match: its kickoff).
reference_forecasts = Table(
    "reference_forecasts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("match_id", Id, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False),
    Column("forecaster", String(64), nullable=False),
    Column("p_home", Float, nullable=False),
    Column("p_away", Float, nullable=False),
    Column("p_draw", Float),
    Column("rating_home_pre", Float),
    Column("rating_away_pre", Float),
    Column("rating_home_post", Float),
    Column("rating_away_post", Float),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    Column("source_file", Text),
    Column("source_line", Integer),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("match_id", "forecaster", name="uq_reference_forecasts_natural_key"),
    CheckConstraint(
        "p_home >= 0 AND p_home <= 1 AND p_away >= 0 AND p_away <= 1 "
        "AND (p_draw IS NULL OR (p_draw >= 0 AND p_draw <= 1))",
        name="probabilities",
    ),
    Index("ix_reference_forecasts_observed_at", "observed_at"),
)
