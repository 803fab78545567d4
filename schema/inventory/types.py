"""Inventory GraphQL types: warehouses, locations, lots, stock levels, the ledger, live events."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.batching import now_or_later
from schema.catalog.types import Product, product_from_id, product_now_or_later
from schema.relay import Connection, Node, connection_of, page_window, to_global_id
from schema.scalars import Money, Quantity
from server.auth import scope
from server.core import clock
from server.core.numbers import fen_to_decimal, round_half_up_div, scaled_to_decimal
from server.inventory import services
from server.inventory.models import location, stock_move


@strawberry.type(description="A warehouse (仓库).")
class Warehouse(Node):
    id: strawberry.ID
    code: str
    name: str
    address: str
    active: bool
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, r) -> Warehouse:
        return cls(
            id=to_global_id("Warehouse", r.id), code=r.code, name=r.name, address=r.address, active=r.active, _pk=r.id
        )

    @strawberry.field(description="The locations (bins) of this warehouse, by code, a page at a time.")
    async def locations(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Location]:
        start, size = page_window(info, first, after)
        loaders = info.context.loaders.inventory
        pages, totals = loaders.location_pages, loaders.location_counts
        rows = await pages.load((self._pk, start, size + 1))
        return connection_of(rows, start, size, Location.from_row, lambda: totals.load(self._pk))


@strawberry.type(description="A location (库位) in a warehouse; its code is printed on the bin label.")
class Location(Node):
    id: strawberry.ID
    code: str
    name: str
    sort_order: int
    active: bool
    _warehouse_id: strawberry.Private[int]
    _parent_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, r) -> Location:
        return cls(
            id=to_global_id("Location", r.id),
            code=r.code,
            name=r.name,
            sort_order=r.sort_order,
            active=r.active,
            _warehouse_id=r.warehouse_id,
            _parent_id=r.parent_id,
        )

    @strawberry.field
    def warehouse(self, info: Info) -> Warehouse:
        return now_or_later(info.context.loaders.inventory.warehouse, self._warehouse_id, Warehouse.from_row)

    @strawberry.field
    async def parent(self, info: Info) -> Location | None:
        if self._parent_id is None:
            return None
        return Location.from_row(await info.context.loaders.inventory.location.load(self._parent_id))


@strawberry.type(description="A lot or serial number of a product.")
class Lot(Node):
    id: strawberry.ID
    code: str
    expiry_date: date | None
    batch: str | None = strawberry.field(
        default=None, description="A serial's production lot (the (10) of a lot-and-serial label)."
    )

    @classmethod
    def from_row(cls, r) -> Lot:
        return cls(id=to_global_id("Lot", r.id), code=r.code, expiry_date=r.expiry_date, batch=r.batch)


async def _location(info: Info, location_id: int | None) -> Location | None:
    if location_id is None:
        return None
    return Location.from_row(await info.context.loaders.inventory.location.load(location_id))


async def _visible_location(info: Info, location_id: int | None) -> Location | None:
    """A move's end, unless the caller is restricted to warehouses that do not include it (the other
    end of a transfer between warehouses stays hidden)."""
    loc = await _location(info, location_id)
    if loc is None or scope.allows(caller_warehouses(info), loc._warehouse_id):
        return loc
    return None


async def _lot(info: Info, lot_id: int | None) -> Lot | None:
    if lot_id is None:
        return None
    return Lot.from_row(await info.context.loaders.inventory.lot.load(lot_id))


@strawberry.type(description="Where stock is: product, location, warehouse and lot.")
class StockPlace:
    _product_id: strawberry.Private[int]
    _location_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]
    _lot_id: strawberry.Private[int | None]

    # plain resolvers: a page of stock levels primed the loaders, so most rows are at hand (now_or_later)
    @strawberry.field
    def product(self, info: Info) -> Product:
        return product_now_or_later(info, self._product_id)  # type: ignore[return-value]

    @strawberry.field
    def location(self, info: Info) -> Location:
        return now_or_later(info.context.loaders.inventory.location, self._location_id, Location.from_row)

    @strawberry.field
    def warehouse(self, info: Info) -> Warehouse:
        return now_or_later(info.context.loaders.inventory.warehouse, self._warehouse_id, Warehouse.from_row)

    @strawberry.field
    def lot(self, info: Info) -> Lot | None:
        if self._lot_id is None:
            return None
        return now_or_later(info.context.loaders.inventory.lot, self._lot_id, Lot.from_row)


@strawberry.type(description="Quantity on hand of a product at a location (and lot).")
class StockLevel(StockPlace, Node):
    id: strawberry.ID
    quantity: Quantity
    updated_at: datetime

    @classmethod
    def from_row(cls, r) -> StockLevel:
        """``r`` carries the base unit's ``precision`` (joined in SQL)."""
        return cls(
            id=to_global_id("StockLevel", r.id),
            quantity=str(scaled_to_decimal(r.qty, r.precision)),
            updated_at=r.updated_at,
            _product_id=r.product_id,
            _location_id=r.location_id,
            _warehouse_id=r.warehouse_id,
            _lot_id=r.lot_id,
        )


MoveType = strawberry.enum(services.MoveType, name="MoveType", description="What kind of stock move.")


