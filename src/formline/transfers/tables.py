"""The transfer tables: leagues, clubs (with aliases, their league per season and a link to the
store's ``teams`` where the same club plays in the match data), players, transfers, contracts,
per-player season stats, bitemporal signal events and user events.

They live on the store's one ``metadata`` (formline.store.tables), so the Alembic migrations see
them; migration 0009_transfers_tables creates them.

Point in time
-------------
* ``transfers.observed_at``: when the move was known, the source's date where it gives one,
  else the close of its window (see :mod:`formline.transfers.identity`).
* ``signal_events`` are bitemporal: ``observed_at`` is when formline learned the value,
  ``[effective_from, effective_to)`` when it holds. A feature as of ``T`` counts a signal only if
  ``observed_at <= T`` and ``effective_from <= T < effective_to`` (``effective_to`` NULL: open).
* ``user_events.occurred_at``: when the user viewed or searched (the input of derived signals).

A player's and a club's own columns (position, nationality, league) are the latest the sources
give, not values as of a time: a feature as of ``T`` takes them from the transfers and club
seasons before ``T``.

Natural keys are the ``key`` columns (see :mod:`formline.transfers.frames`); a load upserts by
them, so loading the same files twice changes nothing.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

from formline.store.tables import Id, Json, metadata
from formline.store.types import UTCDateTime
from formline.transfers.frames import IDENTITIES, WINDOWS

#: What a signal is about; a ``player_club`` signal names both.
SIGNAL_ENTITIES = ("player", "club", "player_club")
USER_EVENT_KINDS = ("view", "search")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _stamps() -> list[Column[object]]:
    return [
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    ]


def _provenance() -> list[Column[object]]:
    return [
        Column("source", String(64), nullable=False),
        Column("source_file", Text),
        Column("source_line", Integer),
    ]


leagues = Table(
    "leagues",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("country", String(100)),
    Column("tier", Integer),
    *_stamps(),
    UniqueConstraint("key", name="uq_leagues_key"),
    CheckConstraint("tier IS NULL OR tier > 0", name="tier_positive"),
)

clubs = Table(
    "clubs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("country", String(100)),
    Column("league_id", Id, ForeignKey("leagues.id")),
    # The same club in the match data's ``teams``, where it is there (formline.transfers.store
    # links them). No foreign key: ``teams`` is another domain's table, and these tables must
    # register without it (as feature_snapshots name their events).
    Column("team_id", Id),
    *_stamps(),
    UniqueConstraint("key", name="uq_clubs_key"),
    Index("ix_clubs_team_id", "team_id"),
)

club_aliases = Table(
    "club_aliases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alias", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("club_id", Id, ForeignKey("clubs.id", ondelete="CASCADE"), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("alias", name="uq_club_aliases_alias"),
    Index("ix_club_aliases_club_id", "club_id"),
)

club_seasons = Table(
    "club_seasons",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("club_id", Id, ForeignKey("clubs.id", ondelete="CASCADE"), nullable=False),
    Column("season", Integer, nullable=False),
    Column("league_id", Id, ForeignKey("leagues.id"), nullable=False),
    *_stamps(),
    UniqueConstraint("club_id", "season", name="uq_club_seasons_club_season"),
)

players = Table(
    "players",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(240), nullable=False),
    Column("name", String(200), nullable=False),
    Column("birth_year", Integer),
    Column("position", String(64)),
    Column("nationality", String(100)),
    Column("identity", String(16), nullable=False),
    *_stamps(),
    UniqueConstraint("key", name="uq_players_key"),
    CheckConstraint(_one_of("identity", IDENTITIES), name="identity"),
    Index("ix_players_name", "name"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(600), nullable=False),
    Column("player_id", Id, ForeignKey("players.id", ondelete="CASCADE"), nullable=False),
    Column("from_club_id", Id, ForeignKey("clubs.id")),
    Column("to_club_id", Id, ForeignKey("clubs.id")),
    Column("from_status", String(32)),
    Column("to_status", String(32)),
    Column("season", Integer, nullable=False),
    Column("transfer_window", String(16), nullable=False),
    Column("age", Integer),
    Column("position", String(64)),
    Column("fee_eur", Float),
    Column("market_value_eur", Float),
    Column("is_loan", Boolean(), nullable=False),
    Column("loan_return", Boolean(), nullable=False),
    Column("moved_on", UTCDateTime()),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("sightings", Integer, nullable=False),
    *_provenance(),
    *_stamps(),
    UniqueConstraint("key", name="uq_transfers_key"),
    CheckConstraint(_one_of("transfer_window", WINDOWS), name="transfer_window"),
    CheckConstraint("fee_eur IS NULL OR fee_eur >= 0", name="fee_non_negative"),
    CheckConstraint(
        "market_value_eur IS NULL OR market_value_eur >= 0", name="market_value_non_negative"
    ),
    CheckConstraint(
        "from_club_id IS NULL OR to_club_id IS NULL OR from_club_id <> to_club_id",
        name="distinct_clubs",
    ),
    Index("ix_transfers_player_id", "player_id"),
    Index("ix_transfers_from_club_id", "from_club_id"),
    Index("ix_transfers_to_club_id", "to_club_id"),
    Index("ix_transfers_observed_at", "observed_at"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("player_id", Id, ForeignKey("players.id", ondelete="CASCADE"), nullable=False),
    Column("club_id", Id, ForeignKey("clubs.id", ondelete="CASCADE"), nullable=False),
    Column("starts_on", UTCDateTime()),
    Column("expires_on", UTCDateTime(), nullable=False),
    Column("observed_at", UTCDateTime(), nullable=False),
    *_provenance(),
    *_stamps(),
    UniqueConstraint("player_id", "club_id", "expires_on", name="uq_contracts_natural_key"),
    CheckConstraint("starts_on IS NULL OR expires_on > starts_on", name="expires_after_start"),
)

player_season_stats = Table(
    "player_season_stats",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("player_id", Id, ForeignKey("players.id", ondelete="CASCADE"), nullable=False),
    Column("club_id", Id, ForeignKey("clubs.id", ondelete="CASCADE"), nullable=False),
    Column("season", Integer, nullable=False),
    Column("appearances", Integer),
    Column("minutes", Integer),
    Column("goals", Integer),
    Column("assists", Integer),
    Column("observed_at", UTCDateTime(), nullable=False),
    *_provenance(),
    *_stamps(),
    UniqueConstraint("player_id", "club_id", "season", name="uq_player_season_stats_natural_key"),
    CheckConstraint("appearances IS NULL OR appearances >= 0", name="appearances_non_negative"),
    CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_non_negative"),
)

signal_events = Table(
    "signal_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entity_type", String(16), nullable=False),
    Column("player_id", Id, ForeignKey("players.id", ondelete="CASCADE")),
    Column("club_id", Id, ForeignKey("clubs.id", ondelete="CASCADE")),
    Column("signal_type", String(64), nullable=False),
    Column("value_number", Float),
    Column("value_text", Text),
    Column("value_json", Json),
    Column("source", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("effective_from", UTCDateTime(), nullable=False),
    Column("effective_to", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_one_of("entity_type", SIGNAL_ENTITIES), name="entity_type"),
    CheckConstraint(
        "(entity_type = 'player' AND player_id IS NOT NULL AND club_id IS NULL) OR "
        "(entity_type = 'club' AND club_id IS NOT NULL AND player_id IS NULL) OR "
        "(entity_type = 'player_club' AND player_id IS NOT NULL AND club_id IS NOT NULL)",
        name="entity_ids",
    ),
    CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_in_unit_interval"),
    CheckConstraint(
        "effective_to IS NULL OR effective_to > effective_from", name="effective_to_after_from"
    ),
    CheckConstraint(
        "value_number IS NOT NULL OR value_text IS NOT NULL OR value_json IS NOT NULL",
        name="has_value",
    ),
    Index("ix_signal_events_player_id", "player_id", "signal_type"),
    Index("ix_signal_events_club_id", "club_id", "signal_type"),
    Index("ix_signal_events_observed_at", "observed_at"),
)

user_events = Table(
    "user_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("player_id", Id, ForeignKey("players.id", ondelete="CASCADE"), nullable=False),
    Column("club_id", Id, ForeignKey("clubs.id", ondelete="CASCADE")),
    Column("kind", String(16), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("event_id", name="uq_user_events_event_id"),
    CheckConstraint(_one_of("kind", USER_EVENT_KINDS), name="kind"),
    Index("ix_user_events_player_occurred", "player_id", "occurred_at"),
    Index("ix_user_events_occurred_at", "occurred_at"),
)

#: Every transfer table, parents first (the order a load writes them in).
TRANSFER_TABLES = (
    leagues,
    clubs,
    club_aliases,
    club_seasons,
    players,
    transfers,
    contracts,
    player_season_stats,
    signal_events,
    user_events,
)
