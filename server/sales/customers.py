"""The customer view that helps sales: open orders, receivables with aging, what the customer bought."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.sales.invoicing import receivables_query
from server.sales.models import sales_invoice, sales_invoice_line, sales_order
from server.sales.orders import credit_exposure

OPEN_ORDER_STATUSES = ("draft", "submitted", "approved", "partially_shipped", "shipped")


@dataclass
class TopProduct:
    product_id: int
    quantity: int  # scaled base units, net of credit notes
    amount_fen: int  # excl. VAT, net of credit notes


@dataclass
class CustomerOverview:
    open_orders: int
    open_orders_fen: int
    receivables: object | None  # a receivables_query row (balance and aging), None when nothing is open
    exposure_fen: int  # what the credit check counts: receivables + orders not yet invoiced
    invoiced_fen: int  # revenue incl. VAT invoiced in the period, net of credit notes
    top_products: list[TopProduct]


async def customer_overview(
    conn: AsyncConnection, customer_id: int, start: date, end: date, top: int = 10
) -> CustomerOverview:
    orders = (
        await conn.execute(
            select(func.count(), func.coalesce(func.sum(sales_order.c.total_fen), 0)).where(
                sales_order.c.customer_id == customer_id, sales_order.c.status.in_(OPEN_ORDER_STATUSES)
            )
        )
    ).one()
    receivables = (await conn.execute(receivables_query(end, customer_id))).first()
    exposure = await credit_exposure(conn, customer_id)
    in_period = (
        sales_invoice.c.customer_id == customer_id,
        sales_invoice.c.invoice_date >= start,
        sales_invoice.c.invoice_date <= end,
    )
    invoiced = (
        await conn.execute(select(func.coalesce(func.sum(sales_invoice.c.total_fen), 0)).where(*in_period))
    ).scalar_one()
    rows = (
        await conn.execute(
            select(
                sales_invoice_line.c.product_id,
                func.sum(sales_invoice_line.c.qty).label("qty"),
                func.sum(sales_invoice_line.c.amount_fen).label("amount"),
            )
            .join(sales_invoice, sales_invoice.c.id == sales_invoice_line.c.invoice_id)
            .where(*in_period)
            .group_by(sales_invoice_line.c.product_id)
            .order_by(func.sum(sales_invoice_line.c.amount_fen).desc(), sales_invoice_line.c.product_id)
            .limit(top)
        )
    ).all()
    return CustomerOverview(
        open_orders=orders[0],
        open_orders_fen=int(orders[1]),
        receivables=receivables,
        exposure_fen=exposure["receivables_fen"] + exposure["uninvoiced_orders_fen"],
        invoiced_fen=int(invoiced),
        top_products=[TopProduct(r.product_id, int(r.qty), int(r.amount)) for r in rows],
    )
