"""Reorder suggestions (补货建议): what to order now for the reorder rules whose available stock is below
the minimum (the rules and the low-stock alerts: server/inventory/reorder.py).

A suggestion orders max − (available + on order), raised to the preferred supplier's minimum order
quantity and rounded up to its pack size. *On order* is what open purchase orders still bring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.catalog.models import product, unit
from server.core import clock
from server.inventory.models import reorder_rule
from server.inventory.reorder import available_qty
from server.purchasing.models import preferred_supplier, purchase_order, purchase_order_line, supplier_price

ON_ORDER_STATUSES = ("submitted", "approved", "partially_received")


@dataclass
class ReorderSuggestion:
    product_id: int
    warehouse_id: int
    available: int
    on_order: int
    min_qty: int
    max_qty: int
    quantity: int  # suggested order quantity, base unit (scaled)
    supplier_id: int | None
    lead_time_days: int | None
    precision: int


def _round_up(qty: int, moq: int, pack: int) -> int:
    qty = max(qty, moq)
    if pack > 0 and qty % pack:
        qty += pack - qty % pack
    return qty


async def reorder_suggestions(
    conn: AsyncConnection,
    *,
    warehouse_id: int | None = None,
    warehouses: frozenset[int] | None = None,
    on: date | None = None,
) -> list[ReorderSuggestion]:
    """What to order now: rules whose available stock is below the minimum."""
    on = on or clock.today()
    q = (
        select(reorder_rule, unit.c.precision)
        .join(product, product.c.id == reorder_rule.c.product_id)
        .join(unit, unit.c.id == product.c.base_unit_id)
        .order_by(reorder_rule.c.warehouse_id, reorder_rule.c.product_id)
    )
    if warehouse_id is not None:
        q = q.where(reorder_rule.c.warehouse_id == warehouse_id)
    q = q.where(scope.within(warehouses, reorder_rule.c.warehouse_id))
    out = []
    for rule in (await conn.execute(q)).all():
        available = await available_qty(conn, rule.product_id, rule.warehouse_id)
        if available >= rule.min_qty:
            continue
        open_qty = purchase_order_line.c.qty - purchase_order_line.c.accepted_qty
        on_order = int(
            (
                await conn.execute(
                    select(func.coalesce(func.sum(open_qty), 0))
                    .join(purchase_order, purchase_order.c.id == purchase_order_line.c.order_id)
                    .where(
                        purchase_order_line.c.product_id == rule.product_id,
                        purchase_order_line.c.warehouse_id == rule.warehouse_id,
                        purchase_order.c.status.in_(ON_ORDER_STATUSES),
                        open_qty > 0,
                    )
                )
            ).scalar_one()
        )
        wanted = rule.max_qty - (available + on_order)
        if wanted <= 0:
            continue
        supplier_id = (
            await conn.execute(
                select(preferred_supplier.c.supplier_id).where(preferred_supplier.c.product_id == rule.product_id)
            )
        ).scalar()
        price = None
        if supplier_id is not None:
            price = (
                await conn.execute(
                    select(supplier_price)
                    .where(
                        supplier_price.c.product_id == rule.product_id,
                        supplier_price.c.supplier_id == supplier_id,
                        supplier_price.c.valid_from <= on,
                        or_(supplier_price.c.valid_to.is_(None), supplier_price.c.valid_to >= on),
                    )
                    .order_by(supplier_price.c.valid_from.desc(), supplier_price.c.id.desc())
                )
            ).first()
        quantity = _round_up(wanted, price.min_order_qty if price else 0, price.pack_qty if price else 0)
        out.append(
            ReorderSuggestion(
                rule.product_id,
                rule.warehouse_id,
                available,
                on_order,
                rule.min_qty,
                rule.max_qty,
                quantity,
                supplier_id,
                price.lead_time_days if price else None,
                rule.precision,
            )
        )
    return out
