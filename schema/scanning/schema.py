"""Scanning in the API: ``resolveBarcode`` says what a scanned code is."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.auth import needs
from schema.catalog.types import Product, Unit, product_from_id
from schema.enums import LabelKind, LabelLayout
from schema.errors import ScanningError, to_payload_errors
from schema.inventory.types import Location
from schema.relay import to_global_id
from schema.live import live_events
from schema.scalars import Decimal_, Quantity, quantity_of
from server.scanning.errors import ScanningError as DomainScanningError
from server.scanning.errors import ScanningErrorCode
from server.numbers import scaled_to_decimal
from server.audit import audited
from server.events.types import SCAN_RECORDED
from server.scanning import sessions
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


# ---- scan sessions ------------------------------------------------------------------------------------


@strawberry.enum(description="What a scan session does.")
class ScanMode(enum.Enum):
    RECEIVE = "RECEIVE"
    PUTAWAY = "PUTAWAY"
    PICK = "PICK"
    TRANSFER = "TRANSFER"
    COUNT = "COUNT"


@strawberry.type(description="The feedback for one scan: what it did and what the document needs now.")
class ScanAnswer:
    ok: bool
    kind: str
    message: str
    replayed: bool = strawberry.field(description="True when this scanId was applied before: nothing changed.")
    done: Quantity | None
    needed: Quantity | None


def _answer(a, lang: str) -> ScanAnswer:
    return ScanAnswer(ok=a.ok, kind=a.kind, message=a.message_en if lang.startswith("en") else a.message_zh,
                      replayed=a.replayed, done=quantity_of(a.done), needed=quantity_of(a.needed))


@strawberry.type
class ScanSessionPayload:
    session_id: strawberry.ID | None
    errors: list[ScanningError]


@strawberry.type
class ScanPayload:
    answer: ScanAnswer | None
    errors: list[ScanningError]


@strawberry.type(description="The result of one scan of a batch: its answer, or why it was refused.")
class BatchScanResult:
    scan_id: str
    answer: ScanAnswer | None
    errors: list[ScanningError]


@strawberry.input
class ScanItemInput:
    code: str
    scan_id: str
    quantity: Quantity | None = None
    device_time: datetime | None = None


@strawberry.type
class ScanBatchPayload:
    results: list[BatchScanResult]
    errors: list[ScanningError] = strawberry.field(description="About the batch itself (session, size).")


@strawberry.type
class CompletePayload:
    document_number: str | None = strawberry.field(description="The receipt, shipment, transfer or count posted.")
    errors: list[ScanningError]


@strawberry.type(description="A scan applied in a session, live.")
class ScanEvent:
    seq: int
    scan_id: str
    message: str


def _session_pk(global_id) -> int:
    from schema.relay import decode_id

    value = decode_id(global_id, "ScanSession")
    if value is None:
        raise DomainScanningError("NOT_FOUND", "sessionId", what="scan_session")
    return value


async def _run(info: Info, action):
    try:
        with audited(info.context.actor, info.field_name):
            return await action(), []
    except DomainScanningError as exc:
        return None, to_payload_errors(exc, ScanningErrorCode, info.context.lang)


@strawberry.type
class ScanningMutation:
    @strawberry.mutation(description="Start a scan session: RECEIVE against a PO, PICK against an SO, COUNT against "
                                     "a stock count (by number), or TRANSFER.", extensions=needs("scan.use"))
    async def start_scan_session(self, info: Info, mode: ScanMode, document_number: str = "",
                                 location_code: str = "") -> ScanSessionPayload:
        pk, errors = await _run(info, lambda: sessions.do_start_session(
            info.context.db, mode.value, info.context.principal, document_number=document_number,
            location_code=location_code))
        return ScanSessionPayload(session_id=None if errors else to_global_id("ScanSession", pk), errors=errors)

    @strawberry.mutation(description="One scan. `scanId` (made by the device) is the idempotency key: the same scan "
                                     "sent again returns the first answer.", extensions=needs("scan.use"))
    async def scan(self, info: Info, session_id: strawberry.ID, code: str, scan_id: str,
                   quantity: Quantity | None = None, device_time: datetime | None = None,
                   gs_substitute: str = "") -> ScanPayload:
        answer, errors = await _run(info, lambda: sessions.do_scan(
            info.context.db, _session_pk(session_id), code, scan_id, info.context.principal, quantity=quantity,
            device_time=device_time, gs_substitutes=gs_substitute[:4]))
        return ScanPayload(answer=None if errors else _answer(answer, info.context.lang), errors=errors)

    @strawberry.mutation(description="Several scans in order, in one transaction (a buffered handheld, an offline "
                                     "queue being replayed); each scanId is applied once and gets its own answer or "
                                     "error.", extensions=needs("scan.use"))
    async def scan_batch(self, info: Info, session_id: strawberry.ID, scans: list[ScanItemInput],
                         gs_substitute: str = "") -> ScanBatchPayload:
        items = [sessions.ScanInput(s.code, s.scan_id, s.quantity, s.device_time) for s in scans]
        results, errors = await _run(info, lambda: sessions.do_scan_batch(
            info.context.db, _session_pk(session_id), items, info.context.principal,
            gs_substitutes=gs_substitute[:4]))
        lang = info.context.lang
        return ScanBatchPayload(errors=errors, results=[
            BatchScanResult(scan_id=item.scan_id, answer=None, errors=to_payload_errors(r, ScanningErrorCode, lang))
            if isinstance(r, DomainScanningError) else BatchScanResult(scan_id=item.scan_id, answer=_answer(r, lang),
                                                                       errors=[])
            for item, r in zip(items, results or [])])

    @strawberry.mutation(description="Take back the last product scan of a session.", extensions=needs("scan.use"))
    async def undo_last_scan(self, info: Info, session_id: strawberry.ID) -> ScanPayload:
        answer, errors = await _run(info, lambda: sessions.do_undo_last_scan(
            info.context.db, _session_pk(session_id), info.context.principal))
        return ScanPayload(answer=None if errors or answer is None else _answer(answer, info.context.lang),
                           errors=errors)

    @strawberry.mutation(description="Post the session through the document services (receipt, shipment, transfer, "
                                     "count entries); repeating it posts once.", extensions=needs("scan.use"))
    async def complete_scan_session(self, info: Info, session_id: strawberry.ID) -> CompletePayload:
        number, errors = await _run(info, lambda: sessions.do_complete_session(
            info.context.db, _session_pk(session_id), info.context.principal))
        return CompletePayload(document_number=number, errors=errors)


@strawberry.type
class ScanningSubscription:
    @strawberry.subscription(description="Follow a scan session live (a supervisor's screen).",
                             extensions=needs("scan.use"))
    async def scan_session(self, info: Info, session_id: strawberry.ID,
                           since: int | None = None) -> AsyncGenerator[ScanEvent, None]:
        pk = _session_pk(session_id)
        en = info.context.lang.startswith("en")

        def predicate(ev) -> bool:
            return ev.event_type == SCAN_RECORDED and ev.data.session_id == pk

        async for ev in live_events(info, predicate, since, SCAN_RECORDED, "scan.use"):
            d = ev.data
            yield ScanEvent(seq=ev.seq, scan_id=d.scan_id, message=d.message_en if en else d.message_zh)


@strawberry.type(description="Where to download labels (GET with the same Bearer token).")
class LabelLinks:
    images: list[str] = strawberry.field(description="One PNG per product, then per location.")
    sheet_pdf: str = strawberry.field(description="All of them on printable sheets.")


@strawberry.type
class LabelQuery:
    @strawberry.field(description="Label download links for products (EAN-13, Code 128, GS1-128, QR) and bins.",
                      extensions=needs("catalog.view"))
    def label_links(self, product_ids: list[strawberry.ID] | None = None,
                    location_ids: list[strawberry.ID] | None = None, kind: LabelKind = LabelKind.EAN13,
                    layout: LabelLayout = LabelLayout.A4_3X8) -> LabelLinks:
        from urllib.parse import quote

        kind, layout = kind.value, layout.value  # the download routes take the domain's names
        products, locations = list(product_ids or []), list(location_ids or [])
        images = [f"/labels/product/{quote(p)}.png?kind={quote(kind)}" for p in products]
        images += [f"/labels/location/{quote(x)}.png" for x in locations]
        sheet = (f"/labels/sheet.pdf?products={quote(','.join(products))}&locations={quote(','.join(locations))}"
                 f"&kind={quote(kind)}&layout={quote(layout)}")
        return LabelLinks(images=images, sheet_pdf=sheet)
