"""Season simulation snapshots: one immutable row per simulated season as of an instant, one per
team (expected points, P(title), P(top), P(relegation), the distribution of final positions),
and a publication pointer per (domain, competition) (issue 14 §4; see
formline.store.simulations).

Revision ID: 0012_simulation_snapshots
Revises: 0011_backfill_partitions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_simulation_snapshots"
down_revision = "0011_backfill_partitions"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "simulation_snapshots",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("competition", sa.String(length=64), nullable=False),
        sa.Column("season", sa.String(length=16), nullable=False),
        sa.Column("as_of", _TS, nullable=False),
        sa.Column("models_key", sa.String(length=200), nullable=False),
        sa.Column("models", _JSON, nullable=False),
        sa.Column("n_sims", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("draws", sa.String(length=16), nullable=False),
        sa.Column("top", sa.Integer(), nullable=False),
        sa.Column("relegated", sa.Integer(), nullable=False),
        sa.Column("points_label", sa.String(length=32), nullable=False),
        sa.Column("n_teams", sa.Integer(), nullable=False),
        sa.Column("n_played", sa.Integer(), nullable=False),
        sa.Column("n_remaining", sa.Integer(), nullable=False),
        sa.Column("simplifications", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint("n_sims > 0", name=op.f("ck_simulation_snapshots_n_sims_positive")),
        sa.CheckConstraint(
            "draws IN ('score_grids', 'outcomes')", name=op.f("ck_simulation_snapshots_draws")
        ),
        sa.CheckConstraint(
            "relegated >= 0 AND top > 0", name=op.f("ck_simulation_snapshots_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulation_snapshots")),
        sa.UniqueConstraint(
            "domain",
            "competition",
            "season",
            "as_of",
            "models_key",
            "n_sims",
            "seed",
            "top",
            "relegated",
            name="uq_simulation_snapshots_natural_key",
        ),
    )
    op.create_table(
        "simulation_teams",
        sa.Column("simulation_id", _ID, nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("expected_points", sa.Float(), nullable=False),
        sa.Column("p_title", sa.Float(), nullable=False),
        sa.Column("p_top", sa.Float(), nullable=False),
        sa.Column("p_relegation", sa.Float(), nullable=True),
        sa.Column("positions", _JSON, nullable=False),
        sa.CheckConstraint(
            "p_title BETWEEN 0 AND 1 AND p_top BETWEEN 0 AND 1",
            name=op.f("ck_simulation_teams_probabilities"),
        ),
        sa.CheckConstraint(
            "p_relegation IS NULL OR p_relegation BETWEEN 0 AND 1",
            name=op.f("ck_simulation_teams_p_relegation_range"),
        ),
        sa.ForeignKeyConstraint(
            ["simulation_id"],
            ["simulation_snapshots.id"],
            name=op.f("fk_simulation_teams_simulation_id_simulation_snapshots"),
        ),
        sa.PrimaryKeyConstraint("simulation_id", "team", name=op.f("pk_simulation_teams")),
    )
    op.create_table(
        "simulation_publications",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("competition", sa.String(length=64), nullable=False),
        sa.Column("simulation_id", _ID, nullable=False),
        sa.Column("published_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["simulation_id"],
            ["simulation_snapshots.id"],
            name=op.f("fk_simulation_publications_simulation_id_simulation_snapshots"),
        ),
        sa.PrimaryKeyConstraint("domain", "competition", name=op.f("pk_simulation_publications")),
    )


def downgrade() -> None:
    op.drop_table("simulation_publications")
    op.drop_table("simulation_teams")
    op.drop_table("simulation_snapshots")
