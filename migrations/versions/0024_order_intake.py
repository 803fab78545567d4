"""order intake (订单接入): the platform's side of an order taken from a shop or an ERP (issue #22)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sales_order_intake",
        sa.Column("order_id", ID, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_order_id", sa.String(length=128), nullable=False),
        sa.Column("platform_status", sa.String(length=32), server_default="", nullable=False),
        sa.Column("platform_status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consignee_name", sa.String(length=64), server_default="", nullable=False),
        sa.Column("consignee_phone", sa.String(length=32), server_default="", nullable=False),
        sa.Column("ship_address", sa.String(length=300), server_default="", nullable=False),
        sa.Column("hold_code", sa.String(length=32), server_default="", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_sales_order_intake_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_sales_order_intake")),
        sa.UniqueConstraint("source", "external_order_id", name=op.f("uq_sales_order_intake_source_external_order_id")),
    )


def downgrade() -> None:
    op.drop_table("sales_order_intake")
