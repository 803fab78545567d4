"""``jxc check``, the reservations: each (product, warehouse) total in ``stock_reservation`` equals what the
open sales order lines hold, and never exceeds stock on hand. ``verify_ledger`` runs the whole check —
stock (server/inventory/check.py), these reservations, available to sell, the journal — in that order; sales is the lowest
layer that sees both the ledger and the orders.

Every check is a GROUP BY over integers, exact on both databases. Returns one line per mismatch.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.inventory.check import availability_problems, journal_problems, stock_problems
from server.inventory.models import stock_level, stock_reservation
from server.sales.models import sales_order_line


async def reservation_problems(conn: AsyncConnection) -> list[str]:
    problems: list[str] = []
    reserved = {
        (r.product_id, r.warehouse_id): int(r.reserved_qty)
        for r in await conn.execute(select(stock_reservation))
        if r.reserved_qty
    }
    held = {
        (r.product_id, r.warehouse_id): int(r.qty)
        for r in await conn.execute(
            select(
                sales_order_line.c.product_id,
                sales_order_line.c.warehouse_id,
                func.sum(sales_order_line.c.reserved_qty).label("qty"),
            )
            .where(sales_order_line.c.reserved_qty > 0)
            .group_by(sales_order_line.c.product_id, sales_order_line.c.warehouse_id)
        )
    }
    on_hand: dict[tuple[int, int], int] = {}
    for r in await conn.execute(select(stock_level.c.product_id, stock_level.c.warehouse_id, stock_level.c.qty)):
        on_hand[(r.product_id, r.warehouse_id)] = on_hand.get((r.product_id, r.warehouse_id), 0) + int(r.qty)
    for key in sorted(set(reserved) | set(held)):
        if reserved.get(key, 0) != held.get(key, 0):
            problems.append(
                f"reservation product={key[0]} warehouse={key[1]}: {reserved.get(key, 0)} != "
                f"Σ order lines {held.get(key, 0)}"
            )
        if reserved.get(key, 0) > on_hand.get(key, 0):
            problems.append(
                f"reservation product={key[0]} warehouse={key[1]}: {reserved.get(key, 0)} reserved > "
                f"{on_hand.get(key, 0)} on hand"
            )
    return problems


async def verify_ledger(conn: AsyncConnection) -> list[str]:
    """The whole ``jxc check`` of stock: levels and costs against the ledger, reservations against the
    orders and stock on hand, the published available-to-sell figures, and the journal without gaps."""
    return (
        await stock_problems(conn)
        + await reservation_problems(conn)
        + await availability_problems(conn)
        + await journal_problems(conn)
    )
