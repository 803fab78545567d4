"""Label downloads (authenticated like the API: ``Authorization: Bearer <token>``).

Each label comes as ``.png`` (the symbol alone), ``.pdf`` (printable, sized for the printer) or
``.zpl`` (for a thermal label printer):

* ``GET /labels/product/{id}.{png|pdf|zpl}?kind=ean13|code128|gs1_128|qr|datamatrix&lot=…&expiry=YYYY-MM-DD&serial=…``
* ``GET /labels/lot/{id}.{png|pdf|zpl}?kind=datamatrix|gs1_128|qr`` — a lot, or one serial number
* ``GET /labels/location/{id}.{png|pdf|zpl}``, ``GET /labels/document/{number}.{png|pdf|zpl}``
* ``GET /labels/sheet.{pdf|zpl}?products=ID,ID&locations=ID&lots=ID&kind=…&layout=…``
* ``GET /labels/receipt/{id}.{pdf|zpl}?kind=datamatrix|gs1_128|qr`` — the lots and serials of a goods receipt

and, for ``.pdf`` and ``.zpl``, ``layout=a4_3x8|50x30|60x40|100x50`` (ZPL: the thermal ones) and
``dpi=203|300|600`` (the printer's resolution: modules are whole dots of it), ZPL also
``font=E:ANMDS.TTF`` (the printer's CJK font). IDs are the API's global IDs; a caller needs
``catalog.view`` (products, lots), ``stock.view`` (locations, documents; bins only of the warehouses
it may work in) or ``purchase.view`` (receipts of its warehouses). Every parameter is checked here
(``server.web.params``); a label whose content does not fit is a 400 ``LABEL_TOO_SMALL`` naming the
size it needs. The labels come from ``server.scanning.labels`` and ``server.scanning.zpl``.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.auth import scope
from server.auth.services import Principal
from server.inventory.models import location
from server.purchasing.models import goods_receipt
from server.scanning import labels, zpl
from server.scanning.errors import ScanningError
from server.web import params as p
from server.web.guard import WebError, guarded

MAX_LABELS = 500
LOT = labels.CSET82  # GS1 AI (10) batch/lot and (21) serial: up to 20 characters of "character set 82"
GS1_TEXT_ZH = "最多 20 个 GS1 字符（字母、数字和 !\"%&'()*+,-./:;<=>?_）"
GS1_TEXT_EN = "up to 20 GS1 characters (letters, digits and !\"%&'()*+,-./:;<=>?_)"
DOCUMENT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/\-]{0,39}")
FORMATS = ("png", "pdf", "zpl")
SHEET_FORMATS = ("pdf", "zpl")
MEDIA = {"png": "image/png", "pdf": "application/pdf", "zpl": "text/plain; charset=utf-8"}


def _kind(q, allowed=labels.KINDS, default="ean13") -> str:
    return p.choice_param(q, "kind", allowed, default)


def _gs1_data(q) -> dict:
    return {
        "lot": p.text_param(q, "lot", LOT, "批次号" + GS1_TEXT_ZH, "a lot is " + GS1_TEXT_EN),
        "serial": p.text_param(q, "serial", LOT, "序列号" + GS1_TEXT_ZH, "a serial is " + GS1_TEXT_EN),
        "expiry": p.date_param(q, "expiry"),
    }


class Output:
    """The format, layout, resolution and font of a download, validated."""

    def __init__(self, request: Request, formats=FORMATS, default_layout: str = "50x30"):
        q = request.query_params
        self.fmt = p.required(p.choice_param(request.path_params, "fmt", formats, None), "fmt")
        allowed = labels.THERMAL_LAYOUTS if self.fmt == "zpl" else tuple(labels.LAYOUTS)
        self.layout = p.choice_param(q, "layout", allowed, default_layout if default_layout in allowed else "50x30")
        dpi = p.choice_param(q, "dpi", tuple(str(d) for d in labels.DPIS), None)
        self.dpi = int(dpi) if dpi else labels.LAYOUTS[self.layout].default_dpi
        self.png_dpi = int(dpi) if dpi else 300
        self.font = (
            p.text_param(
                q,
                "font",
                zpl.FONT_NAME,
                "字体应为打印机上的文件名，如 E:ANMDS.TTF",
                "a font is a file on the printer, e.g. E:ANMDS.TTF",
            )
            or zpl.CJK_FONT
        )

    def response(self, items: list[labels.Label], name: str) -> Response:
        if self.fmt == "png":
            body = labels.png(items[0], self.png_dpi)
        elif self.fmt == "pdf":
            body = labels.labels_pdf(items, self.layout, self.dpi)
        else:
            body = zpl.labels_zpl(items, self.layout, self.dpi, self.font).encode()
        headers = {"content-disposition": f'inline; filename="{name}.{self.fmt}"'}
        return Response(body, media_type=MEDIA[self.fmt], headers=headers)


async def _check_bins(conn, principal: Principal, location_ids: list[int]) -> None:
    """Bins outside the caller's warehouses are refused like any other object out of scope."""
    if scope.warehouses(principal) is None or not location_ids:
        return
    rows = await conn.execute(
        select(location.c.id, location.c.warehouse_id).where(location.c.id.in_(set(location_ids)))
    )
    for _id, warehouse_id in rows:
        if not scope.in_scope(principal, warehouse_id):
            raise WebError(403, "PERMISSION_DENIED", permission=f"warehouse {warehouse_id}")


