"""Barcode labels (条码标签): PNG images and printable PDF sheets.

* product: EAN-13 of its GTIN, Code 128 of its SKU, GS1-128 with (01) GTIN-14, (17) expiry and (10)
  lot, or a QR code with the GS1 Digital Link URI;
* location (bin): Code 128 of its code; document: Code 128 of its number.

1-D symbols are drawn by python-barcode (pillow), QR codes by zxing-cpp. PNGs carry the data as
human-readable text under the bars; PDF sheets (reportlab) add the product name in Chinese through
reportlab's built-in CID font, so no font file is needed: 50×30 mm single labels or A4 sheets of
3×8.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import barcode
import zxingcpp
from barcode.writer import ImageWriter
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.models import barcode as barcode_table
from server.catalog.models import product
from server.scanning.errors import ScanningError
from server.inventory.models import location

KINDS = ("ean13", "code128", "gs1_128", "qr")


@dataclass
class Label:
    png: bytes
    lines: list[str]  # printed under the image on PDF sheets (name, spec…)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def one_d_png(symbology: str, data: str) -> bytes:
    out = io.BytesIO()
    barcode.get(symbology, data, writer=ImageWriter()).write(out, {"module_height": 12.0, "font_size": 8,
                                                                   "text_distance": 4.0, "quiet_zone": 4.0})
    return out.getvalue()


def qr_png(data: str, scale: int = 6) -> bytes:
    img = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode).to_image(scale=scale)
    return _png(Image.frombytes("L", (img.shape[1], img.shape[0]), memoryview(img).tobytes()))


def gtin14(gtin: str) -> str:
    return gtin.rjust(14, "0")


async def product_label(conn: AsyncConnection, product_id: int, kind: str = "ean13", *, lot: str | None = None,
                        expiry: date | None = None) -> Label:
    p = (await conn.execute(select(product.c.sku, product.c.name, product.c.spec).where(product.c.id == product_id))).first()
    if p is None:
        raise ScanningError("UNKNOWN_BARCODE", "productId", code=str(product_id))
    if kind not in KINDS:
        raise ScanningError("INVALID_BARCODE", "kind", detail=" | ".join(KINDS))
    lines = [p.name, " ".join(x for x in (p.sku, p.spec) if x)]
    if kind == "code128":
        return Label(one_d_png("code128", p.sku), lines)
    gtin = (await conn.execute(select(barcode_table.c.code).where(
        barcode_table.c.product_id == product_id, barcode_table.c.kind == "gtin", barcode_table.c.unit_id.is_(None))
        .order_by(barcode_table.c.id))).scalar()
    if gtin is None:
        raise ScanningError("UNKNOWN_BARCODE", "productId", code=p.sku)
    if kind == "ean13":
        if len(gtin) != 13:
            raise ScanningError("INVALID_BARCODE", "kind", detail="EAN-13 needs a 13-digit GTIN")
        return Label(one_d_png("ean13", gtin[:12]), lines)
    if kind == "gs1_128":
        data = "01" + gtin14(gtin) + (f"17{expiry:%y%m%d}" if expiry else "") + (f"10{lot}" if lot else "")
        return Label(one_d_png("gs1_128", data), lines + ([f"LOT {lot}"] if lot else []))
    uri = f"https://id.gs1.org/01/{gtin14(gtin)}" + (f"/10/{lot}" if lot else "") + (f"?17={expiry:%y%m%d}" if expiry else "")
    return Label(qr_png(uri), lines + [uri])


async def location_label(conn: AsyncConnection, location_id: int) -> Label:
    row = (await conn.execute(select(location.c.code, location.c.name).where(location.c.id == location_id))).first()
    if row is None:
        raise ScanningError("UNKNOWN_BARCODE", "locationId", code=str(location_id))
    return Label(one_d_png("code128", row.code), [row.name or row.code])


def document_label(number: str) -> Label:
    return Label(one_d_png("code128", number), [number])


LAYOUTS = {"50x30": (50, 30, 1, 1), "a4_3x8": (70, 37, 3, 8)}  # label mm, columns, rows


def labels_pdf(labels: list[Label], layout: str = "a4_3x8") -> bytes:
    """A printable PDF: one 50×30 mm label per page, or A4 sheets of 3×8 labels."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if layout not in LAYOUTS:
        raise ScanningError("INVALID_BARCODE", "layout", detail=" | ".join(LAYOUTS))
    width, height, cols, rows = LAYOUTS[layout]
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = A4 if layout == "a4_3x8" else (width * mm, height * mm)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=page)
    per_page = cols * rows
    for i, label in enumerate(labels):
        if i and i % per_page == 0:
            c.showPage()
        col, row = (i % per_page) % cols, (i % per_page) // cols
        x0 = (page[0] - cols * width * mm) / 2 + col * width * mm
        y0 = page[1] - (page[1] - rows * height * mm) / 2 - (row + 1) * height * mm
        text_h = 3.2 * mm * len(label.lines[:2])
        img = ImageReader(io.BytesIO(label.png))
        c.drawImage(img, x0 + 2 * mm, y0 + text_h + 1 * mm, width=(width - 4) * mm,
                    height=(height - 2) * mm - text_h - 1 * mm, preserveAspectRatio=True, anchor="c")
        c.setFont("STSong-Light", 7)
        for k, line in enumerate(label.lines[:2]):
            c.drawCentredString(x0 + width * mm / 2, y0 + text_h - (k + 1) * 3.2 * mm + 1 * mm, line[:40])
    c.showPage()
    c.save()
    return out.getvalue()
