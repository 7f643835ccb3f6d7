"""reliability: job run owners, heartbeats and details; model versions linked to their run

Revision ID: 0003_reliability
Revises: 0003_serving
Create Date: 2026-12-02

``job_runs`` gains ``detail`` (what a step did, or why it was skipped), its owner (``host``,
``pid``) and ``heartbeat_at``, and the status ``aborted`` (an interrupted run);
``model_versions`` gains ``job_run_id``, so that a training run that died is found and failed
with its run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_reliability"
down_revision = "0003_serving"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_OLD_STATUSES = "status IN ('running', 'succeeded', 'failed', 'skipped')"
_NEW_STATUSES = "status IN ('running', 'succeeded', 'failed', 'skipped', 'aborted')"


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", _TS, nullable=True))
        batch_op.drop_constraint(op.f("ck_job_runs_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_status"), sa.text(_NEW_STATUSES))
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_run_id", _ID, nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_model_versions_job_run_id_job_runs"), "job_runs", ["job_run_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_model_versions_job_run_id_job_runs"), type_="foreignkey")
        batch_op.drop_column("job_run_id")
    op.execute("UPDATE job_runs SET status = 'failed' WHERE status = 'aborted'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_status"), sa.text(_OLD_STATUSES))
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
        batch_op.drop_column("detail")
