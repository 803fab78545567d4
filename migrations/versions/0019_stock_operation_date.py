"""the business date of a stock operation: a receipt, issue, transfer or adjustment booked today may be
dated last week (issue #19)

No backfill: the rows made before this revision keep a NULL business date and are dated, as they always
were, by their ``created_at`` read in the business time zone (``JXC_TIMEZONE``) — the finance poster
falls back to that. SQL cannot do that conversion alike on both databases (SQLite has no time zones),
and a UTC date would move the operations of the first hours of a Beijing day to the day before.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stock_operation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("business_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stock_operation", schema=None) as batch_op:
        batch_op.drop_column("business_date")
