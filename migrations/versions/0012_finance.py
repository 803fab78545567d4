"""finance: chart of accounts, posting rules, periods, vouchers, poster state, expenses; stock_operation.source_type

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


BALANCE_PG = """
CREATE FUNCTION jxc_voucher_guard() RETURNS trigger AS $$
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
        IF NEW.status <> 'posted' OR NEW.total_fen <> OLD.total_fen OR NEW.number <> OLD.number
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

LINE_GUARD_PG = """
CREATE FUNCTION jxc_voucher_line_guard() RETURNS trigger AS $$
DECLARE s_old TEXT; s_new TEXT; p_new INT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT status INTO s_old FROM voucher WHERE id = OLD.voucher_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT status, period INTO s_new, p_new FROM voucher WHERE id = NEW.voucher_id;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF s_new = 'posted' OR NEW.posted THEN
            RAISE EXCEPTION 'lines of a posted voucher cannot change';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF s_old = 'posted' THEN
            RAISE EXCEPTION 'lines of posted voucher % cannot change', OLD.voucher_id;
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.voucher_id <> OLD.voucher_id AND (s_old = 'posted' OR s_new = 'posted') THEN
        RAISE EXCEPTION 'a line cannot move into or out of a posted voucher';
    END IF;
    IF s_new <> 'posted' AND NEW.posted THEN
        RAISE EXCEPTION 'only the lines of a posted voucher are posted';
    END IF;
    IF s_old = 'posted' THEN
        IF NEW.account_code <> OLD.account_code OR NEW.debit_fen <> OLD.debit_fen
           OR NEW.credit_fen <> OLD.credit_fen
           OR NEW.customer_id IS DISTINCT FROM OLD.customer_id
           OR NEW.supplier_id IS DISTINCT FROM OLD.supplier_id
           OR NEW.warehouse_id IS DISTINCT FROM OLD.warehouse_id
           OR NEW.department_id IS DISTINCT FROM OLD.department_id
           OR NOT ((NEW.posted = OLD.posted AND NEW.period IS NOT DISTINCT FROM OLD.period)
                   OR (NOT OLD.posted AND NEW.posted AND NEW.period = p_new)) THEN
            RAISE EXCEPTION 'lines of posted voucher % cannot change', OLD.voucher_id;
        END IF;
    END IF;
    RETURN NEW;  -- the cash-flow classification may change; posting marks the lines once
END;
$$ LANGUAGE plpgsql
"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER voucher_insert_unposted BEFORE INSERT ON voucher WHEN NEW.status = 'posted'
       BEGIN SELECT RAISE(ABORT, 'a voucher is inserted unposted and then posted'); END""",
    """CREATE TRIGGER voucher_balance BEFORE UPDATE OF status ON voucher
       WHEN NEW.status = 'posted' AND OLD.status <> 'posted' AND (
            (SELECT COALESCE(SUM(debit_fen), 0) FROM voucher_line WHERE voucher_id = NEW.id)
            <> (SELECT COALESCE(SUM(credit_fen), 0) FROM voucher_line WHERE voucher_id = NEW.id)
         OR (SELECT COALESCE(SUM(debit_fen), 0) FROM voucher_line WHERE voucher_id = NEW.id) <> NEW.total_fen
         OR (SELECT COUNT(*) FROM voucher_line WHERE voucher_id = NEW.id) < 2)
       BEGIN SELECT RAISE(ABORT, 'voucher does not balance'); END""",
    """CREATE TRIGGER voucher_posted_frozen BEFORE UPDATE ON voucher
       WHEN OLD.status = 'posted' AND (NEW.status <> 'posted' OR NEW.total_fen <> OLD.total_fen
            OR NEW.number <> OLD.number OR NEW.period IS NOT OLD.period OR NEW.voucher_date <> OLD.voucher_date
            OR NEW.document_date <> OLD.document_date OR NEW.memo <> OLD.memo OR NEW.origin <> OLD.origin
            OR NEW.source_key IS NOT OLD.source_key)
       BEGIN SELECT RAISE(ABORT, 'a posted voucher cannot change: reverse it'); END""",
    """CREATE TRIGGER voucher_posted_no_delete BEFORE DELETE ON voucher WHEN OLD.status = 'posted'
       BEGIN SELECT RAISE(ABORT, 'a posted voucher cannot be deleted'); END""",
    """CREATE TRIGGER voucher_line_posted_no_insert BEFORE INSERT ON voucher_line
       WHEN (SELECT status FROM voucher WHERE id = NEW.voucher_id) = 'posted' OR NEW.posted
       BEGIN SELECT RAISE(ABORT, 'lines of a posted voucher cannot change'); END""",
    """CREATE TRIGGER voucher_line_posted_no_delete BEFORE DELETE ON voucher_line
       WHEN (SELECT status FROM voucher WHERE id = OLD.voucher_id) = 'posted'
       BEGIN SELECT RAISE(ABORT, 'lines of a posted voucher cannot change'); END""",
    """CREATE TRIGGER voucher_line_no_move BEFORE UPDATE ON voucher_line
       WHEN NEW.voucher_id <> OLD.voucher_id AND ((SELECT status FROM voucher WHERE id = OLD.voucher_id) = 'posted'
            OR (SELECT status FROM voucher WHERE id = NEW.voucher_id) = 'posted')
       BEGIN SELECT RAISE(ABORT, 'a line cannot move into or out of a posted voucher'); END""",
    """CREATE TRIGGER voucher_line_posted_flag BEFORE UPDATE ON voucher_line
       WHEN NEW.posted AND (SELECT status FROM voucher WHERE id = NEW.voucher_id) <> 'posted'
       BEGIN SELECT RAISE(ABORT, 'only the lines of a posted voucher are posted'); END""",
    """CREATE TRIGGER voucher_line_posted_no_update BEFORE UPDATE ON voucher_line
       WHEN (SELECT status FROM voucher WHERE id = OLD.voucher_id) = 'posted' AND (
            NEW.account_code <> OLD.account_code
         OR NEW.debit_fen <> OLD.debit_fen OR NEW.credit_fen <> OLD.credit_fen
         OR NEW.customer_id IS NOT OLD.customer_id OR NEW.supplier_id IS NOT OLD.supplier_id
         OR NEW.warehouse_id IS NOT OLD.warehouse_id OR NEW.department_id IS NOT OLD.department_id
         OR NOT ((NEW.posted = OLD.posted AND NEW.period IS OLD.period)
                 OR (OLD.posted = 0 AND NEW.posted = 1
                     AND NEW.period = (SELECT period FROM voucher WHERE id = OLD.voucher_id))))
       BEGIN SELECT RAISE(ABORT, 'lines of a posted voucher cannot change'); END""",
)
SQLITE_TRIGGER_NAMES = (
    "voucher_insert_unposted",
    "voucher_balance",
    "voucher_posted_frozen",
    "voucher_posted_no_delete",
    "voucher_line_posted_no_insert",
    "voucher_line_posted_no_delete",
    "voucher_line_no_move",
    "voucher_line_posted_flag",
    "voucher_line_posted_no_update",
)


