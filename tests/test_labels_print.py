"""Labels that print and scan (issue #16).

Every figure these tests hold the labels to is written here, not read from the code under test:

* thermal printers are 203 or 300 dpi; a module that is not a whole number of dots, or a bar narrower
  than the GS1 minimum X-dimension, does not scan (engineering notes, "Learned by trying jxc");
* minimum X-dimensions — GS1 General Specifications §5.12.3 (GS1 Sweden's size guide; GS1 UK,
  "Barcoding – getting it right"): EAN-13 on consumer items 0.264 mm (target 0.330, quiet zones 11X
  left / 7X right), GS1-128 0.495 mm (quiet zones 10X, at most 165.10 mm long), 2-D symbols 1.5 × the
  linear X of their table: QR (Digital Link, retail) 0.396 mm, GS1 DataMatrix (distribution) 0.743 mm;
  our own Code 128 (SKUs, bins, documents; not GS1) 0.25 mm;
* GS1-128 is Code 128 with FNC1 first; a further FNC1 (transmitted as GS, ASCII 29) ends every
  variable-length element string that is not last; (10) lot and (21) serial are variable-length,
  X..20 of GS1 character set 82; (01) and (17) are fixed (domain reference §1.2–§1.4);
* a GS1 Digital Link URI is ``https://id.gs1.org/01/<GTIN-14>/10/<lot>/21/<serial>?17=<YYMMDD>`` with
  the values percent-encoded (domain reference §1.6);
* ZPL (Zebra ZPL II guide): ``^BC`` invocation codes ``>;`` start C, ``>:`` start B, ``>5`` code C,
  ``>6`` code B, ``>8`` FNC1, ``>0`` the ``>`` character; ``^BY`` module width in dots; ``^CI28``
  UTF-8; ``^A@`` with a font file name for Chinese.

The PDF sheets are rasterised with pypdfium2 (PDFium, the PDF engine of Chromium, from PyPI) at 203 and
300 dpi without anti-aliasing, like a thermal print head, and every label is decoded with zxing-cpp.
"""

from __future__ import annotations

import math
import re
from datetime import date
from urllib.parse import quote

import pypdfium2
import pytest
import zxingcpp
from biip import ParseConfig, parse

from server.core.global_ids import encode as to_global_id
from server.scanning import labels, zpl
from server.scanning.barcodes import resolve_barcode
from server.scanning.errors import ScanningError
from tests.factories import make_product

GS = "\x1d"
DPIS = (203, 300)
MIN_X_MM = {"ean13": 0.264, "gs1_128": 0.495, "code128": 0.25, "qr": 0.396, "datamatrix": 0.743}
QUIET = {"ean13": (11, 7), "gs1_128": (10, 10), "code128": (10, 10), "qr": (4, 4), "datamatrix": (1, 1)}
GTIN = "9521234543213"  # GS1 prefix 952: for examples
GTIN2 = "9521234543220"
LOT, EXPIRY, SERIAL = "A/B%7&+?", date(2026, 12, 31), "SN(2)_1"


def min_dots(kind: str, dpi: int) -> int:
    return math.ceil(MIN_X_MM[kind] * dpi / 25.4 - 1e-9)


def elements(gtin: str, expiry=None, lot=None, serial=None) -> str:
    """What a reader transmits for these element strings (our own rule, for the comparisons)."""
    fixed = "01" + gtin.rjust(14, "0") + (f"17{expiry:%y%m%d}" if expiry else "")
    variable = [ai + v for ai, v in (("10", lot), ("21", serial)) if v]
    return fixed + GS.join(variable)


def digital_link(gtin: str, expiry=None, lot=None, serial=None) -> str:
    uri = f"https://id.gs1.org/01/{gtin.rjust(14, '0')}"
    uri += "".join(f"/{ai}/{quote(v, safe='')}" for ai, v in (("10", lot), ("21", serial)) if v)
    return uri + (f"?17={expiry:%y%m%d}" if expiry else "")


def gs1_values(code: str) -> dict[str, str]:
    result = parse(code, config=ParseConfig(separator_chars=[GS]))
    message = result.gs1_message or result.gs1_digital_link_uri.as_gs1_message()
    return {es.ai.ai: es.value for es in message.element_strings}


