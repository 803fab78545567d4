"""Stock counts (库存盘点) in the API. Blind counts are enforced here: book quantities and variances
need ``stock.count.approve``; counters see products and locations only."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.catalog.types import Product, product_from_id
from schema.enums import CountMode, StockCountStatus
from schema.errors import InventoryError, run_action
from schema.inventory.types import Location, Lot, Warehouse, inventory_pk
from schema.relay import Connection, paginate, to_global_id
from schema.scalars import Money, Quantity, quantity_of
from server.auth import scope
from server.inventory.errors import InventoryErrorCode
from server.inventory import counts
from server.inventory.models import stock_count
from server.numbers import fen_to_decimal


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
        return Location.from_row(await info.context.loaders.location.load(self._row.location_id))

    @strawberry.field
    async def lot(self, info: Info) -> Lot | None:
        return None if self._row.lot_id is None else Lot.from_row(await info.context.loaders.lot.load(self._row.lot_id))

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
        return cls(id=to_global_id("StockCount", r.id), number=r.number, mode=r.mode, blind=r.blind, status=r.status,
                   count_date=r.count_date, note=r.note, created_by=r.created_by, approved_by=r.approved_by,
                   created_at=r.created_at, _row=r)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self._row.warehouse_id))

    @strawberry.field(description="Gains posted (盘盈); needs cost.view.", extensions=needs("cost.view"))
    def gain(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.gain_fen)))

    @strawberry.field(description="Losses posted (盘亏); needs cost.view.", extensions=needs("cost.view"))
    def loss(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.loss_fen)))

    @strawberry.field
    async def lines(self, info: Info) -> list[StockCountLine]:
        rows = sorted(await info.context.loaders.count_lines.load(self._row.id),
                      key=lambda r: (r.location_id, r.product_id, r.id))
        return [StockCountLine(id=to_global_id("StockCountLine", r.id), counted_quantity=quantity_of(r.counted_qty),
                               counted_by=r.counted_by, recount_required=r.recount_required,
                               recounted_quantity=quantity_of(r.recounted_qty), recounted_by=r.recounted_by, _row=r)
                for r in rows]


@strawberry.input
class OpenCountInput:
    warehouse_id: strawberry.ID
    mode: CountMode = CountMode.SNAPSHOT
    blind: bool = True
    location_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    product_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    count_date: date | None = None
    note: str = ""


@strawberry.input(description="A counted quantity: for a line, or for a product found where the book has none.")
class CountEntryInput:
    quantity: Quantity
    line_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    lot: str | None = None


@strawberry.type
class StockCountPayload:
    count: StockCount | None
    errors: list[InventoryError]


async def _payload(info: Info, action) -> StockCountPayload:
    count_id, errors = await run_action(info, InventoryErrorCode, action)
    if errors:
        return StockCountPayload(count=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(stock_count).where(stock_count.c.id == count_id))).one()
    return StockCountPayload(count=StockCount.from_row(row), errors=[])


@strawberry.type
class CountQuery:
    @strawberry.field(description="Stock counts, newest first.", extensions=needs("stock.view"))
    async def stock_counts(self, info: Info, status: StockCountStatus | None = None, first: int | None = None,
                           after: str | None = None) -> Connection[StockCount]:
        q = select(stock_count).order_by(stock_count.c.id.desc())
        if status:
            q = q.where(stock_count.c.status == status.value)
        q = q.where(scope.within(caller_warehouses(info), stock_count.c.warehouse_id))
        return await paginate(info, q, StockCount.from_row, first=first, after=after)


@strawberry.type
class CountMutation:
    @strawberry.mutation(description="Open a count (盘点): blind by default, snapshot or freeze.",
                         extensions=needs("stock.count.manage"))
    async def open_stock_count(self, info: Info, input: OpenCountInput) -> StockCountPayload:
        async def action():
            return await counts.do_open_count(info.context.db, counts.CountInput(
                warehouse_id=inventory_pk(input.warehouse_id, "Warehouse", "warehouseId", "warehouse"), mode=input.mode.value,
                blind=input.blind, count_date=input.count_date, note=input.note,
                location_ids=[inventory_pk(x, "Location", "locationIds", "location") for x in input.location_ids],
                product_ids=[inventory_pk(x, "Product", "productIds", "product") for x in input.product_ids]),
                info.context.principal)
        return await _payload(info, action)

    @strawberry.mutation(description="Open a blind cycle count of the products due by ABC class (A monthly, B "
                                     "quarterly, C yearly); count null when nothing is due.",
                         extensions=needs("stock.count.manage"))
    async def generate_cycle_count(self, info: Info, warehouse_id: strawberry.ID) -> StockCountPayload:
        count_id, errors = await run_action(info, InventoryErrorCode, lambda: counts.do_generate_cycle_count(
            info.context.db, inventory_pk(warehouse_id, "Warehouse", "warehouseId", "warehouse"), info.context.principal))
        if errors or count_id is None:
            return StockCountPayload(count=None, errors=errors)
        async with info.context.db.read() as conn:
            row = (await conn.execute(select(stock_count).where(stock_count.c.id == count_id))).one()
        return StockCountPayload(count=StockCount.from_row(row), errors=[])

    @strawberry.mutation(description="Record counted quantities or recounts.", extensions=needs("stock.count"))
    async def record_stock_counts(self, info: Info, id: strawberry.ID, entries: list[CountEntryInput]) -> StockCountPayload:
        async def action():
            count_id = inventory_pk(id, "StockCount", "id", "stock_count")
            await counts.do_record_counts(info.context.db, count_id, [counts.CountEntry(
                quantity=e.quantity,
                line_id=inventory_pk(e.line_id, "StockCountLine", f"entries.{i}.lineId", "location") if e.line_id else None,
                location_id=inventory_pk(e.location_id, "Location", f"entries.{i}.locationId", "location") if e.location_id else None,
                product_id=inventory_pk(e.product_id, "Product", f"entries.{i}.productId", "product") if e.product_id else None,
                lot=e.lot) for i, e in enumerate(entries)], info.context.principal)
            return count_id
        return await _payload(info, action)

    @strawberry.mutation(description="Approve a count: posts gains and losses at moving average.",
                         extensions=needs("stock.count.approve"))
    async def approve_stock_count(self, info: Info, id: strawberry.ID, reason: str = "") -> StockCountPayload:
        async def action():
            count_id = inventory_pk(id, "StockCount", "id", "stock_count")
            await counts.do_approve_count(info.context.db, count_id, info.context.principal, reason)
            return count_id
        return await _payload(info, action)

    @strawberry.mutation(description="Cancel an open count (unfreezes its locations).",
                         extensions=needs("stock.count.manage"))
    async def cancel_stock_count(self, info: Info, id: strawberry.ID) -> StockCountPayload:
        async def action():
            count_id = inventory_pk(id, "StockCount", "id", "stock_count")
            await counts.do_cancel_count(info.context.db, count_id, info.context.principal)
            return count_id
        return await _payload(info, action)
