"""champion slots, an as-of ledger, per-prediction models

Revision ID: 0003_serving
Revises: 0002
Create Date: 2026-12-03

Champions per slot (domain, scope, information state) instead of one deployed model overall;
the promotion ledger gains the slot and the instant from which a decision holds
(``effective_at``), and rollbacks name the deploy they revoke; a prediction snapshot may hold the
predictions of several champions, each prediction naming its model and the information state it
used.

Existing ledgers keep their meaning: a deploy holds from the newest training instant deployed so
far (so the last deploy still wins, as before), a rollback written before this revision counts as
the deploy it was, and an archive row revokes the archived model's deploy from then on.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_serving"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_DEPLOYED = sa.text("status = 'deployed'")

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER model_promotions_no_{verb.lower()} BEFORE {verb} ON model_promotions "
    "BEGIN SELECT RAISE(ABORT, 'model_promotions is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_TRIGGERS = [
    "CREATE TRIGGER model_promotions_no_update BEFORE UPDATE ON model_promotions "
    "FOR EACH ROW EXECUTE FUNCTION model_promotions_append_only()",
    "CREATE TRIGGER model_promotions_no_delete BEFORE DELETE ON model_promotions "
    "FOR EACH ROW EXECUTE FUNCTION model_promotions_append_only()",
    "CREATE TRIGGER model_promotions_no_truncate BEFORE TRUNCATE ON model_promotions "
    "FOR EACH STATEMENT EXECUTE FUNCTION model_promotions_append_only()",
]


def _drop_ledger_triggers(dialect: str) -> None:
    verbs = ("update", "delete", "truncate") if dialect == "postgresql" else ("update", "delete")
    suffix = " ON model_promotions" if dialect == "postgresql" else ""
    for verb in verbs:
        op.execute(f"DROP TRIGGER IF EXISTS model_promotions_no_{verb}{suffix}")


def _create_ledger_triggers(dialect: str) -> None:
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def _backfill_ledger(conn: sa.Connection) -> None:
    """Slot, effective_at and revocations of the rows written before slots existed."""
    models = {
        int(row.id): row
        for row in conn.execute(
            sa.text("SELECT id, domain, scope, information, training_as_of FROM model_versions")
        )
    }
    rows = conn.execute(
        sa.text("SELECT id, action, model_version_id, at FROM model_promotions ORDER BY id")
    ).all()
    # Values are written back as the driver returned them (SQLite's text keeps its format) and
    # compared parsed.
    newest: Any = None
    last_assert: dict[int, int] = {}
    for index, row in enumerate(rows):
        model = models[int(row.model_version_id)]
        trained = model.training_as_of
        revokes = None
        if row.action in ("deploy", "rollback"):
            newest = _later(newest, trained)
            effective = newest
            last_assert[int(row.model_version_id)] = int(row.id)
        elif row.action == "archive":
            # Written just before the deploy (or rollback) that replaced the model: it stops
            # being champion when its replacement starts.
            effective = _later(newest, trained)
            following = rows[index + 1] if index + 1 < len(rows) else None
            if following is not None and following.action in ("deploy", "rollback"):
                replacement = models[int(following.model_version_id)]
                effective = _later(effective, replacement.training_as_of)
            revokes = last_assert.get(int(row.model_version_id))
        else:
            effective = trained
        conn.execute(
            sa.text(
                "UPDATE model_promotions SET domain = :domain, scope = :scope, "
                "information = :information, effective_at = :effective, "
                "revokes_promotion_id = :revokes WHERE id = :id"
            ),
            {
                "domain": model.domain,
                "scope": model.scope,
                "information": model.information,
                "effective": effective,
                "revokes": revokes,
                "id": int(row.id),
            },
        )


def _later(a: Any, b: Any) -> Any:
    """The later of two driver timestamps (``a`` may be None), as the driver returned it."""
    if a is None or _instant(b) > _instant(a):
        return b
    return a


def _instant(value: Any) -> Any:
    """A timestamp as the driver returned it, comparable across rows (SQLite gives text)."""
    from datetime import datetime

    return datetime.fromisoformat(value) if isinstance(value, str) else value


def upgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name

    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("domain", sa.String(length=32), server_default="matches", nullable=False)
        )
        batch_op.add_column(
            sa.Column("scope", sa.String(length=64), server_default="*", nullable=False)
        )
        batch_op.add_column(sa.Column("information", sa.String(length=32), nullable=True))
        batch_op.drop_index("uq_model_versions_one_deployed")
    conn.execute(
        sa.text(
            "UPDATE model_versions SET scope = coalesce(competition, '*'), information = "
            "CASE WHEN uses_market THEN 'market' ELSE 'no_market' END"
        )
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.alter_column("information", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(
            "uq_model_versions_one_deployed_per_slot",
            ["domain", "scope", "information"],
            unique=True,
            sqlite_where=_DEPLOYED,
            postgresql_where=_DEPLOYED,
        )

    _drop_ledger_triggers(dialect)
    with op.batch_alter_table("model_promotions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("domain", sa.String(length=32), server_default="matches", nullable=False)
        )
        batch_op.add_column(
            sa.Column("scope", sa.String(length=64), server_default="*", nullable=False)
        )
        batch_op.add_column(sa.Column("information", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("effective_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("revokes_promotion_id", _ID, nullable=True))
    _backfill_ledger(conn)
    with op.batch_alter_table("model_promotions", schema=None) as batch_op:
        batch_op.alter_column("information", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("effective_at", existing_type=_TS, nullable=False)
        batch_op.create_foreign_key(
            "fk_model_promotions_revokes_promotion_id_model_promotions",
            "model_promotions",
            ["revokes_promotion_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_model_promotions_slot",
            ["domain", "scope", "information", "effective_at"],
            unique=False,
        )
    _create_ledger_triggers(dialect)

    with op.batch_alter_table("prediction_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("domain", sa.String(length=32), server_default="matches", nullable=False)
        )
        batch_op.add_column(sa.Column("models_key", sa.String(length=200), nullable=True))
        batch_op.alter_column("model_version_id", existing_type=_ID, nullable=True)
        batch_op.drop_constraint("uq_prediction_snapshots_natural_key", type_="unique")
    conn.execute(
        sa.text(
            "UPDATE prediction_snapshots SET models_key = CAST(model_version_id AS VARCHAR(200))"
        )
    )
    with op.batch_alter_table("prediction_snapshots", schema=None) as batch_op:
        batch_op.alter_column("models_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(
            "uq_prediction_snapshots_natural_key",
            ["domain", "models_key", "as_of", "horizon_days"],
        )

    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_version_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("information", sa.String(length=32), nullable=True))
    conn.execute(
        sa.text(
            "UPDATE predictions SET model_version_id = (SELECT s.model_version_id FROM "
            "prediction_snapshots s WHERE s.id = predictions.snapshot_id)"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE predictions SET information = (SELECT m.information FROM model_versions m "
            "WHERE m.id = predictions.model_version_id)"
        )
    )
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.alter_column("model_version_id", existing_type=_ID, nullable=False)
        batch_op.alter_column("information", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_foreign_key(
            "fk_predictions_model_version_id_model_versions",
            "model_versions",
            ["model_version_id"],
            ["id"],
        )
        batch_op.create_index("ix_predictions_model_version_id", ["model_version_id"])


def downgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    several = conn.execute(
        sa.text("SELECT count(*) FROM prediction_snapshots WHERE model_version_id IS NULL")
    ).scalar_one()
    if several:
        raise RuntimeError(
            f"{several} prediction snapshots hold several models' predictions, which revision "
            "0002 cannot store; delete them (formline db:cleanup) before downgrading"
        )
    deployed = conn.execute(
        sa.text("SELECT count(*) FROM model_versions WHERE status = 'deployed'")
    ).scalar_one()
    if deployed > 1:
        raise RuntimeError(
            f"{deployed} models are deployed (one per slot); revision 0002 allows one: roll "
            "back or archive all but one before downgrading"
        )
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_predictions_model_version_id")
        batch_op.drop_constraint(
            "fk_predictions_model_version_id_model_versions", type_="foreignkey"
        )
        batch_op.drop_column("information")
        batch_op.drop_column("model_version_id")
    with op.batch_alter_table("prediction_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint("uq_prediction_snapshots_natural_key", type_="unique")
        batch_op.alter_column("model_version_id", existing_type=_ID, nullable=False)
        batch_op.drop_column("models_key")
        batch_op.drop_column("domain")
        batch_op.create_unique_constraint(
            "uq_prediction_snapshots_natural_key", ["model_version_id", "as_of", "horizon_days"]
        )
    _drop_ledger_triggers(dialect)
    with op.batch_alter_table("model_promotions", schema=None) as batch_op:
        batch_op.drop_index("ix_model_promotions_slot")
        batch_op.drop_constraint(
            "fk_model_promotions_revokes_promotion_id_model_promotions", type_="foreignkey"
        )
        for column in ("revokes_promotion_id", "effective_at", "information", "scope", "domain"):
            batch_op.drop_column(column)
    _create_ledger_triggers(dialect)
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index("uq_model_versions_one_deployed_per_slot")
        for column in ("information", "scope", "domain"):
            batch_op.drop_column(column)
        batch_op.create_index(
            "uq_model_versions_one_deployed",
            ["status"],
            unique=True,
            sqlite_where=_DEPLOYED,
            postgresql_where=_DEPLOYED,
        )
