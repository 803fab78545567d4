"""Purchasing part of the demo company: supplier price lists, preferred suppliers, and purchase
orders in every interesting state — a draft, one awaiting approval, one partially received with a
rejected line, and one received, billed and paid.

Each document carries an idempotency key (``demo-po-…``), and the transitions are applied only
when the order is not past them yet, so an interrupted load resumes like the rest of the demo.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.auth.permissions import BUILTIN_ROLES
from server.auth.services import Principal
from server.core.database import Database
from server.core.numbers import fen_to_decimal
from server.purchasing import bills, orders, prices, receipts
from server.purchasing.models import (
    goods_receipt_line,
    purchase_order,
    purchase_order_line,
    supplier_bill,
    supplier_price,
)

PURCHASER = Principal(
    kind="user",
    name="demo-purchaser",
    user_id=None,
    token_id=None,
    permissions=BUILTIN_ROLES["purchaser"][2],
    roles=("purchaser",),
)
MANAGER = Principal(
    kind="user",
    name="demo-manager",
    user_id=None,
    token_id=None,
    permissions=BUILTIN_ROLES["purchase_manager"][2],
    roles=("purchase_manager",),
)
KEEPER = Principal(
    kind="user",
    name="demo-keeper",
    user_id=None,
    token_id=None,
    permissions=BUILTIN_ROLES["warehouse_keeper"][2],
    roles=("warehouse_keeper",),
)
ACCOUNTANT = Principal(
    kind="user",
    name="demo-accountant",
    user_id=None,
    token_id=None,
    permissions=BUILTIN_ROLES["accountant"][2],
    roles=("accountant",),
)
CASHIER = Principal(
    kind="user",
    name="demo-cashier",
    user_id=None,
    token_id=None,
    permissions=BUILTIN_ROLES["cashier"][2],
    roles=("cashier",),
)

# sku, supplier, price per base unit excl. VAT, minimum order quantity, lead time days, preferred
PRICES = [
    ("DRK-001", "S001", "1.02", "240", 3, True),
    ("DRK-001", "S005", "0.98", "1200", 7, False),
    ("DRK-002", "S001", "1.85", "120", 3, True),
    ("DRK-003", "S001", "2.75", "96", 5, True),
    ("DRK-004", "S001", "1.90", "96", 5, True),
    ("DRK-005", "S005", "5.40", "48", 10, True),
]

# key, supplier, warehouse, days ago, [(sku, quantity, unit price or None)], target state;
ORDERS = [
    ("partial", "S001", "SH01", 6, [("DRK-003", "192", None), ("DRK-004", "192", None)], "partial"),
    ("submitted", "S005", "SH01", 1, [("DRK-005", "96", None)], "submitted"),
    ("draft", "S001", "BJ01", 0, [("DRK-001", "240", None)], "draft"),
    ("paid", "S001", "SH01", 20, [("DRK-001", "480", None), ("DRK-002", "240", None)], "paid"),
]


async def load_purchasing_demo(
    db: Database,
    today: date,
    products: dict[str, int],
    suppliers: dict[str, int],
    warehouses: dict[str, int],
    bin_of: dict[tuple[str, str], int],
) -> None:
    """``bin_of[(warehouse code, sku)]`` is the bin that product is stored in."""
    async with db.read() as conn:
        have_prices = (await conn.execute(select(supplier_price.c.id).limit(1))).first() is not None
    if not have_prices:  # prices have no idempotency key: they are created in one go, or not at all
        for sku, sup, price, moq, lead, _preferred in PRICES:
            await prices.do_create_supplier_price(
                db,
                prices.SupplierPriceInput(
                    supplier_id=suppliers[sup],
                    product_id=products[sku],
                    unit_price=price,
                    min_order_qty=moq,
                    lead_time_days=lead,
                    valid_from=today - timedelta(days=90),
                ),
            )
    for sku, sup, *_, preferred in PRICES:
        if preferred:
            await prices.do_set_preferred_supplier(db, products[sku], suppliers[sup])

    for key, sup, wh, days_ago, lines, target in ORDERS:
        order_date = today - timedelta(days=days_ago)
        order_id = await orders.do_create_purchase_order(
            db,
            orders.OrderInput(
                supplier_id=suppliers[sup],
                warehouse_id=warehouses[wh],
                order_date=order_date,
                note="演示订单 demo order",
                lines=[
                    orders.OrderLineInput(
                        product_id=products[sku],
                        quantity=qty,
                        unit_price=price,
                        expected_date=order_date + timedelta(days=3),
                    )
                    for sku, qty, price in lines
                ],
            ),
            PURCHASER,
            idempotency_key=f"demo-po-{key}",
        )
        if target == "draft":
            continue
        status = await _status(db, order_id)
        if status == "draft":
            await orders.do_submit_purchase_order(db, order_id, PURCHASER)
            status = "submitted"
        if target == "submitted":
            continue
        if status == "submitted":
            await orders.do_approve_purchase_order(db, order_id, MANAGER, "演示审批 demo approval")
        order_lines = await _lines(db, order_id)
        receipt_date = order_date + (timedelta(days=2) if target == "paid" else timedelta(days=5))
        if target == "paid":
            received = [
                receipts.ReceiptLineInput(
                    order_line_id=ln.id, received_quantity=str(ln.qty // 10**6), location_id=bin_of[(wh, sku)]
                )
                for ln, (sku, _, _) in zip(order_lines, lines)
            ]
            landed = "36.00"
        else:  # the first line arrives with 12 damaged bottles, the second not yet
            ln, (sku, _, _) = order_lines[0], lines[0]
            received = [
                receipts.ReceiptLineInput(
                    order_line_id=ln.id,
                    received_quantity="120",
                    rejected_quantity="12",
                    reject_reason="瓶身破损 damaged bottles",
                    location_id=bin_of[(wh, sku)],
                )
            ]
            landed = "0"
        receipt_id = await receipts.do_receive_goods(
            db,
            receipts.ReceiptInput(order_id=order_id, receipt_date=receipt_date, landed_cost=landed, lines=received),
            KEEPER,
            idempotency_key=f"demo-receipt-{key}",
        )
        if target != "paid":
            continue
        async with db.read() as conn:
            receipt_lines = (
                await conn.execute(
                    select(goods_receipt_line.c.id, goods_receipt_line.c.accepted_qty)
                    .where(goods_receipt_line.c.receipt_id == receipt_id)
                    .order_by(goods_receipt_line.c.line_no)
                )
            ).all()
        bill_id = await bills.do_create_supplier_bill(
            db,
            bills.BillInput(
                supplier_id=suppliers[sup],
                supplier_invoice_no="26312000000000012345",
                bill_date=receipt_date,
                lines=[bills.BillLineInput(r.id, str(r.accepted_qty // 10**6)) for r in receipt_lines],
            ),
            ACCOUNTANT,
            idempotency_key=f"demo-bill-{key}",
        )
        async with db.read() as conn:
            total = (
                await conn.execute(select(supplier_bill.c.total_fen).where(supplier_bill.c.id == bill_id))
            ).scalar_one()
        # the bill in full, plus a prepayment of 1,000.00 for the next order
        await bills.do_record_supplier_payment(
            db,
            bills.PaymentInput(
                supplier_id=suppliers[sup],
                amount=str(fen_to_decimal(total + 100_000)),
                payment_date=receipt_date + timedelta(days=7),
                reference="网银 demo transfer",
                allocations=[bills.Allocation(bill_id, str(fen_to_decimal(total)))],
            ),
            CASHIER,
            idempotency_key="demo-payment-paid",
        )


async def _status(db: Database, order_id: int) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(purchase_order.c.status).where(purchase_order.c.id == order_id))).scalar_one()


async def _lines(db: Database, order_id: int):
    async with db.read() as conn:
        return (
            await conn.execute(
                select(purchase_order_line)
                .where(purchase_order_line.c.order_id == order_id)
                .order_by(purchase_order_line.c.line_no)
            )
        ).all()
