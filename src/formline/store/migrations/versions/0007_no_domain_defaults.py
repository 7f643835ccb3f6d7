"""No domain defaults in the shared tables: every writer names its domain

Revision ID: 0007_no_domain_defaults
Revises: 0006_races_tables
Create Date: 2026-12-04

Revisions 0003-0005 gave the ``domain`` columns of the shared tables (``feature_builds``,
``model_versions``, ``model_promotions``, ``prediction_snapshots``, ``publications``) the server
default ``'matches'``, so that existing rows took the first domain. With several domains a
default is a trap: a writer that forgets its domain would file its rows under football. This
revision drops the defaults; a row without a domain is now refused (the columns are NOT NULL).
Every row keeps its value.

On SQLite dropping a default rebuilds the table (a batch migration). The rebuild loses the
triggers on the rebuilt table and may not leave a trigger naming a table that is gone, so the
triggers that touch a rebuilt table (the ledger's append-only guards on ``model_promotions``,
the matches domain's guards that read ``prediction_snapshots``, see
formline.matches.tables) are dropped first and created again, as revisions 0003 and 0004
created them. On PostgreSQL the defaults are simply dropped. The downgrade puts them back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_no_domain_defaults"
down_revision = "0006_races_tables"
branch_labels = None
depends_on = None

#: The shared tables whose ``domain`` column had the default.
_TABLES = (
    "feature_builds",
    "model_versions",
    "model_promotions",
    "prediction_snapshots",
    "publications",
)

# SQLite's triggers as revisions 0003 (the ledger) and 0004 (the matches guards) created them.
_REFUSED = "stored predictions are of this match; delete their snapshots before the match"
_MATCHES_SNAPSHOT = "SELECT 1 FROM predicted_events pe JOIN prediction_snapshots s ON s.id = "
_MISSING = "a prediction of a matches snapshot names a match that does not exist"
_OF_MATCHES = "SELECT 1 FROM prediction_snapshots WHERE id = NEW.snapshot_id AND domain = 'matches'"
_NO_MATCH = "NOT EXISTS (SELECT 1 FROM matches WHERE id = NEW.event_id)"
_SQLITE_TRIGGERS = {
    "model_promotions_no_update": "CREATE TRIGGER model_promotions_no_update BEFORE UPDATE ON "
    "model_promotions BEGIN SELECT RAISE(ABORT, 'model_promotions is append-only'); END",
    "model_promotions_no_delete": "CREATE TRIGGER model_promotions_no_delete BEFORE DELETE ON "
    "model_promotions BEGIN SELECT RAISE(ABORT, 'model_promotions is append-only'); END",
    "predicted_events_match_exists": "CREATE TRIGGER predicted_events_match_exists BEFORE "
    f"INSERT ON predicted_events WHEN EXISTS ({_OF_MATCHES}) AND {_NO_MATCH} "
    f"BEGIN SELECT RAISE(ABORT, '{_MISSING}'); END",
    "matches_keep_predicted": "CREATE TRIGGER matches_keep_predicted BEFORE DELETE ON matches "
    f"WHEN EXISTS ({_MATCHES_SNAPSHOT}pe.snapshot_id WHERE pe.event_id = OLD.id AND "
    f"s.domain = 'matches') BEGIN SELECT RAISE(ABORT, 'refusing to delete a match: "
    f"{_REFUSED}'); END",
}


def _set_defaults(default: str | None) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "domain",
                existing_type=sa.String(length=32),
                existing_nullable=False,
                server_default=default,
            )
    if sqlite:
        for statement in _SQLITE_TRIGGERS.values():
            op.execute(statement)


def upgrade() -> None:
    _set_defaults(None)


def downgrade() -> None:
    _set_defaults("matches")
