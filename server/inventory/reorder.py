"""Reorder rules and low-stock alerts (自动库存预警).

A rule gives a minimum and maximum per product and warehouse. *Available* = on hand − reserved for
sales orders. Whenever an operation changes on hand or reservations of a (product, warehouse) with a
rule, ``low_stock_events`` locks the rule row (after the stock levels, reservations and product
cost — the global lock order) and compares available with the minimum. ``reorder_rule.below``
remembers which side it was on, so a ``stock.low`` event is written once per crossing below the
minimum, in the same transaction as the change; going back up re-arms the rule silently.

What to order when a rule is crossed is purchasing's decision (``reorder_suggestions``,
server/purchasing/replenishment.py: it reads orders on their way and the preferred suppliers).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.catalog.models import product, unit
from server.core.audit import note_change
from server.core.database import Database
from server.core.numbers import NumberError, qty_to_scaled
from server.core.sql import dialect_insert, prepared
from server.events.journal import append_events
from server.events.types import STOCK_LOW as STOCK_LOW  # the name, re-exported
from server.events.types import StockLow
from server.inventory.errors import InventoryError
from server.inventory.models import reorder_rule, stock_level, stock_reservation, warehouse


async def available_qty(conn: AsyncConnection, product_id: int, warehouse_id: int) -> int:
    """On hand − reserved for sales orders of one product in one warehouse (base unit, scaled)."""
    on_hand = (
        await conn.execute(
            select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(
                stock_level.c.product_id == product_id, stock_level.c.warehouse_id == warehouse_id
            )
        )
    ).scalar_one()
    reserved = (
        await conn.execute(
            select(stock_reservation.c.reserved_qty).where(
                stock_reservation.c.product_id == product_id, stock_reservation.c.warehouse_id == warehouse_id
            )
        )
    ).scalar()
    return int(on_hand) - int(reserved or 0)


def _build_rules(_insert):
    """One cached statement whatever the number of products (most operations touch one)."""
    return select(reorder_rule.c.product_id, reorder_rule.c.warehouse_id).where(
        reorder_rule.c.product_id.in_(bindparam("pids", expanding=True))
    )


async def low_stock_events(conn: AsyncConnection, keys) -> list[StockLow]:
    """Re-evaluate the rules of these (product, warehouse) pairs; the ``stock.low`` events to append."""
    keys = set(keys)
    if not keys:
        return []
    rows = await conn.execute(prepared(conn, "reorder.rules", _build_rules), {"pids": sorted({p for p, _ in keys})})
    events = []
    for product_id, warehouse_id in sorted(k for k in ((r.product_id, r.warehouse_id) for r in rows) if k in keys):
        rule = (
            await conn.execute(
                select(reorder_rule)
                .where(reorder_rule.c.product_id == product_id, reorder_rule.c.warehouse_id == warehouse_id)
                .with_for_update()
            )
        ).one()
        available = await available_qty(conn, product_id, warehouse_id)
        below = available < rule.min_qty
        if below != rule.below:
            await conn.execute(
                update(reorder_rule)
                .where(reorder_rule.c.product_id == product_id, reorder_rule.c.warehouse_id == warehouse_id)
                .values(below=below)
            )
            if below:
                events.append(
                    StockLow(
                        product_id=product_id,
                        warehouse_id=warehouse_id,
                        available=available,
                        min_qty=rule.min_qty,
                        max_qty=rule.max_qty,
                    )
                )
    return events


async def do_set_reorder_rule(
    db: Database, product_id: int, warehouse_id: int, min_qty: str, max_qty: str, principal: Principal | None = None
) -> None:
    """Create or change a rule (quantities in the base unit). A product already below its new
    minimum raises the alert right away."""
    scope.require(principal, "stock.adjust", InventoryError)
    async with db.write() as conn:
        p = (
            await conn.execute(
                select(product.c.id, unit.c.precision)
                .join(unit, unit.c.id == product.c.base_unit_id)
                .where(product.c.id == product_id)
            )
        ).first()
        if p is None:
            raise InventoryError("NOT_FOUND", "productId", what="product")
        if (await conn.execute(select(warehouse.c.id).where(warehouse.c.id == warehouse_id))).first() is None:
            raise InventoryError("NOT_FOUND", "warehouseId", what="warehouse")
        scope.require_warehouse(principal, warehouse_id, InventoryError)
        values = {}
        for name, value in (("min_qty", min_qty), ("max_qty", max_qty)):
            try:
                values[name] = qty_to_scaled(value, p.precision)
            except NumberError as exc:
                code = "TOO_MANY_DECIMALS" if exc.code == "TOO_MANY_DECIMALS" else "INVALID_VALUE"
                raise InventoryError(
                    code, "minQty" if name == "min_qty" else "maxQty", precision=p.precision, detail=str(value)
                ) from None
        if values["min_qty"] < 0 or values["max_qty"] < values["min_qty"]:
            raise InventoryError("INVALID_VALUE", "maxQty", detail="0 ≤ min ≤ max")
        stmt = dialect_insert(conn, reorder_rule).values(
            product_id=product_id, warehouse_id=warehouse_id, below=False, **values
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["product_id", "warehouse_id"],
                set_={"min_qty": stmt.excluded.min_qty, "max_qty": stmt.excluded.max_qty},
            )
        )
        note_change(conn, f"reorder_rule:{product_id}:{warehouse_id}", after=values)
        await append_events(conn, await low_stock_events(conn, [(product_id, warehouse_id)]))


async def do_delete_reorder_rule(
    db: Database, product_id: int, warehouse_id: int, principal: Principal | None = None
) -> None:
    """Remove a product's min/max in a warehouse (no more low-stock alerts or automatic orders there)."""
    scope.require(principal, "stock.adjust", InventoryError)
    scope.require_warehouse(principal, warehouse_id, InventoryError)
    async with db.write() as conn:
        deleted = await conn.execute(
            reorder_rule.delete().where(
                reorder_rule.c.product_id == product_id, reorder_rule.c.warehouse_id == warehouse_id
            )
        )
        if deleted.rowcount == 0:
            raise InventoryError("NOT_FOUND", "productId", what="reorder_rule")
        note_change(
            conn, f"reorder_rule:{product_id}:{warehouse_id}", before={"deleted": False}, after={"deleted": True}
        )


