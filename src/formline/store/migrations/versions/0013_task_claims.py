"""Task claims: a distributed step delivered twice runs once

Revision ID: 0013_task_claims
Revises: 0012_simulation_snapshots
Create Date: 2026-12-07

* ``task_claims``: one row per distributed step, domain, partition and ``as_of`` (see
  formline.store.claims); its primary key makes the claiming insert of a second delivery do
  nothing, so the store, not a check-then-act race, decides which delivery runs.
* ``job_runs.status`` takes ``duplicate``: the record of a delivery that found its step claimed.

The downgrade drops the claims and records the duplicates as ``skipped``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_task_claims"
down_revision = "0012_simulation_snapshots"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_OLD_STATUSES = "status IN ('running', 'succeeded', 'failed', 'skipped', 'aborted')"
_NEW_STATUSES = "status IN ('running', 'succeeded', 'failed', 'skipped', 'aborted', 'duplicate')"


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_status"), sa.text(_NEW_STATUSES))
    op.create_table(
        "task_claims",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("partition", sa.String(length=128), nullable=False),
        sa.Column("as_of", _TS, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_run_id", _ID, nullable=False),
        sa.Column("result", _JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_task_claims_status")
        ),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_runs.id"], name=op.f("fk_task_claims_job_run_id_job_runs")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_task_claims")),
    )


def downgrade() -> None:
    op.drop_table("task_claims")
    op.execute("UPDATE job_runs SET status = 'skipped' WHERE status = 'duplicate'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_status"), sa.text(_OLD_STATUSES))
