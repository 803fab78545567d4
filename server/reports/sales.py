"""Sales analysis (销售报表): revenue, quantity, cost of goods shipped, gross margin and margin %, by
product, category, customer, salesperson, warehouse, or by day/week/month, with the previous period
for the trend, shares (structure), top/bottom N and return rates.

Sources, so that totals agree with the books: revenue is the invoiced amount excl. VAT (invoices minus
red credit notes — what 主营业务收入 receives), cost is the value that left stock with the shipments
minus what came back with returns (the 主营业务成本 of those documents), quantities are shipped minus
returned. Everything is one SQL aggregation over a UNION ALL of the three document line tables.

Warehouse scope (``warehouses``, from ``server.auth.scope.warehouses``; ``None``: every warehouse):
shipment lines count by their shipment's warehouse, return lines by the warehouse of the shipment
they came back from, invoice and credit-note lines through the shipment line they bill. An invoice
line without a shipment line has no warehouse and is left out for a caller limited to some
warehouses. Totals, shares and the previous period are those of the rows the caller may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.models import app_user
from server.catalog.models import category, product
from server.inventory.models import warehouse
from server.partners.models import customer
from server.sales.models import (
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_return,
    sales_return_line,
    shipment,
    shipment_line,
)

GROUPINGS = ("product", "category", "customer", "salesperson", "warehouse", "day", "week", "month")


@dataclass
class SalesRow:
    key: str
    label: str
    quantity: int = 0  # scaled, shipped − returned
    shipped: int = 0
    returned: int = 0
    revenue: int = 0  # fen excl. VAT
    cost: int = 0
    previous_revenue: int | None = None

    @property
    def margin(self) -> int:
        return self.revenue - self.cost

    @property
    def margin_pct(self) -> Decimal | None:
        return None if not self.revenue else (Decimal(self.margin) * 100 / self.revenue).quantize(Decimal("0.01"))

    @property
    def return_rate(self) -> Decimal | None:
        return None if not self.shipped else (Decimal(self.returned) * 100 / self.shipped).quantize(Decimal("0.01"))


@dataclass
class SalesReport:
    group_by: str
    start: date
    end: date
    rows: list[SalesRow] = field(default_factory=list)
    total: SalesRow = field(default_factory=lambda: SalesRow("total", "合计 Total"))

    def share(self, row: SalesRow) -> Decimal | None:
        if not self.total.revenue:
            return None
        return (Decimal(row.revenue) * 100 / self.total.revenue).quantize(Decimal("0.01"))


def sales_facts(
    start: date,
    end: date,
    *,
    dims: frozenset[str] = frozenset(("customer", "warehouse", "salesperson")),
    invoices: bool = True,
    warehouses: frozenset[int] | None = None,
):
    """One row per invoice line, shipment line and return line in ``start..end``; only the joins the
    requested dimensions need are made (the customer is on every document header). ``warehouses``
    keeps the lines of those warehouses (see the module docstring)."""

    def dim(col, label):
        return col if label.split("_")[0] in dims else literal(None).label(label)

    in_scope = scope.within(warehouses, shipment.c.warehouse_id)
    parts = []
    if invoices:
        src = sales_invoice_line.join(sales_invoice, sales_invoice.c.id == sales_invoice_line.c.invoice_id)
        if dims & {"warehouse", "salesperson"} or warehouses is not None:
            src = src.outerjoin(shipment_line, shipment_line.c.id == sales_invoice_line.c.shipment_line_id).outerjoin(
                shipment, shipment.c.id == shipment_line.c.shipment_id
            )
        if "salesperson" in dims:
            src = src.outerjoin(sales_order, sales_order.c.id == shipment.c.order_id)
        parts.append(
            select(
                sales_invoice.c.invoice_date.label("on"),
                sales_invoice_line.c.product_id,
                sales_invoice.c.customer_id,
                dim(shipment.c.warehouse_id, "warehouse_id"),
                dim(sales_order.c.salesperson_user_id, "salesperson_user_id"),
                literal(0).label("shipped"),
                literal(0).label("returned"),
                sales_invoice_line.c.amount_fen.label("revenue"),
                literal(0).label("cost"),
            )
            .select_from(src)
            .where(
                sales_invoice.c.status.in_(("open", "paid")),
                sales_invoice.c.invoice_date >= start,
                sales_invoice.c.invoice_date <= end,
                in_scope,
            )
        )
    src = shipment_line.join(shipment, shipment.c.id == shipment_line.c.shipment_id)
    if "salesperson" in dims:
        src = src.join(sales_order, sales_order.c.id == shipment.c.order_id)
    parts.append(
        select(
            shipment.c.ship_date.label("on"),
            shipment_line.c.product_id,
            shipment.c.customer_id,
            shipment.c.warehouse_id,
            dim(sales_order.c.salesperson_user_id, "salesperson_user_id"),
            shipment_line.c.qty.label("shipped"),
            literal(0).label("returned"),
            literal(0).label("revenue"),
            shipment_line.c.cost_fen.label("cost"),
        )
        .select_from(src)
        .where(shipment.c.ship_date >= start, shipment.c.ship_date <= end, in_scope)
    )
    src = sales_return_line.join(sales_return, sales_return.c.id == sales_return_line.c.return_id).join(
        shipment, shipment.c.id == sales_return.c.shipment_id
    )
    if "salesperson" in dims:
        src = src.join(sales_order, sales_order.c.id == shipment.c.order_id)
    parts.append(
        select(
            sales_return.c.return_date.label("on"),
            sales_return_line.c.product_id,
            sales_return.c.customer_id,
            shipment.c.warehouse_id,
            dim(sales_order.c.salesperson_user_id, "salesperson_user_id"),
            literal(0).label("shipped"),
            sales_return_line.c.qty.label("returned"),
            literal(0).label("revenue"),
            (-sales_return_line.c.cost_fen).label("cost"),
        )
        .select_from(src)
        .where(sales_return.c.return_date >= start, sales_return.c.return_date <= end, in_scope)
    )
    return union_all(*parts).subquery("facts")


async def _grouped(
    conn: AsyncConnection, start: date, end: date, group_by: str, warehouses: frozenset[int] | None = None
) -> dict:
    f = sales_facts(
        start, end, dims=frozenset({group_by}) & frozenset(("warehouse", "salesperson")), warehouses=warehouses
    )
    if group_by == "category":
        key = product.c.category_id
        src = f.join(product, product.c.id == f.c.product_id)
    else:
        key = {
            "product": f.c.product_id,
            "customer": f.c.customer_id,
            "salesperson": f.c.salesperson_user_id,
            "warehouse": f.c.warehouse_id,
        }.get(group_by, f.c.on)
        src = f
    q = (
        select(key.label("k"), func.sum(f.c.shipped), func.sum(f.c.returned), func.sum(f.c.revenue), func.sum(f.c.cost))
        .select_from(src)
        .group_by(key)
    )
    out: dict = {}
    for k, shipped, returned, revenue, cost in await conn.execute(q):
        if group_by in ("week", "month"):
            d = k if isinstance(k, date) else date.fromisoformat(str(k)[:10])
            k = f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" if group_by == "week" else f"{d:%Y-%m}"
        row = out.setdefault(k, [0, 0, 0, 0])
        for i, v in enumerate((shipped, returned, revenue, cost)):
            row[i] += int(v or 0)
    return out


async def _labels(conn: AsyncConnection, group_by: str, keys) -> dict:
    ids = [k for k in keys if isinstance(k, int)]
    table = {
        "product": (product, product.c.sku, product.c.name),
        "category": (category, category.c.code, category.c.name),
        "customer": (customer, customer.c.code, customer.c.name),
        "warehouse": (warehouse, warehouse.c.code, warehouse.c.name),
        "salesperson": (app_user, app_user.c.username, app_user.c.display_name),
    }.get(group_by)
    if table is None or not ids:
        return {}
    t, code, name = table
    return {
        r[0]: f"{r[1]} {r[2]}".strip() for r in await conn.execute(select(t.c.id, code, name).where(t.c.id.in_(ids)))
    }


async def sales_report(
    conn: AsyncConnection,
    start: date,
    end: date,
    group_by: str = "product",
    *,
    top: int | None = None,
    bottom: int | None = None,
    compare: bool = True,
    warehouses: frozenset[int] | None = None,
) -> SalesReport:
    """Grouped sales with totals; ``top``/``bottom`` keep the N best or worst by revenue; ``compare``
    adds the revenue of the previous period of the same length (period-over-period trend);
    ``warehouses`` limits everything to those warehouses (``None``: all)."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by: {' | '.join(GROUPINGS)}")
    data = await _grouped(conn, start, end, group_by, warehouses)
    previous = {}
    if compare:
        length = (end - start).days + 1
        previous = await _grouped(conn, start - timedelta(days=length), start - timedelta(days=1), group_by, warehouses)
    labels = await _labels(conn, group_by, data)
    report = SalesReport(group_by, start, end)
    for k, (shipped, returned, revenue, cost) in data.items():
        label = labels.get(k) or ("未指定 unassigned" if k is None else str(k))
        by_time = group_by in ("day", "week", "month")  # a day has no "same day" in the previous period
        row = SalesRow(
            str(k) if k is not None else "",
            label,
            shipped - returned,
            shipped,
            returned,
            revenue,
            cost,
            previous.get(k, [0, 0, 0, 0])[2] if compare and not by_time else None,
        )
        report.rows.append(row)
        t = report.total
        t.quantity += row.quantity
        t.shipped += shipped
        t.returned += returned
        t.revenue += revenue
        t.cost += cost
    if compare:
        report.total.previous_revenue = sum(v[2] for v in previous.values())
    if group_by in ("day", "week", "month"):
        report.rows.sort(key=lambda r: r.key)
    else:
        report.rows.sort(key=lambda r: (-r.revenue, r.key))
    if top is not None:
        report.rows = report.rows[:top]
    elif bottom is not None:
        report.rows = sorted(report.rows, key=lambda r: (r.revenue, r.key))[:bottom]
    return report
