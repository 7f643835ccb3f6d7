"""backfill watermarks: one row per (source, competition, period) of a backfill

Revision ID: 0011_backfill_partitions
Revises: 0010_us_sports_matches
Create Date: 2026-12-07

``backfill_partitions`` records each partition a backfill loaded (``done``: its rows, rejects,
the SHA-256 of the payload and when it was fetched) or could not (``failed``: why), so that
``backfill --resume`` fetches only what is missing (see formline.store.backfill).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_backfill_partitions"
down_revision = "0010_us_sports_matches"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backfill_partitions",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("competition", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("rejects", sa.Integer(), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", _TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('done', 'failed')", name=op.f("ck_backfill_partitions_status")
        ),
        sa.PrimaryKeyConstraint(
            "source", "competition", "period", name=op.f("pk_backfill_partitions")
        ),
    )


def downgrade() -> None:
    op.drop_table("backfill_partitions")
