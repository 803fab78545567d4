"""期初导入 (issue #19): opening balances from one CSV/XLSX file — a dry run that lists every problem on
its row and column and changes nothing, a commit that posts the whole file as one opening entry, and
the same file never booked twice (server/imports/opening.py)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.catalog.models import product
from server.core import clock
from server.finance.ledger import period_of, period_start
from server.finance.models import voucher
from server.imports.opening import import_opening, template
from server.inventory.models import location, stock_level, stock_move
from server.opening.services import do_set_go_live_date
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.models import supplier_bill
from server.sales.check import verify_ledger
from server.sales.models import sales_invoice
from tests.factories import make_product, make_world
from tests.finance_helpers import FINANCE_MANAGER, assert_books_clean, balances, setup_books
from tests.purchasing_helpers import ACCOUNTANT

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

Y = 100
HEADER = [
    "type", "sku", "location", "quantity", "unit_cost", "amount", "lot", "expiry_date",
    "partner", "number", "document_date", "due_date", "account", "debit", "credit",
]  # fmt: skip


def _row(**cells) -> list[str]:
    return [str(cells.get(k, "")) for k in HEADER]


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


async def _world(db):
    await setup_books(db)
    w = await make_world(db)
    widget = await make_product(db, w, purchase_price="2.00")
    lotted = await make_product(db, w, tracking="lot", purchase_price="3.00")
    await do_create_partner(db, "customer", PartnerInput(code="C001", name="好邻居便利店"))
    await do_create_partner(db, "supplier", PartnerInput(code="S001", name="华东五金"))
    async with db.read() as conn:
        skus = dict((await conn.execute(select(product.c.id, product.c.sku))).all())
    go_live = period_start(period_of(clock.today()))
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    return w, skus[widget], skus[lotted], go_live


def _file(widget: str, lotted: str, go_live, *, capital: str = "6080.00") -> bytes:
    before = (go_live - timedelta(days=10)).isoformat()
    return _csv(
        [
            _row(type="stock", sku=widget, location="WH1-A-01", quantity="100", unit_cost="2.50"),  # 250.00
            _row(type="库存", sku=lotted, location="WH2-B-01", quantity="10", amount="33.33", lot="L2026",
                 expiry_date=(go_live + timedelta(days=90)).isoformat()),
            _row(type="receivable", partner="C001", number="OLD-AR-1", document_date=before, amount="1000.00",
                 due_date=(go_live + timedelta(days=20)).isoformat()),
            _row(type="应付", partner="S001", number="OLD-AP-7", document_date=before, amount="400.00"),
            _row(type="account", account="1002", debit="5000.00"),
            _row(type="科目", account="1601", debit="196.67"),
            _row(type="account", account="4001", credit=capital),
        ]
    )  # fmt: skip


async def _counts(db) -> tuple[int, ...]:
    async with db.read() as conn:
        return tuple(
            [
                (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for t in (stock_move, stock_level, sales_invoice, supplier_bill, voucher)
            ]
        )


async def test_dry_run_changes_nothing_commit_posts_one_entry_and_the_same_file_is_refused(db):
    _w, widget, lotted, go_live = await _world(db)
    data = _file(widget, lotted, go_live)
    before = await _counts(db)

    dry = await import_opening(db, data, "opening.csv", FINANCE_MANAGER)
    assert (dry.errors, dry.rows, dry.created, dry.committed) == ([], 7, 7, False)
    assert await _counts(db) == before

    done = await import_opening(db, data, "opening.csv", FINANCE_MANAGER, commit=True)
    assert (done.errors, done.committed) == ([], True)
    b = await balances(db)
    assert (b["1405"], b["1122"], b["220201"], b["1002"], b["4001"]) == (
        250 * Y + 3333, 1000 * Y, -400 * Y, 5000 * Y, -6080 * Y,
    )  # fmt: skip
    after = await _counts(db)
    assert after[0] == before[0] + 2 and after[2:] == (before[2] + 1, before[3] + 1, before[4] + 1)
    await assert_books_clean(db)
    async with db.read() as conn:
        assert await verify_ledger(conn) == []

    again = await import_opening(db, data, "opening.csv", FINANCE_MANAGER, commit=True)
    assert [(e.row, e.code) for e in again.errors] == [(0, "ALREADY_IMPORTED")] and not again.committed
    assert "已经导入过" in again.errors[0].message_zh
    assert await _counts(db) == after


async def test_every_problem_is_listed_on_its_row_and_column(db):
    _w, widget, lotted, go_live = await _world(db)
    bad = _csv(
        [
            _row(type="stock", sku="NO-SUCH", location="WH1-A-01", quantity="1", unit_cost="1"),
            _row(type="stock", sku=widget, location="NOWHERE", quantity="1", unit_cost="1"),
            _row(type="receivable", partner="S001", number="X-1", document_date="2026-13-01", amount="1"),
            _row(type="transfer"),
            _row(type="account", account="1002"),
        ]
    )
    report = await import_opening(db, bad, "bad.csv", FINANCE_MANAGER, commit=True)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "sku", "NOT_FOUND"),
        (3, "location", "NOT_FOUND"),
        (4, "partner", "NOT_FOUND"),  # S001 is a supplier: a receivable is a customer's
        (4, "document_date", "INVALID_VALUE"),
        (5, "type", "INVALID_VALUE"),
    ]
    # what only the posting finds: on its row too (stock through the ledger, the opening's own rules)
    second = _csv(
        [
            _row(type="stock", sku=lotted, location="WH1-A-01", quantity="2", unit_cost="1"),  # no lot
            _row(type="stock", sku=widget, location="WH1-A-01", quantity="-1", unit_cost="1"),
            _row(type="account", account="1405", debit="5"),  # fed by stock only
            _row(type="account", account="1002", debit="1", credit="1"),
            _row(type="payable", partner="S001", number="X-2", document_date=go_live.isoformat(), amount="1"),
        ]
    )
    report = await import_opening(db, second, "second.csv", FINANCE_MANAGER)
    placed = {(e.row, e.column, e.code) for e in report.errors}
    assert {(3, "quantity"), (4, "account"), (6, "document_date")} <= {(r, c) for r, c, _ in placed}
    assert any(r == 2 and c == "lot" for r, c, _ in placed), placed
    assert (4, "account", "CONTROLLED_ACCOUNT") in placed and (5, None, "DEBIT_OR_CREDIT") in placed
    assert await _counts(db) == (0, 0, 0, 0, 0)


async def test_an_unbalanced_file_is_an_error_of_the_file_and_writes_nothing(db):
    _w, widget, lotted, go_live = await _world(db)
    report = await import_opening(db, _file(widget, lotted, go_live, capital="6000.00"), "o.csv", FINANCE_MANAGER)
    assert [(e.row, e.code) for e in report.errors] == [(0, "OPENING_UNBALANCED")]
    assert await _counts(db) == (0, 0, 0, 0, 0)


async def test_only_a_finance_administrator_imports_the_opening(db):
    from server.imports.errors import DataImportError

    _w, widget, lotted, go_live = await _world(db)
    with pytest.raises(DataImportError):
        await import_opening(db, _file(widget, lotted, go_live), "o.csv", ACCOUNTANT)


async def test_the_template_checks_cleanly_against_its_own_example_codes(db):
    from server.catalog.services import ProductInput, do_create_product, do_create_unit
    from server.inventory.warehouses import do_create_location, do_create_warehouse

    await setup_books(db)
    pcs = await do_create_unit(db, code="PCS", name="个", precision=0)
    wh = await do_create_warehouse(db, code="WH", name="仓")
    for code in ("A-01-01", "A-01-02"):
        await do_create_location(db, warehouse_id=wh, code=code)
    await do_create_product(db, ProductInput(sku="P-1001", name="水", base_unit_id=pcs))
    await do_create_product(db, ProductInput(sku="P-1002", name="米", base_unit_id=pcs, tracking="lot"))
    await do_create_partner(db, "customer", PartnerInput(code="C-001", name="客户"))
    await do_create_partner(db, "supplier", PartnerInput(code="S-001", name="供应商"))
    today = clock.today()
    await do_set_go_live_date(db, today.replace(day=1) if today.day > 1 else today, FINANCE_MANAGER)
    for fmt in ("csv", "xlsx"):
        report = await import_opening(db, template(fmt), f"t.{fmt}", FINANCE_MANAGER)
        # the examples balance; only their document dates may fall after a go-live this early
        assert {e.code for e in report.errors} <= {"DATE_NOT_BEFORE_GO_LIVE"}, report.errors
    zh = template("csv", chinese_header=True).decode("utf-8-sig").splitlines()[0]
    assert zh.startswith("类型,商品编码,库位")
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(location))).scalar_one() == 2


IMPORT = """mutation($kind: ImportKind!, $file: Upload!, $commit: Boolean!) {
  importData(kind: $kind, file: $file, commit: $commit) {
    report { kind committed rows created rowErrors { row column code message } } errors { code message } } }"""


async def test_the_api_imports_an_opening_file(gql):
    from tests.gql import admin_token

    _w, widget, lotted, go_live = await _world(gql.db)
    files = {"file": ("opening.csv", _file(widget, lotted, go_live))}
    dry = (await gql.upload(IMPORT, {"kind": "OPENING", "commit": False}, files)).json()["data"]["importData"]
    assert dry["errors"] == [] and dry["report"]["rowErrors"] == [] and dry["report"]["kind"] == "OPENING"
    done = (await gql.upload(IMPORT, {"kind": "OPENING", "commit": True}, files)).json()["data"]["importData"]
    assert done["report"]["committed"] is True
    again = (await gql.upload(IMPORT, {"kind": "OPENING", "commit": True}, files, lang="en")).json()["data"]
    assert [e["code"] for e in again["importData"]["report"]["rowErrors"]] == ["ALREADY_IMPORTED"]
    assert "imported already" in again["importData"]["report"]["rowErrors"][0]["message"]

    viewer = await admin_token(gql.db, role="viewer")
    refused = await gql.upload(IMPORT, {"kind": "OPENING", "commit": True}, files, token=viewer)
    assert refused.json()["data"] is None or refused.json()["data"]["importData"]["report"] is None


def test_cli_writes_the_template_refuses_an_export_and_reports_a_dry_run(test_databases, tmp_path, monkeypatch, capsys):
    import asyncio

    from server.cli import main as cli_main

    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    monkeypatch.setenv("DATABASE_URL", url)
    tpl = tmp_path / "opening.csv"
    assert cli_main(["export", "opening", str(tpl), "--template"]) == 0
    assert tpl.read_bytes().startswith(b"\xef\xbb\xbftype,sku,location")
    assert cli_main(["export", "opening", str(tmp_path / "x.csv")]) == 2  # posted, never exported
    capsys.readouterr()
    # the template's codes are not in an empty database: every row names what is missing
    assert cli_main(["import", "opening", str(tpl)]) == 1
    printed = capsys.readouterr().out
    assert "NOT_FOUND" in printed and "nothing written" in printed
