"""Import and export of products, suppliers and customers (CSV, XLSX): dry run, all-or-nothing
commit, matching by code, round trips (docs/import.md)."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from server.auth.principal import Principal
from server.catalog.models import barcode, product, product_unit
from server.catalog.services import do_create_category, do_create_unit
from server.cli import main as cli_main
from server.core.audit import audit_log
from server.core.clock import utcnow
from server.imports.errors import DataImportError
from server.imports.formats import read_table
from server.imports.partners import export_partners, import_partners
from server.imports.products import export_products, import_products
from server.imports.templates import template
from server.partners.models import customer, supplier

HEADER = "sku,name,spec,category,unit,units,barcode,purchase_price,sale_price,tracking,reorder_point\n"
GOOD = (
    HEADER
    + "P-1,矿泉水,550ml,DRINK,PCS,BOX12=12,6901234567892;BOX12:16901234567899,1.20,2.00,none,100\n"
    + "P-2,大米,5kg,FOOD,KG,,6901234567908,4.50,6.80,lot,1.5\n"
    + "P-3,纸巾,,,PCS,,,0.80,1.50,,\n"
)


async def _world(db):
    await do_create_unit(db, code="PCS", name="个", precision=0)
    await do_create_unit(db, code="BOX12", name="箱", precision=0)
    await do_create_unit(db, code="KG", name="千克", precision=3)
    await do_create_category(db, code="DRINK", name="饮料")
    await do_create_category(db, code="FOOD", name="食品")


async def _count(db, table) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


def _counts(report) -> tuple[int, int, int, int]:
    return report.rows, report.created, report.updated, report.unchanged


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


async def test_dry_run_then_commit_creates_and_a_second_commit_changes_nothing(db):
    await _world(db)
    data = GOOD.encode()
    dry = await import_products(db, data, "products.csv", commit=False)
    assert dry.errors == [] and _counts(dry) == (3, 3, 0, 0) and not dry.committed
    assert await _count(db, product) == 0  # the dry run writes nothing

    done = await import_products(db, data, "products.csv", commit=True)
    assert done.errors == [] and _counts(done) == (3, 3, 0, 0) and done.committed
    async with db.read() as conn:
        rows = {r.sku: r for r in await conn.execute(select(product))}
        assert rows["P-1"].purchase_price_fen == 120 and rows["P-1"].sale_price_fen == 200
        assert rows["P-2"].tracking == "lot" and rows["P-2"].reorder_point == 1_500_000  # 1.5 kg
        assert rows["P-3"].spec == "" and rows["P-3"].vat_rate_bp == 1300 and rows["P-3"].category_id is None
        assert (await conn.execute(select(func.count()).select_from(product_unit))).scalar_one() == 1
        codes = {r.code: r.unit_id for r in await conn.execute(select(barcode))}
        assert set(codes) == {"6901234567892", "16901234567899", "6901234567908"}
        assert codes["6901234567892"] is None and codes["16901234567899"] is not None
        audited = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
    assert audited >= 3

    again = await import_products(db, data, "products.csv", commit=True)
    assert again.errors == [] and _counts(again) == (3, 0, 0, 3)
    assert await _count(db, product) == 3 and await _count(db, barcode) == 3


async def test_xlsx_with_numbers_and_chinese_headers(db):
    await _world(db)
    rows = [
        ["编码", "名称", "单位", "条码", "进价", "售价", "批次管理", "补货点"],
        ["P-10", "可乐", "PCS", 6901234567892, 2.5, 3, "批次", 12],
        [None, None, None, None, None, None, None, None],  # an empty row is skipped
        [1001, "雪碧", "PCS", "", 2.55, "3.00", "无", ""],
    ]
    report = await import_products(db, _xlsx(rows), "p.xlsx", commit=True)
    assert report.errors == [] and _counts(report) == (2, 2, 0, 0)
    async with db.read() as conn:
        got = {r.sku: r for r in await conn.execute(select(product))}
    assert (
        got["P-10"].tracking == "lot"
        and got["P-10"].purchase_price_fen == 250
        and got["P-10"].reorder_point == 12_000_000
    )
    assert got["1001"].purchase_price_fen == 255 and got["1001"].tracking == "none"


async def test_dry_run_lists_every_error_of_every_row_and_writes_nothing(db):
    await _world(db)
    data = (
        HEADER
        + "P-1,好商品,,,PCS,,,1.00,2.00,,\n"  # row 2: fine
        + "P-2,,,NOPE,LITRE,,,abc,1.234,weird,\n"  # row 3: name, category, unit, price, decimals, tracking
        + "P-3,坏条码,,,PCS,BOX12=0,6901234567893,,,,\n"  # row 4: factor, check digit
        + "P-1,重复,,,PCS,,,,,,\n"  # row 5: the SKU of row 2 again
        + "P 5,空格,,,KG,,6901234567892;6901234567892,,,,1.2345\n"  # row 6: space, barcode twice, decimals
    ).encode()
    for commit in (False, True):
        report = await import_products(db, data, "bad.csv", commit=commit)
        got = {(e.row, e.column, e.code) for e in report.errors}
        assert got == {
            (3, "name", "REQUIRED"),
            (3, "category", "NOT_FOUND"),
            (3, "unit", "NOT_FOUND"),
            (3, "purchase_price", "INVALID_VALUE"),
            (3, "sale_price", "TOO_MANY_DECIMALS"),
            (3, "tracking", "INVALID_VALUE"),
            (4, "units", "INVALID_VALUE"),
            (4, "barcode", "BAD_CHECK_DIGIT"),
            (5, "sku", "DUPLICATE_ROW"),
            (6, "sku", "INVALID_VALUE"),
            (6, "barcode", "DUPLICATE_CODE"),
            (6, "reorder_point", "TOO_MANY_DECIMALS"),
        }, got
        assert not report.committed and report.rows == 5 and report.rows_with_errors == 4
        assert all(e.message_zh and e.message_en and e.message_zh != e.message_en for e in report.errors)
        assert await _count(db, product) == 0  # a commit with one bad row writes nothing either


async def test_one_bad_row_commits_nothing(db):
    await _world(db)
    data = (HEADER + "P-1,甲,,,PCS,,,1,2,,\n" + "P-2,乙,,,PCS,,,1,-2,,\n").encode()
    report = await import_products(db, data, "one-bad.csv", commit=True)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(3, "sale_price", "INVALID_VALUE")]
    assert not report.committed and await _count(db, product) == 0


async def test_header_errors_unknown_and_missing_columns(db):
    await _world(db)
    report = await import_products(db, b"sku,name,colour\nP-1,x,red\n", "h.csv", commit=False)
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (1, "colour", "UNKNOWN_COLUMN"),
        (1, "unit", "MISSING_COLUMN"),
    }
    empty = await import_products(db, b"", "e.csv", commit=False)
    assert [e.code for e in empty.errors] == ["EMPTY_FILE"]
    broken = await import_products(db, b"PK\x03\x04 not really", "x.xlsx", commit=False)
    assert [e.code for e in broken.errors] == ["UNREADABLE_FILE"]
    other = await import_products(db, b"x", "x.pdf", commit=False)
    assert [e.code for e in other.errors] == ["UNSUPPORTED_FORMAT"]


async def test_gb18030_csv_with_chinese_headers(db):
    await _world(db)
    text = "编码,名称,规格,分类,单位,条码,进价,售价,批次管理\r\nG-1,绿茶,500毫升,饮料类,PCS,,3.00,5.00,批次\r\n"
    bad = await import_products(db, text.encode("gb18030"), "gb.csv", commit=False)
    assert [(e.row, e.column, e.code) for e in bad.errors] == [(2, "category", "NOT_FOUND")]
    data = text.replace("饮料类", "DRINK").encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_table(data, "gb.csv").header[1] == "名称"
    report = await import_products(db, data, "gb.csv", commit=True)
    assert report.errors == [] and report.created == 1
    async with db.read() as conn:
        row = (await conn.execute(select(product))).one()
    assert row.name == "绿茶" and row.spec == "500毫升" and row.tracking == "lot"
    bom = await import_products(db, b"\xef\xbb\xbf" + data.decode("gb18030").encode(), "bom.csv", commit=False)
    assert bom.errors == [] and _counts(bom) == (1, 0, 0, 1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_export_round_trips_and_an_edited_export_updates_exactly_the_changed_rows(db, fmt):
    await _world(db)
    assert (await import_products(db, GOOD.encode(), "p.csv", commit=True)).ok
    exported = await export_products(db, fmt)
    same = await import_products(db, exported, f"export.{fmt}", commit=True)
    assert same.errors == [] and _counts(same) == (3, 0, 0, 3)

    rows = _csv_rows(exported) if fmt == "csv" else _xlsx_rows(exported)
    header = rows[0]
    assert header == ["sku", "name", "spec", "category", "unit", "units", "barcode", "purchase_price"] + [
        "sale_price",
        "vat_rate",
        "tracking",
        "reorder_point",
        "reorder_quantity",
    ]
    by_sku = {r[0]: r for r in rows[1:]}
    assert by_sku["P-1"][5] == "BOX12=12" and by_sku["P-1"][6] == "6901234567892;BOX12:16901234567899"
    assert by_sku["P-2"][11] == "1.500" and by_sku["P-1"][9] == "0.13"
    by_sku["P-2"][8] = "7.20"  # a new sale price
    by_sku["P-3"][6] = "6901234567915"  # a new barcode
    rows.append(["P-4", "新商品", "", "FOOD", "PCS", "", "", "1", "2", "0.13", "none", "0", "0"])
    edited = _to_csv(rows) if fmt == "csv" else _xlsx(rows)
    report = await import_products(db, edited, f"edited.{fmt}", commit=True)
    assert report.errors == [] and _counts(report) == (4, 1, 2, 1)
    async with db.read() as conn:
        got = {r.sku: r for r in await conn.execute(select(product))}
        p3_codes = [
            r.code for r in await conn.execute(select(barcode.c.code).where(barcode.c.product_id == got["P-3"].id))
        ]
    assert got["P-2"].sale_price_fen == 720 and p3_codes == ["6901234567915"] and "P-4" in got
    again = await import_products(db, edited, f"edited.{fmt}", commit=True)
    assert _counts(again) == (4, 0, 0, 4)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]


async def test_existing_products_keep_their_base_unit_factors_and_barcodes(db):
    await _world(db)
    assert (await import_products(db, GOOD.encode(), "p.csv", commit=True)).ok
    data = (
        HEADER
        + "P-1,矿泉水,550ml,DRINK,KG,BOX12=24,,1.20,2.00,none,100\n"  # base unit and factor cannot change
        + "P-3,纸巾,,,PCS,,6901234567892,0.80,1.50,,\n"  # P-1's barcode
    ).encode()
    report = await import_products(db, data, "p.csv", commit=True)
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (2, "unit", "INVALID_VALUE"),
        (2, "units", "UNIT_FACTOR_FIXED"),
        (3, "barcode", "DUPLICATE_CODE"),
    }


async def test_imports_need_the_edit_permissions(db):
    await _world(db)
    viewer = Principal("user", "v", 1, None, frozenset({"catalog.view", "partner.view"}))
    with pytest.raises(DataImportError) as denied:
        await import_products(db, GOOD.encode(), "p.csv", viewer, commit=False)
    assert denied.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(DataImportError):
        await import_partners(db, "supplier", b"code,name\n", "s.csv", viewer, commit=False)
    with pytest.raises(DataImportError):
        await export_products(db, "csv", viewer)
    editor = Principal("user", "e", 1, None, frozenset({"catalog.edit"}))
    assert (await import_products(db, GOOD.encode(), "p.csv", editor, commit=False)).ok


SUPPLIERS = (
    "编码,名称,联系人,电话,邮箱,账期天数,币种,开户行\n"
    "S-1,上海食品,张三,021-1,zhang@example.com,30,cny,工行\n"
    "S-2,北京粮油,,,,,,\n"
)


async def test_suppliers_dry_run_commit_reimport_and_errors(db):
    dry = await import_partners(db, "supplier", SUPPLIERS.encode("gb18030"), "s.csv", commit=False)
    assert dry.errors == [] and _counts(dry) == (2, 2, 0, 0) and await _count(db, supplier) == 0
    done = await import_partners(db, "suppliers", SUPPLIERS.encode(), "s.csv", commit=True)
    assert done.errors == [] and done.committed
    async with db.read() as conn:
        got = {r.code: r for r in await conn.execute(select(supplier))}
    assert got["S-1"].currency == "CNY" and got["S-1"].payment_terms_days == 30 and got["S-2"].currency == "CNY"
    again = await import_partners(db, "supplier", SUPPLIERS.encode(), "s.csv", commit=True)
    assert _counts(again) == (2, 0, 0, 2)
    exported = await export_partners(db, "supplier", "xlsx")
    assert _counts(await import_partners(db, "supplier", exported, "s.xlsx", commit=True)) == (2, 0, 0, 2)

    bad = (
        "code,name,email,payment_terms_days,currency,credit_rating\nS-1,上海食品,not-an-email,ten,EURO,A\nS-3,,,,,\n"
    ).encode()
    report = await import_partners(db, "supplier", bad, "bad.csv", commit=True)
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (1, "credit_rating", "UNKNOWN_COLUMN"),
    }
    report = await import_partners(
        db, "supplier", bad.replace(b",credit_rating", b"").replace(b",A\n", b"\n"), "b.csv", commit=True
    )
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (2, "email", "INVALID_VALUE"),
        (2, "payment_terms_days", "INVALID_VALUE"),
        (2, "currency", "INVALID_VALUE"),
        (3, "name", "REQUIRED"),
    }
    assert await _count(db, supplier) == 2


async def test_customers_edited_export_updates_the_changed_rows(db):
    data = (
        "code,name,credit_rating,credit_limit,invoice_type,discount,salesperson\n"
        "C-1,北京超市,A,50000,专票,0.05,\n"
        "C-2,散客,,,,,\n"
    ).encode()
    assert (await import_partners(db, "customer", data, "c.csv", commit=True)).ok
    exported = await export_partners(db, "customers", "csv")
    rows = _csv_rows(exported)
    assert rows[0][-6:] == ["credit_rating", "credit_limit", "invoice_title", "invoice_type", "discount", "salesperson"]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["C-1"][-6:] == ["A", "50000.00", "", "special", "0.05", ""]
    assert by_code["C-2"][-6:] == ["B", "", "", "normal", "0", ""]
    assert _counts(await import_partners(db, "customer", exported, "c.csv", commit=False)) == (2, 0, 0, 2)
    by_code["C-2"][8] = "D"  # credit rating
    rows.append(["C-3", "新客户"] + [""] * (len(rows[0]) - 2))
    report = await import_partners(db, "customer", _to_csv(rows), "c.csv", commit=True)
    assert report.errors == [] and _counts(report) == (3, 1, 1, 1)
    async with db.read() as conn:
        got = {r.code: r for r in await conn.execute(select(customer))}
    assert (
        got["C-2"].credit_rating == "D"
        and got["C-1"].credit_limit_fen == 5_000_000
        and got["C-3"].credit_limit_fen is None
    )
    unknown = data.replace(b"0.05,\n", b"0.05,nobody\n")
    report = await import_partners(db, "customer", unknown, "c.csv", commit=False)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "salesperson", "NOT_FOUND")]


@pytest.mark.parametrize("kind", ["products", "suppliers", "customers"])
async def test_templates_import_cleanly(db, kind):
    await _world(db)
    await do_create_category(db, code="X", name="x")
    for fmt in ("csv", "xlsx"):
        data = template(kind, fmt)
        if kind == "products":
            report = await import_products(db, data, f"t.{fmt}", commit=False)
        else:
            report = await import_partners(db, kind, data, f"t.{fmt}", commit=False)
        assert report.errors == [] and report.created >= 1, report.errors
    zh = template(kind, "csv", chinese_header=True).decode("utf-8-sig").splitlines()[0]
    assert zh.startswith("编码,名称")


def test_cli_import_and_export(test_databases, tmp_path, monkeypatch, capsys):
    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    monkeypatch.setenv("DATABASE_URL", url)
    good = tmp_path / "s.csv"
    good.write_text(SUPPLIERS, encoding="utf-8")
    assert cli_main(["import", "suppliers", str(good)]) == 0
    assert "2 to create" in capsys.readouterr().out
    assert cli_main(["import", "suppliers", str(good), "--commit"]) == 0
    out = tmp_path / "s.xlsx"
    assert cli_main(["export", "suppliers", str(out)]) == 0
    capsys.readouterr()
    assert cli_main(["import", "suppliers", str(out), "--commit"]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nS-9,\n", encoding="utf-8")
    assert cli_main(["import", "suppliers", str(bad), "--commit"]) == 1
    printed = capsys.readouterr().out
    assert "REQUIRED" in printed and "此项必填" in printed and "This field is required" in printed
    tpl = tmp_path / "t.csv"
    assert cli_main(["export", "products", str(tpl), "--template"]) == 0
    assert tpl.read_bytes().startswith(b"\xef\xbb\xbfsku,name")


async def test_without_cost_view_the_export_leaves_purchase_prices_out_and_the_import_keeps_them(db):
    await _world(db)
    assert (await import_products(db, GOOD.encode(), "p.csv", commit=True)).ok
    editor = Principal("user", "e", 1, None, frozenset({"catalog.edit"}))
    rows = _csv_rows(await export_products(db, "csv", editor))
    assert {r[7] for r in rows[1:]} == {""}
    report = await import_products(db, _to_csv(rows), "p.csv", editor, commit=True)
    assert _counts(report) == (3, 0, 0, 3)
    async with db.read() as conn:
        assert (await conn.execute(select(product.c.purchase_price_fen).where(product.c.sku == "P-1"))).scalar() == 120
    with pytest.raises(DataImportError):  # contact data needs partner.view
        await export_partners(db, "supplier", "csv", Principal("user", "p", 1, None, frozenset({"partner.edit"})))


async def test_a_clash_at_the_database_during_the_commit_rolls_everything_back(db, monkeypatch):
    """A concurrent writer takes a SKU of the file between the checks and the insert (PostgreSQL reads
    committed): the insert fails, the whole transaction rolls back, the report says so."""
    from server.imports import products as module

    await _world(db)
    original = module._apply

    async def racing(conn, plan):
        row = dict(plan.creates[-1].values)
        now = utcnow()
        await conn.execute(product.insert().values(**row | {"created_at": now, "updated_at": now}))
        await original(conn, plan)

    monkeypatch.setattr(module, "_apply", racing)
    report = await import_products(db, GOOD.encode(), "p.csv", commit=True)
    assert not report.committed and [(e.row, e.code) for e in report.errors] == [(0, "INVALID_VALUE")]
    assert await _count(db, product) == 0 and await _count(db, barcode) == 0


async def test_large_files_read_the_tables_once_with_the_same_result(db, monkeypatch):
    from server.imports import common

    monkeypatch.setattr(common, "WHOLE_TABLE_AT", 1)  # every lookup takes the one-pass path
    await _world(db)
    assert (await import_products(db, GOOD.encode(), "p.csv", commit=True)).ok
    assert _counts(await import_products(db, await export_products(db, "csv"), "p.csv", commit=True)) == (3, 0, 0, 3)
    clash = (HEADER + "P-9,新,,,PCS,,6901234567908,,,,\n").encode()  # P-2's barcode
    report = await import_products(db, clash, "p.csv", commit=False)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "barcode", "DUPLICATE_CODE")]
    assert (await import_partners(db, "supplier", SUPPLIERS.encode(), "s.csv", commit=True)).ok
    assert _counts(await import_partners(db, "supplier", SUPPLIERS.encode(), "s.csv", commit=True)) == (2, 0, 0, 2)


IMPORT = """mutation($kind: ImportKind!, $file: Upload!, $commit: Boolean!) {
  importData(kind: $kind, file: $file, commit: $commit) {
    report { kind committed rows created updated unchanged rowsWithErrors rowErrors { row column code message } }
    errors { code message } } }"""


async def test_the_api_imports_an_uploaded_file_dry_run_then_commit(gql):
    """GraphQL multipart upload: the dry run reports and writes nothing, the commit writes, the same file
    again changes nothing; errors come in the caller's language; a viewer may not import."""
    from tests.gql import admin_token

    await _world(gql.db)
    files = {"file": ("products.csv", GOOD.encode())}
    dry = await gql.upload(IMPORT, {"kind": "PRODUCTS", "commit": False}, files)
    assert dry.status_code == 200, dry.text
    report = dry.json()["data"]["importData"]["report"]
    assert (report["committed"], report["rows"], report["created"], report["rowErrors"]) == (False, 3, 3, [])
    assert await _count(gql.db, product) == 0
    done = (await gql.upload(IMPORT, {"kind": "PRODUCTS", "commit": True}, files)).json()["data"]["importData"]
    assert done["report"]["committed"] and done["report"]["created"] == 3
    again = (await gql.upload(IMPORT, {"kind": "PRODUCTS", "commit": True}, files)).json()["data"]["importData"]
    assert (again["report"]["created"], again["report"]["updated"], again["report"]["unchanged"]) == (0, 0, 3)

    bad = HEADER + "P-9,,,,PCS,,,abc,,,\n"
    body = (
        await gql.upload(IMPORT, {"kind": "PRODUCTS", "commit": True}, {"file": ("bad.csv", bad.encode())}, lang="en")
    ).json()["data"]["importData"]
    assert not body["report"]["committed"] and body["report"]["rowsWithErrors"] == 1
    assert all(e["row"] == 2 for e in body["report"]["rowErrors"])
    assert any(e["column"] == "name" for e in body["report"]["rowErrors"])
    assert all(e["message"].isascii() for e in body["report"]["rowErrors"])  # English
    assert await _count(gql.db, product) == 3

    viewer = await admin_token(gql.db, "viewer")
    refused = (await gql.upload(IMPORT, {"kind": "SUPPLIERS", "commit": False}, files, token=viewer)).json()
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_templates_and_exports_download_over_http(gql):
    from tests.gql import admin_token

    await _world(gql.db)
    admin = {"authorization": f"Bearer {gql.token}"}
    t = await gql.http.get("/imports/products/template.csv?header=zh", headers=admin)
    assert t.status_code == 200 and t.headers["content-type"].startswith("text/csv")
    assert "编码" in t.content.decode("utf-8-sig").splitlines()[0]
    files = {"file": ("products.csv", GOOD.encode())}
    await gql.upload(IMPORT, {"kind": "PRODUCTS", "commit": True}, files)
    x = await gql.http.get("/exports/products.xlsx", headers=admin)
    assert x.status_code == 200 and 'filename="products.xlsx"' in x.headers["content-disposition"]
    back = await gql.upload(IMPORT, {"kind": "PRODUCTS", "commit": False}, {"file": ("products.xlsx", x.content)})
    report = back.json()["data"]["importData"]["report"]
    assert (report["rows"], report["unchanged"], report["rowErrors"]) == (3, 3, [])  # export → import: nothing changes
    viewer = {"authorization": f"Bearer {await admin_token(gql.db, 'viewer')}"}
    assert (await gql.http.get("/exports/suppliers.csv", headers=viewer)).status_code == 403
    assert (await gql.http.get("/exports/widgets.csv", headers=admin)).status_code == 400
    assert (await gql.http.get("/imports/customers/template.pdf", headers=admin)).status_code == 400
