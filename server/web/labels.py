"""Label downloads (authenticated like the API: ``Authorization: Bearer <token>``).

``GET /labels/product/{id}.png?kind=ean13|code128|gs1_128|qr&lot=…&expiry=YYYY-MM-DD``,
``GET /labels/location/{id}.png``, ``GET /labels/document/{number}.png`` and
``GET /labels/sheet.pdf?products=ID,ID&locations=ID&kind=…&layout=a4_3x8|50x30`` — IDs are the API's
global IDs; a caller needs ``catalog.view`` (products) or ``stock.view`` (locations, documents), and
bins only of the warehouses it may work in. The images and sheets come from ``server.scanning.labels``.
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
from server.scanning import labels
from server.web import params as p
from server.web.guard import WebError, guarded

MAX_LABELS = 500
# GS1 AI (10) batch/lot: up to 20 characters of the GS1 "character set 82"
LOT = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
DOCUMENT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/\-]{0,39}")


def _kind(q) -> str:
    return p.choice_param(q, "kind", labels.KINDS, "ean13")


async def _check_bins(conn, principal: Principal, location_ids: list[int]) -> None:
    """Bins outside the caller's warehouses are refused like any other object out of scope."""
    if scope.warehouses(principal) is None or not location_ids:
        return
    rows = await conn.execute(select(location.c.id, location.c.warehouse_id).where(location.c.id.in_(set(location_ids))))
    for _id, warehouse_id in rows:
        if not scope.in_scope(principal, warehouse_id):
            raise WebError(403, "PERMISSION_DENIED", permission=f"warehouse {warehouse_id}")


def _png(label) -> Response:
    return Response(label.png, media_type="image/png")


@guarded("catalog.view")
async def product_png(request: Request, _principal: Principal):
    q = request.query_params
    pk = p.global_id(request.path_params["id"], "Product")
    kind = _kind(q)
    lot = p.text_param(q, "lot", LOT, "批次号最多 20 个 GS1 字符（字母、数字和 !\"%&'()*+,-./:;<=>?_）",
                       "a lot is up to 20 GS1 characters (letters, digits and !\"%&'()*+,-./:;<=>?_)")
    expiry = p.date_param(q, "expiry")
    async with request.app.state.jxc.db.read() as conn:
        return _png(await labels.product_label(conn, pk, kind, lot=lot, expiry=expiry))


@guarded("stock.view")
async def location_png(request: Request, principal: Principal):
    pk = p.global_id(request.path_params["id"], "Location")
    async with request.app.state.jxc.db.read() as conn:
        await _check_bins(conn, principal, [pk])
        return _png(await labels.location_label(conn, pk))


@guarded("stock.view")
async def document_png(request: Request, _principal: Principal):
    number = p.text_param(request.path_params, "number", DOCUMENT_NUMBER,
                          "单据号最多 40 个字符（字母、数字和 ._/-）", "a document number is up to 40 letters, digits and ._/-")
    return _png(labels.document_label(p.required(number, "number")))


def _sheet_permissions(request: Request) -> list[str]:
    q = request.query_params
    return (["catalog.view"] if q.get("products") else []) + (["stock.view"] if q.get("locations") else [])


@guarded(_sheet_permissions)
async def sheet_pdf(request: Request, principal: Principal):
    q = request.query_params
    products = p.id_list(q, "products", "Product", MAX_LABELS)
    locations = p.id_list(q, "locations", "Location", MAX_LABELS)
    kind = _kind(q)
    layout = p.choice_param(q, "layout", labels.LAYOUTS, "a4_3x8")
    if not products and not locations:
        raise p.invalid("products/locations", "至少需要一个 ID", "at least one ID is required")
    if len(products) + len(locations) > MAX_LABELS:
        raise p.invalid("products/locations", f"每张最多 {MAX_LABELS} 个标签", f"at most {MAX_LABELS} labels per sheet")
    async with request.app.state.jxc.db.read() as conn:
        await _check_bins(conn, principal, locations)
        items = [await labels.product_label(conn, pk, kind) for pk in products]
        items += [await labels.location_label(conn, pk) for pk in locations]
    return Response(labels.labels_pdf(items, layout), media_type="application/pdf")


ROUTES = [
    Route("/labels/product/{id}.png", product_png),
    Route("/labels/location/{id}.png", location_png),
    Route("/labels/document/{number}.png", document_png),
    Route("/labels/sheet.pdf", sheet_pdf),
]
