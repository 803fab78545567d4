"""Purchasing reports: spend by supplier and by product (supplier bills excl. VAT, debit notes
negative — what the books carry as purchases), and purchase price trends per month from the goods
receipts (accepted value ÷ accepted quantity, per base unit).

Warehouse scope (``warehouses`` from ``server.auth.scope.warehouses``; ``None``: all): a receipt
belongs to its warehouse; a bill or debit-note line to the warehouse of the receipt line it bills or
returns (a bill's amount is the sum of its lines). For a caller limited to some warehouses the spend
is summed over those lines, and a line without a receipt line is left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.catalog.models import product
from server.core.numbers import QTY_SCALE, round_half_up_div
from server.partners.models import supplier
from server.purchasing.models import goods_receipt, goods_receipt_line, supplier_bill, supplier_bill_line


@dataclass
class SpendRow:
    key: str
    label: str
    amount: int  # fen excl. VAT
    tax: int
    quantity: int  # scaled (by product only)


async def purchase_spend(
    conn: AsyncConnection,
    start: date,
    end: date,
    group_by: str = "supplier",
    *,
    warehouses: frozenset[int] | None = None,
) -> list[SpendRow]:
    b, bl = supplier_bill, supplier_bill_line
    booked = b.c.status.in_(("open", "paid")) & (b.c.bill_date >= start) & (b.c.bill_date <= end)
    lines = (
        bl.join(b, b.c.id == bl.c.bill_id)
        .join(goods_receipt_line, goods_receipt_line.c.id == bl.c.receipt_line_id)
        .join(goods_receipt, goods_receipt.c.id == goods_receipt_line.c.receipt_id)
        if warehouses is not None
        else bl.join(b, b.c.id == bl.c.bill_id)
    )
    if warehouses is not None:
        booked = booked & scope.within(warehouses, goods_receipt.c.warehouse_id)
    if group_by == "supplier" and warehouses is not None:
        q = (
            select(
                b.c.supplier_id,
                supplier.c.code,
                supplier.c.name,
                func.sum(bl.c.amount_fen),
                func.sum(bl.c.tax_fen),
                func.count(),
            )
            .select_from(lines.join(supplier, supplier.c.id == b.c.supplier_id))
            .where(booked)
            .group_by(b.c.supplier_id, supplier.c.code, supplier.c.name)
        )
    elif group_by == "supplier":
        q = (
            select(
                b.c.supplier_id,
                supplier.c.code,
                supplier.c.name,
                func.sum(b.c.amount_fen),
                func.sum(b.c.tax_fen),
                func.count(),
            )
            .join(supplier, supplier.c.id == b.c.supplier_id)
            .where(booked)
            .group_by(b.c.supplier_id, supplier.c.code, supplier.c.name)
        )
    elif group_by == "product":
        q = (
            select(
                bl.c.product_id,
                product.c.sku,
                product.c.name,
                func.sum(bl.c.amount_fen),
                func.sum(bl.c.tax_fen),
                func.sum(bl.c.qty),
            )
            .select_from(lines.join(product, product.c.id == bl.c.product_id))
            .where(booked)
            .group_by(bl.c.product_id, product.c.sku, product.c.name)
        )
    else:
        raise ValueError("group_by: supplier | product")
    rows = [
        SpendRow(
            str(r[0]), f"{r[1]} {r[2]}", int(r[3] or 0), int(r[4] or 0), int(r[5] or 0) if group_by == "product" else 0
        )
        for r in await conn.execute(q)
    ]
    return sorted(rows, key=lambda r: (-r.amount, r.key))


@dataclass
class PricePoint:
    month: str
    quantity: int  # scaled base units accepted
    value: int  # fen, goods value excl. VAT and landed costs
    supplier_count: int

    @property
    def unit_price_micro(self) -> int:
        """Average price per base unit in micro-yuan, half-up."""
        return round_half_up_div(self.value * 10_000 * QTY_SCALE, self.quantity) if self.quantity else 0


async def price_trend(
    conn: AsyncConnection, product_id: int, start: date, end: date, *, warehouses: frozenset[int] | None = None
) -> list[PricePoint]:
    """Accepted value and quantity per month of the receipts of ``product_id`` (in ``warehouses``)."""
    rl, r = goods_receipt_line, goods_receipt
    rows = (
        await conn.execute(
            select(r.c.receipt_date, r.c.supplier_id, rl.c.accepted_qty, rl.c.goods_value_fen)
            .join(r, r.c.id == rl.c.receipt_id)
            .where(
                rl.c.product_id == product_id,
                rl.c.accepted_qty > 0,
                r.c.receipt_date >= start,
                r.c.receipt_date <= end,
                scope.within(warehouses, r.c.warehouse_id),
            )
        )
    ).all()
    months: dict[str, list] = {}
    for row in rows:
        m = months.setdefault(f"{row.receipt_date:%Y-%m}", [0, 0, set()])
        m[0] += row.accepted_qty
        m[1] += row.goods_value_fen
        m[2].add(row.supplier_id)
    return [PricePoint(k, v[0], v[1], len(v[2])) for k, v in sorted(months.items())]
