"""凭证整理: a posted voucher's number may change while its open period is being renumbered in date
order (issue #19) — the guard triggers allow it only for a period listed in voucher_renumbering,
a row the renumbering inserts and deletes inside its own transaction.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FROZEN = """OLD.status = 'posted' AND (NEW.status <> 'posted' OR NEW.total_fen <> OLD.total_fen
            OR {number} OR NEW.period IS NOT OLD.period OR NEW.voucher_date <> OLD.voucher_date
            OR NEW.document_date <> OLD.document_date OR NEW.memo <> OLD.memo OR NEW.origin <> OLD.origin
            OR NEW.source_key IS NOT OLD.source_key)"""
NUMBER_FIXED = "NEW.number <> OLD.number"
NUMBER_FIXED_UNLESS_RENUMBERING = (
    "(NEW.number <> OLD.number AND NOT EXISTS (SELECT 1 FROM voucher_renumbering r WHERE r.period = OLD.period))"
)


def _sqlite_frozen(number: str) -> str:
    return (
        "CREATE TRIGGER voucher_posted_frozen BEFORE UPDATE ON voucher WHEN "
        + FROZEN.format(number=number)
        + " BEGIN SELECT RAISE(ABORT, 'a posted voucher cannot change: reverse it'); END"
    )


PG_GUARD = """
CREATE OR REPLACE FUNCTION jxc_voucher_guard() RETURNS trigger AS $$
DECLARE d BIGINT; c BIGINT; n INT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'posted' THEN
            RAISE EXCEPTION 'a voucher is inserted unposted and then posted';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'posted' THEN
            RAISE EXCEPTION 'posted voucher % cannot be deleted', OLD.id;
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'posted' THEN
        IF NEW.status <> 'posted' OR NEW.total_fen <> OLD.total_fen OR {number}
           OR NEW.period IS DISTINCT FROM OLD.period OR NEW.voucher_date <> OLD.voucher_date
           OR NEW.document_date <> OLD.document_date OR NEW.memo <> OLD.memo OR NEW.origin <> OLD.origin
           OR NEW.source_key IS DISTINCT FROM OLD.source_key THEN
            RAISE EXCEPTION 'posted voucher % cannot change: reverse it', OLD.id;
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status = 'posted' THEN
        SELECT COALESCE(SUM(debit_fen), 0), COALESCE(SUM(credit_fen), 0), COUNT(*) INTO d, c, n
          FROM voucher_line WHERE voucher_id = NEW.id;
        IF d <> c OR n < 2 OR d <> NEW.total_fen THEN
            RAISE EXCEPTION 'voucher % does not balance (debit %, credit %)', NEW.id, d, c;
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _guard(number: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARD.replace("{number}", number))
    else:
        op.execute("DROP TRIGGER IF EXISTS voucher_posted_frozen")
        op.execute(_sqlite_frozen(number))


def upgrade() -> None:
    op.create_table(
        "voucher_renumbering",
        sa.Column("period", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("period"),
    )
    _guard(NUMBER_FIXED_UNLESS_RENUMBERING)


def downgrade() -> None:
    _guard(NUMBER_FIXED)
    op.drop_table("voucher_renumbering")
