"""models, predictions and jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

The model registry (``model_versions``) and its append-only promotion ledger
(``model_promotions``, guarded by triggers that refuse UPDATE, DELETE and, on PostgreSQL,
TRUNCATE), prediction snapshots with their rows and the published-snapshot pointer, and the job
run log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)
_DEPLOYED = sa.text("status = 'deployed'")

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER model_promotions_no_{verb.lower()} BEFORE {verb} ON model_promotions "
    "BEGIN SELECT RAISE(ABORT, 'model_promotions is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_TRIGGERS = [
    """
    CREATE OR REPLACE FUNCTION model_promotions_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'model_promotions is append-only (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
    "CREATE TRIGGER model_promotions_no_update BEFORE UPDATE ON model_promotions "
    "FOR EACH ROW EXECUTE FUNCTION model_promotions_append_only()",
    "CREATE TRIGGER model_promotions_no_delete BEFORE DELETE ON model_promotions "
    "FOR EACH ROW EXECUTE FUNCTION model_promotions_append_only()",
    "CREATE TRIGGER model_promotions_no_truncate BEFORE TRUNCATE ON model_promotions "
    "FOR EACH STATEMENT EXECUTE FUNCTION model_promotions_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("model_type", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("competition", sa.String(length=64), nullable=True),
        sa.Column("training_as_of", _TS, nullable=False),
        sa.Column("window_start", _TS, nullable=False),
        sa.Column("window_end", _TS, nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_validation", sa.Integer(), nullable=False),
        sa.Column("feature_version", sa.String(length=32), nullable=False),
        sa.Column("feature_names", _JSON, nullable=False),
        sa.Column("uses_market", sa.Boolean(), nullable=False),
        sa.Column("hyperparameters", _JSON, nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("market_metrics", _JSON, nullable=True),
        sa.Column("validation", _JSON, nullable=True),
        sa.Column("artifact_path", sa.Text(), nullable=True),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("random_state", sa.BigInteger(), nullable=True),
        sa.Column("train_seconds", sa.Float(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("deployed_at", _TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('training', 'completed', 'failed', 'deployed', 'archived')",
            name=op.f("ck_model_versions_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_model_versions_one_deployed",
            ["status"],
            unique=True,
            sqlite_where=_DEPLOYED,
            postgresql_where=_DEPLOYED,
        )

    op.create_table(
        "model_promotions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("model_version_id", _ID, nullable=False),
        sa.Column("previous_model_version_id", _ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("metrics", _JSON, nullable=True),
        sa.Column("previous_metrics", _JSON, nullable=True),
        sa.Column("triggered_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "action IN ('deploy', 'rollback', 'archive', 'reject')",
            name=op.f("ck_model_promotions_action"),
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_promotions_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_promotions_previous_model_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_promotions")),
    )
    with op.batch_alter_table("model_promotions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_model_promotions_model_version_id", ["model_version_id"], unique=False
        )
    # The ledger is append-only in the database itself, whoever writes to it.
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)

    op.create_table(
        "prediction_snapshots",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("model_version_id", _ID, nullable=False),
        sa.Column("as_of", _TS, nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("feature_version", sa.String(length=32), nullable=False),
        sa.Column("n_predictions", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_prediction_snapshots_model_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prediction_snapshots")),
        sa.UniqueConstraint(
            "model_version_id",
            "as_of",
            "horizon_days",
            name="uq_prediction_snapshots_natural_key",
        ),
    )
    op.create_table(
        "predictions",
        sa.Column("snapshot_id", _ID, nullable=False),
        sa.Column("match_id", _ID, nullable=False),
        sa.Column("p_home", sa.Float(), nullable=False),
        sa.Column("p_draw", sa.Float(), nullable=False),
        sa.Column("p_away", sa.Float(), nullable=False),
        sa.Column("p_over_2_5", sa.Float(), nullable=False),
        sa.Column("fair_home", sa.Float(), nullable=True),
        sa.Column("fair_draw", sa.Float(), nullable=True),
        sa.Column("fair_away", sa.Float(), nullable=True),
        sa.Column("fair_over_2_5", sa.Float(), nullable=True),
        sa.Column("fair_under_2_5", sa.Float(), nullable=True),
        sa.Column("drivers", _JSON, nullable=False),
        sa.CheckConstraint(
            "p_home >= 0 AND p_home <= 1 AND p_draw >= 0 AND p_draw <= 1 "
            "AND p_away >= 0 AND p_away <= 1 AND p_over_2_5 >= 0 AND p_over_2_5 <= 1",
            name=op.f("ck_predictions_probabilities_in_unit_interval"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_predictions_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["prediction_snapshots.id"],
            name=op.f("fk_predictions_snapshot_id_prediction_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "match_id", name=op.f("pk_predictions")),
    )
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.create_index("ix_predictions_match_id", ["match_id"], unique=False)

    op.create_table(
        "publications",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("snapshot_id", _ID, nullable=False),
        sa.Column("published_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["prediction_snapshots.id"],
            name=op.f("fk_publications_snapshot_id_prediction_snapshots"),
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_publications")),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("triggered_by", sa.String(length=16), nullable=False),
        sa.Column("params", _JSON, nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'skipped')",
            name=op.f("ck_job_runs_status"),
        ),
        sa.CheckConstraint(
            "triggered_by IN ('manual', 'cron', 'api')", name=op.f("ck_job_runs_triggered_by")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index("ix_job_runs_run_id", ["run_id"], unique=False)
        batch_op.create_index("ix_job_runs_started_at", ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_runs_started_at")
        batch_op.drop_index("ix_job_runs_run_id")
    op.drop_table("job_runs")
    op.drop_table("publications")
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_predictions_match_id")
    op.drop_table("predictions")
    op.drop_table("prediction_snapshots")

    dialect = op.get_bind().dialect.name
    for verb in (
        ("update", "delete", "truncate") if dialect == "postgresql" else ("update", "delete")
    ):
        suffix = " ON model_promotions" if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS model_promotions_no_{verb}{suffix}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS model_promotions_append_only()")
    with op.batch_alter_table("model_promotions", schema=None) as batch_op:
        batch_op.drop_index("ix_model_promotions_model_version_id")
    op.drop_table("model_promotions")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index("uq_model_versions_one_deployed")
    op.drop_table("model_versions")
