"""sign-in locks per account and client address; idempotency keys scoped to their owner

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from migrations.sqlite_types import set_declared_type

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_lock",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_sign_in_lock_user_id_app_user")),
        sa.PrimaryKeyConstraint("user_id", "client", name=op.f("pk_sign_in_lock")),
    )
    # the account-wide lock is replaced by the per-address one (SQLite ≥ 3.35 drops plain columns)
    op.execute("ALTER TABLE app_user DROP COLUMN failed_logins")
    op.execute("ALTER TABLE app_user DROP COLUMN locked_until")
    _widen_keys(160, 128)


def _widen_keys(length: int, before: int) -> None:
    """Idempotency keys are stored with their owner's prefix (server/core/idempotency.py)."""
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("idempotency_key", "key", type_=sa.String(length=length), existing_nullable=False)
        op.alter_column("stock_operation", "idempotency_key", type_=sa.String(length=length), existing_nullable=True)
    else:
        set_declared_type("idempotency_key", '"key"', f"VARCHAR({before})", f"VARCHAR({length})")
        set_declared_type("stock_operation", "idempotency_key", f"VARCHAR({before})", f"VARCHAR({length})")


def downgrade() -> None:
    _widen_keys(128, 160)
    op.add_column("app_user", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("app_user", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.drop_table("sign_in_lock")
