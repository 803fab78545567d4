"""Stock count types. Book quantities and variances need ``stock.count.approve``."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.catalog.types import Product, product_from_id
from schema.inventory.types import Location, Lot, Warehouse
from schema.relay import to_global_id
from schema.scalars import Money, Quantity, quantity_of
from server.core.numbers import fen_to_decimal


@strawberry.type(description="One place and product to count. Book quantities need stock.count.approve.")
class StockCountLine:
    id: strawberry.ID
    counted_quantity: Quantity | None
    counted_by: str
    recount_required: bool
    recounted_quantity: Quantity | None
    recounted_by: str
    _row: strawberry.Private[object]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._row.product_id)

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.inventory.location.load(self._row.location_id))

    @strawberry.field
    async def lot(self, info: Info) -> Lot | None:
        return (
            None
            if self._row.lot_id is None
            else Lot.from_row(await info.context.loaders.inventory.lot.load(self._row.lot_id))
        )

    @strawberry.field(description="Book quantity when the count opened.", extensions=needs("stock.count.approve"))
    def snapshot_quantity(self) -> Quantity | None:
        return quantity_of(self._row.snapshot_qty)

    @strawberry.field(description="Book quantity when the count was recorded.", extensions=needs("stock.count.approve"))
    def book_quantity(self) -> Quantity | None:
        return quantity_of(self._row.book_qty)

    @strawberry.field(description="Final counted − book.", extensions=needs("stock.count.approve"))
    def variance(self) -> Quantity | None:
        return quantity_of(self._row.variance_qty)

    @strawberry.field(description="Value posted (gain +, loss −); needs cost.view.", extensions=needs("cost.view"))
    def variance_value(self) -> Money | None:
        return None if self._row.variance_fen is None else Money(str(fen_to_decimal(self._row.variance_fen)))


@strawberry.type(description="A stock count (盘点单).")
class StockCount:
    id: strawberry.ID
    number: str
    mode: str
    blind: bool
    status: str
    count_date: date
    note: str
    created_by: str
    approved_by: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> StockCount:
        return cls(
            id=to_global_id("StockCount", r.id),
            number=r.number,
            mode=r.mode,
            blind=r.blind,
            status=r.status,
            count_date=r.count_date,
            note=r.note,
            created_by=r.created_by,
            approved_by=r.approved_by,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(self._row.warehouse_id))

    @strawberry.field(description="Gains posted (盘盈); needs cost.view.", extensions=needs("cost.view"))
    def gain(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.gain_fen)))

    @strawberry.field(description="Losses posted (盘亏); needs cost.view.", extensions=needs("cost.view"))
    def loss(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.loss_fen)))

    @strawberry.field
    async def lines(self, info: Info) -> list[StockCountLine]:
        rows = sorted(
            await info.context.loaders.inventory.count_lines.load(self._row.id),
            key=lambda r: (r.location_id, r.product_id, r.id),
        )
        return [
            StockCountLine(
                id=to_global_id("StockCountLine", r.id),
                counted_quantity=quantity_of(r.counted_qty),
                counted_by=r.counted_by,
                recount_required=r.recount_required,
                recounted_quantity=quantity_of(r.recounted_qty),
                recounted_by=r.recounted_by,
                _row=r,
            )
            for r in rows
        ]
