"""Lot/serial traceability and expiring stock in the API."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.bounds import check_days
from schema.catalog.types import Product, product_from_id
from schema.inventory.types import Location, Lot, StockMove, moves_from_rows
from schema.live import live_events
from schema.partners.types import Customer, Supplier
from schema.relay import Connection, decode_id, paginate
from schema.scalars import Quantity, quantity_of
from server.auth import scope
from server.events.types import LOT_EXPIRING
from server.inventory import lots
from server.inventory.models import lot
from server import clock


@strawberry.type
class LotOnHand:
    quantity: Quantity
    _location_id: strawberry.Private[int]

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location.load(self._location_id))


@strawberry.type(description="Where a lot came from: the goods receipt (and supplier).")
class LotReceipt:
    number: str
    receipt_date: date
    accepted_quantity: Quantity
    returned_quantity: Quantity
    _supplier_id: strawberry.Private[int]

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return Supplier.from_row(await info.context.loaders.supplier.load(self._supplier_id))


@strawberry.type(description="Who got a lot: the shipment (and customer).")
class LotShipment:
    number: str
    order_number: str
    ship_date: date
    quantity: Quantity
    returned_quantity: Quantity
    _customer_id: strawberry.Private[int]

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return Customer.from_row(await info.context.loaders.customer.load(self._customer_id))


@strawberry.type(description="A lot or serial number traced both ways (批次追溯).")
class LotTrace:
    lot: Lot
    on_hand: list[LotOnHand]
    _trace: strawberry.Private[object]

    @strawberry.field(description="Everything that happened to it, in ledger order.")
    async def moves(self, info: Info) -> list[StockMove]:
        return await moves_from_rows(info, self._trace.moves)

    @strawberry.field(description="The receipts it came in with; needs purchase.view.", extensions=needs("purchase.view"))
    def receipts(self) -> list[LotReceipt] | None:
        return [LotReceipt(number=r.number, receipt_date=r.receipt_date, accepted_quantity=quantity_of(r.accepted_qty),
                           returned_quantity=quantity_of(r.returned_qty), _supplier_id=r.supplier_id)
                for r in self._trace.receipts]

    @strawberry.field(description="The customers who got it; needs sales.view.", extensions=needs("sales.view"))
    def shipments(self) -> list[LotShipment] | None:
        return [LotShipment(number=r.number, order_number=r.order_number, ship_date=r.ship_date,
                            quantity=quantity_of(r.qty), returned_quantity=quantity_of(r.returned_qty), _customer_id=r.customer_id)
                for r in self._trace.shipments]


@strawberry.type(description="Stock of a lot that expires soon (or has expired).")
class ExpiringStock:
    lot: str
    expiry_date: date
    days_left: int
    quantity: Quantity
    _product_id: strawberry.Private[int]
    _location_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_id)

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location.load(self._location_id))


@strawberry.type(description="A lot in stock will expire soon (临期预警); written once per lot by `jxc expiring`.")
class LotExpiringEvent:
    seq: int
    lot: str
    expiry_date: date
    _product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_id)


@strawberry.type
class LotSubscription:
    @strawberry.subscription(description="Lots expiring soon, live (`since` replays).", extensions=needs("stock.view"))
    async def lot_expiring(self, info: Info, since: int | None = None) -> AsyncGenerator[LotExpiringEvent, None]:
        allowed = caller_warehouses(info)

        def predicate(ev) -> bool:
            return ev.event_type == LOT_EXPIRING and scope.allows(allowed, ev.data.warehouse_id)

        async for ev in live_events(info, predicate, since, LOT_EXPIRING, "stock.view"):
            d = ev.data
            yield LotExpiringEvent(seq=ev.seq, lot=d.code, expiry_date=d.expiry_date, _product_id=d.product_id)


@strawberry.type
class LotQuery:
    @strawberry.field(description="Trace a lot or serial: by lotId, or by productId and the lot/serial code.",
                      extensions=needs("stock.view"))
    async def lot_trace(self, info: Info, lot_id: strawberry.ID | None = None, product_id: strawberry.ID | None = None,
                        code: str | None = None) -> LotTrace | None:
        async with info.context.db.read() as conn:
            if lot_id is not None:
                lid = decode_id(lot_id, "Lot")
            else:
                pid = decode_id(product_id, "Product") if product_id else None
                lid = (await conn.execute(select(lot.c.id).where(lot.c.product_id == pid,
                                                                 lot.c.code == (code or "").strip()))).scalar()
            if lid is None:
                return None
            trace = await lots.lot_trace(conn, lid, caller_warehouses(info))
        if trace is None:
            return None
        return LotTrace(lot=Lot.from_row(trace.lot), on_hand=[
            LotOnHand(quantity=quantity_of(r.qty), _location_id=r.location_id) for r in trace.on_hand], _trace=trace)

    @strawberry.field(description="Stock of lots expiring within `days` (default 30), earliest first.",
                      extensions=needs("stock.view"))
    async def expiring_soon(self, info: Info, days: int = 30, warehouse_id: strawberry.ID | None = None,
                            first: int | None = None, after: str | None = None) -> Connection[ExpiringStock]:
        check_days(days)
        today = clock.today()
        wh = (decode_id(warehouse_id, "Warehouse") or 0) if warehouse_id is not None else None
        q = lots.expiring_soon(max(days, 0), on=today, warehouse_id=wh, warehouses=caller_warehouses(info))
        return await paginate(info, q, lambda r: ExpiringStock(
            lot=r.code, expiry_date=r.expiry_date, days_left=(r.expiry_date - today).days, quantity=quantity_of(r.qty),
            _product_id=r.product_id, _location_id=r.location_id), first=first, after=after)
