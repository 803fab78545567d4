"""Every code a warehouse meets (issue #16): each label kind jxc prints, decoded by a real decoder and
scanned back; symbology identifiers on every code; SKU labels; cases and pallets that count their
content; a lot and a serial together; dates that are not dates.

Vectors (copied here; the tests never read anything outside the project):

* GS1 scan data with symbology identifiers from the GS1 syntax engine's ``scandata.c`` tests as
  quoted in the domain reference §1.3 [S6]: ``]E00416000336108`` (UPC-A under ]E0 with its leading 0),
  ``]E402345673`` (EAN-8), a trailing FNC1 that is not stripped;
* biip's own test data (``tests/test_parse.py``, ``tests/test_gs1_digital_link_uris.py``):
  ``]E05901234123457``, ``]I105901234123457``, ``]C1010590123412345715210526``, ``]e00100123456789012``,
  ``0105901234123458`` (check digit 8, expected 7), ``00376130321109103421`` (SSCC check digit 1,
  expected 0), ``https://example.com/foo/01/614141123452`` (own domain, path prefix, unpadded GTIN-12),
  ``https://id.gs1.org/00/106141412345678908?02=00614141123452&37=25&10=ABC123``,
  ``https://id.gs1.org/01/614141123452?15=000000`` (an invalid date), and the qualifier-order error
  ``https://id.gs1.org/01/01234567890128/21/12345XYZ/10/ABC123``;
* the GS1 facts of the domain reference: GTIN-14 indicator digits (1–8 packaging level, 9 variable
  measure), the check digit (the case 19521234543210 of item 9521234543213), DD = 00 as the last day
  of the month, the Digital Link examples of §1.6 and the GLN 9521234000006 for (414).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from schema.relay import to_global_id
from server.catalog.services import AltUnitInput, BarcodeInput, ProductInput, do_create_product
from server.core import clock
from server.inventory.models import lot, stock_level
from server.inventory.warehouses import do_create_location
from server.purchasing import orders
from server.purchasing.models import purchase_order
from server.scanning.models import scan_record
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import MANAGER, PURCHASER, make_purchasing_world
from tests.scan_gql import Handheld

pytestmark = pytest.mark.dates  # expiry dates are relative to the (moved) clock

ITEM = "9521234543213"  # GTIN-13 of the demo item (GS1 example key 09521234543213)
CASE = "19521234543210"  # its case of 12: indicator 1, check digit recomputed
CASE_UNREGISTERED = "29521234543217"  # indicator 2: nobody registered it
VARIABLE = "99521234543216"  # indicator 9: variable measure of the same item
SERIAL_GTIN = "9521234543220"
PLAIN_GTIN = "9521234000013"
SSCC = "106141411234567897"


def decode(png: bytes) -> str:
    """What a scanner sends for a label: the symbology identifier, then the data (FNC1 as GS)."""
    (r,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), text_mode=zxingcpp.TextMode.Plain)
    return r.symbology_identifier + r.text


async def label(gql, url: str) -> str:
    resp = await gql.http.get(url, headers={"authorization": f"Bearer {gql.token}"})
    assert resp.status_code == 200, resp.text
    return decode(resp.content)


async def product(db, w, sku: str, *, tracking: str = "none", barcodes=(), case: str | None = None) -> int:
    codes = [BarcodeInput(code=c) for c in barcodes] + ([BarcodeInput(code=case, unit_id=w.box)] if case else [])
    return await do_create_product(
        db,
        ProductInput(
            sku=sku,
            name=f"商品 {sku}",
            base_unit_id=w.pcs,
            tracking=tracking,
            purchase_price="5",
            units=[AltUnitInput(unit_id=w.box, factor="12")],
            barcodes=codes,
        ),
    )


async def approved_po(db, pw, *lines) -> str:
    oid = await orders.do_create_purchase_order(
        db,
        orders.OrderInput(
            pw.supplier, pw.w.wh1, [orders.OrderLineInput(pid, qty, unit_id=unit) for pid, qty, unit in lines]
        ),
        PURCHASER,
    )
    await orders.do_submit_purchase_order(db, oid, PURCHASER)
    await orders.do_approve_purchase_order(db, oid, MANAGER)
    async with db.read() as conn:
        return (await conn.execute(select(purchase_order.c.number).where(purchase_order.c.id == oid))).scalar_one()


async def stock_by_lot(db, product_id: int) -> dict:
    async with db.read() as conn:
        rows = await conn.execute(
            select(lot.c.code, lot.c.expiry_date, stock_level.c.location_id, stock_level.c.qty)
            .join(lot, lot.c.id == stock_level.c.lot_id, isouter=True)
            .where(stock_level.c.product_id == product_id, stock_level.c.qty > 0)
        )
        return {r.code: (r.expiry_date, r.location_id, r.qty // 10**6) for r in rows}


async def test_every_label_jxc_prints_scans_back_to_the_same_goods(gql):
    """decode → resolve → scan → complete: the receipt holds the product, lot, expiry and serial the
    labels carry (EAN-13, Code 128 SKU, GS1-128, QR Digital Link, bin and document labels)."""
    db = gql.db
    pw = await make_purchasing_world(db)
    w = pw.w
    lotted = await product(db, w, "LOT-1", tracking="lot", barcodes=(ITEM,))
    serial = await product(db, w, "SER-1", tracking="serial", barcodes=(SERIAL_GTIN,))
    plain = await product(db, w, "PLAIN-1", barcodes=(PLAIN_GTIN,))
    number = await approved_po(db, pw, (lotted, "20", None), (serial, "3", None), (plain, "3", None))
    expiry = clock.today() + timedelta(days=200)
    exp = expiry.isoformat()

    bin_code = await label(gql, f"/labels/location/{to_global_id('Location', w.a1)}.png")
    doc_code = await label(gql, f"/labels/document/{number}.png")
    gs1 = await label(gql, f"/labels/product/{to_global_id('Product', lotted)}.png?kind=gs1_128&lot=L-1&expiry={exp}")
    qr = await label(gql, f"/labels/product/{to_global_id('Product', lotted)}.png?kind=qr&lot=L-2&expiry={exp}")
    ean = await label(gql, f"/labels/product/{to_global_id('Product', plain)}.png")
    sku = await label(gql, f"/labels/product/{to_global_id('Product', plain)}.png?kind=code128")
    serial_url = f"/labels/product/{to_global_id('Product', serial)}.png?lot=S-LOT&expiry={exp}&serial="
    serial_qr = await label(gql, serial_url + "SN-1&kind=qr")
    serial_128 = await label(gql, serial_url + "SN-2&kind=gs1_128")
    serial_dm = await label(gql, serial_url + "SN-3&kind=datamatrix")
    assert (bin_code, doc_code, ean, sku) == ("]C0WH1-A-01", f"]C0{number}", f"]E0{PLAIN_GTIN}", "]C0PLAIN-1")
    assert gs1.startswith("]C1010") and qr.startswith("]Q1https://id.gs1.org/01/")
    assert serial_qr.startswith("]Q1") and serial_128.startswith("]C1") and serial_dm.startswith("]d2")

    gun = Handheld(gql)
    expected = {
        bin_code: ("location", None, None, None, None),
        doc_code: ("document", None, None, None, None),
        gs1: ("product", "LOT-1", "L-1", None, exp),
        qr: ("product", "LOT-1", "L-2", None, exp),
        ean: ("product", "PLAIN-1", None, None, None),
        sku: ("product", "PLAIN-1", None, None, None),
        serial_qr: ("product", "SER-1", "S-LOT", "SN-1", exp),
        serial_128: ("product", "SER-1", "S-LOT", "SN-2", exp),
        serial_dm: ("product", "SER-1", "S-LOT", "SN-3", exp),
    }
    for code, (kind, product_sku, lot_code, serial_no, expiry_date) in expected.items():
        r, errors = await gun.resolve(code)
        assert errors == [], (code, errors)
        got = (r["kind"], r["product"]["sku"] if r["product"] else None, r["lot"], r["serial"], r["expiryDate"])
        assert got == (kind, product_sku, lot_code, serial_no, expiry_date), code
    assert (await gun.resolve(doc_code))[0]["documentNumber"] == number
    assert (await gun.resolve(bin_code))[0]["locationId"] == to_global_id("Location", w.a1)

    await gun.start("RECEIVE", number)
    assert (await gun.ok(bin_code))["kind"] == "location"
    assert (await gun.ok(gs1, "10"))["message"] == f"{number} · 商品 LOT-1: 10 / 20"
    assert (await gun.ok(qr, "10"))["done"] == "20"
    for code in (ean, sku, ean):
        await gun.ok(code)
    await gun.ok(serial_qr)
    await gun.ok(serial_128)
    assert (await gun.ok(serial_dm))["done"] == "3"
    receipt, errors = await gun.complete()
    assert errors == [] and receipt.startswith("RC")

    assert await stock_by_lot(db, lotted) == {"L-1": (expiry, w.a1, 10), "L-2": (expiry, w.a1, 10)}
    assert await stock_by_lot(db, serial) == {f"SN-{i}": (expiry, w.a1, 1) for i in (1, 2, 3)}
    assert await stock_by_lot(db, plain) == {None: (None, w.a1, 3)}
    async with db.read() as conn:  # the serial product kept its lot beside the serial
        kept = {
            (r.lot, r.serial)
            for r in await conn.execute(
                select(scan_record.c.lot, scan_record.c.serial).where(scan_record.c.product_id == serial)
            )
        }
    assert kept == {("S-LOT", f"SN-{i}") for i in (1, 2, 3)}
    await assert_ledger_consistent(db)


@pytest.fixture
async def coded(gql):
    """Products with the vectors' GTINs, a bin with the issue's code, and the (414)+(254) bin."""
    db = gql.db
    pw = await make_purchasing_world(db)
    w = pw.w
    ids = {
        "item": await product(db, w, "ITEM", barcodes=(ITEM,), case=CASE),
        "upc": await product(db, w, "UPC", barcodes=("416000336108",)),
        "ean8": await product(db, w, "EAN8", barcodes=("96385074", "02345673")),
        "pl": await product(db, w, "PL", barcodes=("5901234123457",)),
        "g12": await product(db, w, "G12", barcodes=("123456789012",)),
        "us": await product(db, w, "US", barcodes=("614141123452",)),
    }
    ids["acc"] = await do_create_location(db, warehouse_id=w.wh1, code="ACCLBL-A-01-01")
    ids["a0302"] = await do_create_location(db, warehouse_id=w.wh1, code="A-03-02")
    return pw, ids


async def test_symbology_identifiers_on_every_code(gql, coded):
    pw, ids = coded
    gun = Handheld(gql)
    loc = lambda pk: to_global_id("Location", pk)  # noqa: E731
    cases = {
        # plain Code 128 (]C0): bins, documents, SKUs — the bin label first
        "]C0ACCLBL-A-01-01": ("location", None, loc(ids["acc"])),
        "]C0WH1-A-01": ("location", None, loc(pw.w.a1)),
        "]C0PO2026-000123": ("document", None, None),
        "]C0UPC": ("product", "UPC", None),
        "UPC": ("product", "UPC", None),  # a SKU label without identifier
        # EAN/UPC (]E0, ]E4) and ITF-14 (]I1)
        "]E0" + ITEM: ("product", "ITEM", None),
        "]E00416000336108": ("product", "UPC", None),  # UPC-A with its leading 0 [S6]
        "]E496385074": ("product", "EAN8", None),
        "]E402345673": ("product", "EAN8", None),  # [S6]
        "]E05901234123457": ("product", "PL", None),  # biip
        "]I105901234123457": ("product", "PL", None),  # biip
        # GS1 element strings: GS1-128, DataBar, DataMatrix, QR, DotCode
        "]C1010590123412345715210526": ("product", "PL", None),  # biip
        "]e00100123456789012": ("product", "G12", None),  # biip
        "]e0010" + ITEM: ("product", "ITEM", None),
        "]d2010" + ITEM + "10ABC\x1d21S1": ("product", "ITEM", None),
        "]Q3010" + ITEM + "10ABC\x1d": ("product", "ITEM", None),  # a trailing FNC1 is not stripped [S6]
        "]J1010" + ITEM: ("product", "ITEM", None),
        "]C14149521234000006254A-03-02": ("location", None, loc(ids["a0302"])),
        # Digital Link in a plain QR / Data Matrix (]Q1, ]d1), also without identifier
        "]Q1https://id.gs1.org/01/0" + ITEM + "/10/ABC123?17=251231": ("product", "ITEM", None),
        "]d1https://id.gs1.org/01/0" + ITEM: ("product", "ITEM", None),
        "https://example.com/foo/01/614141123452": ("product", "US", None),  # biip: own domain, prefix, GTIN-12
        "]Q1https://id.gs1.org/414/9521234000006/254/A-03-02": ("location", None, loc(ids["a0302"])),
        "]Q1https://id.gs1.org/00/" + SSCC: ("sscc", None, None),
    }
    for code, (kind, sku, location_id) in cases.items():
        r, errors = await gun.resolve(code)
        assert errors == [], (code, errors)
        assert (r["kind"], r["product"]["sku"] if r["product"] else None, r["locationId"]) == (
            kind,
            sku,
            location_id,
        ), code
    r, _ = await gun.resolve("]C1010590123412345715210526")
    assert (r["bestBefore"], r["gtin"]) == ("2021-05-26", "05901234123457")
    r, _ = await gun.resolve("]d2010" + ITEM + "10ABC\x1d21S1")
    assert (r["lot"], r["serial"]) == ("ABC", "S1")
    r, _ = await gun.resolve("]Q1https://id.gs1.org/00/106141412345678908?02=00614141123452&37=25&10=ABC123")  # biip
    assert (r["product"]["sku"], r["sscc"], r["count"], r["lot"]) == ("US", "106141412345678908", 25, "ABC123")
    r, _ = await gun.resolve("]Q1https://id.gs1.org/01/99521234543216/10/B77?15=260315&3103=001250")  # §1.6
    assert (r["product"]["sku"], r["lot"], r["bestBefore"], r["netWeightKg"]) == ("ITEM", "B77", "2026-03-15", "1.250")
    r, _ = await gun.resolve("]Q1https://id.gs1.org/01/0" + ITEM + "/10/ABC123/21/12345")  # §1.6 GS1 example
    assert (r["lot"], r["serial"]) == ("ABC123", "12345")

    refused = {
        "]C10105901234123458": ("BAD_CHECK_DIGIT", "expected 7"),  # biip
        "00376130321109103421": ("BAD_CHECK_DIGIT", "expected 0"),  # biip: SSCC
        "]Q1https://id.gs1.org/01/01234567890128/21/12345XYZ/10/ABC123": ("INVALID_BARCODE", "qualifier"),  # biip
        "]Q1https://example.com/hello": ("UNKNOWN_BARCODE", "example.com/hello"),
        "]C0NO-SUCH-BIN": ("UNKNOWN_BARCODE", "NO-SUCH-BIN"),
        "]C00109521234543213": ("UNKNOWN_BARCODE", "0109521234543213"),  # plain Code 128 is not GS1 data
        "]E09521234543214": ("BAD_CHECK_DIGIT", "expected 3"),
    }
    for code, (error, text) in refused.items():
        r, errors = await gun.resolve(code)
        assert r is None and [e["code"] for e in errors] == [error], (code, errors)
        assert text in errors[0]["message"], (code, errors)


async def test_cases_and_pallets_count_their_content(gql, coded):
    """A case GTIN-14 counts 12 however it arrives; (02) + (37) counts (37) × 12; an unregistered
    indicator digit is refused; progress on a line ordered in boxes shows boxes and pieces."""
    pw, ids = coded
    gun = Handheld(gql)
    for code in (
        CASE,
        f"]C101{CASE}",
        f"]d201{CASE}",
        f"]I1{CASE}",
        f"(01){CASE}",
        f"]Q1https://id.gs1.org/01/{CASE}",
        f"01{CASE}",
    ):
        r, errors = await gun.resolve(code)
        assert errors == [] and (r["product"]["sku"], r["packQuantity"]) == ("ITEM", "12"), (code, r, errors)
    for code in (CASE_UNREGISTERED, f"]C101{CASE_UNREGISTERED}", f"]I1{CASE_UNREGISTERED}"):
        r, errors = await gun.resolve(code)
        assert r is None and errors[0]["code"] == "UNKNOWN_PACK", (code, errors)
        assert f"{CASE_UNREGISTERED} (packaging indicator 2) is not registered" in errors[0]["message"]
        assert "商品 ITEM" in errors[0]["message"]
    r, _ = await gun.resolve(f"]C101{VARIABLE}3103001250")  # indicator 9: the item, weighed
    assert (r["product"]["sku"], r["netWeightKg"]) == ("ITEM", "1.250")

    number = await approved_po(gql.db, pw, (ids["item"], "5", pw.w.box))  # 5 boxes = 60 pieces
    await gun.start("RECEIVE", number, "WH1-A-01")
    assert (await gun.ok(ITEM))["message"] == f"{number} · 商品 ITEM: 1 piece / 5 box of 12 (1 / 60 piece)"
    await gun.ok(f"]C101{CASE}")
    a = await gun.ok(f"]I1{CASE}")
    assert (a["done"], a["needed"], a["message"]) == (
        "25",
        "60",
        f"{number} · 商品 ITEM: 2 box of 12 + 1 piece / 5 box of 12 (25 / 60 piece)",
    )
    zh = Handheld(gql, lang="zh-CN")
    zh.session = gun.session
    assert (await zh.refused(f"]C101{CASE_UNREGISTERED}"))["code"] == "UNKNOWN_PACK"  # never one piece
    # a pallet label: SSCC, the case as (02), 2 cases (37) → 24 pieces (it used to count 2)
    a = await zh.ok(f"]C100{SSCC}02{CASE}372\x1d400PO1")
    assert (a["done"], a["message"]) == ("49", f"{number} · 商品 ITEM: 4 箱 + 1 个 / 5 箱（49 / 60 个）")
    assert (await zh.refused(f"]C100{SSCC}02{CASE}372"))["code"] == "OVER_RECEIPT"  # 49 + 24 > 60
    for _ in range(11):
        a = await zh.ok(ITEM)
    assert a["message"] == f"{number} · 商品 ITEM: 5 箱 / 5 箱（60 / 60 个）"
    receipt, errors = await gun.complete()
    assert errors == [] and receipt.startswith("RC")
    assert await stock_by_lot(gql.db, ids["item"]) == {None: (None, pw.w.a1, 60)}


async def test_a_lot_and_a_serial_together(gql):
    """(10) + (21): the lot is kept on a serial product, a lot-only product refuses it at the scan
    (never "This product is not lot tracked" at completion), a product without lots takes the goods."""
    db = gql.db
    pw = await make_purchasing_world(db)
    lotted = await product(db, pw.w, "LOT-2", tracking="lot", barcodes=(ITEM,))
    serial = await product(db, pw.w, "SER-2", tracking="serial", barcodes=(SERIAL_GTIN,))
    plain = await product(db, pw.w, "PLAIN-2", barcodes=(PLAIN_GTIN,))
    number = await approved_po(db, pw, (lotted, "5", None), (serial, "1", None), (plain, "1", None))
    gun = Handheld(gql)
    await gun.start("RECEIVE", number, "WH1-A-01")
    error = await gun.refused(f"]C1010{ITEM}10L-7\x1d21SN-7")
    assert error["code"] == "SERIAL_NOT_TRACKED"
    assert error["message"] == (
        "商品 LOT-2 is tracked by lot, not by serial: this code carries serial (21) SN-7; "
        "scan a label with the lot (10) only."
    )
    await gun.ok(f"]C1010{ITEM}10L-7", "5")
    await gun.ok(f"]C1010{SERIAL_GTIN}10L-7\x1d21SN-7")
    await gun.ok(f"]C1010{PLAIN_GTIN}10L-7\x1d21SN-8")  # no lots for this product: the goods are taken
    receipt, errors = await gun.complete()
    assert errors == [] and receipt.startswith("RC")
    assert await stock_by_lot(db, lotted) == {"L-7": (None, pw.w.a1, 5)}
    assert await stock_by_lot(db, serial) == {"SN-7": (None, pw.w.a1, 1)}
    assert await stock_by_lot(db, plain) == {None: (None, pw.w.a1, 1)}
    # the serial's production lot stays with it in stock, and the API shows it
    stock = await gql.execute(
        "query($p: ID!) { stockLevels(filter: {productId: $p}) { edges { node { lot { code batch } } } } }",
        {"p": to_global_id("Product", serial)},
    )
    assert [e["node"]["lot"] for e in stock["stockLevels"]["edges"]] == [{"code": "SN-7", "batch": "L-7"}]


async def test_a_date_that_is_not_a_date_says_so(gql, coded):
    gun = Handheld(gql)
    bad = {
        f"]C1010{ITEM}17251340": ("17", "251340"),  # month 13
        f"]C1010{ITEM}1725023110ABC": ("17", "250231"),  # 31 February
        f"(01)0{ITEM}(17)250231(10)ABC": ("17", "250231"),  # the human-readable form
        f"010{ITEM}11251300": ("11", "251300"),  # no identifier, production date
        f"]Q1https://id.gs1.org/01/0{ITEM}?17=251340": ("17", "251340"),
        "https://id.gs1.org/01/614141123452?15=000000": ("15", "000000"),  # biip
    }
    for code, (ai, value) in bad.items():
        r, errors = await gun.resolve(code)
        assert r is None and [e["code"] for e in errors] == ["INVALID_DATE"], (code, errors)
        assert errors[0]["message"] == f"Invalid date in the barcode: ({ai}) {value} is not a valid YYMMDD date."
    zh = Handheld(gql, lang="zh-CN")
    _, errors = await zh.resolve(f"]C1010{ITEM}17251340")
    assert errors[0]["message"] == "条码中的日期无效：(17) 251340 不是有效的 YYMMDD 日期。"
    r, _ = await gun.resolve(f"]C1010{ITEM}17280200")  # day 00: the last day of the month (a leap February)
    assert r["expiryDate"] == "2028-02-29"


async def test_more_vectors_from_the_gs1_general_specifications_and_biip(gql):
    """Vectors not used above, resolved and scanned through the API:

    * biip's README example ``]C1010703206980498815210526100329`` (GTIN 07032069804988, best before
      2021-05-26, lot 0329) and the GS1 DataMatrix Guideline example as biip's tests carry it,
      ``]d201034531200000111719112510ABCD1234`` GS ``2110`` (expiry 2019-11-25, lot ABCD1234, serial 10);
      the same element strings from a GS1 QR Code (``]Q3``) and in human-readable form;
    * GS1 General Specifications on (17) with DD = 00, as the domain reference quotes them: ``130200``
      is 2013-02-28 and ``160200`` is 2016-02-29 (leap year);
    * (3103) with three implied decimals: ``000189`` is 0.189 kg; (01) from GS1 DataBar (``]e0``).

    The DataMatrix Guideline's lot expired in 2019: resolving it says what it carries, receiving it is
    refused at the scan (``EXPIRED_LOT``) — the receipt would never take it either."""
    db = gql.db
    pw = await make_purchasing_world(db)
    biip_item = await product(db, pw.w, "BIIP", tracking="lot", barcodes=("7032069804988",))
    dm_item = await product(db, pw.w, "DMG", tracking="serial", barcodes=("3453120000011",))
    await product(db, pw.w, "ITEM", barcodes=(ITEM,))
    gun = Handheld(gql)
    fields = ("gtin", "expiryDate", "bestBefore", "lot", "serial", "netWeightKg")
    vectors = {
        "]C1010703206980498815210526100329": ("BIIP", "07032069804988", None, "2021-05-26", "0329", None, None),
        "(01)07032069804988(15)210526(10)0329": ("BIIP", "07032069804988", None, "2021-05-26", "0329", None, None),
        "]d201034531200000111719112510ABCD1234\x1d2110": (
            "DMG",
            "03453120000011",
            "2019-11-25",
            None,
            "ABCD1234",
            "10",
            None,
        ),
        "]Q3010345312000001117191125\x1d10ABCD1234": (
            "DMG",
            "03453120000011",
            "2019-11-25",
            None,
            "ABCD1234",
            None,
            None,
        ),
        f"]C1010{ITEM}1713020010A": ("ITEM", f"0{ITEM}", "2013-02-28", None, "A", None, None),
        f"]C1010{ITEM}1716020010B": ("ITEM", f"0{ITEM}", "2016-02-29", None, "B", None, None),
        f"]C1010{ITEM}310300018910L": ("ITEM", f"0{ITEM}", None, None, "L", None, "0.189"),
        f"]e0010{ITEM}17251231": ("ITEM", f"0{ITEM}", "2025-12-31", None, None, None, None),
    }
    for code, expected in vectors.items():
        r, errors = await gun.resolve(code)
        assert errors == [], (code, errors)
        assert (r["product"]["sku"], *(r[f] for f in fields)) == expected, code

    number = await approved_po(db, pw, (biip_item, "4", None), (dm_item, "1", None))
    await gun.start("RECEIVE", number, "WH1-A-01")
    a = await gun.ok("]C1010703206980498815210526100329", "4")  # (15) best before is not an expiry
    assert a["message"] == f"{number} · 商品 BIIP: 4 / 4"
    error = await gun.refused("]d201034531200000111719112510ABCD1234\x1d2110")
    assert (error["code"], error["message"]) == ("EXPIRED_LOT", "Lot ABCD1234 expired on 2019-11-25: set it aside.")
    receipt, errors = await gun.complete()
    assert errors == [] and receipt.startswith("RC")
    assert await stock_by_lot(db, biip_item) == {"0329": (None, pw.w.a1, 4)}
    assert await stock_by_lot(db, dm_item) == {}
