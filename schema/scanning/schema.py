"""Scanning in the API: ``resolveBarcode`` says what a scanned code is."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from schema.auth import needs
from schema.catalog.types import Product, Unit, product_from_id
from schema.errors import ScanningError, to_payload_errors
from schema.inventory.types import Location
from schema.relay import to_global_id
from schema.scalars import Decimal_, Quantity
from server.errors import ScanningError as DomainScanningError
from server.errors import ScanningErrorCode
from server.numbers import scaled_to_decimal
from server.scanning.barcodes import resolve_barcode


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
        return Unit.from_row(await info.context.loaders.unit.load(self._r.unit_id))

    @strawberry.field
    async def location(self, info: Info) -> Location | None:
        if self._r.location_id is None:
            return None
        return Location.from_row(await info.context.loaders.location.load(self._r.location_id))

    @strawberry.field
    def location_id(self) -> strawberry.ID | None:
        return None if self._r.location_id is None else to_global_id("Location", self._r.location_id)


@strawberry.type
class BarcodeResult:
    resolution: BarcodeResolution | None
    errors: list[ScanningError]


@strawberry.type
class ScanningQuery:
    @strawberry.field(description="What a scanned code is: product (with GS1 lot, serial, expiry, quantity, weight), "
                                  "location, document or SSCC. `gsSubstitute`: characters your scanner sends "
                                  "instead of the GS1 group separator (ASCII 29).",
                      extensions=needs("scan.use"))
    async def resolve_barcode(self, info: Info, code: str, gs_substitute: str = "") -> BarcodeResult:
        try:
            async with info.context.db.read() as conn:
                r = await resolve_barcode(conn, code, gs_substitutes=gs_substitute[:4])
        except DomainScanningError as exc:
            return BarcodeResult(resolution=None,
                                 errors=to_payload_errors(exc, ScanningErrorCode, info.context.lang))
        return BarcodeResult(resolution=BarcodeResolution(
            kind=r.kind, code=r.code, gtin=r.gtin, lot=r.lot, serial=r.serial, expiry_date=r.expiry_date,
            best_before=r.best_before, production_date=r.production_date, count=r.count,
            net_weight_kg=None if r.net_weight_kg is None else Decimal_(str(r.net_weight_kg)),
            pack_quantity=None if r.pack_quantity is None else Quantity(str(scaled_to_decimal(r.pack_quantity, 0))),
            document_type=r.document_type, document_number=r.document_number, sscc=r.sscc, _r=r), errors=[])
