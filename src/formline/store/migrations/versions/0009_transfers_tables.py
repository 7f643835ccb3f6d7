"""Transfer tables: leagues, clubs with aliases, their league per season and a link to the
match data's teams, players, transfers, contracts, per-player season stats, bitemporal signal
events (confidence in [0, 1], effective_to after effective_from) and user events (issue 13; see
formline.transfers.tables).

Revision ID: 0009_transfers_tables
Revises: 0008_race_guards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_transfers_tables"
down_revision = "0008_race_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leagues",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tier IS NULL OR tier > 0", name=op.f("ck_leagues_tier_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leagues")),
        sa.UniqueConstraint("key", name="uq_leagues_key"),
    )
    op.create_table(
        "players",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=64), nullable=True),
        sa.Column("nationality", sa.String(length=100), nullable=True),
        sa.Column("identity", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "identity IN ('resolved', 'ambiguous', 'unresolved')", name=op.f("ck_players_identity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_players")),
        sa.UniqueConstraint("key", name="uq_players_key"),
    )
    op.create_index("ix_players_name", "players", ["name"], unique=False)
    op.create_table(
        "clubs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("league_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["league_id"], ["leagues.id"], name=op.f("fk_clubs_league_id_leagues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clubs")),
        sa.UniqueConstraint("key", name="uq_clubs_key"),
    )
    op.create_index("ix_clubs_team_id", "clubs", ["team_id"], unique=False)
    op.create_table(
        "club_aliases",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["clubs.id"],
            name=op.f("fk_club_aliases_club_id_clubs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_club_aliases")),
        sa.UniqueConstraint("alias", name="uq_club_aliases_alias"),
    )
    op.create_index("ix_club_aliases_club_id", "club_aliases", ["club_id"], unique=False)
    op.create_table(
        "club_seasons",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column(
            "league_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["clubs.id"],
            name=op.f("fk_club_seasons_club_id_clubs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["league_id"], ["leagues.id"], name=op.f("fk_club_seasons_league_id_leagues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_club_seasons")),
        sa.UniqueConstraint("club_id", "season", name="uq_club_seasons_club_season"),
    )
    op.create_table(
        "contracts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "player_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("starts_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "starts_on IS NULL OR expires_on > starts_on",
            name=op.f("ck_contracts_expires_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["club_id"], ["clubs.id"], name=op.f("fk_contracts_club_id_clubs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_contracts_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("player_id", "club_id", "expires_on", name="uq_contracts_natural_key"),
    )
    op.create_table(
        "player_season_stats",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "player_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("appearances", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("goals", sa.Integer(), nullable=True),
        sa.Column("assists", sa.Integer(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "appearances IS NULL OR appearances >= 0",
            name=op.f("ck_player_season_stats_appearances_non_negative"),
        ),
        sa.CheckConstraint(
            "minutes IS NULL OR minutes >= 0",
            name=op.f("ck_player_season_stats_minutes_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["clubs.id"],
            name=op.f("fk_player_season_stats_club_id_clubs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_season_stats_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_season_stats")),
        sa.UniqueConstraint(
            "player_id", "club_id", "season", name="uq_player_season_stats_natural_key"
        ),
    )
    op.create_table(
        "signal_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("player_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("signal_type", sa.String(length=64), nullable=False),
        sa.Column("value_number", sa.Float(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column(
            "value_json", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(entity_type = 'player' AND player_id IS NOT NULL AND club_id IS NULL) OR "
            "(entity_type = 'club' AND club_id IS NOT NULL AND player_id IS NULL) OR "
            "(entity_type = 'player_club' AND player_id IS NOT NULL AND club_id IS NOT NULL)",
            name=op.f("ck_signal_events_entity_ids"),
        ),
        sa.CheckConstraint(
            "entity_type IN ('player', 'club', 'player_club')",
            name=op.f("ck_signal_events_entity_type"),
        ),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1",
            name=op.f("ck_signal_events_confidence_in_unit_interval"),
        ),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to > effective_from",
            name=op.f("ck_signal_events_effective_to_after_from"),
        ),
        sa.CheckConstraint(
            "value_number IS NOT NULL OR value_text IS NOT NULL OR value_json IS NOT NULL",
            name=op.f("ck_signal_events_has_value"),
        ),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["clubs.id"],
            name=op.f("fk_signal_events_club_id_clubs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_signal_events_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_events")),
    )
    op.create_index(
        "ix_signal_events_club_id", "signal_events", ["club_id", "signal_type"], unique=False
    )
    op.create_index("ix_signal_events_observed_at", "signal_events", ["observed_at"], unique=False)
    op.create_index(
        "ix_signal_events_player_id", "signal_events", ["player_id", "signal_type"], unique=False
    )
    op.create_table(
        "transfers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column(
            "player_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "to_club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=True),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("transfer_window", sa.String(length=16), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=64), nullable=True),
        sa.Column("fee_eur", sa.Float(), nullable=True),
        sa.Column("market_value_eur", sa.Float(), nullable=True),
        sa.Column("is_loan", sa.Boolean(), nullable=False),
        sa.Column("loan_return", sa.Boolean(), nullable=False),
        sa.Column("moved_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sightings", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "transfer_window IN ('summer', 'winter')", name=op.f("ck_transfers_transfer_window")
        ),
        sa.CheckConstraint(
            "fee_eur IS NULL OR fee_eur >= 0", name=op.f("ck_transfers_fee_non_negative")
        ),
        sa.CheckConstraint(
            "from_club_id IS NULL OR to_club_id IS NULL OR from_club_id <> to_club_id",
            name=op.f("ck_transfers_distinct_clubs"),
        ),
        sa.CheckConstraint(
            "market_value_eur IS NULL OR market_value_eur >= 0",
            name=op.f("ck_transfers_market_value_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["from_club_id"], ["clubs.id"], name=op.f("fk_transfers_from_club_id_clubs")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_transfers_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_club_id"], ["clubs.id"], name=op.f("fk_transfers_to_club_id_clubs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
        sa.UniqueConstraint("key", name="uq_transfers_key"),
    )
    op.create_index("ix_transfers_from_club_id", "transfers", ["from_club_id"], unique=False)
    op.create_index("ix_transfers_observed_at", "transfers", ["observed_at"], unique=False)
    op.create_index("ix_transfers_player_id", "transfers", ["player_id"], unique=False)
    op.create_index("ix_transfers_to_club_id", "transfers", ["to_club_id"], unique=False)
    op.create_table(
        "user_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column(
            "player_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("club_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('view', 'search')", name=op.f("ck_user_events_kind")),
        sa.ForeignKeyConstraint(
            ["club_id"], ["clubs.id"], name=op.f("fk_user_events_club_id_clubs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_user_events_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_events")),
        sa.UniqueConstraint("event_id", name="uq_user_events_event_id"),
    )
    op.create_index("ix_user_events_occurred_at", "user_events", ["occurred_at"], unique=False)
    op.create_index(
        "ix_user_events_player_occurred", "user_events", ["player_id", "occurred_at"], unique=False
    )


def downgrade() -> None:
    # Children first; their indexes go with them.
    op.drop_table("user_events")
    op.drop_table("transfers")
    op.drop_table("signal_events")
    op.drop_table("player_season_stats")
    op.drop_table("contracts")
    op.drop_table("club_seasons")
    op.drop_table("club_aliases")
    op.drop_table("clubs")
    op.drop_table("players")
    op.drop_table("leagues")