@dataclass
class Availability:
    warehouse_id: int
    on_hand: int
    reserved: int
    min_qty: int | None
    max_qty: int | None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


async def availability(
    conn: AsyncConnection, product_id: int, warehouses: frozenset[int] | None = None, hidden=None
) -> list[Availability]:
    """On hand, reserved for sales orders and the reorder rule, per warehouse of a product; on hand
    leaves out the locations of the subquery ``hidden`` (book quantities the caller may not see)."""
    levels = select(stock_level.c.warehouse_id, func.sum(stock_level.c.qty)).where(
        stock_level.c.product_id == product_id
    )
    if hidden is not None:
        levels = levels.where(stock_level.c.location_id.not_in(hidden))
    on_hand = dict((await conn.execute(levels.group_by(stock_level.c.warehouse_id))).all())
    reserved = dict(
        (
            await conn.execute(
                select(stock_reservation.c.warehouse_id, stock_reservation.c.reserved_qty).where(
                    stock_reservation.c.product_id == product_id
                )
            )
        ).all()
    )
    rules = {
        r.warehouse_id: r
        for r in await conn.execute(select(reorder_rule).where(reorder_rule.c.product_id == product_id))
    }
    return [
        Availability(
            wh,
            int(on_hand.get(wh, 0)),
            int(reserved.get(wh, 0)),
            rules[wh].min_qty if wh in rules else None,
            rules[wh].max_qty if wh in rules else None,
        )
        for wh in sorted(set(on_hand) | set(reserved) | set(rules))
        if scope.allows(warehouses, wh)
    ]
