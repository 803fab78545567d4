"""Finance tables: chart of accounts, posting rules, accounting periods, vouchers and their lines,
the poster's progress and the events it set aside, departments, expense categories and expense bills.

Money is integer fen. A voucher line carries either a debit or a credit; red-letter (红字) amounts
are negative on the natural side, so column totals equal what the tax return shows (domain
reference §3.3). A voucher becomes ``posted`` only through an UPDATE that a database trigger checks:
the lines of a posted voucher must balance, and posted lines can never change (see migration 0012).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from server.core.db_types import IdType, UtcDateTime, metadata

account = Table(
    "account",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("parent_code", String(16), ForeignKey("account.code"), nullable=True, index=True),
    Column("name", String(64), nullable=False),
    Column("name_en", String(96), nullable=False, server_default=""),
    # asset | liability | equity | cost | revenue | expense
    Column("category", String(12), nullable=False),
    Column("direction", String(6), nullable=False),  # debit | credit: the side its balance normally sits on
    Column("dimensions", String(64), nullable=False, server_default=""),  # e.g. "customer" (辅助核算)
    Column("is_cash", Boolean, nullable=False, server_default="0"),  # cash and cash equivalents
    Column("is_leaf", Boolean, nullable=False, server_default="1"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_by", String(96), nullable=False, server_default=""),
    CheckConstraint("direction IN ('debit', 'credit')", name="direction"),
)

posting_rule = Table(
    "posting_rule",
    metadata,
    # which account a business role posts to (``inventory`` → 1405); editable without code
    Column("role", String(40), primary_key=True),
    Column("account_code", String(16), ForeignKey("account.code"), nullable=False),
    Column("updated_by", String(96), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime, nullable=True),
)

cash_flow_rule = Table(
    "cash_flow_rule",
    metadata,
    # counter-account prefix → cash-flow statement item (direct method); the longest prefix wins
    Column("account_prefix", String(16), primary_key=True),
    Column("item", String(40), nullable=False),
)

# 凭证整理 in progress: the guard triggers let a posted voucher of a listed period change its number;
# the renumbering inserts and deletes its row in its own transaction (migration 0021)
voucher_renumbering = Table(
    "voucher_renumbering",
    metadata,
    Column("period", Integer, primary_key=True, autoincrement=False),
)

accounting_period = Table(
    "accounting_period",
    metadata,
    Column("period", Integer, primary_key=True, autoincrement=False),  # yyyymm
    Column("status", String(8), nullable=False),  # open | closed
    Column("closed_by", String(96), nullable=False, server_default=""),
    Column("closed_at", UtcDateTime, nullable=True),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)

department = Table(
    "department",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
)

voucher = Table(
    "voucher",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("period", Integer, nullable=True, index=True),  # set when posted (or when a draft is dated)
    Column("number", String(16), nullable=False, server_default=""),  # 记-0001, per period, at posting
    Column("voucher_date", Date, nullable=False),  # the date in its period
    Column("document_date", Date, nullable=False),  # the business date (kept when posted later)
    Column("status", String(10), nullable=False),  # draft | reviewed | posted
    Column("origin", String(16), nullable=False),  # auto | manual | reversal | disposal | vat_transfer | pl_close
    Column("source_key", String(64), nullable=True, unique=True),  # exactly once per business source
    Column("source_type", String(24), nullable=False, server_default=""),
    Column("source_id", BigInteger, nullable=True),
    # the document number (a stock operation's reference: up to 64, as stock_operation.reference)
    Column("source_number", String(64), nullable=False, server_default=""),
    Column("event_seq", BigInteger, nullable=True),
    Column("memo", String(200), nullable=False, server_default=""),
    Column("total_fen", BigInteger, nullable=False, server_default="0"),
    Column("reversal_of", IdType, ForeignKey("voucher.id"), nullable=True, unique=True),
    Column("disposed_by", IdType, ForeignKey("voucher.id"), nullable=True, unique=True),  # 1901 cleared
    Column("created_by", String(96), nullable=False),
    Column("reviewed_by", String(96), nullable=False, server_default=""),
    Column("posted_by", String(96), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("posted_at", UtcDateTime, nullable=True),
    CheckConstraint("status IN ('draft', 'reviewed', 'posted')", name="status"),
)
Index(
    "ix_voucher_period_number",
    voucher.c.period,
    voucher.c.number,
    unique=True,
    postgresql_where=voucher.c.number != "",
    sqlite_where=voucher.c.number != "",
)

voucher_line = Table(
    "voucher_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("voucher_id", IdType, ForeignKey("voucher.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("account_code", String(16), ForeignKey("account.code"), nullable=False),
    Column("debit_fen", BigInteger, nullable=False, server_default="0"),
    Column("credit_fen", BigInteger, nullable=False, server_default="0"),
    Column("memo", String(200), nullable=False, server_default=""),
    Column("customer_id", IdType, ForeignKey("customer.id"), nullable=True),
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=True),
    Column("department_id", IdType, ForeignKey("department.id"), nullable=True),
    Column("cash_flow_item", String(40), nullable=True),  # manual reclassification of a cash line
    # denormalised from the voucher at posting, so ledgers and balances are one indexed scan
    Column("period", Integer, nullable=True),
    Column("posted", Boolean, nullable=False, server_default="0"),
    CheckConstraint("debit_fen = 0 OR credit_fen = 0", name="one_side"),
)
Index("ix_voucher_line_account_period", voucher_line.c.account_code, voucher_line.c.period)

poster_state = Table(
    "poster_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),  # the last journal event turned into vouchers
    Column("standard", String(12), nullable=False),  # enterprise | small (企业 / 小企业会计准则)
    Column("last_error", String(500), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime, nullable=True),
)

poster_failure = Table(
    "poster_failure",
    metadata,
    # a business event the poster could not book (set aside, retried on later runs; migration 0014)
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # the journal event
    Column("event_type", String(64), nullable=False),
    Column("source", String(120), nullable=False, server_default=""),  # e.g. "goods_receipt GR2026-000012"
    # the documents it stands for, space-separated (``goods_receipt:GR2026-000012``): later events of
    # them, or that depend on them, wait behind it
    Column("keys", Text, nullable=False, server_default=""),
    Column("waiting_for", BigInteger, nullable=True),  # held back behind this set-aside event, not failed itself
    Column("error", String(500), nullable=False, server_default=""),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("first_failed_at", UtcDateTime, nullable=False),
    Column("last_tried_at", UtcDateTime, nullable=False),
)

expense_category = Table(
    "expense_category",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("name_en", String(96), nullable=False, server_default=""),
    Column("role", String(40), nullable=True),  # a posting-rule role (selling_expense …) or
    Column("account_code", String(16), ForeignKey("account.code"), nullable=True),  # a fixed account
)

expense_bill = Table(
    "expense_bill",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("category_code", String(32), ForeignKey("expense_category.code"), nullable=False),
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=True, index=True),
    Column("department_id", IdType, ForeignKey("department.id"), nullable=True),
    Column("expense_date", Date, nullable=False),
    Column("description", String(200), nullable=False, server_default=""),
    Column("amount_fen", BigInteger, nullable=False),  # excl. VAT
    Column("tax_fen", BigInteger, nullable=False, server_default="0"),
    Column("vat_rate_bp", Integer, nullable=False, server_default="0"),
    Column("special_invoice", Boolean, nullable=False, server_default="0"),  # 专票: input VAT deductible
    Column("total_fen", BigInteger, nullable=False),
    Column("paid_fen", BigInteger, nullable=False, server_default="0"),
    Column("status", String(12), nullable=False, index=True),  # submitted | approved | paid | rejected
    Column("created_by", String(96), nullable=False),
    Column("approved_by", String(96), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount_fen > 0 AND tax_fen >= 0 AND total_fen = amount_fen + tax_fen", name="amounts"),
    CheckConstraint("paid_fen >= 0 AND paid_fen <= total_fen", name="paid"),
)

expense_payment = Table(
    "expense_payment",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("expense_id", IdType, ForeignKey("expense_bill.id"), nullable=False, index=True),
    Column("payment_date", Date, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("method", String(16), nullable=False),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount_fen > 0", name="positive"),
)
