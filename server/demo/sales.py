"""Sales part of the demo company: customers with credit limits and invoice data, the seller's
invoice header, and sales orders in the interesting states — shipped, invoiced and partly paid;
approved with stock reserved; waiting for a credit approval (a D-rated customer); a VAT-inclusive
retail draft. Resumable like the rest of the demo (idempotency keys ``demo-so-…``)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.auth.permissions import BUILTIN_ROLES
from server.auth.services import Principal
from server.core.database import Database
from server.core.numbers import fen_to_decimal
from server.partners.services import PartnerInput, do_update_partner
from server.sales import invoicing, orders, settings, shipping
from server.sales.models import sales_invoice, sales_order, sales_order_line, shipment

LAST_STEP_KEY = "demo-receipt-shipped"  # the demo is complete once this customer receipt exists


def _principal(name: str, role: str) -> Principal:
    return Principal(
        kind="user", name=name, user_id=None, token_id=None, permissions=BUILTIN_ROLES[role][2], roles=(role,)
    )


SALES = _principal("demo-sales", "sales")
KEEPER = _principal("demo-keeper", "warehouse_keeper")
ACCOUNTANT = _principal("demo-accountant", "accountant")
CASHIER = _principal("demo-cashier", "cashier")
ADMIN = _principal("demo-admin", "admin")

# code, rating, credit limit (yuan; None = not checked), payment terms, invoice type
CREDIT = [
    ("C001", "A", "20000", 30, "normal"),
    ("C002", "B", "50000", 45, "special"),
    ("C003", "C", "5000", 30, "special"),
    ("C004", "D", "0", 0, "special"),
]

# key, customer, warehouse, days ago, VAT-inclusive, [(sku, quantity, unit price or None)], target
ORDERS: list[tuple[str, str, str, int, bool, list[tuple[str, str, str | None]], str]] = [
    ("shipped", "C002", "SH01", 12, False, [("DRK-001", "240", None), ("DRK-007", "144", None)], "paid"),
    ("reserved", "C001", "SH01", 2, False, [("DRK-003", "48", None)], "approved"),
    ("credit", "C004", "SH01", 1, False, [("SNK-001", "24", None)], "submitted"),
    ("retail", "C006", "BJ01", 0, True, [("DRK-005", "6", "11.00")], "draft"),
]


async def load_sales_demo(
    db: Database,
    today: date,
    products: dict[str, int],
    customers: dict[str, int],
    warehouses: dict[str, int],
    bin_of: dict[tuple[str, str], int],
) -> None:
    for code, rating, limit, terms, invoice_type in CREDIT:
        await do_update_partner(
            db,
            "customer",
            customers[code],
            PartnerInput(credit_rating=rating, credit_limit=limit, payment_terms_days=terms, invoice_type=invoice_type),
        )
    await settings.do_change_sales_settings(
        db,
        settings.SalesSettingsChange(seller_name="上海示例商贸有限公司 (jxc demo)", seller_tax_id="91310115MA1K4XYZ8J"),
        ADMIN,
    )

    for key, cust, wh, days_ago, inclusive, lines, target in ORDERS:
        order_date = today - timedelta(days=days_ago)
        order_id = await orders.do_create_sales_order(
            db,
            orders.SalesOrderInput(
                customer_id=customers[cust],
                warehouse_id=warehouses[wh],
                order_date=order_date,
                prices_include_vat=inclusive,
                note="演示订单 demo order",
                lines=[
                    orders.SalesLineInput(product_id=products[sku], quantity=qty, unit_price=price)
                    for sku, qty, price in lines
                ],
            ),
            SALES,
            idempotency_key=f"demo-so-{key}",
        )
        if target == "draft":
            continue
        async with db.read() as conn:
            status = (await conn.execute(select(sales_order.c.status).where(sales_order.c.id == order_id))).scalar_one()
        if status == "draft":
            await orders.do_submit_sales_order(db, order_id, SALES)
        if target != "paid":
            continue
        async with db.read() as conn:
            order_lines = (
                await conn.execute(
                    select(sales_order_line)
                    .where(sales_order_line.c.order_id == order_id)
                    .order_by(sales_order_line.c.line_no)
                )
            ).all()
        shipment_id = await shipping.do_ship_goods(
            db,
            shipping.ShipmentInput(
                order_id=order_id,
                ship_date=order_date + timedelta(days=1),
                lines=[
                    shipping.ShipmentLineInput(order_line_id=ln.id, quantity=qty, location_id=bin_of[(wh, sku)])
                    for ln, (sku, qty, _) in zip(order_lines, lines)
                ],
            ),
            KEEPER,
            idempotency_key=f"demo-ship-{key}",
        )
        async with db.read() as conn:
            number = (await conn.execute(select(shipment.c.number).where(shipment.c.id == shipment_id))).scalar_one()
        invoice_id = await invoicing.do_create_invoice(
            db,
            invoicing.InvoiceInput(
                customer_id=customers[cust],
                shipment_ids=[shipment_id],
                invoice_date=order_date + timedelta(days=1),
                remarks=f"发货单 {number}",
            ),
            ACCOUNTANT,
            idempotency_key=f"demo-invoice-{key}",
        )
        async with db.read() as conn:
            total = (
                await conn.execute(select(sales_invoice.c.total_fen).where(sales_invoice.c.id == invoice_id))
            ).scalar_one()
        half = total // 2  # half paid so far: the rest is an open receivable
        await invoicing.do_record_customer_receipt(
            db,
            invoicing.CustomerReceiptInput(
                customer_id=customers[cust],
                amount=str(fen_to_decimal(half)),
                receipt_date=order_date + timedelta(days=8),
                reference="网银 demo transfer",
                allocations=[invoicing.Allocation(invoice_id, str(fen_to_decimal(half)))],
            ),
            CASHIER,
            idempotency_key=LAST_STEP_KEY,
        )
