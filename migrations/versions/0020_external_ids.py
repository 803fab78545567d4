"""external ids: the ids other systems (a shop, an ERP) know our products, customers, suppliers and sales
orders by, one per (source, entity type, external id) (issue #22)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "external_ref",
        sa.Column("id", ID, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entity_type IN ('product', 'customer', 'supplier', 'sales_order')",
            name=op.f("ck_external_ref_entity_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_ref")),
        sa.UniqueConstraint(
            "source", "entity_type", "external_id", name=op.f("uq_external_ref_source_entity_type_external_id")
        ),
    )
    op.create_index("ix_external_ref_entity", "external_ref", ["entity_type", "entity_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_external_ref_entity", table_name="external_ref")
    op.drop_table("external_ref")
