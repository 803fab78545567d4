"""Available-to-sell rows."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.catalog.types import Product, product_from_id
from schema.inventory.reorder.types import quantity_at
from schema.inventory.types import Warehouse
from schema.relay import to_global_id
from schema.scalars import Quantity
from server.inventory.availability import figure_of


@strawberry.type(
    description=(
        "可售库存 of a product in a warehouse, for pushing stock to shops: on hand in bins − reserved for sales "
        "orders − safety stock (quantities in the product's base unit)."
    )
)
class AvailableToSell:
    product_id: strawberry.ID = strawberry.field(description="The product's global ID (readable without catalog.view).")
    warehouse_id: strawberry.ID
    available: Quantity = strawberry.field(description="What a shop may sell: max(net, 0).")
    net: Quantity = strawberry.field(
        description="On hand − reserved − safety stock, unclamped: below zero when the safety stock (or stock "
        "in transit, which is reserved against but not on the shelves) is more than what is free."
    )
    on_hand: Quantity = strawberry.field(description="On hand in the warehouse's bins (not in transit).")
    reserved: Quantity = strawberry.field(description="Reserved for approved sales orders.")
    safety_stock: Quantity = strawberry.field(description="Kept back from the shops (setSafetyStock).")
    changed_at: datetime = strawberry.field(description="When the figure last changed (changedSince).")
    _product_pk: strawberry.Private[int]
    _warehouse_pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row) -> AvailableToSell:
        f, p = figure_of(row), row.precision
        return cls(
            product_id=strawberry.ID(to_global_id("Product", f.product_id)),
            warehouse_id=strawberry.ID(to_global_id("Warehouse", f.warehouse_id)),
            available=quantity_at(f.available, p),
            net=quantity_at(f.net, p),
            on_hand=quantity_at(f.on_hand, p),
            reserved=quantity_at(f.reserved, p),
            safety_stock=quantity_at(f.safety, p),
            changed_at=row.changed_at,
            _product_pk=f.product_id,
            _warehouse_pk=f.warehouse_id,
        )

    @strawberry.field(description="Needs catalog.view.")
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_pk)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._warehouse_pk))