# ---- sizing --------------------------------------------------------------------------------------------------


def test_modules_are_whole_dots_and_never_below_the_gs1_minimum():
    from server.scanning import symbols

    for kind in MIN_X_MM:
        for dpi in DPIS:
            target, least = symbols.module_dots(kind, dpi)
            assert isinstance(target, int) and isinstance(least, int) and target >= least
            assert least * 25.4 / dpi >= MIN_X_MM[kind] - 1e-9, (kind, dpi)
            assert (least - 1) * 25.4 / dpi < MIN_X_MM[kind], (kind, dpi)  # the smallest whole number that is
    # the numbers: 0.212 mm bars (2.5 dots at 300 dpi) are gone; 203 dpi EAN-13 is 3 dots = 0.375 mm
    assert symbols.module_dots("ean13", 203) == (3, 3) and symbols.module_dots("ean13", 300) == (4, 4)
    assert symbols.module_dots("gs1_128", 203) == (4, 4) and symbols.module_dots("gs1_128", 300) == (6, 6)
    assert symbols.module_dots("code128", 203) == (3, 2) and symbols.module_dots("code128", 300) == (4, 3)


def test_code128_and_gs1_128_encode_fnc1_only_where_gs1_wants_it():
    from server.scanning import symbols

    s = symbols.code128(elements(GTIN, EXPIRY, "A1", "S1"), gs1=True)
    values = list(s.code128_values)
    assert values[:2] == [105, 102]  # start C, FNC1 first: GS1-128
    assert values.count(102) == 2  # and one more: after the lot, which is not last
    data = symbols.zpl_code128_data(s.code128_values)
    assert data == ">;>801095212345432131726123110>6A1>821S1"
    assert symbols.zpl_code128_data(symbols.code128("A>B").code128_values) == ">:A>0B"  # '>' is >0 in ZPL
    odd = symbols.zpl_code128_data(symbols.code128("A^B~C>D").code128_values)
    assert odd == ">:A><B>=C>0D" and _code128_from_zpl(odd) == ("A^B~C>D", False, 1 + 7 + 1)  # ^ and ~ are commands


def test_digital_link_values_are_percent_encoded_and_refused_outside_gs1_characters():
    item = labels.gs1_label("qr", GTIN, ["水"], "x", expiry=EXPIRY, lot=LOT, serial=SERIAL)
    assert item.data == "https://id.gs1.org/01/09521234543213/10/A%2FB%257%26%2B%3F/21/SN%282%29_1?17=261231"
    assert item.data == digital_link(GTIN, EXPIRY, LOT, SERIAL)
    assert gs1_values(item.data) == {"01": "09521234543213", "10": LOT, "21": SERIAL, "17": "261231"}
    for bad in ("A/B#7", "批次", "x" * 21, "A B"):
        with pytest.raises(ScanningError) as exc:
            labels.gs1_label("qr", GTIN, [], "x", lot=bad)
        assert exc.value.details[0].code == "INVALID_VALUE"
    with pytest.raises(ScanningError) as exc:
        labels.gs1_label("datamatrix", GTIN, [], "x", lot="A/B#7")
    assert "“#” is not a GS1 character" in exc.value.details[0].message("en")


def test_content_that_does_not_fit_is_refused_naming_the_label_and_the_size_it_needs():
    gs1 = labels.gs1_label("gs1_128", GTIN, ["水"], "SKU-1 L1", expiry=EXPIRY, lot="L1")
    for layout in ("50x30", "60x40", "a4_3x8", "100x50"):
        with pytest.raises(ScanningError) as exc:
            labels.plan(gs1, labels.LAYOUTS[layout], 203)
        d = exc.value.details[0]
        assert d.code == "LABEL_TOO_SMALL"
        en, zh = d.message("en"), d.message("zh-CN")
        width = float(re.search(r"needs at least ([0-9.]+) ×", en).group(1))
        assert width > labels.LAYOUTS[layout].width_mm and f"the {layout} label" in en and "SKU-1 L1" in en
        # GS1-128 at 4 dots (0.500 mm): start C, FNC1, 8 + 4 digit pairs, "10", code B, "L1", check, stop + 20X
        margins = 2 * labels.LAYOUTS[layout].margin_mm
        assert width == pytest.approx(
            ((1 + 1 + 8 + 4 + 1 + 1 + 2 + 1) * 11 + 13 + 20) * 4 * 25.4 / 203 + margins, abs=0.2
        )
        assert layout in zh and "至少需要" in zh
    # the GTIN alone fits a 100 mm label; with a lot and a serial it is longer than GS1-128 may be at all
    assert labels.plan(labels.gs1_label("gs1_128", GTIN, [], "x"), labels.LAYOUTS["100x50"], 300).module == 6
    with pytest.raises(ScanningError) as exc:
        labels.plan(
            labels.gs1_label("gs1_128", GTIN, [], "x", lot="LOT-123456", serial="SN-123456"),
            labels.LAYOUTS["100x50"],
            203,
        )
    assert exc.value.details[0].code in ("LABEL_TOO_SMALL", "INVALID_BARCODE")


