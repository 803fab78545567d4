"""Scanning GraphQL types: what a scanned code is, a scan's answer, live scan events, label links."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from schema.catalog.types import Product, Unit, product_from_id
from schema.errors import ScanningError
from schema.inventory.types import Location
from schema.relay import to_global_id
from schema.scalars import Decimal_, Quantity


@strawberry.type(description="What a scanned code is and what it carries (GS1 data included).")
class BarcodeResolution:
    kind: str = strawberry.field(description="product | location | document | sscc")
    code: str
    gtin: str | None
    lot: str | None
    serial: str | None
    expiry_date: date | None
    best_before: date | None
    production_date: date | None
    count: int | None = strawberry.field(description="AI 30/37: number of items.")
    net_weight_kg: Decimal_ | None = strawberry.field(description="AI 310n.")
    pack_quantity: Quantity | None = strawberry.field(description="Base units in one scanned unit (a box: 12).")
    document_type: str | None
    document_number: str | None
    sscc: str | None
    _r: strawberry.Private[object]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return None if self._r.product_id is None else await product_from_id(info, self._r.product_id)

    @strawberry.field
    async def unit(self, info: Info) -> Unit | None:
        if self._r.unit_id is None:
            return None
        return Unit.from_row(await info.context.loaders.catalog.unit.load(self._r.unit_id))

    @strawberry.field
    async def location(self, info: Info) -> Location | None:
        if self._r.location_id is None:
            return None
        return Location.from_row(await info.context.loaders.inventory.location.load(self._r.location_id))

    @strawberry.field
    def location_id(self) -> strawberry.ID | None:
        return None if self._r.location_id is None else to_global_id("Location", self._r.location_id)


@strawberry.type
class BarcodeResult:
    resolution: BarcodeResolution | None
    errors: list[ScanningError]


@strawberry.type(description="The feedback for one scan: what it did and what the document needs now.")
class ScanAnswer:
    ok: bool
    kind: str
    message: str
    replayed: bool = strawberry.field(description="True when this scanId was applied before: nothing changed.")
    done: Quantity | None
    needed: Quantity | None


@strawberry.type(description="A scan applied in a session, live.")
class ScanEvent:
    seq: int
    scan_id: str
    message: str
