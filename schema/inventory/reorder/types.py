"""Availability, reorder suggestion and low-stock event types."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.catalog.types import Product, product_from_id
from schema.inventory.types import Warehouse
from schema.partners.types import Supplier
from schema.scalars import Quantity
from server.catalog.models import product, unit
from server.core.numbers import scaled_to_decimal


def quantity_at(scaled: int, precision: int) -> Quantity:
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
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._warehouse_id))


@strawberry.type(
    description="What to order now (补货建议): max − (available + on order), at the supplier's MOQ and pack."
)
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
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._warehouse_id))

    @strawberry.field(description="The product's preferred supplier.")
    async def supplier(self, info: Info) -> Supplier | None:
        if self._supplier_id is None:
            return None
        return Supplier.from_row(await info.context.loaders.partners.supplier.load(self._supplier_id))


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
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._warehouse_id))


async def base_precision(info: Info, product_id: int) -> int:
    async with info.context.db.read() as conn:
        return (
            await conn.execute(
                select(unit.c.precision)
                .join(product, product.c.base_unit_id == unit.c.id)
                .where(product.c.id == product_id)
            )
        ).scalar() or 0