def _create_voucher_guards() -> None:
    """The database refuses an unbalanced posted voucher and any change to a posted one."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BALANCE_PG)
        op.execute(LINE_GUARD_PG)
        op.execute(
            "CREATE TRIGGER voucher_guard BEFORE INSERT OR UPDATE OR DELETE ON voucher "
            "FOR EACH ROW EXECUTE FUNCTION jxc_voucher_guard()"
        )
        op.execute(
            "CREATE TRIGGER voucher_line_guard BEFORE INSERT OR UPDATE OR DELETE ON voucher_line "
            "FOR EACH ROW EXECUTE FUNCTION jxc_voucher_line_guard()"
        )
    else:
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)


def _drop_voucher_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS voucher_guard ON voucher")
        op.execute("DROP TRIGGER IF EXISTS voucher_line_guard ON voucher_line")
        op.execute("DROP FUNCTION IF EXISTS jxc_voucher_guard()")
        op.execute("DROP FUNCTION IF EXISTS jxc_voucher_line_guard()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "account",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=96), server_default="", nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("dimensions", sa.String(length=64), server_default="", nullable=False),
        sa.Column("is_cash", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("is_leaf", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_by", sa.String(length=96), server_default="", nullable=False),
        sa.CheckConstraint("direction IN ('debit', 'credit')", name=op.f("ck_account_direction")),
        sa.ForeignKeyConstraint(["parent_code"], ["account.code"], name=op.f("fk_account_parent_code_account")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_account")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "accounting_period",
        sa.Column("period", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_by", sa.String(length=96), server_default="", nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_accounting_period_status")),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_accounting_period")),
    )
    op.create_table(
        "cash_flow_rule",
        sa.Column("account_prefix", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("account_prefix", name=op.f("pk_cash_flow_rule")),
    )
    op.create_table(
        "department",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
    )
    op.create_table(
        "poster_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("standard", sa.String(length=12), nullable=False),
        sa.Column("last_error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poster_state")),
    )
    op.create_table(
        "voucher",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=16), server_default="", nullable=False),
        sa.Column("voucher_date", sa.Date(), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.Column("source_type", sa.String(length=24), server_default="", nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.Column("source_number", sa.String(length=32), server_default="", nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.Column("memo", sa.String(length=200), server_default="", nullable=False),
        sa.Column("total_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reversal_of", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("disposed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("reviewed_by", sa.String(length=96), server_default="", nullable=False),
        sa.Column("posted_by", sa.String(length=96), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'reviewed', 'posted')", name=op.f("ck_voucher_status")),
        sa.ForeignKeyConstraint(["disposed_by"], ["voucher.id"], name=op.f("fk_voucher_disposed_by_voucher")),
        sa.ForeignKeyConstraint(["reversal_of"], ["voucher.id"], name=op.f("fk_voucher_reversal_of_voucher")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher")),
        sa.UniqueConstraint("disposed_by", name=op.f("uq_voucher_disposed_by")),
        sa.UniqueConstraint("reversal_of", name=op.f("uq_voucher_reversal_of")),
        sa.UniqueConstraint("source_key", name=op.f("uq_voucher_source_key")),
    )
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voucher_period"), ["period"], unique=False)
        batch_op.create_index(
            "ix_voucher_period_number",
            ["period", "number"],
            unique=True,
            postgresql_where=sa.text("number != ''"),
            sqlite_where=sa.text("number != ''"),
        )

    op.create_table(
        "expense_category",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=96), server_default="", nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("account_code", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_expense_category_account_code_account")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_expense_category")),
    )
    op.create_table(
        "posting_rule",
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("account_code", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=96), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_code"], ["account.code"], name=op.f("fk_posting_rule_account_code_account")),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_posting_rule")),
    )
    op.create_table(
        "expense_bill",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("expense_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), server_default="", nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("tax_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), server_default="0", nullable=False),
        sa.Column("special_invoice", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("approved_by", sa.String(length=96), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_fen > 0 AND tax_fen >= 0 AND total_fen = amount_fen + tax_fen", name=op.f("ck_expense_bill_amounts")
        ),
        sa.CheckConstraint("paid_fen >= 0 AND paid_fen <= total_fen", name=op.f("ck_expense_bill_paid")),
        sa.ForeignKeyConstraint(
            ["category_code"], ["expense_category.code"], name=op.f("fk_expense_bill_category_code_expense_category")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_expense_bill_department_id_department")
        ),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_expense_bill_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_bill")),
        sa.UniqueConstraint("number", name=op.f("uq_expense_bill_number")),
    )
    with op.batch_alter_table("expense_bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expense_bill_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_expense_bill_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "voucher_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("voucher_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account_code", sa.String(length=16), nullable=False),
        sa.Column("debit_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credit_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("memo", sa.String(length=200), server_default="", nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("cash_flow_item", sa.String(length=40), nullable=True),
        sa.Column("period", sa.Integer(), nullable=True),
        sa.Column("posted", sa.Boolean(), server_default="0", nullable=False),
        sa.CheckConstraint("debit_fen = 0 OR credit_fen = 0", name=op.f("ck_voucher_line_one_side")),
        sa.ForeignKeyConstraint(["account_code"], ["account.code"], name=op.f("fk_voucher_line_account_code_account")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_voucher_line_customer_id_customer")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_voucher_line_department_id_department")
        ),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_voucher_line_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["voucher_id"], ["voucher.id"], name=op.f("fk_voucher_line_voucher_id_voucher")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_voucher_line_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_line")),
    )
    with op.batch_alter_table("voucher_line", schema=None) as batch_op:
        batch_op.create_index("ix_voucher_line_account_period", ["account_code", "period"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_line_voucher_id"), ["voucher_id"], unique=False)

    op.create_table(
        "expense_payment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("expense_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_expense_payment_positive")),
        sa.ForeignKeyConstraint(
            ["expense_id"], ["expense_bill.id"], name=op.f("fk_expense_payment_expense_id_expense_bill")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_payment")),
        sa.UniqueConstraint("number", name=op.f("uq_expense_payment_number")),
    )
    with op.batch_alter_table("expense_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expense_payment_expense_id"), ["expense_id"], unique=False)

    with op.batch_alter_table("stock_operation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_type", sa.String(length=24), server_default="", nullable=False))

    # ### end Alembic commands ###
    _create_voucher_guards()


def downgrade() -> None:
    _drop_voucher_guards()
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("stock_operation", schema=None) as batch_op:
        batch_op.drop_column("source_type")

    with op.batch_alter_table("expense_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expense_payment_expense_id"))

    op.drop_table("expense_payment")
    with op.batch_alter_table("voucher_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_line_voucher_id"))
        batch_op.drop_index("ix_voucher_line_account_period")

    op.drop_table("voucher_line")
    with op.batch_alter_table("expense_bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expense_bill_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_expense_bill_status"))

    op.drop_table("expense_bill")
    op.drop_table("posting_rule")
    op.drop_table("expense_category")
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_voucher_period_number", postgresql_where=sa.text("number != ''"), sqlite_where=sa.text("number != ''")
        )
        batch_op.drop_index(batch_op.f("ix_voucher_period"))

    op.drop_table("voucher")
    op.drop_table("poster_state")
    op.drop_table("department")
    op.drop_table("cash_flow_rule")
    op.drop_table("accounting_period")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_parent_code"))

    op.drop_table("account")
    # ### end Alembic commands ###