def test_text_shrinks_and_drops_lines_before_the_bars_do():
    long_name = ["很长的商品名称" * 6, "SKU-00001 550ml×24"]
    for dpi in DPIS:
        small = labels.plan(
            labels.Label("code128", "SKU-00001", "SKU-00001", long_name, "x"), labels.LAYOUTS["50x30"], dpi
        )
        big = labels.plan(
            labels.Label("code128", "SKU-00001", "SKU-00001", long_name, "x"), labels.LAYOUTS["100x50"], dpi
        )
        assert small.module >= min_dots("code128", dpi)
        for p in (small, big):
            for t in p.texts:
                assert t.size >= math.ceil(1.6 * dpi / 25.4) and t.x + t.width <= p.width and t.y + t.size <= p.height
                assert labels.estimate_width(t.text, t.size) <= t.width
        assert any(t.text.endswith("…") for t in small.texts)  # the name is cut, not the bars


# ---- a world with products, lots and serials ----------------------------------------------------------------


async def _label_world(db):
    from server.purchasing.receipts import ReceiptInput, ReceiptLineInput, do_receive_goods
    from server.purchasing.settings import PurchaseSettingsChange, do_change_purchase_settings
    from tests.purchasing_helpers import ADMIN, KEEPER, make_purchasing_world

    pw = await make_purchasing_world(db)
    w = pw.w
    lotted = await make_product(db, w, tracking="lot", barcodes=(GTIN,))
    serial = await make_product(db, w, tracking="serial", barcodes=(GTIN2,))
    await do_change_purchase_settings(db, PurchaseSettingsChange(allow_receipt_without_order=True), ADMIN)
    receipt = await do_receive_goods(
        db,
        ReceiptInput(
            [
                ReceiptLineInput(
                    "5", product_id=lotted, location_id=w.a1, unit_price="3.00", lot=LOT, expiry_date=EXPIRY
                ),
                ReceiptLineInput(
                    "2", product_id=serial, location_id=w.a1, unit_price="9.00", serials=["SN-001", SERIAL]
                ),
            ],
            supplier_id=pw.supplier,
        ),
        KEEPER,
    )
    return w, lotted, serial, receipt


async def _lot_ids(db, receipt):
    async with db.read() as conn:
        return await labels.receipt_lot_ids(conn, receipt)


def _render(pdf: bytes, dpi: int):
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [
            doc[i]
            .render(scale=dpi / 72, no_smoothtext=True, no_smoothpath=True, no_smoothimage=True)
            .to_pil()
            .convert("L")
            for i in range(len(doc))
        ]
    finally:
        doc.close()


