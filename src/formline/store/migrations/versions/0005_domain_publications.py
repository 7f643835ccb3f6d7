"""Publication pointers keyed by domain: (domain, name) instead of name.

Two domains can then each have a ``default`` publication (the snapshot their API serves)
without one moving the other's pointer. Existing pointers take the domain of the snapshot they
point at. The downgrade refuses a store where one name is published by several domains.

Revision ID: 0005_domain_publications
Revises: 0004_long_predictions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from formline.errors import StoreError

revision = "0005_domain_publications"
down_revision = "0004_long_predictions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("domain", sa.String(32), nullable=True))
    op.execute(
        "UPDATE publications SET domain = (SELECT s.domain FROM prediction_snapshots s "
        "WHERE s.id = publications.snapshot_id)"
    )
    with op.batch_alter_table("publications", recreate="always") as batch:
        batch.alter_column(
            "domain", existing_type=sa.String(32), nullable=False, server_default="matches"
        )
        batch.drop_constraint("pk_publications", type_="primary")
        batch.create_primary_key("pk_publications", ["domain", "name"])


def downgrade() -> None:
    shared = (
        op.get_bind()
        .execute(sa.text("SELECT name FROM publications GROUP BY name HAVING count(*) > 1"))
        .scalars()
        .all()
    )
    if shared:
        raise StoreError(
            "cannot downgrade below 0005_domain_publications: several domains publish "
            f"{', '.join(sorted(shared))}; revision 0004 has one pointer per name"
        )
    with op.batch_alter_table("publications", recreate="always") as batch:
        batch.drop_constraint("pk_publications", type_="primary")
        batch.create_primary_key("pk_publications", ["name"])
        batch.drop_column("domain")
