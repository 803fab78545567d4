"""Scanning queries: ``resolveBarcode`` says what a scanned code is; label download links."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import to_payload_errors
from schema.scalars import Decimal_, Quantity
from schema.scanning.labels import LabelQuery as LabelQuery  # label links: schema/scanning/labels.py
from schema.scanning.types import BarcodeResolution, BarcodeResult
from server.core.numbers import scaled_to_decimal
from server.scanning.barcodes import resolve_barcode
from server.scanning.errors import ScanningError as DomainScanningError
from server.scanning.errors import ScanningErrorCode


@strawberry.type
class ScanningQuery:
    @strawberry.field(
        description="What a scanned code is: product (with GS1 lot, serial, expiry, quantity, weight), "
        "location, document or SSCC. `gsSubstitute`: characters your scanner sends "
        "instead of the GS1 group separator (ASCII 29).",
        extensions=needs("scan.use"),
    )
    async def resolve_barcode(self, info: Info, code: str, gs_substitute: str = "") -> BarcodeResult:
        try:
            async with info.context.db.read() as conn:
                r = await resolve_barcode(conn, code, gs_substitutes=gs_substitute[:4])
        except DomainScanningError as exc:
            return BarcodeResult(resolution=None, errors=to_payload_errors(exc, ScanningErrorCode, info.context.lang))
        return BarcodeResult(
            resolution=BarcodeResolution(
                kind=r.kind,
                code=r.code,
                gtin=r.gtin,
                lot=r.lot,
                serial=r.serial,
                expiry_date=r.expiry_date,
                best_before=r.best_before,
                production_date=r.production_date,
                count=r.count,
                net_weight_kg=None if r.net_weight_kg is None else Decimal_(str(r.net_weight_kg)),
                pack_quantity=None if r.pack_quantity is None else Quantity(str(scaled_to_decimal(r.pack_quantity, 0))),
                document_type=r.document_type,
                document_number=r.document_number,
                sscc=r.sscc,
                _r=r,
            ),
            errors=[],
        )
