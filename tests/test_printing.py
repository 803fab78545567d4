"""Printed documents (#17 Printing): every kind on every paper from the demo company, as the caller
may see it — text read back from the PDF with PDFium, the font embedded, totals in capitals, the
warehouse scope and cost visibility of the caller, and the HTTP route's typed errors."""

from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from server.auth.permissions import BUILTIN_ROLES
from server.auth.principal import Principal
from server.core.errors import DomainError
from server.core.global_ids import encode
from server.demo.company import load_demo_data
from server.finance.models import voucher
from server.printing.documents import LOADERS, printed_form
from server.printing.pdf import PAPERS, render_pdf
from server.purchasing.models import goods_receipt, purchase_order
from server.sales.invoicing import amount_in_words
from server.sales.models import sales_invoice, sales_order, shipment

TODAY = date(2026, 3, 15)

# the examples of the 《支付结算办法》 and the edges of its rules (fen → 人民币大写: 壹拾, one 零, 整)
CAPITALS = [
    (0, "零元整"),
    (5, "伍分"),
    (50, "伍角整"),
    (55, "伍角伍分"),
    (100, "壹元整"),
    (105, "壹元零伍分"),
    (150, "壹元伍角整"),
    (1615, "壹拾陆元壹角伍分"),
    (168032, "壹仟陆佰捌拾元叁角贰分"),
    (10700053, "壹拾万柒仟元伍角叁分"),
    (10010000, "壹拾万零壹佰元整"),
    (100000100, "壹佰万零壹元整"),
    (325000000, "叁佰贰拾伍万元整"),
    (10000000100, "壹亿零壹元整"),
    (11000000000, "壹亿壹仟万元整"),
    (10001000000, "壹亿零壹万元整"),
    (100000000000, "壹拾亿元整"),
    (10**16, "壹佰万亿元整"),
    (-123456, "负壹仟贰佰叁拾肆元伍角陆分"),
]


@pytest.mark.parametrize(("fen", "words"), CAPITALS)
def test_amounts_in_capitals(fen, words):
    assert amount_in_words(fen) == words


def _text(pdf: bytes) -> tuple[str, int]:
    doc = pdfium.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in doc), len(doc)


def _principal(role: str, warehouses: frozenset[int] | None = None) -> Principal:
    return Principal("user", role, 1, None, BUILTIN_ROLES[role][2], warehouses, (role,))


async def _first(conn, table, *where):
    return (await conn.execute(select(table.c.id, *table.c).where(*where).order_by(table.c.id).limit(1))).first()


async def test_every_document_prints_on_every_paper(db):
    assert await load_demo_data(db, today=TODAY) is True
    async with db.read() as conn:
        docs = {
            "purchase_order": await _first(conn, purchase_order),
            "goods_receipt": await _first(conn, goods_receipt),
            "pick_list": await _first(conn, sales_order, sales_order.c.status == "approved"),
            "delivery_note": await _first(conn, shipment),
            "sales_invoice": await _first(conn, sales_invoice),
            "voucher": await _first(conn, voucher, voucher.c.status == "posted"),
        }
        assert set(docs) == set(LOADERS) and all(docs.values()), docs
        for kind, row in docs.items():
            form = await printed_form(conn, kind, row.id, None)
            assert form.company == "上海示例商贸有限公司 (jxc demo)"
            for paper in PAPERS:
                pdf = render_pdf(form, paper)
                assert b"/FontFile2" in pdf, "the font is embedded"
                text, pages = _text(pdf)
                assert form.title in text and form.number in text, (kind, paper)
                assert f"第 1 页 / 共 {pages} 页" in text
                if form.amount_fen is not None:
                    assert amount_in_words(form.amount_fen) in text, (kind, paper)
                if paper == "continuous":
                    assert "①" in text and "第一联" in text
            if kind in ("purchase_order", "sales_invoice"):
                assert form.amount_fen == row.total_fen
            if kind == "voucher":
                debit, credit = form.totals[2], form.totals[3]
                assert debit == credit != "0.00" and form.signatures[2][2] == row.created_by
        await _purchase_order_lines_and_pages(conn)
        await _scope_and_costs_of_the_caller(conn)


