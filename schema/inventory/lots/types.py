"""Lot traceability and expiring stock types."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.catalog.types import Product, product_from_id
from schema.inventory.types import Location, Lot, StockMove, moves_from_rows
from schema.partners.types import Customer, Supplier
from schema.scalars import Quantity, quantity_of


@strawberry.type
class LotOnHand:
    quantity: Quantity
    _location_id: strawberry.Private[int]

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.inventory.location.load(self._location_id))


@strawberry.type(description="Where a lot came from: the goods receipt (and supplier).")
class LotReceipt:
    number: str
    receipt_date: date
    accepted_quantity: Quantity
    returned_quantity: Quantity
    _supplier_id: strawberry.Private[int]

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return Supplier.from_row(await info.context.loaders.partners.supplier.load(self._supplier_id))


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
        return Customer.from_row(await info.context.loaders.partners.customer.load(self._customer_id))


@strawberry.type(description="A lot or serial number traced both ways (批次追溯).")
class LotTrace:
    lot: Lot
    on_hand: list[LotOnHand]
    _trace: strawberry.Private[object]

    @strawberry.field(description="Everything that happened to it, in ledger order.")
    async def moves(self, info: Info) -> list[StockMove]:
        return await moves_from_rows(info, self._trace.moves)

    @strawberry.field(
        description="The receipts it came in with; needs purchase.view.", extensions=needs("purchase.view")
    )
    def receipts(self) -> list[LotReceipt] | None:
        return [
            LotReceipt(
                number=r.number,
                receipt_date=r.receipt_date,
                accepted_quantity=quantity_of(r.accepted_qty),
                returned_quantity=quantity_of(r.returned_qty),
                _supplier_id=r.supplier_id,
            )
            for r in self._trace.receipts
        ]

    @strawberry.field(description="The customers who got it; needs sales.view.", extensions=needs("sales.view"))
    def shipments(self) -> list[LotShipment] | None:
        return [
            LotShipment(
                number=r.number,
                order_number=r.order_number,
                ship_date=r.ship_date,
                quantity=quantity_of(r.qty),
                returned_quantity=quantity_of(r.returned_qty),
                _customer_id=r.customer_id,
            )
            for r in self._trace.shipments
        ]


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
        return Location.from_row(await info.context.loaders.inventory.location.load(self._location_id))


@strawberry.type(description="A lot in stock will expire soon (临期预警); written once per lot by `jxc expiring`.")
class LotExpiringEvent:
    seq: int
    lot: str
    expiry_date: date
    _product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_id)
