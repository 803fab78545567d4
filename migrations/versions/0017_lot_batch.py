"""the production lot (batch) of a serialised unit: a lot-and-serial label's (10) beside its (21)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.drop_column("batch")
