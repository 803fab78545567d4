"""Label links in the API: ``labelLinks`` (products with their lot, expiry and serial, bins) and a goods
receipt's ``labelLinks`` (the labels of its lots and serials). The links are the download routes of
``server/web/labels.py``; ``errors`` says up front what those routes would refuse — a label whose
content does not fit the layout (``LABEL_TOO_SMALL``, with the size it needs), a lot that is not GS1
text, a product without a GTIN."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.enums import LabelKind, LabelLayout
from schema.errors import ScanningError, to_payload_errors
from server.core.errors import DomainError
from server.core.global_ids import pk_of
from server.scanning import labels
from server.scanning.errors import ScanningError as DomainScanningError
from server.scanning.errors import ScanningErrorCode

MAX_CHECKED = 500  # labels checked for fit per request (the download routes' limit)


@strawberry.type(description="Where to download labels (GET with the same Bearer token).")
class LabelLinks:
    images: list[str] = strawberry.field(description="One PNG per product, then per location.")
    sheet_pdf: str = strawberry.field(description="All of them on printable sheets.")
    zpl: str | None = strawberry.field(
        default=None, description="All of them as ZPL for a label printer (thermal layouts only)."
    )
    errors: list[ScanningError] = strawberry.field(
        default_factory=list,
        description="What the downloads would refuse: LABEL_TOO_SMALL (a label whose "
        "content does not fit the layout, with the size it needs), INVALID_VALUE…",
    )


@strawberry.type(description="Where to download the labels of a goods receipt's lots and serials.")
class ReceiptLabelLinks:
    count: int = strawberry.field(description="Labels: one per lot, one per serial number.")
    pdf: str
    zpl: str | None = strawberry.field(description="ZPL for a label printer (thermal layouts only).")
    errors: list[ScanningError]


def _query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")}, quote_via=quote)


def _errors(exc: DomainError, lang: str, field: str | None = None) -> list:
    out = to_payload_errors(exc, ScanningErrorCode, lang)
    if field:
        for e in out:
            e.field = field
    return out


def _dpi(dpi: int | None) -> None:
    if dpi is not None and dpi not in labels.DPIS:
        raise DomainScanningError("INVALID_VALUE", "dpi", detail=f"dpi: {' | '.join(map(str, labels.DPIS))}")


async def _check_fit(info: Info, make, layout: str, dpi: int | None, field: str) -> list:
    lay = labels.LAYOUTS[layout]
    try:
        async with info.context.db.read() as conn:
            item = await make(conn)
        labels.plan(item, lay, dpi or lay.default_dpi)
    except DomainScanningError as exc:
        return _errors(exc, info.context.lang, field)
    return []


@strawberry.type
class LabelQuery:
    @strawberry.field(
        description="Label download links for products (EAN-13, Code 128, GS1-128, QR, GS1 "
        "DataMatrix; GS1 kinds with the lot, expiry and serial given) and bins, as PNG, "
        "PDF sheets and ZPL; `dpi`: the printer's (203, 300 or 600; default: the "
        "layout's). `errors` names the labels that would not fit.",
        extensions=needs("catalog.view"),
    )
    async def label_links(
        self,
        info: Info,
        product_ids: list[strawberry.ID] | None = None,
        location_ids: list[strawberry.ID] | None = None,
        kind: LabelKind = LabelKind.EAN13,
        layout: LabelLayout = LabelLayout.A4_3X8,
        lot: str | None = None,
        expiry: date | None = None,
        serial: str | None = None,
        dpi: int | None = None,
    ) -> LabelLinks:
        kind, layout = kind.value, layout.value  # the download routes take the domain's names
        products, locations = list(product_ids or []), list(location_ids or [])
        errors: list = []
        try:
            _dpi(dpi)
            labels.check_gs1_text(lot, "lot")
            labels.check_gs1_text(serial, "serial")
        except DomainScanningError as exc:
            errors += _errors(exc, info.context.lang)
        data = _query(lot=lot, expiry=expiry.isoformat() if expiry else None, serial=serial)
        png = "&".join(x for x in (f"kind={quote(kind)}", data, f"dpi={dpi}" if dpi else "") if x)
        images = [f"/labels/product/{quote(p)}.png?{png}" for p in products]
        images += [f"/labels/location/{quote(x)}.png" for x in locations]
        common = "&".join(x for x in (data, f"dpi={dpi}" if dpi else "") if x)
        ids = f"products={quote(','.join(products))}&locations={quote(','.join(locations))}"
        tail = f"&kind={quote(kind)}&layout={quote(layout)}"
        sheet = f"/labels/sheet.pdf?{ids}" + (f"&{common}" if common else "") + tail
        zpl = sheet.replace("/labels/sheet.pdf?", "/labels/sheet.zpl?", 1) if layout in labels.THERMAL_LAYOUTS else None
        if not errors:
            for n, gid in enumerate(products[:MAX_CHECKED]):
                pk = pk_of(gid, "Product")
                if pk is None:
                    errors += _errors(
                        DomainScanningError(
                            "INVALID_VALUE", f"productIds.{n}", detail=f"{gid[:40]!r} is not a Product ID"
                        ),
                        info.context.lang,
                    )
                    continue
                errors += await _check_fit(
                    info,
                    lambda conn, pk=pk: labels.product_label(conn, pk, kind, lot=lot, expiry=expiry, serial=serial),
                    layout,
                    dpi,
                    f"productIds.{n}",
                )
            for n, gid in enumerate(locations[:MAX_CHECKED]):
                pk = pk_of(gid, "Location")
                if pk is None:
                    errors += _errors(
                        DomainScanningError(
                            "INVALID_VALUE", f"locationIds.{n}", detail=f"{gid[:40]!r} is not a Location ID"
                        ),
                        info.context.lang,
                    )
                    continue
                errors += await _check_fit(
                    info, lambda conn, pk=pk: labels.location_label(conn, pk), layout, dpi, f"locationIds.{n}"
                )
        return LabelLinks(images=images, sheet_pdf=sheet, zpl=zpl, errors=errors)


async def receipt_label_links(
    info: Info, receipt_id: int, receipt_gid: str, kind: LabelKind | None, layout: LabelLayout, dpi: int | None
) -> ReceiptLabelLinks:
    """The links of a receipt's lot and serial labels (``GoodsReceipt.labelLinks``)."""
    kind_value = kind.value if kind is not None else "datamatrix"
    layout_value = layout.value
    query = "?" + _query(kind=kind_value, layout=layout_value, dpi=dpi)
    pdf = f"/labels/receipt/{quote(receipt_gid)}.pdf{query}"
    zpl = f"/labels/receipt/{quote(receipt_gid)}.zpl{query}" if layout_value in labels.THERMAL_LAYOUTS else None
    errors: list = []
    try:
        _dpi(dpi)
        if kind_value not in labels.GS1_KINDS:
            raise DomainScanningError("INVALID_VALUE", "kind", detail=f"kind: {' | '.join(labels.GS1_KINDS)}")
    except DomainScanningError as exc:
        return ReceiptLabelLinks(count=0, pdf=pdf, zpl=zpl, errors=_errors(exc, info.context.lang))
    async with info.context.db.read() as conn:
        lot_ids = await labels.receipt_lot_ids(conn, receipt_id)
    for lot_id in lot_ids[:MAX_CHECKED]:
        errors += await _check_fit(
            info, lambda conn, lot_id=lot_id: labels.lot_label(conn, lot_id, kind_value), layout_value, dpi, "lots"
        )
    return ReceiptLabelLinks(count=len(lot_ids), pdf=pdf, zpl=zpl, errors=errors)
