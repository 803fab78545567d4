"""available to sell (可售库存): safety stock per product and warehouse and the figure last published
(issue #22)

Every (product, warehouse) that has stock or a reservation gets its row, with its current figure (on hand
in bins − reserved; no safety stock yet), changed now — so an integrator's first ``changedSince`` sync
after the upgrade sees every pair once.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from server.core.clock import utcnow  # the clock tests set, not the real one

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stock_availability",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("warehouse_id", ID, nullable=False),
        sa.Column("safety_qty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("net_qty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("safety_qty >= 0", name=op.f("ck_stock_availability_safety_not_negative")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_stock_availability_product_id_product")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_stock_availability_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_availability")),
        sa.UniqueConstraint("product_id", "warehouse_id", name=op.f("uq_stock_availability_product_id_warehouse_id")),
    )
    op.create_index("ix_stock_availability_changed_at", "stock_availability", ["changed_at"], unique=False)

    op.get_bind().execute(
        sa.text(
            """
            INSERT INTO stock_availability (product_id, warehouse_id, safety_qty, net_qty, changed_at)
            SELECT k.product_id, k.warehouse_id, 0,
                   COALESCE((SELECT SUM(sl.qty) FROM stock_level sl JOIN location l ON l.id = sl.location_id
                              WHERE sl.product_id = k.product_id AND sl.warehouse_id = k.warehouse_id
                                AND l.kind = 'bin'), 0)
                 - COALESCE((SELECT r.reserved_qty FROM stock_reservation r
                              WHERE r.product_id = k.product_id AND r.warehouse_id = k.warehouse_id), 0),
                   :now
              FROM (SELECT product_id, warehouse_id FROM stock_level
                    UNION SELECT product_id, warehouse_id FROM stock_reservation) k
             ORDER BY k.product_id, k.warehouse_id
            """
        ).bindparams(sa.bindparam("now", utcnow(), type_=sa.DateTime(timezone=True)))
    )


def downgrade() -> None:
    op.drop_index("ix_stock_availability_changed_at", table_name="stock_availability")
    op.drop_table("stock_availability")
