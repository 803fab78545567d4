"""Printed documents (单据打印) as PDF: ``GET /print/{kind}/{id}.pdf?paper=a4|a5|continuous``.

Kinds and the permission each needs are ``server.printing.documents.PERMISSIONS`` (purchase_order,
goods_receipt, pick_list of a sales order, delivery_note of a shipment, sales_invoice, voucher); the
id is the API's global id of the document. ``paper``: ``a4`` (default), ``a5`` (landscape) or
``continuous`` (241 mm three-part paper for dot-matrix printers). The PDF opens in the browser
(``inline``) so the console's print button shows it ready to print; authenticated like every
download (``server.web.guard``).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.auth.services import Principal
from server.printing import documents
from server.printing.pdf import PAPERS, render_pdf
from server.web import params as p
from server.web.guard import Text, WebError, guarded


def _kind(request: Request) -> str:
    kind = request.path_params["kind"]
    if kind not in documents.PERMISSIONS:
        kinds = " | ".join(documents.PERMISSIONS)
        what = Text(f"单据类型 {kind[:40]}（可选：{kinds}）", f"Document kind {kind[:40]} (kinds: {kinds})")
        raise WebError(404, "NOT_FOUND", what=what, what_en=what)
    return kind


def _permission(request: Request) -> list[str]:
    kind = request.path_params["kind"]
    return [documents.PERMISSIONS.get(kind, "user.admin")]  # an unknown kind: 404 after sign-in


@guarded(_permission)
async def print_document(request: Request, principal: Principal):
    kind = _kind(request)
    pk = p.global_id(request.path_params["id"], documents.ID_TYPES[kind])
    paper = p.choice_param(request.query_params, "paper", tuple(PAPERS), "a4")
    async with request.app.state.jxc.db.read() as conn:
        form = await documents.printed_form(conn, kind, pk, principal)
    body = render_pdf(form, paper)
    name = f"{kind}-{re.sub(r'[^A-Za-z0-9_-]', '_', form.number)}-{paper}.pdf"
    return Response(body, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{name}"'})


ROUTES = [Route("/print/{kind}/{id}.pdf", print_document)]
