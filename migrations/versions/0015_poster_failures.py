"""events the finance poster set aside (poster_failure); voucher.source_number widened to 64

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from migrations.sqlite_types import set_declared_type

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _widen(length: int, before: int) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "voucher",
            "source_number",
            type_=sa.String(length=length),
            existing_type=sa.String(length=before),
            existing_nullable=False,
            existing_server_default="",
        )
    else:
        set_declared_type("voucher", "source_number", f"VARCHAR({before})", f"VARCHAR({length})")


def upgrade() -> None:
    op.create_table(
        "poster_failure",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=120), server_default="", nullable=False),
        sa.Column("keys", sa.Text(), server_default="", nullable=False),
        sa.Column("waiting_for", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_tried_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_poster_failure")),
    )
    # stock operation references (and so the numbers of the vouchers booked from them) are up to 64
    _widen(64, 32)


def downgrade() -> None:
    _widen(32, 64)
    op.drop_table("poster_failure")
