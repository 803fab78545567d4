"""Sales tables: orders with approval history, shipments (with their cost of
goods sold), invoices and credit notes, customer receipts and their allocation, sales returns.

Same conventions as purchasing: quantities are scaled integers in the base unit, money integer fen,
unit prices integer micro-yuan per price unit (``unit_factor``); a discount is in 1/10000. The
reservations the orders hold are stock's running total (``stock_reservation``, server/inventory/models.py).
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

sales_order = Table(
    "sales_order",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("customer_id", IdType, ForeignKey("customer.id"), nullable=False, index=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    # draft → submitted → approved / rejected → partially_shipped → shipped → invoiced → closed; cancelled
    Column("status", String(20), nullable=False, index=True),
    Column("order_date", Date, nullable=False),
    Column("prices_include_vat", Boolean, nullable=False),
    Column("ship_to_address_id", IdType, ForeignKey("partner_address.id"), nullable=True),
    Column("salesperson_user_id", IdType, ForeignKey("app_user.id"), nullable=True),
    Column("note", String(500), nullable=False, server_default=""),
    Column("amount_fen", BigInteger, nullable=False),  # excl. VAT
    Column("tax_fen", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),  # 价税合计
    Column("approvals_required", Text, nullable=False, server_default="[]"),  # JSON [{reason, permission, role}]
    Column("approvals_done", Integer, nullable=False, server_default="0"),
    Column("credit_check", Text, nullable=False, server_default="{}"),  # JSON: exposure at submission
    Column("created_by", String(96), nullable=False),
    Column("created_by_user_id", IdType, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("approved_at", UtcDateTime, nullable=True),
)

sales_order_line = Table(
    "sales_order_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("order_id", IdType, ForeignKey("sales_order.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False, index=True),
    Column("unit_id", IdType, ForeignKey("unit.id"), nullable=False),
    Column("unit_factor", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),  # scaled, in ``unit_id``
    Column("qty", BigInteger, nullable=False),  # scaled, base unit
    Column("unit_price_micro", BigInteger, nullable=False),  # per unit; incl. VAT when the order says so
    Column("discount_bp", Integer, nullable=False, server_default="0"),
    Column("vat_rate_bp", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("tax_fen", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("requested_date", Date, nullable=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("reserved_qty", BigInteger, nullable=False, server_default="0"),
    Column("shipped_qty", BigInteger, nullable=False, server_default="0"),
    Column("invoiced_qty", BigInteger, nullable=False, server_default="0"),
    Column("returned_qty", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("order_id", "line_no"),
    CheckConstraint("qty > 0 AND reserved_qty >= 0 AND shipped_qty >= 0 AND shipped_qty <= qty", name="quantities"),
    CheckConstraint("invoiced_qty >= 0 AND invoiced_qty <= shipped_qty", name="invoiced_within_shipped"),
)

sales_order_history = Table(
    "sales_order_history",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("order_id", IdType, ForeignKey("sales_order.id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("from_status", String(20), nullable=False),
    Column("to_status", String(20), nullable=False),
    Column("reason", String(16), nullable=False, server_default=""),  # the approval step: amount, credit, discount
    Column("actor", String(96), nullable=False),
    Column("user_id", IdType, nullable=True),
    Column("comment", String(500), nullable=False, server_default=""),
    Column("at", UtcDateTime, nullable=False),
)

shipment = Table(
    "shipment",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("order_id", IdType, ForeignKey("sales_order.id"), nullable=False, index=True),
    Column("customer_id", IdType, ForeignKey("customer.id"), nullable=False, index=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("ship_date", Date, nullable=False),
    Column("operation_id", IdType, ForeignKey("stock_operation.id"), nullable=False),
    Column("cost_fen", BigInteger, nullable=False),  # COGS at moving average
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

shipment_line = Table(
    "shipment_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("shipment_id", IdType, ForeignKey("shipment.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("order_line_id", IdType, ForeignKey("sales_order_line.id"), nullable=False, index=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False, index=True),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=False),
    Column("lot_id", IdType, ForeignKey("lot.id"), nullable=True),
    Column("qty", BigInteger, nullable=False),
    Column("cost_fen", BigInteger, nullable=False),  # value that left stock (moving average)
    Column("invoiced_qty", BigInteger, nullable=False, server_default="0"),
    Column("returned_qty", BigInteger, nullable=False, server_default="0"),
    Column("returned_cost_fen", BigInteger, nullable=False, server_default="0"),
    # returns of goods already invoiced are credited (红字发票); the others just are not invoiced
    Column("credited_qty", BigInteger, nullable=False, server_default="0"),
    CheckConstraint(
        "qty > 0 AND returned_qty <= qty AND credited_qty <= returned_qty"
        " AND invoiced_qty + returned_qty - credited_qty <= qty",
        name="quantities",
    ),
)

sales_invoice = Table(
    "sales_invoice",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("kind", String(12), nullable=False),  # invoice | credit_note (红字, negative amounts)
    Column("invoice_type", String(8), nullable=False),  # special 专票 | normal 普票
    Column("customer_id", IdType, ForeignKey("customer.id"), nullable=False, index=True),
    Column("original_invoice_id", IdType, ForeignKey("sales_invoice.id"), nullable=True),
    Column("invoice_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    # e-invoice header (§4.4): buyer and seller names and tax ids, as they were when issued
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_tax_id", String(32), nullable=False, server_default=""),
    Column("seller_name", String(200), nullable=False),
    Column("seller_tax_id", String(32), nullable=False, server_default=""),
    Column("amount_fen", BigInteger, nullable=False),
    Column("tax_fen", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("received_fen", BigInteger, nullable=False, server_default="0"),
    Column("status", String(12), nullable=False, index=True),  # open | paid
    Column("remarks", String(300), nullable=False, server_default=""),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "(kind = 'invoice' AND received_fen >= 0 AND received_fen <= total_fen)"
        " OR (kind = 'credit_note' AND received_fen <= 0 AND received_fen >= total_fen)",
        name="received_within_total",
    ),
)

sales_invoice_line = Table(
    "sales_invoice_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("invoice_id", IdType, ForeignKey("sales_invoice.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("shipment_line_id", IdType, ForeignKey("shipment_line.id"), nullable=True, index=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("item_name", String(200), nullable=False),  # 项目名称
    Column("spec", String(200), nullable=False, server_default=""),  # 规格型号
    Column("unit_name", String(64), nullable=False, server_default=""),  # 单位
    Column("qty", BigInteger, nullable=False),  # base unit; negative on credit notes
    Column("unit_price_micro", BigInteger, nullable=False),  # per base unit excl. VAT (derived, for display)
    Column("vat_rate_bp", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("tax_fen", BigInteger, nullable=False),
    Column("credited_qty", BigInteger, nullable=False, server_default="0"),  # by credit notes, base unit
    Column("credited_fen", BigInteger, nullable=False, server_default="0"),  # incl. VAT, by credit notes
)

customer_receipt = Table(
    "customer_receipt",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("customer_id", IdType, ForeignKey("customer.id"), nullable=False, index=True),
    Column("receipt_date", Date, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("unallocated_fen", BigInteger, nullable=False),  # > 0: an advance (预收) still to be applied
    Column("method", String(16), nullable=False),
    Column("reference", String(64), nullable=False, server_default=""),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount_fen > 0 AND unallocated_fen >= 0 AND unallocated_fen <= amount_fen", name="amounts"),
)

receipt_allocation = Table(
    "receipt_allocation",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("receipt_id", IdType, ForeignKey("customer_receipt.id"), nullable=True, index=True),
    Column("credit_note_id", IdType, ForeignKey("sales_invoice.id"), nullable=True, index=True),
    Column("invoice_id", IdType, ForeignKey("sales_invoice.id"), nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("actor", String(96), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint("amount_fen > 0", name="positive"),
    CheckConstraint("(receipt_id IS NULL) <> (credit_note_id IS NULL)", name="one_source"),
)

sales_return = Table(
    "sales_return",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("shipment_id", IdType, ForeignKey("shipment.id"), nullable=False, index=True),
    Column("customer_id", IdType, ForeignKey("customer.id"), nullable=False),
    Column("return_date", Date, nullable=False),
    Column("reason", String(300), nullable=False),
    Column("operation_id", IdType, ForeignKey("stock_operation.id"), nullable=False),
    Column("cost_fen", BigInteger, nullable=False),  # value put back: the cost at which it was issued
    Column("credit_note_id", IdType, ForeignKey("sales_invoice.id"), nullable=True),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

sales_return_line = Table(
    "sales_return_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("return_id", IdType, ForeignKey("sales_return.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("shipment_line_id", IdType, ForeignKey("shipment_line.id"), nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("cost_fen", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # credited to the customer, excl. VAT
    Column("tax_fen", BigInteger, nullable=False),
)

# the reports select document lines by date (server/reports/sales.py)
Index("ix_sales_invoice_invoice_date", sales_invoice.c.invoice_date)
Index("ix_shipment_ship_date", shipment.c.ship_date)
Index("ix_sales_return_return_date", sales_return.c.return_date)
# the finance poster finds the document of a stock operation by its id (server/finance/poster.py)
Index("ix_shipment_operation_id", shipment.c.operation_id)
Index("ix_sales_return_operation_id", sales_return.c.operation_id)
