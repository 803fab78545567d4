"""Reorder rules, availability, reorder suggestions and the live ``lowStock`` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.catalog.types import Product, product_from_id
from schema.errors import InventoryError, run_action
from schema.inventory.types import Warehouse
from schema.live import live_events
from schema.relay import decode_id
from schema.scalars import Quantity
from schema.partners.types import Supplier
from server.auth import scope
from server.catalog.models import product, unit
from server.inventory.errors import InventoryError as DomainInventoryError
from server.inventory.errors import InventoryErrorCode
from server.events.types import STOCK_LOW
from server.inventory import counts, reorder
from server.numbers import scaled_to_decimal


def _q(scaled: int, precision: int) -> Quantity:
    return Quantity(str(scaled_to_decimal(scaled, precision)))


@strawberry.type(description="Stock of a product in a warehouse: on hand, reserved for sales orders, available.")
class Availability:
    on_hand: Quantity
    reserved: Quantity
    available: Quantity = strawberry.field(description="On hand − reserved.")
    min_quantity: Quantity | None = strawberry.field(description="The reorder rule's minimum, if any.")
    max_quantity: Quantity | None
    _warehouse_id: strawberry.Private[int]

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self._warehouse_id))


@strawberry.type(description="What to order now (补货建议): max − (available + on order), at the supplier's MOQ and pack.")
class ReorderSuggestion:
    available: Quantity
    on_order: Quantity
    min_quantity: Quantity
    max_quantity: Quantity
    quantity: Quantity
    lead_time_days: int | None
    _product_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]
    _supplier_id: strawberry.Private[int | None]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_id)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self._warehouse_id))

    @strawberry.field(description="The product's preferred supplier.")
    async def supplier(self, info: Info) -> Supplier | None:
        if self._supplier_id is None:
            return None
        return Supplier.from_row(await info.context.loaders.supplier.load(self._supplier_id))


@strawberry.type(description="Available stock fell below the minimum of its reorder rule (库存预警).")
class LowStockEvent:
    seq: int
    occurred_at: datetime
    available: Quantity
    min_quantity: Quantity
    _product_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_id)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self._warehouse_id))


@strawberry.type
class ReorderRulePayload:
    ok: bool
    errors: list[InventoryError]


_allowed = caller_warehouses


async def _precision(info: Info, product_id: int) -> int:
    async with info.context.db.read() as conn:
        return (await conn.execute(select(unit.c.precision).join(product, product.c.base_unit_id == unit.c.id)
                                   .where(product.c.id == product_id))).scalar() or 0


@strawberry.type
class ReorderQuery:
    @strawberry.field(description="On hand, reserved and available per warehouse for a product.",
                      extensions=needs("stock.view"))
    async def availability(self, info: Info, product_id: strawberry.ID) -> list[Availability]:
        pid = decode_id(product_id, "Product")
        if pid is None:
            return []
        precision = await _precision(info, pid)
        async with info.context.db.read() as conn:
            found = await reorder.availability(conn, pid, _allowed(info),
                                               counts.hidden_book_locations(info.context.principal))

        def q(v):
            return None if v is None else _q(v, precision)

        return [Availability(on_hand=q(a.on_hand), reserved=q(a.reserved), available=q(a.available),
                             min_quantity=q(a.min_qty), max_quantity=q(a.max_qty), _warehouse_id=a.warehouse_id)
                for a in found]

    @strawberry.field(description="Reorder suggestions for products below their minimum (补货建议).",
                      extensions=needs("stock.view"))
    async def reorder_suggestions(self, info: Info, warehouse_id: strawberry.ID | None = None) -> list[ReorderSuggestion]:
        wh = (decode_id(warehouse_id, "Warehouse") or 0) if warehouse_id is not None else None
        async with info.context.db.read() as conn:
            found = await reorder.reorder_suggestions(conn, warehouse_id=wh, warehouses=_allowed(info))
        return [ReorderSuggestion(available=_q(s.available, s.precision), on_order=_q(s.on_order, s.precision),
                                  min_quantity=_q(s.min_qty, s.precision), max_quantity=_q(s.max_qty, s.precision),
                                  quantity=_q(s.quantity, s.precision), lead_time_days=s.lead_time_days,
                                  _product_id=s.product_id, _warehouse_id=s.warehouse_id, _supplier_id=s.supplier_id)
                for s in found]


@strawberry.type
class ReorderMutation:
    @strawberry.mutation(description="Set a product's min/max in a warehouse (base unit); alerts at once if below.",
                         extensions=needs("stock.adjust"))
    async def set_reorder_rule(self, info: Info, product_id: strawberry.ID, warehouse_id: strawberry.ID,
                               min_quantity: Quantity, max_quantity: Quantity) -> ReorderRulePayload:
        async def action():
            pid, wh = decode_id(product_id, "Product"), decode_id(warehouse_id, "Warehouse")
            if pid is None or wh is None:
                raise DomainInventoryError("NOT_FOUND", "productId" if pid is None else "warehouseId",
                                           what="product" if pid is None else "warehouse")
            await reorder.do_set_reorder_rule(info.context.db, pid, wh, min_quantity, max_quantity,
                                              info.context.principal)
        _, errors = await run_action(info, InventoryErrorCode, action)
        return ReorderRulePayload(ok=not errors, errors=errors)

    @strawberry.mutation(description="Remove a product's min/max in a warehouse.", extensions=needs("stock.adjust"))
    async def delete_reorder_rule(self, info: Info, product_id: strawberry.ID,
                                  warehouse_id: strawberry.ID) -> ReorderRulePayload:
        async def action():
            pid, wh = decode_id(product_id, "Product"), decode_id(warehouse_id, "Warehouse")
            if pid is None or wh is None:
                raise DomainInventoryError("NOT_FOUND", "productId" if pid is None else "warehouseId",
                                           what="product" if pid is None else "warehouse")
            await reorder.do_delete_reorder_rule(info.context.db, pid, wh, info.context.principal)
        _, errors = await run_action(info, InventoryErrorCode, action)
        return ReorderRulePayload(ok=not errors, errors=errors)


@strawberry.type
class ReorderSubscription:
    @strawberry.subscription(description="Products whose available stock falls below their minimum, live; once per "
                                         "crossing. `since` replays.", extensions=needs("stock.view"))
    async def low_stock(self, info: Info, warehouse_id: strawberry.ID | None = None,
                        since: int | None = None) -> AsyncGenerator[LowStockEvent, None]:
        wh = decode_id(warehouse_id, "Warehouse") if warehouse_id is not None else None
        allowed = _allowed(info)

        def predicate(ev) -> bool:
            if ev.event_type != STOCK_LOW:
                return False
            w = ev.data.warehouse_id
            return (wh is None or w == wh) and scope.allows(allowed, w)

        async for ev in live_events(info, predicate, since, STOCK_LOW, "stock.view"):
            d = ev.data
            precision = await _precision(info, d.product_id)
            yield LowStockEvent(seq=ev.seq, occurred_at=ev.created_at, available=_q(d.available, precision),
                                min_quantity=_q(d.min_qty, precision), _product_id=d.product_id,
                                _warehouse_id=d.warehouse_id)
