"""indexes on the stock operation of goods receipts, purchase returns, shipments and sales returns (the
finance poster links a stock operation's voucher to its document by id)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("goods_receipt", "purchase_return", "shipment", "sales_return")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_operation_id", ["operation_id"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_operation_id")
