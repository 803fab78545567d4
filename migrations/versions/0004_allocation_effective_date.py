"""payment allocation effective date (for payables as of a past date)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_date", sa.Date(), nullable=True))
    day = "date(at)" if op.get_bind().dialect.name == "sqlite" else "CAST(at AS DATE)"
    op.execute(
        "UPDATE payment_allocation SET effective_date = COALESCE((SELECT payment_date FROM supplier_payment p "
        f"WHERE p.id = payment_allocation.payment_id), {day})"
    )
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.alter_column("effective_date", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.drop_column("effective_date")