@strawberry.type(description="An immutable stock move in the ledger (库存流水).")
class StockMove(Node):
    id: strawberry.ID
    line_no: int
    move_type: MoveType
    quantity: Quantity
    value: Money | None = strawberry.field(
        description="Cost value of the move in CNY (moving average); needs cost.view.", extensions=needs("cost.view")
    )
    reason: str
    source_document: str
    actor: str
    created_at: datetime
    _product_id: strawberry.Private[int]
    _lot_id: strawberry.Private[int | None]
    _from_id: strawberry.Private[int | None]
    _to_id: strawberry.Private[int | None]
    _operation_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, r, precision: int) -> StockMove:
        return cls(
            id=to_global_id("StockMove", r.id),
            line_no=r.line_no,
            move_type=MoveType(r.move_type),
            quantity=str(scaled_to_decimal(r.qty, precision)),
            value=str(fen_to_decimal(r.value_fen)),
            reason=r.reason,
            source_document=r.source_document,
            actor=r.actor,
            created_at=r.created_at,
            _product_id=r.product_id,
            _lot_id=r.lot_id,
            _from_id=r.from_location_id,
            _to_id=r.to_location_id,
            _operation_id=r.operation_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return await product_from_id(info, self._product_id)

    @strawberry.field
    async def lot(self, info: Info) -> Lot | None:
        return await _lot(info, self._lot_id)

    @strawberry.field(description="Null for receipts, and for a caller restricted to other warehouses.")
    async def from_location(self, info: Info) -> Location | None:
        return await _visible_location(info, self._from_id)

    @strawberry.field(description="Null for issues, and for a caller restricted to other warehouses.")
    async def to_location(self, info: Info) -> Location | None:
        return await _visible_location(info, self._to_id)

    @strawberry.field
    async def operation(self, info: Info) -> StockOperation:
        return StockOperation.from_row(await info.context.loaders.inventory.operation.load(self._operation_id))


async def precision_of(info: Info, product_id: int) -> int:
    row = await info.context.loaders.catalog.product.load(product_id)
    return (await info.context.loaders.catalog.unit.load(row.base_unit_id)).precision


async def moves_from_rows(info: Info, rows) -> list[StockMove]:
    """Moves with their units' precision; the loads run together so the DataLoaders batch them."""
    precisions = await asyncio.gather(*(precision_of(info, r.product_id) for r in rows))
    return [StockMove.from_row(r, precision) for r, precision in zip(rows, precisions)]


@strawberry.type(description="One stock operation (receive, issue, transfer, adjust) and its moves.")
class StockOperation(Node):
    id: strawberry.ID
    operation_type: str
    reference: str
    reason: str
    actor: str
    created_at: datetime
    business_date: date = strawberry.field(
        description="The business date the operation is booked on (its voucher's date); "
        "operations from before it was recorded: the day they were made."
    )
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, r) -> StockOperation:
        return cls(
            id=to_global_id("StockOperation", r.id),
            operation_type=r.op_type,
            reference=r.reference,
            reason=r.reason,
            actor=r.actor,
            created_at=r.created_at,
            business_date=r.business_date or clock.business_date(r.created_at),
            _pk=r.id,
        )

    @strawberry.field(
        description="The operation's moves by line, a page at a time; a caller restricted to some "
        "warehouses sees only the moves that touch them."
    )
    async def moves(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[StockMove]:
        start, size = page_window(info, first, after)
        loaders = info.context.loaders.inventory
        allowed = caller_warehouses(info)
        every = loaders.posted_moves.get(self._pk) if allowed is None else None
        if every is not None:  # the moves a mutation just wrote (its payload)
            rows = every[start : start + size + 1]
            total = len(every)

            async def count() -> int:
                return total
        else:
            where = None
            if allowed is not None:
                visible = select(location.c.id).where(scope.within(allowed, location.c.warehouse_id))
                where = or_(stock_move.c.from_location_id.in_(visible), stock_move.c.to_location_id.in_(visible))
            pages, totals = loaders.move_pages(where), loaders.move_counts(where)
            rows = await pages.load((self._pk, start, size + 1))

            async def count() -> int:
                return await totals.load(self._pk)

        moves = await moves_from_rows(info, rows)
        return connection_of(moves, start, size, lambda m: m, count)


@strawberry.type(description="Total stock and moving-average value of a product.")
class ProductStock:
    quantity: Quantity
    value: Money | None = strawberry.field(description="Needs cost.view.", extensions=needs("cost.view"))
    average_cost: Money | None = strawberry.field(
        description="Value ÷ quantity, rounded half-up to the fen; needs cost.view.", extensions=needs("cost.view")
    )

    @classmethod
    def from_values(cls, qty: int, value_fen: int, precision: int) -> ProductStock:
        avg = None
        if qty:
            avg = str(fen_to_decimal(round_half_up_div(value_fen * 10**6, qty)))
        return cls(
            quantity=str(scaled_to_decimal(qty, precision)), value=str(fen_to_decimal(value_fen)), average_cost=avg
        )


@strawberry.type(description="A stock level changed (after commit). `seq` is the journal sequence number.")
class StockChangedEvent(StockPlace):
    seq: int
    occurred_at: datetime
    delta: Quantity
    quantity: Quantity = strawberry.field(description="The new quantity at the location (and lot).")
    move_type: MoveType
    _move_id: strawberry.Private[int]

    @strawberry.field
    async def move(self, info: Info) -> StockMove:
        row = await info.context.loaders.inventory.move.load(self._move_id)
        return StockMove.from_row(row, await precision_of(info, row.product_id))
