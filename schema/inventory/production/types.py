"""Production order types."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.catalog.types import Product, product_from_id
from schema.inventory.types import Warehouse
from schema.relay import to_global_id
from schema.scalars import Money, Quantity, quantity_of
from server.core.numbers import fen_to_decimal


@strawberry.type
class ProductionOrderLine:
    id: strawberry.ID
    required_quantity: Quantity
    issued_quantity: Quantity
    returned_quantity: Quantity
    _row: strawberry.Private[object]

    @strawberry.field
    async def component(self, info: Info) -> Product | None:
        return await product_from_id(info, self._row.component_id)

    @strawberry.field(description="Net value issued; needs cost.view.", extensions=needs("cost.view"))
    def issued_value(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.issued_value_fen - self._row.returned_value_fen)))


@strawberry.type(description="A production order (生产单).")
class ProductionOrder:
    id: strawberry.ID
    number: str
    status: str = strawberry.field(description="open | in_progress | completed")
    planned_quantity: Quantity
    received_quantity: Quantity
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> ProductionOrder:
        return cls(
            id=to_global_id("ProductionOrder", r.id),
            number=r.number,
            status=r.status,
            planned_quantity=quantity_of(r.planned_qty),
            received_quantity=quantity_of(r.received_qty),
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._row.product_id)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._row.warehouse_id))

    @strawberry.field(
        description="Value of the finished goods received so far; needs cost.view.", extensions=needs("cost.view")
    )
    def received_value(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.received_value_fen)))

    @strawberry.field
    async def lines(self, info: Info) -> list[ProductionOrderLine]:
        rows = await info.context.loaders.inventory.production_lines.load(self._row.id)
        return [
            ProductionOrderLine(
                id=to_global_id("ProductionOrderLine", r.id),
                required_quantity=quantity_of(r.required_qty),
                issued_quantity=quantity_of(r.issued_qty),
                returned_quantity=quantity_of(r.returned_qty),
                _row=r,
            )
            for r in rows
        ]