def _decode_cells(pdf: bytes, layout: str, count: int, dpi: int) -> list[list]:
    pages = _render(pdf, dpi)
    lay = labels.LAYOUTS[layout]
    per_page = lay.columns * lay.rows
    assert len(pages) == math.ceil(count / per_page)
    return [zxingcpp.read_barcodes(pages[i // per_page].crop(labels.cell_box(layout, i, dpi))) for i in range(count)]


async def test_every_pdf_sheet_decodes_at_203_and_300_dpi(db):
    """Every layout, printed for a 203 and a 300 dpi printer, rasterised at both resolutions: every label
    decodes to its content, and its content resolves back to the same product, lot, expiry and serial."""
    w, lotted, serial, receipt = await _label_world(db)
    lot_id, *serial_lots = await _lot_ids(db, receipt)
    async with db.read() as conn:
        candidates = [
            (await labels.product_label(conn, lotted, "ean13"), ("EAN13", GTIN), None),
            (await labels.product_label(conn, lotted, "code128"), ("Code128", None), None),
            (
                await labels.product_label(conn, lotted, "qr", lot=LOT, expiry=EXPIRY),
                ("QRCode", digital_link(GTIN, EXPIRY, LOT)),
                (lotted, LOT, EXPIRY, None),
            ),
            (
                await labels.product_label(conn, lotted, "datamatrix", lot=LOT, expiry=EXPIRY, serial="S1"),
                ("DataMatrix", elements(GTIN, EXPIRY, LOT, "S1")),
                (lotted, LOT, EXPIRY, "S1"),
            ),
            (
                await labels.lot_label(conn, lot_id, "datamatrix"),
                ("DataMatrix", elements(GTIN, EXPIRY, LOT)),
                (lotted, LOT, EXPIRY, None),
            ),
            (
                await labels.lot_label(conn, serial_lots[1], "qr"),
                ("QRCode", digital_link(GTIN2, serial=SERIAL)),
                (serial, None, None, SERIAL),
            ),
            (
                await labels.product_label(conn, lotted, "gs1_128"),
                ("Code128", elements(GTIN)),
                (lotted, None, None, None),
            ),
            (
                await labels.product_label(conn, lotted, "gs1_128", lot="L1", expiry=EXPIRY),
                ("Code128", elements(GTIN, EXPIRY, "L1")),
                (lotted, "L1", EXPIRY, None),
            ),
            (await labels.location_label(conn, w.a1), ("Code128", "WH1-A-01"), None),
            (labels.document_label("PO2026-000123"), ("Code128", "PO2026-000123"), None),
        ]
    sku = candidates[1][0].data
    printed = 0
    for layout in labels.LAYOUTS:
        for dpi in DPIS:
            fits, refused = [], []
            for item, expected, resolves in candidates:
                try:
                    labels.plan(item, labels.LAYOUTS[layout], dpi)
                    fits.append((item, expected, resolves))
                except ScanningError as exc:
                    assert exc.details[0].code == "LABEL_TOO_SMALL", (layout, dpi, exc.details)
                    refused.append(item.symbology)
            # only GS1-128 (0.495 mm modules) is ever too wide: never the EAN-13, 2-D codes, bins or SKUs
            assert set(refused) <= {"gs1_128"}, (layout, dpi, refused)
            assert len(fits) >= 8
            pdf = labels.labels_pdf([f[0] for f in fits], layout, dpi)
            for raster in DPIS:
                for (item, (fmt, content), resolves), found in zip(fits, _decode_cells(pdf, layout, len(fits), raster)):
                    assert len(found) == 1, (layout, dpi, raster, item.title, item.symbology)
                    r = found[0]
                    assert r.format.name == fmt, (layout, dpi, raster, item.symbology, r.format)
                    text = r.bytes.decode() if fmt == "DataMatrix" or item.symbology == "gs1_128" else r.text
                    assert text == (content or sku), (layout, dpi, raster, item.symbology, text)
                    if item.symbology in ("gs1_128", "datamatrix"):
                        assert r.symbology_identifier in ("]C1", "]d2")  # FNC1 first: read as GS1
                    if resolves:
                        code = r.symbology_identifier + r.bytes.decode() if fmt != "QRCode" else r.text
                        async with db.read() as conn:
                            res = await resolve_barcode(conn, code)
                        assert (res.product_id, res.lot, res.expiry_date, res.serial) == resolves, (
                            item.symbology,
                            code,
                        )
                    printed += 1
    assert printed > 100


# ---- ZPL ----------------------------------------------------------------------------------------------------

ZPL_COMMAND = re.compile(r"\^(A@|A0|[A-Z]{2})([^\^]*)")


def _code128_from_zpl(data: str) -> tuple[str, bool, int]:
    """(transmitted data, GS1?, symbol characters incl. start and check) of ``^BC`` mode-N field data."""
    out, gs1, count, mode, i = [], False, 1, None, 0  # count starts at 1: the check character
    while i < len(data):
        if data[i] == ">":
            code = data[i + 1]
            i += 2
            count += 1
            if code == ";":
                mode = "C"
            elif code == ":":
                mode = "B"
            elif code == "5":
                mode = "C"
            elif code == "6":
                mode = "B"
            elif code == "8":
                if count == 3 and not out:  # right after the start
                    gs1 = True
                else:
                    out.append(GS)
            elif code in "0<=":
                out.append({"0": ">", "<": "^", "=": "~"}[code])
            else:
                raise AssertionError(f"unexpected invocation >{code}")
            continue
        assert mode is not None, "no start code"
        if mode == "C":
            assert data[i : i + 2].isdigit(), data[i:]
            out.append(data[i : i + 2])
            i += 2
        else:
            out.append(data[i])
            i += 1
        count += 1
    return "".join(out), gs1, count


def _ean_check(d12: str) -> str:
    s = sum(int(c) * (3 if k % 2 else 1) for k, c in enumerate(d12))
    return d12 + str((10 - s % 10) % 10)


def parse_zpl(text: str, dpi: int) -> list[dict]:
    """Each ^XA…^XZ format: its size and fields; asserts that every field stays inside the label."""
    formats = re.findall(r"\^XA(.*?)\^XZ", text, re.S)
    assert formats and text.strip().endswith("^XZ")
    out = []
    for body in formats:
        label = {"width": None, "height": None, "symbols": [], "texts": [], "ci28": False}
        fo = by = font = block = barcode = hexed = None
        for name, raw in ZPL_COMMAND.findall(body.replace("\n", "")):
            args = raw.split(",")
            if name == "PW":
                label["width"] = int(raw)
            elif name == "LL":
                label["height"] = int(raw)
            elif name == "CI":
                label["ci28"] = raw == "28"
            elif name == "FO":
                fo = (int(args[0]), int(args[1]))
            elif name == "BY":
                by = int(args[0])
            elif name in ("BC", "BE", "BQ", "BX"):
                barcode = (name, args)
            elif name in ("A0", "A@"):
                font = (name, args)
            elif name == "FB":
                block = int(args[0])
            elif name == "FH":
                hexed = True
            elif name == "FD":
                data = raw
            elif name == "FS":
                x, y = fo
                assert x >= 0 and y >= 0
                if barcode:
                    kind, args = barcode
                    if kind == "BC":
                        transmitted, gs1, chars = _code128_from_zpl(data)
                        sym = "gs1_128" if gs1 else "code128"
                        module, w_mod, h = by, chars * 11 + 13, int(args[1])
                        assert args[2:6] == ["N", "N", "N", "N"]  # no printer HRI, no UCC digit, mode N
                    elif kind == "BE":
                        assert len(data) == 12 and data.isdigit()
                        sym, module, w_mod, h, transmitted = "ean13", by, 95, int(args[1]), _ean_check(data)
                    elif kind == "BQ":
                        assert args[:2] == ["N", "2"] and data.startswith("MA,")
                        transmitted, module, sym = data[3:], int(args[2]), "qr"
                        side = zxingcpp.create_barcode(transmitted, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
                        w_mod = h_mod = side.to_image(scale=1, add_quiet_zones=False).shape[0]
                        h = h_mod * module
                    else:
                        assert args[2] == "200" and args[6] == "`"
                        module, cols, rows, sym = int(args[1]), int(args[3]), int(args[4]), "datamatrix"
                        assert data.startswith("`1")
                        transmitted = data[2:].replace("`1", GS)
                        w_mod, h = cols, rows * module
                    assert isinstance(module, int) and module >= min_dots(sym, dpi), (sym, module, dpi)
                    left, right = QUIET[sym]
                    assert x - left * module >= 0 and x + (w_mod + right) * module <= label["width"], (sym, x, w_mod)
                    assert y + h <= label["height"], (sym, y, h)
                    label["symbols"].append({"kind": sym, "data": transmitted, "module": module})
                else:
                    name_, fargs = font
                    size = int(fargs[1])
                    assert block and x + block <= label["width"] and y + size <= label["height"], (x, y, block, size)
                    shown = re.sub(r"_([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), data) if hexed else data
                    if re.search(r"[\u4e00-\u9fff]", shown):
                        assert name_ == "A@" and re.fullmatch(r"[A-Z]:[A-Z0-9_]+\.TTF", fargs[3]), fargs
                    label["texts"].append(shown)
                fo = barcode = font = block = hexed = None
        assert label["width"] and label["height"] and label["ci28"]
        out.append(label)
    return out


async def test_zpl_for_product_lot_and_location_labels_at_203_and_300_dpi(db):
    w, lotted, _serial, receipt = await _label_world(db)
    lot_id, *serial_lots = await _lot_ids(db, receipt)
    async with db.read() as conn:
        cases = [
            (await labels.product_label(conn, lotted, "ean13"), GTIN),
            (await labels.product_label(conn, lotted, "code128"), None),
            (await labels.product_label(conn, lotted, "qr", lot=LOT, expiry=EXPIRY), digital_link(GTIN, EXPIRY, LOT)),
            (await labels.lot_label(conn, lot_id, "datamatrix"), elements(GTIN, EXPIRY, LOT)),
            (
                await labels.product_label(conn, lotted, "datamatrix", lot="L_1", serial="S>1"),
                elements(GTIN, None, "L_1", "S>1"),
            ),
            (await labels.lot_label(conn, serial_lots[1], "datamatrix"), elements(GTIN2, serial=SERIAL)),
            (await labels.product_label(conn, lotted, "gs1_128"), elements(GTIN)),
            (
                await labels.product_label(conn, lotted, "gs1_128", lot="L>1", expiry=EXPIRY),
                elements(GTIN, EXPIRY, "L>1"),
            ),
            (await labels.location_label(conn, w.a1), "WH1-A-01"),
        ]
    checked = 0
    for layout in labels.THERMAL_LAYOUTS:
        for dpi in DPIS:
            for item, content in cases:
                try:
                    text = zpl.labels_zpl([item], layout, dpi)
                except ScanningError as exc:
                    assert exc.details[0].code == "LABEL_TOO_SMALL" and item.symbology == "gs1_128"
                    continue
                (parsed,) = parse_zpl(text, dpi)
                assert parsed["width"] == math.floor(labels.LAYOUTS[layout].width_mm * dpi / 25.4)
                (symbol,) = parsed["symbols"]
                assert symbol["kind"] == item.symbology
                assert symbol["data"] == (content or item.data), (layout, dpi, item.symbology)
                if item.symbology in ("qr", "datamatrix") and content != "WH1-A-01":
                    values = gs1_values(("]d2" if item.symbology == "datamatrix" else "") + symbol["data"])
                    assert values["01"] in (GTIN.rjust(14, "0"), GTIN2.rjust(14, "0"))
                if item.symbology != "ean13":
                    assert any("测试商品" in t for t in parsed["texts"]) or (
                        item.symbology == "code128" and content == "WH1-A-01"
                    )
                checked += 1
    assert checked >= 40
    # several labels: one format each; the CJK font can be another file on the printer
    many = zpl.labels_zpl([c[0] for c in cases[:4]], "60x40", 300, font="E:SIMSUN.TTF")
    assert len(parse_zpl(many, 300)) == 4 and "^A@N" in many and "E:SIMSUN.TTF" in many
    assert "E:ANMDS.TTF" in zpl.labels_zpl([cases[2][0]], "50x30", 203)  # the default CJK font
    with pytest.raises(ScanningError):
        zpl.labels_zpl([cases[0][0]], "a4_3x8", 300)  # a sheet is not a label roll


# ---- over HTTP and GraphQL ----------------------------------------------------------------------------------


async def test_label_routes_answer_png_pdf_and_zpl_and_typed_errors(gql):
    w, lotted, _serial, receipt = await _label_world(gql.db)
    lot_id, *_serial_lots = await _lot_ids(gql.db, receipt)
    pid, lid = to_global_id("Product", lotted), to_global_id("Location", w.a1)
    rid, lot_gid = to_global_id("GoodsReceipt", receipt), to_global_id("Lot", lot_id)
    headers = {"authorization": f"Bearer {gql.token}"}

    async def get(url, lang="en"):
        return await gql.http.get(url, headers={**headers, "accept-language": lang})

    ok = {
        f"/labels/product/{pid}.zpl?dpi=203": "text/plain",
        f"/labels/product/{pid}.zpl?kind=datamatrix&lot=A%2FB%257&expiry=2026-12-31&serial=S1&dpi=300&layout=60x40": "text/plain",
        f"/labels/product/{pid}.pdf?kind=qr&lot=A%2FB%257&layout=50x30&dpi=300": "application/pdf",
        f"/labels/product/{pid}.png?kind=datamatrix&lot=L1&dpi=203": "image/png",
        f"/labels/lot/{lot_gid}.zpl": "text/plain",
        f"/labels/lot/{lot_gid}.pdf?kind=qr": "application/pdf",
        f"/labels/location/{lid}.zpl?dpi=300&font=E:SIMSUN.TTF": "text/plain",
        "/labels/document/PO2026-000123.zpl": "text/plain",
        f"/labels/sheet.zpl?products={pid}&locations={lid}&lots={lot_gid}&layout=100x50": "text/plain",
        f"/labels/receipt/{rid}.pdf": "application/pdf",
        f"/labels/receipt/{rid}.zpl?kind=qr&dpi=300": "text/plain",
    }
    for url, media in ok.items():
        resp = await get(url)
        assert resp.status_code == 200, (url, resp.text)
        assert resp.headers["content-type"].startswith(media), url
    zpl_text = (
        await get(
            f"/labels/product/{pid}.zpl?kind=datamatrix&lot=A%2FB%257&expiry=2026-12-31&serial=S1&dpi=300&layout=60x40"
        )
    ).text
    (parsed,) = parse_zpl(zpl_text, 300)
    assert parsed["symbols"][0]["data"] == elements(GTIN, EXPIRY, "A/B%7", "S1")
    # the receipt: its lot and both serials, each decoding to what was received
    receipt_zpl = parse_zpl((await get(f"/labels/receipt/{rid}.zpl?kind=qr&dpi=300")).text, 300)
    assert [f["symbols"][0]["data"] for f in receipt_zpl] == [
        digital_link(GTIN, EXPIRY, LOT),
        digital_link(GTIN2, serial="SN-001"),
        digital_link(GTIN2, serial=SERIAL),
    ]
    pdf = (await get(f"/labels/receipt/{rid}.pdf")).content
    found = [r[0].bytes.decode() for r in _decode_cells(pdf, "50x30", 3, 203)]
    assert found == [elements(GTIN, EXPIRY, LOT), elements(GTIN2, serial="SN-001"), elements(GTIN2, serial=SERIAL)]

    bad = {
        f"/labels/product/{pid}.zpl?dpi=204": "INVALID_VALUE",
        f"/labels/product/{pid}.zpl?layout=a4_3x8": "INVALID_VALUE",  # ZPL: label rolls only
        f"/labels/product/{pid}.zpl?font=..%2Fetc": "INVALID_VALUE",
        f"/labels/product/{pid}.gif": "INVALID_VALUE",
        f"/labels/product/{pid}.pdf?kind=qr&lot=A%2FB%237": "INVALID_VALUE",  # '#' is not a GS1 character
        f"/labels/product/{pid}.pdf?kind=qr&serial=%E5%BA%8F": "INVALID_VALUE",
        f"/labels/product/{pid}.pdf?kind=ean13&lot=L1": "INVALID_BARCODE",  # EAN-13 carries no lot
        f"/labels/product/{pid}.zpl?kind=gs1_128&lot=L1&expiry=2026-12-31": "LABEL_TOO_SMALL",
        f"/labels/lot/{pid}.zpl": "INVALID_ID",
        f"/labels/lot/{lot_gid}.zpl?kind=ean13": "INVALID_VALUE",
        f"/labels/receipt/{pid}.pdf": "INVALID_ID",
        f"/labels/receipt/{rid}.png": "INVALID_VALUE",
        f"/labels/sheet.zpl?lots={lid}": "INVALID_ID",
    }
    for url, code in bad.items():
        en, zh = await get(url), await get(url, "zh-CN")
        assert en.status_code == zh.status_code == 400, (url, en.text)
        assert en.json()["error"]["code"] == zh.json()["error"]["code"] == code, (url, en.text)
        assert re.search(r"[\u4e00-\u9fff]", zh.json()["error"]["message"]), (url, zh.text)
    too_small = (await get(f"/labels/product/{pid}.zpl?kind=gs1_128&lot=L1&expiry=2026-12-31")).json()["error"]
    assert "50x30" in too_small["message"] and "needs at least" in too_small["message"]
    missing = await get(f"/labels/receipt/{to_global_id('GoodsReceipt', 999)}.pdf")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    anonymous = await gql.http.get(f"/labels/receipt/{rid}.pdf")
    assert anonymous.status_code == 401


async def test_receipt_labels_need_purchase_view_and_the_receipts_warehouse(gql):
    from server.auth.services import do_create_user, do_login

    w, _lotted, _serial, receipt = await _label_world(gql.db)
    rid = to_global_id("GoodsReceipt", receipt)
    for name, roles, warehouses, status in (
        ("sun", ["warehouse_keeper"], [w.wh2], 403),
        ("li", ["warehouse_keeper"], [w.wh1], 200),
        ("zhou", ["sales"], [], 403),
    ):
        await do_create_user(gql.db, username=name, password="long enough pw", roles=roles, warehouse_ids=warehouses)
        token = (await do_login(gql.db, name, "long enough pw"))[0]
        resp = await gql.http.get(f"/labels/receipt/{rid}.zpl", headers={"authorization": f"Bearer {token}"})
        assert resp.status_code == status, (name, resp.text)


async def test_label_links_take_lot_expiry_serial_and_say_what_does_not_fit(gql):
    _w, lotted, _serial, receipt = await _label_world(gql.db)
    pid = to_global_id("Product", lotted)
    body = await gql.execute(
        """query($p: [ID!]) {
        labelLinks(productIds: $p, kind: DATAMATRIX, layout: LABEL_50X30, lot: "A/B%7", expiry: "2026-12-31",
                   serial: "S1", dpi: 300) { images sheetPdf zpl errors { code message field } } }""",
        {"p": [pid]},
        lang="en",
    )
    links = body["labelLinks"]
    assert links["errors"] == []
    (image,) = links["images"]
    assert "lot=A%2FB%257" in image and "expiry=2026-12-31" in image and "serial=S1" in image
    for url in (image, links["sheetPdf"], links["zpl"]):
        resp = await gql.http.get(url, headers={"authorization": f"Bearer {gql.token}"})
        assert resp.status_code == 200, (url, resp.text)
    (parsed,) = parse_zpl(
        (await gql.http.get(links["zpl"], headers={"authorization": f"Bearer {gql.token}"})).text, 300
    )
    assert parsed["symbols"][0]["data"] == elements(GTIN, EXPIRY, "A/B%7", "S1")
    # GS1-128 with a lot does not fit a 50×30 mm label: said in the API, with the size it needs
    body = await gql.execute(
        """query($p: [ID!]) {
        labelLinks(productIds: $p, kind: GS1_128, layout: LABEL_50X30, lot: "L1") { errors { code message field } } }""",
        {"p": [pid]},
        lang="en",
    )
    (err,) = body["labelLinks"]["errors"]
    assert err["code"] == "LABEL_TOO_SMALL" and "50x30" in err["message"] and "needs at least" in err["message"]
    body = await gql.execute(
        """query($p: [ID!]) {
        labelLinks(productIds: $p, kind: QR, lot: "A/B#7") { errors { code message } } }""",
        {"p": [pid]},
        lang="en",
    )
    assert body["labelLinks"]["errors"][0]["code"] == "INVALID_VALUE"
    # a goods receipt links the labels of its lots and serials
    rid = to_global_id("GoodsReceipt", receipt)
    body = await gql.execute(
        """query($id: ID!) { node(id: $id) { ... on GoodsReceipt {
        labelLinks(kind: QR, layout: LABEL_60X40, dpi: 300) { count pdf zpl errors { code } } } } }""",
        {"id": rid},
    )
    links = body["node"]["labelLinks"]
    assert links["count"] == 3 and links["errors"] == []
    for url in (links["pdf"], links["zpl"]):
        resp = await gql.http.get(url, headers={"authorization": f"Bearer {gql.token}"})
        assert resp.status_code == 200, (url, resp.text)
