"""Label downloads over HTTP (authenticated like the API: ``Authorization: Bearer <token>``).

``GET /labels/product/{id}.png?kind=ean13|code128|gs1_128|qr&lot=…&expiry=YYYY-MM-DD``,
``GET /labels/location/{id}.png``, ``GET /labels/document/{number}.png`` and
``GET /labels/sheet.pdf?products=ID,ID&locations=ID&kind=…&layout=a4_3x8|50x30`` — IDs are the API's
global IDs; a caller needs ``catalog.view`` (products) or ``stock.view`` (locations, documents).
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.auth.services import authenticate
from server.errors import DomainError, render_message
from server.scanning import labels

MAX_LABELS = 500


def _global_pk(value: str, type_name: str) -> int | None:
    from schema.relay import decode_id

    return decode_id(value, type_name)


async def _principal(request: Request):
    header = request.headers.get("authorization") or ""
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    return await authenticate(request.app.state.jxc.db, token)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _guarded(request: Request, permission: str, make):
    principal = await _principal(request)
    if principal is None or not principal.can(permission):
        return _error(403, "PERMISSION_DENIED", render_message("PERMISSION_DENIED", "en", {"permission": permission}))
    try:
        async with request.app.state.jxc.db.read() as conn:
            return await make(conn)
    except DomainError as exc:
        d = exc.details[0]
        return _error(404 if d.code == "UNKNOWN_BARCODE" else 400, d.code, d.message("en"))
    except ValueError as exc:
        return _error(400, "INVALID_VALUE", str(exc))


async def product_png(request: Request):
    async def make(conn):
        pk = _global_pk(request.path_params["id"], "Product")
        q = request.query_params
        expiry = date.fromisoformat(q["expiry"]) if q.get("expiry") else None
        label = await labels.product_label(conn, pk or 0, q.get("kind", "ean13"), lot=q.get("lot"), expiry=expiry)
        return Response(label.png, media_type="image/png")
    return await _guarded(request, "catalog.view", make)


async def location_png(request: Request):
    async def make(conn):
        label = await labels.location_label(conn, _global_pk(request.path_params["id"], "Location") or 0)
        return Response(label.png, media_type="image/png")
    return await _guarded(request, "stock.view", make)


async def document_png(request: Request):
    async def make(_conn):
        return Response(labels.document_label(request.path_params["number"]).png, media_type="image/png")
    return await _guarded(request, "stock.view", make)


async def sheet_pdf(request: Request):
    q = request.query_params
    products = [x for x in q.get("products", "").split(",") if x]
    locations = [x for x in q.get("locations", "").split(",") if x]

    async def make(conn):
        if len(products) + len(locations) > MAX_LABELS:
            raise ValueError(f"at most {MAX_LABELS} labels per sheet")
        items = [await labels.product_label(conn, _global_pk(p, "Product") or 0, q.get("kind", "ean13"))
                 for p in products]
        items += [await labels.location_label(conn, _global_pk(x, "Location") or 0) for x in locations]
        pdf = labels.labels_pdf(items, q.get("layout", "a4_3x8"))
        return Response(pdf, media_type="application/pdf")
    return await _guarded(request, "catalog.view" if products else "stock.view", make)


ROUTES = [
    Route("/labels/product/{id}.png", product_png),
    Route("/labels/location/{id}.png", location_png),
    Route("/labels/document/{number}.png", document_png),
    Route("/labels/sheet.pdf", sheet_pdf),
]
