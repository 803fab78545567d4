"""Principals and helpers for the finance tests: set up the books, post pending events, read balances."""

from __future__ import annotations

from sqlalchemy import func, select

from server.finance.books import do_setup_books
from server.finance.check import books_problems
from server.finance.models import voucher, voucher_line
from server.finance.poster import post_pending
from tests.purchasing_helpers import principal

ACCOUNTANT = principal("accountant", 21, "kuaiji")
ACCOUNTANT2 = principal("accountant", 22, "kuaiji2")
FINANCE_MANAGER = principal("finance_manager", 23, "zhuguan")
CASHIER = principal("cashier", 24, "chuna")
CLERK = principal("cashier", 25, "xiaozhou")


async def setup_books(db, standard: str = "enterprise") -> None:
    await do_setup_books(db, standard, FINANCE_MANAGER)


async def balances(db, *, period: int | None = None, by: str | None = None) -> dict:
    """Posted debit − credit per account code (or per (code, dimension) with ``by``), in fen."""
    await post_pending(db)
    cols = [voucher_line.c.account_code] + ([voucher_line.c[by]] if by else [])
    q = (
        select(*cols, func.sum(voucher_line.c.debit_fen - voucher_line.c.credit_fen))
        .where(voucher_line.c.posted.is_(True))
        .group_by(*cols)
    )
    if period is not None:
        q = q.where(voucher_line.c.period <= period)
    async with db.read() as conn:
        rows = (await conn.execute(q)).all()
    if by:
        return {(r[0], r[1]): int(r[2]) for r in rows if r[2]}
    return {r[0]: int(r[1]) for r in rows if r[1]}


async def assert_books_clean(db) -> None:
    await post_pending(db)
    async with db.read() as conn:
        problems = await books_problems(conn)
    assert problems == [], problems


async def vouchers_of(db, source_type: str | None = None):
    await post_pending(db)
    q = select(voucher).order_by(voucher.c.id)
    if source_type:
        q = q.where(voucher.c.source_type == source_type)
    async with db.read() as conn:
        return (await conn.execute(q)).all()


async def lines_of(db, voucher_id: int) -> list[tuple[str, int, int]]:
    async with db.read() as conn:
        return [
            (r.account_code, r.debit_fen, r.credit_fen)
            for r in await conn.execute(
                select(voucher_line).where(voucher_line.c.voucher_id == voucher_id).order_by(voucher_line.c.line_no)
            )
        ]


async def buy(db, pw, product_id: int, qty: str, price: str, location_id: int, on, *, landed: str = "0"):
    """An approved PO received in full into ``location_id``; returns (order, receipt, receipt line row)."""
    from server.purchasing.models import goods_receipt_line, purchase_order_line
    from server.purchasing.orders import (
        OrderInput,
        OrderLineInput,
        do_approve_purchase_order,
        do_create_purchase_order,
        do_submit_purchase_order,
    )
    from server.purchasing.receipts import ReceiptInput, ReceiptLineInput, do_receive_goods
    from tests.purchasing_helpers import KEEPER, MANAGER, PURCHASER

    po = await do_create_purchase_order(
        db,
        OrderInput(
            pw.supplier, pw.w.wh1, [OrderLineInput(product_id, qty, unit_price=price, vat_rate="0.13")], order_date=on
        ),
        PURCHASER,
    )
    await do_submit_purchase_order(db, po, PURCHASER)
    await do_approve_purchase_order(db, po, MANAGER)
    async with db.read() as conn:
        pol = (await conn.execute(select(purchase_order_line).where(purchase_order_line.c.order_id == po))).one()
    rc = await do_receive_goods(
        db,
        ReceiptInput(
            lines=[ReceiptLineInput(qty, order_line_id=pol.id, location_id=location_id)],
            order_id=po,
            receipt_date=on,
            landed_cost=landed,
        ),
        KEEPER,
    )
    async with db.read() as conn:
        rl = (await conn.execute(select(goods_receipt_line).where(goods_receipt_line.c.receipt_id == rc))).one()
    return po, rc, rl


async def sell(db, w, customer_id: int, product_id: int, qty: str, price: str, location_id: int, on):
    """An approved sales order shipped in full from ``location_id`` and invoiced; (order, shipment, invoice)."""
    from server.sales.invoicing import InvoiceInput, do_create_invoice
    from server.sales.models import sales_order_line
    from server.sales.orders import SalesLineInput, SalesOrderInput, do_create_sales_order, do_submit_sales_order
    from server.sales.shipping import ShipmentInput, ShipmentLineInput, do_ship_goods
    from tests.purchasing_helpers import ACCOUNTANT as BILL_CLERK
    from tests.purchasing_helpers import KEEPER
    from tests.sales_helpers import SALES

    so = await do_create_sales_order(
        db, SalesOrderInput(customer_id, w.wh1, [SalesLineInput(product_id, qty, None, price)], order_date=on), SALES
    )
    assert await do_submit_sales_order(db, so, SALES) == "approved"
    async with db.read() as conn:
        sol = (await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == so))).one()
    sh = await do_ship_goods(db, ShipmentInput(so, [ShipmentLineInput(sol.id, qty, location_id)], ship_date=on), KEEPER)
    inv = await do_create_invoice(db, InvoiceInput(customer_id, shipment_ids=[sh], invoice_date=on), BILL_CLERK)
    return so, sh, inv
