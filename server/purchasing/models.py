"""Purchasing tables: supplier prices, purchase orders and their approval history, goods receipts
with inspection, purchase returns, supplier bills (and debit notes), payments and their allocation.

Quantities are scaled integers in the product's base unit (``QTY_SCALE``), money is integer fen,
unit prices are integer micro-yuan (10⁻⁶ yuan) so that a price such as 3.1416 is kept exactly. A
price is per *price unit* (``unit_factor`` = scaled base quantity of that unit, e.g. a box of 12 is
12 000 000), so a line value is ``qty × price ÷ factor`` rounded half-up to the fen once.
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
    UniqueConstraint,
)

from server.core.db_types import IdType, UtcDateTime, metadata

supplier_price = Table(
    "supplier_price",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("unit_price_micro", BigInteger, nullable=False),  # per base unit, excl. VAT
    Column("vat_rate_bp", Integer, nullable=False),  # 1300 = 13 %
    Column("min_order_qty", BigInteger, nullable=False, server_default="0"),
    Column("pack_qty", BigInteger, nullable=False, server_default="0"),  # order in multiples of this; 0: any
    Column("lead_time_days", Integer, nullable=False, server_default="0"),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("unit_price_micro >= 0", name="price_not_negative"),
)
Index("ix_supplier_price_product", supplier_price.c.product_id, supplier_price.c.supplier_id)

preferred_supplier = Table(
    "preferred_supplier",
    metadata,
    Column("product_id", IdType, ForeignKey("product.id"), primary_key=True, autoincrement=False),
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=False),
)

purchase_order = Table(
    "purchase_order",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=False, index=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    # draft → submitted → approved / rejected → partially_received → received → closed; cancelled
    Column("status", String(20), nullable=False, index=True),
    Column("order_date", Date, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("note", String(500), nullable=False, server_default=""),
    Column("amount_fen", BigInteger, nullable=False, server_default="0"),
    Column("tax_fen", BigInteger, nullable=False, server_default="0"),
    Column("total_fen", BigInteger, nullable=False, server_default="0"),
    Column("approvals_required", Text, nullable=False, server_default="[]"),  # JSON list of role codes
    Column("approvals_done", Integer, nullable=False, server_default="0"),
    Column("created_by", String(96), nullable=False),
    Column("created_by_user_id", IdType, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("approved_at", UtcDateTime, nullable=True),
)

purchase_order_line = Table(
    "purchase_order_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("order_id", IdType, ForeignKey("purchase_order.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False, index=True),
    Column("unit_id", IdType, ForeignKey("unit.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),  # scaled, in ``unit_id``
    Column("qty", BigInteger, nullable=False),  # scaled, base unit
    Column("unit_factor", BigInteger, nullable=False),  # scaled base quantity of one ``unit_id``
    Column("unit_price_micro", BigInteger, nullable=False),  # per ``unit_id``, excl. VAT
    Column("vat_rate_bp", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("tax_fen", BigInteger, nullable=False),
    Column("expected_date", Date, nullable=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("received_qty", BigInteger, nullable=False, server_default="0"),
    Column("accepted_qty", BigInteger, nullable=False, server_default="0"),
    Column("rejected_qty", BigInteger, nullable=False, server_default="0"),
    Column("returned_qty", BigInteger, nullable=False, server_default="0"),
    Column("billed_qty", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("order_id", "line_no"),
    CheckConstraint("qty > 0 AND accepted_qty >= 0 AND received_qty >= 0", name="quantities"),
)

purchase_order_history = Table(
    "purchase_order_history",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("order_id", IdType, ForeignKey("purchase_order.id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # submitted, approved, rejected, cancelled, closed…
    Column("from_status", String(20), nullable=False),
    Column("to_status", String(20), nullable=False),
    Column("role_code", String(32), nullable=False, server_default=""),  # the approval step's role
    Column("actor", String(96), nullable=False),
    Column("user_id", IdType, nullable=True),
    Column("comment", String(500), nullable=False, server_default=""),
    Column("at", UtcDateTime, nullable=False),
)

goods_receipt = Table(
    "goods_receipt",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("inspection_number", String(20), nullable=False, unique=True),  # 验收单号
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=False, index=True),
    Column("order_id", IdType, ForeignKey("purchase_order.id"), nullable=True, index=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("receipt_date", Date, nullable=False),
    Column("landed_cost_fen", BigInteger, nullable=False, server_default="0"),
    Column("landed_allocation", String(8), nullable=False, server_default="value"),
    Column("goods_value_fen", BigInteger, nullable=False, server_default="0"),
    Column("operation_id", IdType, ForeignKey("stock_operation.id"), nullable=True),
    Column("note", String(500), nullable=False, server_default=""),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

goods_receipt_line = Table(
    "goods_receipt_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("receipt_id", IdType, ForeignKey("goods_receipt.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("order_line_id", IdType, ForeignKey("purchase_order_line.id"), nullable=True, index=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False, index=True),
    Column("received_qty", BigInteger, nullable=False),
    Column("accepted_qty", BigInteger, nullable=False),
    Column("rejected_qty", BigInteger, nullable=False),
    Column("reject_reason", String(200), nullable=False, server_default=""),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=True),
    Column("lot_id", IdType, ForeignKey("lot.id"), nullable=True),
    Column("unit_factor", BigInteger, nullable=False),  # the price's unit, as scaled base quantity
    Column("unit_price_micro", BigInteger, nullable=False),  # per price unit, excl. VAT
    Column("vat_rate_bp", Integer, nullable=False, server_default="0"),
    Column("goods_value_fen", BigInteger, nullable=False),  # accepted × price, half-up to the fen
    Column("landed_fen", BigInteger, nullable=False, server_default="0"),
    Column("value_fen", BigInteger, nullable=False),  # inventory value = goods + landed
    Column("on_time", Boolean, nullable=True),
    Column("returned_qty", BigInteger, nullable=False, server_default="0"),
    Column("returned_value_fen", BigInteger, nullable=False, server_default="0"),
    Column("billed_qty", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("receipt_id", "line_no"),
    CheckConstraint("received_qty = accepted_qty + rejected_qty AND rejected_qty >= 0", name="inspection"),
    CheckConstraint("returned_qty >= 0 AND returned_qty <= accepted_qty", name="returned"),
)

purchase_return = Table(
    "purchase_return",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("receipt_id", IdType, ForeignKey("goods_receipt.id"), nullable=False, index=True),
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=False),
    Column("return_date", Date, nullable=False),
    Column("reason", String(300), nullable=False, server_default=""),
    Column("operation_id", IdType, ForeignKey("stock_operation.id"), nullable=False),
    Column("value_fen", BigInteger, nullable=False),  # inventory value removed (original receipt cost)
    Column("debit_note_id", IdType, ForeignKey("supplier_bill.id"), nullable=True),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

purchase_return_line = Table(
    "purchase_return_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("return_id", IdType, ForeignKey("purchase_return.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("receipt_line_id", IdType, ForeignKey("goods_receipt_line.id"), nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("value_fen", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # credit from the supplier, excl. VAT
    Column("tax_fen", BigInteger, nullable=False),
)

supplier_bill = Table(
    "supplier_bill",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("kind", String(12), nullable=False),  # bill | debit_note (red-letter, negative amounts)
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=False, index=True),
    Column("supplier_invoice_no", String(64), nullable=False, server_default=""),
    Column("bill_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("tax_fen", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("paid_fen", BigInteger, nullable=False, server_default="0"),
    # pending_approval (three-way-match flags) → open → paid; debit notes are open until used
    Column("status", String(20), nullable=False, index=True),
    Column("match_flags", Text, nullable=False, server_default="[]"),
    Column("approved_by", String(96), nullable=False, server_default=""),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "(kind = 'bill' AND paid_fen >= 0 AND paid_fen <= total_fen)"
        " OR (kind = 'debit_note' AND paid_fen <= 0 AND paid_fen >= total_fen)",
        name="paid_within_total",
    ),
)

supplier_bill_line = Table(
    "supplier_bill_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("bill_id", IdType, ForeignKey("supplier_bill.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("receipt_line_id", IdType, ForeignKey("goods_receipt_line.id"), nullable=True, index=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("unit_factor", BigInteger, nullable=False),  # the price's unit, as scaled base quantity
    Column("unit_price_micro", BigInteger, nullable=False),  # per price unit, excl. VAT
    Column("vat_rate_bp", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("tax_fen", BigInteger, nullable=False),
    Column("flags", String(200), nullable=False, server_default=""),
)

supplier_payment = Table(
    "supplier_payment",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("supplier_id", IdType, ForeignKey("supplier.id"), nullable=False, index=True),
    Column("payment_date", Date, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("unallocated_fen", BigInteger, nullable=False),  # > 0: a prepayment still to be used
    Column("method", String(16), nullable=False),
    Column("reference", String(64), nullable=False, server_default=""),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount_fen > 0 AND unallocated_fen >= 0 AND unallocated_fen <= amount_fen", name="amounts"),
)

payment_allocation = Table(
    "payment_allocation",
    metadata,
    Column("id", IdType, primary_key=True),
    # what settles the bill: a payment, or a debit note (red-letter bill) offset against it
    Column("payment_id", IdType, ForeignKey("supplier_payment.id"), nullable=True, index=True),
    Column("debit_note_id", IdType, ForeignKey("supplier_bill.id"), nullable=True, index=True),
    Column("bill_id", IdType, ForeignKey("supplier_bill.id"), nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    # the business date the bill was settled: the payment date, or the day a prepayment or debit
    # note was applied (payables as of a past date count only what was settled by then)
    Column("effective_date", Date, nullable=False),
    Column("actor", String(96), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint("amount_fen > 0", name="positive"),
    CheckConstraint("(payment_id IS NULL) <> (debit_note_id IS NULL)", name="one_source"),
)

# the finance poster finds the document of a stock operation by its id (server/finance/poster.py)
Index("ix_goods_receipt_operation_id", goods_receipt.c.operation_id)
Index("ix_purchase_return_operation_id", purchase_return.c.operation_id)
