"""Transfer types."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.catalog.types import Product, product_from_id
from schema.inventory.types import Location, Warehouse
from schema.relay import to_global_id
from schema.scalars import Quantity, quantity_of


@strawberry.type
class TransferLine:
    id: strawberry.ID
    line_no: int
    quantity: Quantity
    received_quantity: Quantity
    difference_quantity: Quantity
    difference_reason: str
    done: bool
    _row: strawberry.Private[object]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._row.product_id)

    @strawberry.field
    async def from_location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.inventory.location.load(self._row.from_location_id))


@strawberry.type(description="A transfer between warehouses (调拨单), goods in transit until received.")
class Transfer:
    id: strawberry.ID
    number: str
    status: str = strawberry.field(description="in_transit | partially_received | received")
    dispatch_date: date
    note: str
    actor: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> Transfer:
        return cls(
            id=to_global_id("Transfer", r.id),
            number=r.number,
            status=r.status,
            dispatch_date=r.dispatch_date,
            note=r.note,
            actor=r.actor,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def from_warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._row.from_warehouse_id))

    @strawberry.field
    async def to_warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._row.to_warehouse_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[TransferLine]:
        rows = await info.context.loaders.inventory.transfer_lines.load(self._row.id)
        return [
            TransferLine(
                id=to_global_id("TransferLine", r.id),
                line_no=r.line_no,
                quantity=quantity_of(r.qty),
                received_quantity=quantity_of(r.received_qty),
                difference_quantity=quantity_of(r.difference_qty),
                difference_reason=r.difference_reason,
                done=r.done,
                _row=r,
            )
            for r in rows
        ]
