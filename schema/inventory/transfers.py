"""Transfers between warehouses (调拨在途) in the API."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.catalog.types import Product, product_from_id
from schema.enums import TransferStatus
from schema.errors import InventoryError, run_action
from schema.inventory.types import Location, Warehouse, inventory_pk
from schema.relay import Connection, paginate, to_global_id
from schema.scalars import Quantity, quantity_of
from server.auth import scope
from server.inventory.errors import InventoryErrorCode
from server.inventory import transfers
from server.inventory.models import transfer_order


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
        return Location.from_row(await info.context.loaders.location.load(self._row.from_location_id))


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
        return cls(id=to_global_id("Transfer", r.id), number=r.number, status=r.status, dispatch_date=r.dispatch_date,
                   note=r.note, actor=r.actor, created_at=r.created_at, _row=r)

    @strawberry.field
    async def from_warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self._row.from_warehouse_id))

    @strawberry.field
    async def to_warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self._row.to_warehouse_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[TransferLine]:
        rows = await info.context.loaders.transfer_lines.load(self._row.id)
        return [TransferLine(id=to_global_id("TransferLine", r.id), line_no=r.line_no, quantity=quantity_of(r.qty),
                             received_quantity=quantity_of(r.received_qty), difference_quantity=quantity_of(r.difference_qty),
                             difference_reason=r.difference_reason, done=r.done, _row=r) for r in rows]


@strawberry.input
class DispatchLineInput:
    product_id: strawberry.ID
    quantity: Quantity
    from_location_id: strawberry.ID
    lot: str | None = None
    unit_id: strawberry.ID | None = None


@strawberry.input
class ArrivalLineInput:
    transfer_line_id: strawberry.ID
    received_quantity: Quantity = strawberry.field(description="Base unit; what arrived now.")
    to_location_id: strawberry.ID
    close: bool = strawberry.field(default=True, description="Nothing more will arrive: the rest is a difference.")
    difference_reason: str = ""


@strawberry.type
class TransferPayload:
    transfer: Transfer | None
    errors: list[InventoryError]


async def _payload(info: Info, action) -> TransferPayload:
    tid, errors = await run_action(info, InventoryErrorCode, action)
    if errors:
        return TransferPayload(transfer=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(transfer_order).where(transfer_order.c.id == tid))).one()
    return TransferPayload(transfer=Transfer.from_row(row), errors=[])


@strawberry.type
class TransferQuery:
    @strawberry.field(description="Transfers between warehouses, newest first.", extensions=needs("stock.view"))
    async def transfers(self, info: Info, status: TransferStatus | None = None, first: int | None = None,
                        after: str | None = None) -> Connection[Transfer]:
        q = select(transfer_order).order_by(transfer_order.c.id.desc())
        if status:
            q = q.where(transfer_order.c.status == status.value)
        allowed = caller_warehouses(info)
        q = q.where(or_(scope.within(allowed, transfer_order.c.from_warehouse_id),
                        scope.within(allowed, transfer_order.c.to_warehouse_id)))
        return await paginate(info, q, Transfer.from_row, first=first, after=after)


@strawberry.type
class TransferMutation:
    @strawberry.mutation(description="Send goods to another warehouse: they are in transit until received.",
                         extensions=needs("stock.transfer"))
    async def dispatch_transfer(self, info: Info, to_warehouse_id: strawberry.ID, lines: list[DispatchLineInput],
                                idempotency_key: str | None = None, dispatch_date: date | None = None,
                                note: str = "") -> TransferPayload:
        async def action():
            data = transfers.DispatchInput(
                to_warehouse_id=inventory_pk(to_warehouse_id, "Warehouse", "toWarehouseId", "warehouse"),
                dispatch_date=dispatch_date, note=note,
                lines=[transfers.DispatchLineInput(
                    product_id=inventory_pk(ln.product_id, "Product", f"lines.{i}.productId", "product"), quantity=ln.quantity,
                    from_location_id=inventory_pk(ln.from_location_id, "Location", f"lines.{i}.fromLocationId", "location"),
                    lot=ln.lot, unit_id=inventory_pk(ln.unit_id, "Unit", f"lines.{i}.unitId", "unit") if ln.unit_id else None)
                    for i, ln in enumerate(lines)])
            return await transfers.do_dispatch_transfer(info.context.db, data, info.context.principal,
                                                        idempotency_key=idempotency_key)
        return await _payload(info, action)

    @strawberry.mutation(description="Receive a transfer; differences need a reason and are written off.",
                         extensions=needs("stock.transfer"))
    async def receive_transfer(self, info: Info, id: strawberry.ID, lines: list[ArrivalLineInput]) -> TransferPayload:
        async def action():
            tid = inventory_pk(id, "Transfer", "id", "transfer")
            await transfers.do_receive_transfer(info.context.db, tid, [transfers.ArrivalLineInput(
                transfer_line_id=inventory_pk(ln.transfer_line_id, "TransferLine", f"lines.{i}.transferLineId", "transfer_line"),
                received_quantity=ln.received_quantity,
                to_location_id=inventory_pk(ln.to_location_id, "Location", f"lines.{i}.toLocationId", "location"),
                close=ln.close, difference_reason=ln.difference_reason) for i, ln in enumerate(lines)],
                info.context.principal)
            return tid
        return await _payload(info, action)