@guarded("catalog.view")
async def product_label(request: Request, _principal: Principal):
    q = request.query_params
    pk = p.global_id(request.path_params["id"], "Product")
    out = Output(request)
    kind, data = _kind(q), _gs1_data(q)
    async with request.app.state.jxc.db.read() as conn:
        item = await labels.product_label(conn, pk, kind, **data)
    return out.response([item], f"product-{pk}")


@guarded("catalog.view")
async def lot_label(request: Request, _principal: Principal):
    pk = p.global_id(request.path_params["id"], "Lot")
    out = Output(request)
    kind = _kind(request.query_params, labels.GS1_KINDS, "datamatrix")
    async with request.app.state.jxc.db.read() as conn:
        item = await labels.lot_label(conn, pk, kind)
    return out.response([item], f"lot-{pk}")


@guarded("stock.view")
async def location_label(request: Request, principal: Principal):
    pk = p.global_id(request.path_params["id"], "Location")
    out = Output(request)
    async with request.app.state.jxc.db.read() as conn:
        await _check_bins(conn, principal, [pk])
        item = await labels.location_label(conn, pk)
    return out.response([item], f"location-{pk}")


@guarded("stock.view")
async def document_label(request: Request, _principal: Principal):
    number = p.text_param(
        request.path_params,
        "number",
        DOCUMENT_NUMBER,
        "单据号最多 40 个字符（字母、数字和 ._/-）",
        "a document number is up to 40 letters, digits and ._/-",
    )
    out = Output(request)
    return out.response([labels.document_label(p.required(number, "number"))], "document")


def _sheet_permissions(request: Request) -> list[str]:
    q = request.query_params
    return (["catalog.view"] if q.get("products") or q.get("lots") else []) + (
        ["stock.view"] if q.get("locations") else []
    )


@guarded(_sheet_permissions)
async def sheet(request: Request, principal: Principal):
    q = request.query_params
    out = Output(request, SHEET_FORMATS, "a4_3x8")
    products = p.id_list(q, "products", "Product", MAX_LABELS)
    locations = p.id_list(q, "locations", "Location", MAX_LABELS)
    lots = p.id_list(q, "lots", "Lot", MAX_LABELS)
    kind, data = _kind(q), _gs1_data(q)
    lot_kind = kind if kind in labels.GS1_KINDS else "datamatrix"
    if not products and not locations and not lots:
        raise p.invalid("products/locations/lots", "至少需要一个 ID", "at least one ID is required")
    if len(products) + len(locations) + len(lots) > MAX_LABELS:
        raise p.invalid(
            "products/locations/lots", f"每张最多 {MAX_LABELS} 个标签", f"at most {MAX_LABELS} labels per sheet"
        )
    async with request.app.state.jxc.db.read() as conn:
        await _check_bins(conn, principal, locations)
        items = [await labels.product_label(conn, pk, kind, **data) for pk in products]
        items += [await labels.lot_label(conn, pk, lot_kind) for pk in lots]
        items += [await labels.location_label(conn, pk) for pk in locations]
    return out.response(items, "labels")


@guarded("purchase.view")
async def receipt_labels(request: Request, principal: Principal):
    pk = p.global_id(request.path_params["id"], "GoodsReceipt")
    out = Output(request, SHEET_FORMATS)
    kind = _kind(request.query_params, labels.GS1_KINDS, "datamatrix")
    async with request.app.state.jxc.db.read() as conn:
        row = (
            await conn.execute(
                select(goods_receipt.c.number, goods_receipt.c.warehouse_id).where(goods_receipt.c.id == pk)
            )
        ).first()
        if row is None:
            raise ScanningError("NOT_FOUND", "receiptId", what="收货单", what_en="Goods receipt")
        if not scope.in_scope(principal, row.warehouse_id):
            raise WebError(403, "PERMISSION_DENIED", permission=f"warehouse {row.warehouse_id}")
        lot_ids = await labels.receipt_lot_ids(conn, pk)
        if not lot_ids:
            raise p.invalid(
                "receipt", f"收货单 {row.number} 没有批次或序列号", f"receipt {row.number} has no lots or serials"
            )
        items = [await labels.lot_label(conn, lot_id, kind) for lot_id in lot_ids[:MAX_LABELS]]
    return out.response(items, row.number)


ROUTES = [
    Route("/labels/product/{id}.{fmt}", product_label),
    Route("/labels/lot/{id}.{fmt}", lot_label),
    Route("/labels/location/{id}.{fmt}", location_label),
    Route("/labels/document/{number}.{fmt}", document_label),
    Route("/labels/sheet.{fmt}", sheet),
    Route("/labels/receipt/{id}.{fmt}", receipt_labels),
]
