"""Racing tables: venues, races, horses, jockeys and trainers with their source aliases,
runners, race and runner results, odds and dividends (issue 12; see formline.races.tables).

Revision ID: 0006_races_tables
Revises: 0005_domain_publications
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_races_tables"
down_revision = "0005_domain_publications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "horses",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=32), nullable=True),
        sa.Column("sex", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_horses")),
        sa.UniqueConstraint("key", name="uq_horses_key"),
    )
    op.create_table(
        "jockeys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jockeys")),
        sa.UniqueConstraint("key", name="uq_jockeys_key"),
    )
    op.create_table(
        "race_venues",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_race_venues")),
        sa.UniqueConstraint("code", name="uq_race_venues_code"),
    )
    op.create_table(
        "trainers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainers")),
        sa.UniqueConstraint("key", name="uq_trainers_key"),
    )
    op.create_table(
        "horse_aliases",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("horse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["horse_id"],
            ["horses.id"],
            name=op.f("fk_horse_aliases_horse_id_horses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_horse_aliases")),
        sa.UniqueConstraint("source", "source_key", name="uq_horse_aliases_source_key"),
    )
    with op.batch_alter_table("horse_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_horse_aliases_horse_id", ["horse_id"], unique=False)

    op.create_table(
        "jockey_aliases",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column(
            "jockey_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["jockey_id"],
            ["jockeys.id"],
            name=op.f("fk_jockey_aliases_jockey_id_jockeys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jockey_aliases")),
        sa.UniqueConstraint("source", "source_key", name="uq_jockey_aliases_source_key"),
    )
    with op.batch_alter_table("jockey_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_jockey_aliases_jockey_id", ["jockey_id"], unique=False)

    op.create_table(
        "races",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("venue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("race_date", sa.String(length=10), nullable=False),
        sa.Column("race_number", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=True),
        sa.Column("course", sa.String(length=32), nullable=True),
        sa.Column("going", sa.String(length=32), nullable=True),
        sa.Column("race_class", sa.String(length=16), nullable=True),
        sa.Column("rating_band", sa.String(length=16), nullable=True),
        sa.Column("prize", sa.Float(), nullable=True),
        sa.Column("field_size", sa.Integer(), nullable=True),
        sa.Column("source_race_id", sa.String(length=64), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "surface IS NULL OR surface IN ('turf', 'all_weather')", name=op.f("ck_races_surface")
        ),
        sa.CheckConstraint("distance > 0", name=op.f("ck_races_distance_positive")),
        sa.CheckConstraint("race_number > 0", name=op.f("ck_races_race_number_positive")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["race_venues.id"], name=op.f("fk_races_venue_id_race_venues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_races")),
        sa.UniqueConstraint("venue_id", "race_date", "race_number", name="uq_races_natural_key"),
    )
    with op.batch_alter_table("races", schema=None) as batch_op:
        batch_op.create_index("ix_races_observed_at", ["observed_at"], unique=False)
        batch_op.create_index("ix_races_start_at", ["start_at"], unique=False)

    op.create_table(
        "trainer_aliases",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column(
            "trainer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["trainers.id"],
            name=op.f("fk_trainer_aliases_trainer_id_trainers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainer_aliases")),
        sa.UniqueConstraint("source", "source_key", name="uq_trainer_aliases_source_key"),
    )
    with op.batch_alter_table("trainer_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_trainer_aliases_trainer_id", ["trainer_id"], unique=False)

    op.create_table(
        "race_dividends",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("race_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pool", sa.String(length=32), nullable=False),
        sa.Column("combination", sa.String(length=64), nullable=False),
        sa.Column("dividend", sa.Float(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("dividend >= 0", name=op.f("ck_race_dividends_dividend_non_negative")),
        sa.ForeignKeyConstraint(
            ["race_id"],
            ["races.id"],
            name=op.f("fk_race_dividends_race_id_races"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_race_dividends")),
        sa.UniqueConstraint("race_id", "pool", "combination", name="uq_race_dividends_natural_key"),
    )
    op.create_table(
        "race_results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("race_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("leader_section_time_1", sa.Float(), nullable=True),
        sa.Column("leader_section_time_2", sa.Float(), nullable=True),
        sa.Column("leader_section_time_3", sa.Float(), nullable=True),
        sa.Column("leader_section_time_4", sa.Float(), nullable=True),
        sa.Column("leader_section_time_5", sa.Float(), nullable=True),
        sa.Column("leader_section_time_6", sa.Float(), nullable=True),
        sa.Column("leader_section_time_7", sa.Float(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["race_id"],
            ["races.id"],
            name=op.f("fk_race_results_race_id_races"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_race_results")),
        sa.UniqueConstraint("race_id", name="uq_race_results_race_id"),
    )
    with op.batch_alter_table("race_results", schema=None) as batch_op:
        batch_op.create_index("ix_race_results_observed_at", ["observed_at"], unique=False)

    op.create_table(
        "runners",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("race_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("horse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("saddle_number", sa.Integer(), nullable=True),
        sa.Column("draw", sa.Integer(), nullable=True),
        sa.Column("carried_weight", sa.Float(), nullable=True),
        sa.Column("declared_weight", sa.Float(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("gear", sa.String(length=64), nullable=True),
        sa.Column("horse_age", sa.Integer(), nullable=True),
        sa.Column("jockey_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "trainer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["horse_id"], ["horses.id"], name=op.f("fk_runners_horse_id_horses")
        ),
        sa.ForeignKeyConstraint(
            ["jockey_id"], ["jockeys.id"], name=op.f("fk_runners_jockey_id_jockeys")
        ),
        sa.ForeignKeyConstraint(
            ["race_id"], ["races.id"], name=op.f("fk_runners_race_id_races"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["trainers.id"], name=op.f("fk_runners_trainer_id_trainers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runners")),
        sa.UniqueConstraint("race_id", "horse_id", name="uq_runners_natural_key"),
    )
    with op.batch_alter_table("runners", schema=None) as batch_op:
        batch_op.create_index("ix_runners_horse_id", ["horse_id"], unique=False)
        batch_op.create_index("ix_runners_jockey_id", ["jockey_id"], unique=False)
        batch_op.create_index("ix_runners_observed_at", ["observed_at"], unique=False)
        batch_op.create_index("ix_runners_trainer_id", ["trainer_id"], unique=False)

    op.create_table(
        "race_odds",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "runner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("market", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('opening', 'final')", name=op.f("ck_race_odds_kind")),
        sa.CheckConstraint("market IN ('win', 'place')", name=op.f("ck_race_odds_market")),
        sa.CheckConstraint("value >= 1", name=op.f("ck_race_odds_value_at_least_one")),
        sa.ForeignKeyConstraint(
            ["runner_id"],
            ["runners.id"],
            name=op.f("fk_race_odds_runner_id_runners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_race_odds")),
        sa.UniqueConstraint("runner_id", "market", "kind", name="uq_race_odds_natural_key"),
    )
    with op.batch_alter_table("race_odds", schema=None) as batch_op:
        batch_op.create_index("ix_race_odds_observed_at", ["observed_at"], unique=False)

    op.create_table(
        "runner_results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "runner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result_code", sa.String(length=16), nullable=True),
        sa.Column("finish_position", sa.Integer(), nullable=True),
        sa.Column("dead_heat", sa.Boolean(), nullable=False),
        sa.Column("lengths_behind", sa.Float(), nullable=True),
        sa.Column("position_1", sa.Integer(), nullable=True),
        sa.Column("position_2", sa.Integer(), nullable=True),
        sa.Column("position_3", sa.Integer(), nullable=True),
        sa.Column("position_4", sa.Integer(), nullable=True),
        sa.Column("position_5", sa.Integer(), nullable=True),
        sa.Column("position_6", sa.Integer(), nullable=True),
        sa.Column("behind_1", sa.Float(), nullable=True),
        sa.Column("behind_2", sa.Float(), nullable=True),
        sa.Column("behind_3", sa.Float(), nullable=True),
        sa.Column("behind_4", sa.Float(), nullable=True),
        sa.Column("behind_5", sa.Float(), nullable=True),
        sa.Column("behind_6", sa.Float(), nullable=True),
        sa.Column("section_time_1", sa.Float(), nullable=True),
        sa.Column("section_time_2", sa.Float(), nullable=True),
        sa.Column("section_time_3", sa.Float(), nullable=True),
        sa.Column("section_time_4", sa.Float(), nullable=True),
        sa.Column("section_time_5", sa.Float(), nullable=True),
        sa.Column("section_time_6", sa.Float(), nullable=True),
        sa.Column("finish_time", sa.Float(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'finished') = (finish_position IS NOT NULL)",
            name=op.f("ck_runner_results_position_iff_finished"),
        ),
        sa.CheckConstraint(
            "status IN ('finished', 'withdrawn', 'pulled_up', 'unseated', 'fell', "
            "'did_not_finish', 'took_no_part')",
            name=op.f("ck_runner_results_status"),
        ),
        sa.CheckConstraint(
            "finish_position IS NULL OR finish_position > 0",
            name=op.f("ck_runner_results_position_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"],
            ["runners.id"],
            name=op.f("fk_runner_results_runner_id_runners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runner_results")),
        sa.UniqueConstraint("runner_id", name="uq_runner_results_runner_id"),
    )
    with op.batch_alter_table("runner_results", schema=None) as batch_op:
        batch_op.create_index("ix_runner_results_observed_at", ["observed_at"], unique=False)


def downgrade() -> None:
    # Children first; their indexes go with them.
    op.drop_table("runner_results")
    op.drop_table("race_odds")
    op.drop_table("runners")
    op.drop_table("race_results")
    op.drop_table("race_dividends")
    op.drop_table("trainer_aliases")
    op.drop_table("races")
    op.drop_table("jockey_aliases")
    op.drop_table("horse_aliases")
    op.drop_table("trainers")
    op.drop_table("race_venues")
    op.drop_table("jockeys")
    op.drop_table("horses")
