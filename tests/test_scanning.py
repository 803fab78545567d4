"""Understanding scans: the GS1 test vectors V1–V8 of the domain reference §1.5 (copied here), plain
GTINs, boxes, locations, documents, substitutes for the group separator, and typed errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from server.inventory.warehouses import do_create_location
from server.scanning.barcodes import resolve_barcode
from server.scanning.errors import ScanningError
from tests.factories import make_product, make_world
from tests.gql import admin_token

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

V1 = "]C101095212345432131725123110ABC123"
V2 = "]C1010952123454321310A1B2C3\x1d17280200"
V3 = "]C10010614141123456789702095212345432133748\x1d400PO20250042"
V4 = "]C1019952123454321631030012501526031510B77"
V5 = "]C1010952123454321417251231"
V6 = "]C101095212345432131125011510LOT-7\x1d21SN000123"
V7 = "]C14149521234000006254A-03-02"
V8 = "]C10109521234543213\x1d1725123110X1\x1d"


@pytest.fixture
async def scan_world(db):
    w = await make_world(db)
    item = await make_product(db, w, tracking="lot", barcodes=("9521234543213",))
    bin_ = await do_create_location(db, warehouse_id=w.wh1, code="A-03-02")
    return w, item, bin_


async def resolve(db, code, **kw):
    async with db.read() as conn:
        return await resolve_barcode(conn, code, **kw)


async def test_gs1_vectors(db, scan_world):
    _w, item, bin_ = scan_world
    r = await resolve(db, V1)
    assert (r.kind, r.product_id, r.expiry_date, r.lot) == ("product", item, date(2025, 12, 31), "ABC123")
    r = await resolve(db, V2)
    assert (r.lot, r.expiry_date) == ("A1B2C3", date(2028, 2, 29))  # day 00: the last day of a leap February
    r = await resolve(db, V3)
    assert (r.product_id, r.sscc, r.count) == (item, "106141411234567897", 48)
    r = await resolve(db, V4)  # a variable-measure GTIN-14 of the same item
    assert (r.product_id, r.net_weight_kg, r.best_before, r.lot) == (item, Decimal("1.250"), date(2026, 3, 15), "B77")
    with pytest.raises(ScanningError) as exc:
        await resolve(db, V5)
    assert (exc.value.details[0].code, exc.value.details[0].params) == ("BAD_CHECK_DIGIT", {"expected": "3"})
    r = await resolve(db, V6)
    assert (r.production_date, r.lot, r.serial) == (date(2025, 1, 15), "LOT-7", "SN000123")
    r = await resolve(db, V7)
    assert (r.kind, r.location_id) == ("location", bin_)
    r = await resolve(db, V8)
    assert (r.expiry_date, r.lot) == (date(2025, 12, 31), "X1")


async def test_substitutes_plain_codes_and_errors(db, scan_world):
    w, item, _bin = scan_world
    r = await resolve(db, V2.replace("\x1d", "|"), gs_substitutes="|")  # a wedge scanner without ASCII 29
    assert (r.lot, r.expiry_date) == ("A1B2C3", date(2028, 2, 29))
    r = await resolve(db, "(01)09521234543213(17)251231(10)ABC123")  # the human-readable form
    assert (r.product_id, r.lot, r.expiry_date) == (item, "ABC123", date(2025, 12, 31))
    r = await resolve(db, "0109521234543213")  # no symbology identifier
    assert r.product_id == item
    assert (await resolve(db, "9521234543213")).pack_quantity == 10**6
    assert (await resolve(db, "WH1-A-01")).location_id == w.a1
    r = await resolve(db, "PO2026-000123")
    assert (r.kind, r.document_type) == ("document", "PO")
    for code, expected in (
        ("9521234543214", "BAD_CHECK_DIGIT"),
        ("9521234999997", "UNKNOWN_BARCODE"),
        ("hello world", "UNKNOWN_BARCODE"),
    ):
        with pytest.raises(ScanningError) as exc:
            await resolve(db, code)
        assert exc.value.details[0].code == expected, code


async def test_a_box_barcode_carries_its_pack_quantity(db):
    from server.catalog.gtin import gs1_check_digit
    from server.catalog.models import barcode

    w = await make_world(db)
    item = await make_product(db, w, barcodes=("9521234543213",))
    box_gtin = "952123450001" + str(gs1_check_digit("952123450001"))
    async with db.write() as conn:  # a box of 12 labelled with its own GTIN
        await conn.execute(barcode.insert().values(code=box_gtin, product_id=item, unit_id=w.box, kind="gtin"))
    r = await resolve(db, box_gtin)
    assert (r.product_id, r.unit_id, r.pack_quantity) == (item, w.box, 12 * 10**6)


async def test_resolve_through_the_api_with_a_scanner_token(gql):
    w = await make_world(gql.db)
    await make_product(gql.db, w, barcodes=("9521234543213",))
    scanner = await admin_token(gql.db, "scanner")
    body = await gql.execute(
        """query($c: String!) { resolveBarcode(code: $c) {
        resolution { kind lot expiryDate product { sku } } errors { code message } } }""",
        {"c": V1},
        token=scanner,
    )
    assert body["resolveBarcode"]["resolution"]["kind"] == "product"
    assert body["resolveBarcode"]["resolution"]["expiryDate"] == "2025-12-31"
    bad = await gql.execute(
        """query { resolveBarcode(code: "9521234543214") { errors { code message } } }""", token=scanner, lang="en"
    )
    assert bad["resolveBarcode"]["errors"][0]["code"] == "BAD_CHECK_DIGIT"
    assert "expected 3" in bad["resolveBarcode"]["errors"][0]["message"]


async def test_labels_decode_back_to_their_content(gql):
    """Every kind of label, downloaded over HTTP, is read back by a real decoder (zxing-cpp)."""
    import io
    from datetime import date as d

    import zxingcpp
    from PIL import Image

    from schema.relay import to_global_id

    w = await make_world(gql.db)
    item = await make_product(gql.db, w, barcodes=("9521234543213",))
    pid = to_global_id("Product", item)

    async def read(url):
        resp = await gql.http.get(url, headers={"authorization": f"Bearer {gql.token}"})
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "image/png"
        return [(r.text, r.format.name) for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(resp.content)))]

    assert await read(f"/labels/product/{pid}.png") == [("9521234543213", "EAN13")]
    assert (await read(f"/labels/product/{pid}.png?kind=code128"))[0][1] == "Code128"
    gs1 = await read(f"/labels/product/{pid}.png?kind=gs1_128&lot=ABC123&expiry=2025-12-31")
    assert gs1 == [("(01)09521234543213(17)251231(10)ABC123", "Code128")]
    qr = await read(f"/labels/product/{pid}.png?kind=qr&lot=ABC123")
    assert qr == [("https://id.gs1.org/01/09521234543213/10/ABC123", "QRCode")]
    assert await read(f"/labels/location/{to_global_id('Location', w.a1)}.png") == [("WH1-A-01", "Code128")]
    assert await read("/labels/document/PO2026-000123.png") == [("PO2026-000123", "Code128")]
    # and what the labels say is understood by resolveBarcode
    async with gql.db.read() as conn:
        r = await resolve_barcode(conn, "]C1" + "0109521234543213" + "1725123110ABC123")
    assert (r.product_id, r.lot, r.expiry_date) == (item, "ABC123", d(2025, 12, 31))

    sheet = await gql.http.get(
        f"/labels/sheet.pdf?products={pid},{pid}&locations={to_global_id('Location', w.a1)}",
        headers={"authorization": f"Bearer {gql.token}"},
    )
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    anonymous = await gql.http.get(f"/labels/product/{pid}.png")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "PERMISSION_DENIED"  # not signed in
    missing = await gql.http.get(
        f"/labels/product/{to_global_id('Product', 999)}.png", headers={"authorization": f"Bearer {gql.token}"}
    )
    assert missing.status_code == 404


async def test_label_links_and_the_labels_command(gql, db_url, tmp_path):
    import os
    import subprocess
    import sys

    from schema.relay import to_global_id

    w = await make_world(gql.db)
    item = await make_product(gql.db, w, barcodes=("9521234543213",))
    links = await gql.execute(
        """query($p: [ID!]) { labelLinks(productIds: $p, kind: QR) { images sheetPdf } }""",
        {"p": [to_global_id("Product", item)]},
    )
    (image,) = links["labelLinks"]["images"]
    resp = await gql.http.get(image, headers={"authorization": f"Bearer {gql.token}"})
    assert resp.status_code == 200
    out = tmp_path / "bins.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "labels", "locations", "--warehouse", "WH1", "-o", str(out)],
        env=dict(os.environ, DATABASE_URL=db_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "2 label(s)" in done.stdout and out.read_bytes().startswith(b"%PDF")
