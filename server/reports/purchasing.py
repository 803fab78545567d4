"""Purchasing reports: spend by supplier and by product (supplier bills excl. VAT, debit notes
negative — what the books carry as purchases), and purchase price trends per month from the goods
receipts (accepted value ÷ accepted quantity, per base unit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.models import product
from server.numbers import QTY_SCALE, round_half_up_div
from server.partners.models import supplier
from server.purchasing.models import goods_receipt, goods_receipt_line, supplier_bill, supplier_bill_line


@dataclass
class SpendRow:
    key: str
    label: str
    amount: int  # fen excl. VAT
    tax: int
    quantity: int  # scaled (by product only)


async def purchase_spend(conn: AsyncConnection, start: date, end: date, group_by: str = "supplier") -> list[SpendRow]:
    b, bl = supplier_bill, supplier_bill_line
    booked = b.c.status.in_(("open", "paid")) & (b.c.bill_date >= start) & (b.c.bill_date <= end)
    if group_by == "supplier":
        q = (select(b.c.supplier_id, supplier.c.code, supplier.c.name, func.sum(b.c.amount_fen), func.sum(b.c.tax_fen),
                    func.count()).join(supplier, supplier.c.id == b.c.supplier_id).where(booked)
             .group_by(b.c.supplier_id, supplier.c.code, supplier.c.name))
    elif group_by == "product":
        q = (select(bl.c.product_id, product.c.sku, product.c.name, func.sum(bl.c.amount_fen), func.sum(bl.c.tax_fen),
                    func.sum(bl.c.qty)).select_from(bl.join(b, b.c.id == bl.c.bill_id)
                                                    .join(product, product.c.id == bl.c.product_id))
             .where(booked).group_by(bl.c.product_id, product.c.sku, product.c.name))
    else:
        raise ValueError("group_by: supplier | product")
    rows = [SpendRow(str(r[0]), f"{r[1]} {r[2]}", int(r[3] or 0), int(r[4] or 0),
                     int(r[5] or 0) if group_by == "product" else 0) for r in await conn.execute(q)]
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


async def price_trend(conn: AsyncConnection, product_id: int, start: date, end: date) -> list[PricePoint]:
    rl, r = goods_receipt_line, goods_receipt
    rows = (await conn.execute(
        select(r.c.receipt_date, r.c.supplier_id, rl.c.accepted_qty, rl.c.goods_value_fen)
        .join(r, r.c.id == rl.c.receipt_id)
        .where(rl.c.product_id == product_id, rl.c.accepted_qty > 0, r.c.receipt_date >= start,
               r.c.receipt_date <= end))).all()
    months: dict[str, list] = {}
    for row in rows:
        m = months.setdefault(f"{row.receipt_date:%Y-%m}", [0, 0, set()])
        m[0] += row.accepted_qty
        m[1] += row.goods_value_fen
        m[2].add(row.supplier_id)
    return [PricePoint(k, v[0], v[1], len(v[2])) for k, v in sorted(months.items())]

