"""Inventory tables: warehouses, locations, lots, the stock ledger, stock levels, reservations and product cost.

``stock_move`` is the ledger and is append-only (database triggers refuse UPDATE and DELETE).
``stock_level`` and ``product_cost`` are running totals maintained in the same transaction as the
moves; ``jxc check`` proves they equal the ledger.
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
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from server.core.db_types import IdType, UtcDateTime, metadata

warehouse = Table(
    "warehouse",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("address", String(300), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
)

location = Table(
    "location",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False, index=True),
    Column("parent_id", IdType, ForeignKey("location.id"), nullable=True),
    # globally unique, printed on the bin label and scanned
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(128), nullable=False, server_default=""),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    # bin: a place on the shelves; transit: goods on their way to this warehouse (not pickable)
    Column("kind", String(8), nullable=False, server_default="bin"),
)

lot = Table(
    "lot",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("expiry_date", Date, nullable=True),
    # a serial-tracked product's lot is its serial; batch keeps the production lot (10) of that unit
    Column("batch", String(64), nullable=True),
    UniqueConstraint("product_id", "code"),
)

stock_level = Table(
    "stock_level",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=False, index=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False, index=True),
    Column("lot_id", IdType, ForeignKey("lot.id"), nullable=True),
    # lot_id or 0: NULLs are distinct in UNIQUE constraints, so uniqueness uses this key
    Column("lot_key", BigInteger, nullable=False, server_default="0"),
    Column("qty", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("product_id", "location_id", "lot_key"),
    CheckConstraint("qty >= 0", name="qty_not_negative"),
    CheckConstraint("lot_key = COALESCE(lot_id, 0)", name="lot_key"),
)

product_cost = Table(
    "product_cost",
    metadata,
    Column("product_id", IdType, ForeignKey("product.id"), primary_key=True, autoincrement=False),
    Column("qty", BigInteger, nullable=False),
    # total value in fen is the master figure; unit cost = value / qty
    Column("value_fen", BigInteger, nullable=False),
    Column("method", String(16), nullable=False, server_default="moving_average"),
    CheckConstraint("qty >= 0", name="qty_not_negative"),
    CheckConstraint("value_fen >= 0", name="value_not_negative"),
    CheckConstraint("qty > 0 OR value_fen = 0", name="no_value_without_qty"),
)

# reserved for sales orders per product and warehouse: the ledger refuses to take stock below it
stock_reservation = Table(
    "stock_reservation",
    metadata,
    # reserved quantity per product and warehouse; available = on hand − reserved, never negative
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("reserved_qty", BigInteger, nullable=False),
    PrimaryKeyConstraint("product_id", "warehouse_id"),
    CheckConstraint("reserved_qty >= 0", name="not_negative"),
)

# available to sell (可售库存) per product and warehouse: the safety stock an administrator keeps back from
# the shops, and the figure last published (server/inventory/availability.py). One row per pair that ever
# had stock, a reservation or a safety stock; the row is also the lock that orders the pair's
# ``stock.available_to_sell`` events. ``id`` pages the ``availableToSell`` query (keyset: new rows go last).
stock_availability = Table(
    "stock_availability",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("safety_qty", BigInteger, nullable=False, server_default="0"),
    # sellable on hand − reserved − safety stock when it last changed (may be negative)
    Column("net_qty", BigInteger, nullable=False, server_default="0"),
    Column("changed_at", UtcDateTime, nullable=False, index=True),
    UniqueConstraint("product_id", "warehouse_id"),
    CheckConstraint("safety_qty >= 0", name="safety_not_negative"),
)

stock_operation = Table(
    "stock_operation",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("op_type", String(32), nullable=False),
    Column("reference", String(64), nullable=False, server_default=""),
    Column("reason", String(300), nullable=False, server_default=""),
    Column("actor", String(64), nullable=False, server_default=""),
    # a retried request with the same key finds this row; the hash tells a different payload apart
    Column(
        "idempotency_key", String(160), nullable=True, unique=True
    ),  # owner prefix + key (server/core/idempotency.py)
    Column("request_hash", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # the document type that posted it (goods_receipt, shipment …); "" for the plain stock primitives
    Column("source_type", String(24), nullable=False, server_default=""),
    # the business date the operation is booked on (issue #19): the one given, or the day it was made.
    # Rows made before migration 0019 have none: they are dated by ``created_at``'s business date.
    Column("business_date", Date, nullable=True),
)

stock_move = Table(
    "stock_move",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("operation_id", IdType, ForeignKey("stock_operation.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("move_type", String(32), nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("lot_id", IdType, ForeignKey("lot.id"), nullable=True),
    Column("from_location_id", IdType, ForeignKey("location.id"), nullable=True),
    Column("to_location_id", IdType, ForeignKey("location.id"), nullable=True),
    Column("qty", BigInteger, nullable=False),
    Column("value_fen", BigInteger, nullable=False),
    Column("reason", String(300), nullable=False, server_default=""),
    # the source document line (e.g. "PO2026-000123/2"); later issues link their documents here
    Column("source_document", String(64), nullable=False, server_default=""),
    Column("source_line_id", BigInteger, nullable=True),
    Column("actor", String(64), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("value_fen >= 0", name="value_not_negative"),
    CheckConstraint("from_location_id IS NOT NULL OR to_location_id IS NOT NULL", name="has_location"),
)
Index("ix_stock_move_product_created", stock_move.c.product_id, stock_move.c.id)
Index("ix_stock_move_created_at", stock_move.c.created_at)  # the reports read the ledger by time

reorder_rule = Table(
    "reorder_rule",
    metadata,
    # min/max per product and warehouse; ``below`` remembers the side of the minimum available stock
    # was on, so the low-stock event fires once per crossing, not on every move
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("min_qty", BigInteger, nullable=False),
    Column("max_qty", BigInteger, nullable=False),
    Column("below", Boolean, nullable=False, server_default="0"),
    PrimaryKeyConstraint("product_id", "warehouse_id"),
    CheckConstraint("min_qty >= 0 AND max_qty >= min_qty", name="min_max"),
)

transfer_order = Table(
    "transfer_order",
    metadata,
    # a transfer between warehouses: dispatched into the destination's transit location, then
    # received into its bins; differences on arrival are recorded and written off
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("from_warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("to_warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("status", String(20), nullable=False, index=True),  # in_transit | partially_received | received
    Column("dispatch_date", Date, nullable=False),
    Column("note", String(300), nullable=False, server_default=""),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

transfer_order_line = Table(
    "transfer_order_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("transfer_id", IdType, ForeignKey("transfer_order.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("lot_id", IdType, ForeignKey("lot.id"), nullable=True),
    Column("from_location_id", IdType, ForeignKey("location.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),  # dispatched
    Column("received_qty", BigInteger, nullable=False, server_default="0"),
    Column("difference_qty", BigInteger, nullable=False, server_default="0"),  # lost or damaged on the way
    Column("difference_reason", String(200), nullable=False, server_default=""),
    Column("done", Boolean, nullable=False, server_default="0"),
    CheckConstraint("qty > 0 AND received_qty + difference_qty <= qty", name="quantities"),
)

stock_count = Table(
    "stock_count",
    metadata,
    # 盘点: open (counting) → approved (variances posted) | cancelled
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("mode", String(8), nullable=False),  # snapshot | freeze
    Column("blind", Boolean, nullable=False, server_default="1"),
    Column("status", String(12), nullable=False, index=True),
    Column("count_date", Date, nullable=False),
    Column("note", String(300), nullable=False, server_default=""),
    Column("created_by", String(96), nullable=False),
    Column("approved_by", String(96), nullable=False, server_default=""),
    Column("gain_fen", BigInteger, nullable=False, server_default="0"),
    Column("loss_fen", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
)

stock_count_line = Table(
    "stock_count_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("count_id", IdType, ForeignKey("stock_count.id"), nullable=False, index=True),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("lot_id", IdType, ForeignKey("lot.id"), nullable=True),
    Column("snapshot_qty", BigInteger, nullable=False),  # book quantity when the count was opened
    Column("counted_qty", BigInteger, nullable=True),
    Column("book_qty", BigInteger, nullable=True),  # snapshot + net moves since, when the count was recorded
    Column("counted_by", String(96), nullable=False, server_default=""),
    Column("recount_required", Boolean, nullable=False, server_default="0"),
    Column("recounted_qty", BigInteger, nullable=True),
    Column("recounted_by", String(96), nullable=False, server_default=""),
    Column("variance_qty", BigInteger, nullable=True),  # final counted − book
    Column("variance_fen", BigInteger, nullable=True),  # value posted (gain +, loss −)
)

frozen_location = Table(
    "frozen_location",
    metadata,
    # locations under a freeze count: the ledger refuses moves into or out of them
    Column("location_id", IdType, ForeignKey("location.id"), primary_key=True, autoincrement=False),
    Column("count_id", IdType, ForeignKey("stock_count.id"), nullable=False),
)

bill_of_materials = Table(
    "bill_of_materials",
    metadata,
    # a simple one-level BOM: one finished base unit needs ``qty_per`` base units of the component
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("component_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("qty_per", BigInteger, nullable=False),
    PrimaryKeyConstraint("product_id", "component_id"),
    CheckConstraint("qty_per > 0 AND product_id <> component_id", name="component"),
)

production_order = Table(
    "production_order",
    metadata,
    # 生产单: open → in_progress → completed; cancelled before anything was issued
    Column("id", IdType, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), nullable=False),
    Column("planned_qty", BigInteger, nullable=False),
    Column("status", String(12), nullable=False, index=True),
    Column("labour_fen", BigInteger, nullable=False, server_default="0"),
    Column("overhead_fen", BigInteger, nullable=False, server_default="0"),
    Column("received_qty", BigInteger, nullable=False, server_default="0"),
    Column("received_value_fen", BigInteger, nullable=False, server_default="0"),
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("planned_qty > 0", name="planned"),
)

production_order_line = Table(
    "production_order_line",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("order_id", IdType, ForeignKey("production_order.id"), nullable=False, index=True),
    Column("component_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("required_qty", BigInteger, nullable=False),
    Column("issued_qty", BigInteger, nullable=False, server_default="0"),
    Column("issued_value_fen", BigInteger, nullable=False, server_default="0"),
    Column("returned_qty", BigInteger, nullable=False, server_default="0"),
    Column("returned_value_fen", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("returned_qty <= issued_qty", name="returned_within_issued"),
)

lot_expiry_alert = Table(
    "lot_expiry_alert",
    metadata,
    # a lot for which the "expiring soon" event was written (once per lot)
    Column("lot_id", IdType, ForeignKey("lot.id"), primary_key=True, autoincrement=False),
    Column("alerted_at", UtcDateTime, nullable=False),
)