async def _purchase_order_lines_and_pages(conn):
    """The lines add up to the order's amounts; a long order breaks into pages, the header repeated."""
    order = await _first(conn, purchase_order)
    form = await printed_form(conn, "purchase_order", order.id, None)
    assert len(form.rows) >= 1 and all(len(r) == len(form.columns) for r in form.rows)
    amounts = [int(r[7].replace(",", "").replace(".", "")) for r in form.rows]
    taxes = [int(r[8].replace(",", "").replace(".", "")) for r in form.rows]
    assert sum(amounts) == order.amount_fen and sum(taxes) == order.tax_fen
    assert order.amount_fen + order.tax_fen == order.total_fen == form.amount_fen
    form.rows = form.rows * 40
    text, pages = _text(render_pdf(form, "continuous"))
    assert pages > 2 and f"第 {pages} 页 / 共 {pages} 页" in text
    assert text.count("品名规格") == pages  # the table header on every page


async def _scope_and_costs_of_the_caller(conn):
    """Values only with cost.view; warehouses and permissions of the caller; a missing document."""
    receipt = await _first(conn, goods_receipt)
    keeper = _principal("warehouse_keeper")
    form = await printed_form(conn, "goods_receipt", receipt.id, keeper)
    assert "cost.view" not in keeper.permissions
    assert [c.zh for c in form.columns][-1] == "批次" and form.amount_fen is None  # no values without cost.view
    full = await printed_form(conn, "goods_receipt", receipt.id, _principal("purchaser"))
    assert [c.zh for c in full.columns][-1] == "入库金额" and full.amount_fen is not None
    elsewhere = _principal("warehouse_keeper", frozenset({receipt.warehouse_id + 1000}))
    with pytest.raises(DomainError) as refused:
        await printed_form(conn, "goods_receipt", receipt.id, elsewhere)
    assert refused.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(DomainError) as no_finance:
        await printed_form(conn, "voucher", (await _first(conn, voucher)).id, keeper)
    assert no_finance.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(DomainError) as missing:
        await printed_form(conn, "purchase_order", 10**9, None)
    assert missing.value.details[0].code == "NOT_FOUND"


async def test_print_route(gql):
    await load_demo_data(gql.db, today=TODAY)
    async with gql.db.read() as conn:
        order = await _first(conn, purchase_order)
        ship = await _first(conn, shipment)
    headers = {"authorization": f"Bearer {gql.token}"}
    po_id = encode("PurchaseOrder", order.id)
    ok = await gql.http.get(f"/print/purchase_order/{po_id}.pdf?paper=a5", headers=headers)
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/pdf"
    assert ok.headers["content-disposition"].startswith("inline;") and order.number in _text(ok.content)[0]
    note = await gql.http.get(f"/print/delivery_note/{encode('Shipment', ship.id)}.pdf", headers=headers)
    assert note.status_code == 200 and "客户签收" in _text(note.content)[0]
    assert (await gql.http.get(f"/print/purchase_order/{po_id}.pdf")).status_code == 401
    bad_paper = await gql.http.get(f"/print/purchase_order/{po_id}.pdf?paper=b5", headers=headers)
    assert bad_paper.status_code == 400 and bad_paper.json()["error"]["code"] == "INVALID_VALUE"
    wrong_type = await gql.http.get(f"/print/voucher/{po_id}.pdf", headers=headers)
    assert wrong_type.status_code == 400 and wrong_type.json()["error"]["code"] == "INVALID_ID"
    assert (await gql.http.get(f"/print/nonsense/{po_id}.pdf", headers=headers)).status_code == 404
    gone = await gql.http.get(f"/print/purchase_order/{encode('PurchaseOrder', 10**9)}.pdf", headers=headers)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "NOT_FOUND"
