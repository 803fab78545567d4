"""The day's key figures (经营看板) in one query: sales and margin today and month to date, stock
value, 30-day turnover, overdue receivables, low-stock count, open purchase and sales orders.

``warehouses`` (from ``server.auth.scope.warehouses``; ``None``: all) limits every figure to those
warehouses: sales and margin as in ``server.reports.sales``, stock value the ledger value of their
locations (``stock_value_as_of``), reorder rules and orders by their warehouse. Receivables belong
to customers, not to a warehouse (one invoice can bill shipments from several, one receipt pays
several invoices): ``overdue_receivables`` is ``None`` for a caller limited to some warehouses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.core import clock
from server.inventory.models import product_cost, reorder_rule
from server.purchasing.models import purchase_order
from server.reports.inventory import stock_value_as_of, total_turnover
from server.reports.sales import sales_report
from server.sales.invoicing import receivables_query
from server.sales.models import sales_order

OPEN_PO = ("submitted", "approved", "partially_received")
OPEN_SO = ("submitted", "approved", "partially_shipped")


@dataclass
class Dashboard:
    on: date
    sales_today: int
    margin_today: int
    sales_month: int
    margin_month: int
    stock_value: int
    turnover_30d: Decimal | None
    overdue_receivables: int | None  # None: not shown to a caller limited to some warehouses
    low_stock: int
    open_purchase_orders: int
    open_sales_orders: int


async def dashboard(
    conn: AsyncConnection, on: date | None = None, *, warehouses: frozenset[int] | None = None
) -> Dashboard:
    on = on or clock.today()
    today = (await sales_report(conn, on, on, "day", compare=False, warehouses=warehouses)).total
    month = (await sales_report(conn, on.replace(day=1), on, "day", compare=False, warehouses=warehouses)).total
    if warehouses is None:
        stock_value = int(
            (await conn.execute(select(func.coalesce(func.sum(product_cost.c.value_fen), 0)))).scalar_one()
        )
        rec = (await conn.execute(receivables_query(on))).all()
        overdue = int(sum(r.days_1_30 + r.days_31_60 + r.days_61_90 + r.over_90 for r in rec))
    else:
        stock_value = await stock_value_as_of(conn, clock.today(), warehouses)
        overdue = None
    total = await total_turnover(conn, on - timedelta(days=29), on, warehouses)
    low = await conn.execute(
        select(func.count())
        .select_from(reorder_rule)
        .where(reorder_rule.c.below.is_(True), scope.within(warehouses, reorder_rule.c.warehouse_id))
    )
    open_po = (
        await conn.execute(
            select(func.count())
            .select_from(purchase_order)
            .where(purchase_order.c.status.in_(OPEN_PO), scope.within(warehouses, purchase_order.c.warehouse_id))
        )
    ).scalar_one()
    open_so = (
        await conn.execute(
            select(func.count())
            .select_from(sales_order)
            .where(sales_order.c.status.in_(OPEN_SO), scope.within(warehouses, sales_order.c.warehouse_id))
        )
    ).scalar_one()
    return Dashboard(
        on,
        today.revenue,
        today.margin,
        month.revenue,
        month.margin,
        stock_value,
        total.turnover(),
        overdue,
        low.scalar_one(),
        open_po,
        open_so,
    )
