"""Barcode labels (条码标签) that print and scan: PNG images, printable PDF sheets and ZPL.

What a label says (``Label``):

* product: EAN-13 of its GTIN, Code 128 of its SKU, GS1-128 with (01) GTIN-14 and the (17) expiry,
  (10) lot and (21) serial given, a QR code with the GS1 Digital Link URI of the same data (values
  percent-encoded: lot ``A/B%7`` is ``/10/A%2FB%257``), or a GS1 DataMatrix of the element strings;
* lot and serial labels: the same, read from a lot (a serial-tracked product's lots are its serial
  numbers, so they are printed as (21)); a goods receipt prints the labels of its lots and serials;
* location (bin): Code 128 of its code; document: Code 128 of its number.

Element strings are in the order (01) (17) (10) (21): fixed-length first, then the variable-length
ones, an FNC1 (GS) after every variable-length one that is not last. Lots and serials must be GS1
"character set 82" and at most 20 characters (``INVALID_VALUE`` otherwise).

How it is printed: every symbol is sized in whole printer dots from its X-dimension (``symbols``: at
least the GS1 minimum of the symbology, the target when it fits), for the printer's resolution
(203 or 300 dpi). The bars come first: text shrinks (down to 1.6 mm) and then drops lines, the bars
never shrink below the minimum. Content that cannot fit the label is refused with
``LABEL_TOO_SMALL``, naming the label and the size it would need. ``plan`` does the layout once in
dots; the PDF (reportlab, with the embedded font of ``server.core.fonts``) and the
ZPL (``server.scanning.zpl``) are drawn from the same plan, so both put the same modules in the same
places. Layouts (``LAYOUTS``): an A4 sheet of 3×8 labels of 70×37 mm, and single thermal labels of
50×30, 60×40 and 100×50 mm — another size is one more ``Layout`` line.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.models import barcode as barcode_table
from server.catalog.models import product
from server.core.fonts import pdf_font
from server.inventory.models import location
from server.inventory.models import lot as lot_table
from server.purchasing.models import goods_receipt_line
from server.scanning import symbols
from server.scanning.errors import ScanningError
from server.scanning.symbols import GS, Symbol

KINDS = ("ean13", "code128", "gs1_128", "qr", "datamatrix")
GS1_KINDS = ("gs1_128", "qr", "datamatrix")  # the kinds that carry a lot, an expiry or a serial
DPIS = (203, 300, 600)
DIGITAL_LINK = "https://id.gs1.org"
# GS1 AI (10) lot and (21) serial: up to 20 characters of GS1 "character set 82"
CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
VARIABLE_AIS = frozenset({"10", "21"})


# ---- what a label says --------------------------------------------------------------------------------------


@dataclass
class Label:
    symbology: str  # a key of symbols.SYMBOLOGIES
    data: str  # encoded: EAN digits, Code 128 text, GS1 element strings (GS between fields) or a URI
    hri: str  # human-readable interpretation, printed with the symbol
    lines: list[str]  # more text, most important first (name, lot, expiry…)
    title: str  # names the label in errors: the SKU, bin code, lot…
    elements: tuple[tuple[str, str], ...] = ()  # GS1 (AI, value) pairs, in symbol order

    @cached_property
    def symbol(self) -> Symbol:
        try:
            return self._encode()
        except (ValueError, RuntimeError) as exc:  # a character the symbology cannot take, too much data
            raise ScanningError("INVALID_BARCODE", "content", detail=f"{self.title}: {exc}") from None

    def _encode(self) -> Symbol:
        if self.symbology == "ean13":
            return symbols.ean13(self.data)
        if self.symbology in ("code128", "gs1_128"):
            return symbols.code128(self.data, gs1=self.symbology == "gs1_128")
        if self.symbology == "qr":
            return symbols.qr(self.data)
        return symbols.gs1_datamatrix(hri_of(self.elements, escape=True))

    @property
    def png(self) -> bytes:  # the previous API: a PNG of the symbol at 300 dpi
        return png(self)


def gtin14(gtin: str) -> str:
    return gtin.rjust(14, "0")


def check_gs1_text(value: str | None, name: str) -> str | None:
    """A lot or serial as GS1 allows it in (10)/(21): character set 82, 1–20 characters."""
    if value is None:
        return None
    if not CSET82.fullmatch(value):
        bad = next((c for c in value if not CSET82.fullmatch(c)), "")
        why = f"“{bad}” is not a GS1 character (set 82)" if bad else "1 to 20 characters"
        raise ScanningError("INVALID_VALUE", name, detail=f"{name} {value[:40]!r}: {why}")
    return value


def gs1_elements(
    gtin: str, *, expiry: date | None = None, lot: str | None = None, serial: str | None = None
) -> tuple[tuple[str, str], ...]:
    out = [("01", gtin14(gtin))]
    if expiry is not None:
        out.append(("17", f"{expiry:%y%m%d}"))
    if lot:
        out.append(("10", lot))
    if serial:
        out.append(("21", serial))
    return tuple(out)


def element_string(elements) -> str:
    """The element strings as a reader transmits them: GS after each variable-length one but the last."""
    parts = []
    for k, (ai, value) in enumerate(elements):
        parts.append(ai + value + (GS if ai in VARIABLE_AIS and k < len(elements) - 1 else ""))
    return "".join(parts)


def hri_of(elements, *, escape: bool = False) -> str:
    def esc(v: str) -> str:
        return v.replace("(", "\\(").replace(")", "\\)") if escape else v

    return "".join(f"({ai}){esc(value)}" for ai, value in elements)


def digital_link(elements) -> str:
    """The GS1 Digital Link URI: /01/gtin, then the qualifiers /10/lot and /21/serial in that order, the
    expiry as ?17=; every value percent-encoded (RFC 3986: only A–Z a–z 0–9 - . _ ~ stay)."""
    values = dict(elements)
    uri = f"{DIGITAL_LINK}/01/{values['01']}"
    for ai in ("10", "21"):
        if ai in values:
            uri += f"/{ai}/{quote(values[ai], safe='')}"
    if "17" in values:
        uri += f"?17={values['17']}"
    return uri


def _gs1_lines(elements) -> list[str]:
    values = dict(elements)
    out = []
    if "10" in values:
        out.append(f"LOT 批号 {values['10']}")
    if "17" in values:
        v = values["17"]
        out.append(f"EXP 有效期 20{v[:2]}-{v[2:4]}-{v[4:]}")
    if "21" in values:
        out.append(f"SN 序列号 {values['21']}")
    return out


def gs1_label(
    kind: str,
    gtin: str,
    name_lines: list[str],
    title: str,
    *,
    expiry: date | None = None,
    lot: str | None = None,
    serial: str | None = None,
) -> Label:
    """A GS1-128, QR (Digital Link) or GS1 DataMatrix label of a GTIN with its lot, expiry and serial."""
    elements = gs1_elements(
        gtin, expiry=expiry, lot=check_gs1_text(lot, "lot"), serial=check_gs1_text(serial, "serial")
    )
    lines = name_lines[:1] + _gs1_lines(elements) + name_lines[1:]
    if kind == "gs1_128":
        return Label("gs1_128", element_string(elements), hri_of(elements), lines, title, elements)
    if kind == "qr":
        uri = digital_link(elements)
        return Label("qr", uri, f"(01) {elements[0][1]}", lines, title, elements)
    return Label("datamatrix", element_string(elements), f"(01) {elements[0][1]}", lines, title, elements)


async def _product_row(conn: AsyncConnection, product_id: int):
    p = (
        await conn.execute(
            select(product.c.sku, product.c.name, product.c.spec, product.c.tracking).where(product.c.id == product_id)
        )
    ).first()
    if p is None:
        raise ScanningError("UNKNOWN_BARCODE", "productId", code=str(product_id))
    return p


async def _gtin(conn: AsyncConnection, product_id: int, sku: str) -> str:
    gtin = (
        await conn.execute(
            select(barcode_table.c.code)
            .where(
                barcode_table.c.product_id == product_id,
                barcode_table.c.kind == "gtin",
                barcode_table.c.unit_id.is_(None),
            )
            .order_by(barcode_table.c.id)
        )
    ).scalar()
    if gtin is None:
        raise ScanningError("UNKNOWN_BARCODE", "productId", code=sku)
    return gtin


async def product_label(
    conn: AsyncConnection,
    product_id: int,
    kind: str = "ean13",
    *,
    lot: str | None = None,
    expiry: date | None = None,
    serial: str | None = None,
) -> Label:
    if kind not in KINDS:
        raise ScanningError("INVALID_BARCODE", "kind", detail=" | ".join(KINDS))
    p = await _product_row(conn, product_id)
    name_lines = [p.name, " ".join(x for x in (p.sku, p.spec) if x)]
    if kind in ("ean13", "code128") and (lot or expiry or serial):
        raise ScanningError(
            "INVALID_BARCODE",
            "kind",
            detail=f"{kind} cannot carry a lot, expiry or serial: use {' | '.join(GS1_KINDS)}",
        )
    if kind == "code128":
        return Label("code128", p.sku, p.sku, name_lines, p.sku)
    gtin = await _gtin(conn, product_id, p.sku)
    if kind == "ean13":
        if len(gtin) != 13:
            raise ScanningError("INVALID_BARCODE", "kind", detail="EAN-13 needs a 13-digit GTIN")
        return Label("ean13", gtin, gtin, name_lines, p.sku)
    title = " ".join([p.sku] + [x for x in (lot, serial) if x])
    return gs1_label(kind, gtin, name_lines, title, expiry=expiry, lot=lot, serial=serial)


async def lot_label(conn: AsyncConnection, lot_id: int, kind: str = "datamatrix") -> Label:
    """The label of a lot — or, for a serial-tracked product, of one serial number (its lot code)."""
    row = (
        await conn.execute(
            select(lot_table.c.product_id, lot_table.c.code, lot_table.c.expiry_date).where(lot_table.c.id == lot_id)
        )
    ).first()
    if row is None:
        raise ScanningError("UNKNOWN_BARCODE", "lotId", code=str(lot_id))
    if kind not in GS1_KINDS:
        raise ScanningError("INVALID_BARCODE", "kind", detail=f"a lot label is {' | '.join(GS1_KINDS)}")
    p = await _product_row(conn, row.product_id)
    gtin = await _gtin(conn, row.product_id, p.sku)
    name_lines = [p.name, " ".join(x for x in (p.sku, p.spec) if x)]
    field_ = "serial" if p.tracking == "serial" else "lot"
    value = {field_: check_gs1_text(row.code, field_)}
    return gs1_label(kind, gtin, name_lines, f"{p.sku} {row.code}", expiry=row.expiry_date, **value)


async def receipt_lot_ids(conn: AsyncConnection, receipt_id: int) -> list[int]:
    """The lots and serials a goods receipt accepted, in line order, each once."""
    rows = await conn.execute(
        select(goods_receipt_line.c.lot_id)
        .where(
            goods_receipt_line.c.receipt_id == receipt_id,
            goods_receipt_line.c.lot_id.is_not(None),
            goods_receipt_line.c.accepted_qty > 0,
        )
        .order_by(goods_receipt_line.c.line_no, goods_receipt_line.c.id)
    )
    seen: dict[int, None] = {}
    for (lot_id,) in rows:
        seen.setdefault(lot_id, None)
    return list(seen)


async def location_label(conn: AsyncConnection, location_id: int) -> Label:
    row = (await conn.execute(select(location.c.code, location.c.name).where(location.c.id == location_id))).first()
    if row is None:
        raise ScanningError("UNKNOWN_BARCODE", "locationId", code=str(location_id))
    return Label("code128", row.code, row.code, [row.name] if row.name and row.name != row.code else [], row.code)


def document_label(number: str) -> Label:
    return Label("code128", number, number, [], number)


# ---- layouts and the plan of one label (in dots) ------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    name: str
    width_mm: float
    height_mm: float
    columns: int = 1
    rows: int = 1
    page_mm: tuple[float, float] | None = None  # None: one label per page of the label's size
    thermal: bool = True  # a roll of labels for a label printer (ZPL)
    default_dpi: int = 203
    margin_mm: float = 1.0  # printers register the label within about ±0.5 mm


LAYOUTS: dict[str, Layout] = {
    "a4_3x8": Layout("a4_3x8", 70, 37, 3, 8, page_mm=(210, 297), thermal=False, default_dpi=300, margin_mm=2.0),
    "50x30": Layout("50x30", 50, 30),
    "60x40": Layout("60x40", 60, 40),
    "100x50": Layout("100x50", 100, 50),
}
THERMAL_LAYOUTS = tuple(k for k, v in LAYOUTS.items() if v.thermal)

PREFERRED_TEXT_MM, MIN_TEXT_MM, LINE_GAP = 2.8, 1.6, 0.25  # gap: a fraction of the text size
MAX_LINES = 6


def estimate_width(text: str, size: int) -> int:
    """Conservative text width in dots for a font of ``size`` dots: CJK full width, the rest 0.62 em."""
    return math.ceil(sum(size if ord(c) > 0x2E7F else 0.62 * size for c in text))


@dataclass
class TextLine:
    x: int
    y: int  # top of the line
    width: int  # the room it has (the ZPL field block width)
    size: int  # font height in dots
    text: str
    align: str = "L"  # L left, C centred in its width


@dataclass
class Plan:
    label: Label
    layout: Layout
    dpi: int
    width: int  # the label in dots
    height: int
    module: int  # dots per module
    x: int  # the first module (after the left quiet zone), from the label's top-left
    y: int
    bar_height: int  # linear symbols: the bars; 2-D: the symbol's height
    texts: list[TextLine] = field(default_factory=list)

    @property
    def symbol(self) -> Symbol:
        return self.label.symbol

    @property
    def symbol_width(self) -> int:
        return self.symbol.modules_wide * self.module


def _too_small(label: Label, layout: Layout, dpi: int, need_w: float, need_h: float) -> ScanningError:
    need_w_mm = max(symbols.mm_for(need_w, dpi), layout.width_mm)
    need_h_mm = max(symbols.mm_for(need_h, dpi), layout.height_mm)
    return ScanningError(
        "LABEL_TOO_SMALL",
        "layout",
        what=label.title,
        layout=layout.name,
        needed=f"{math.ceil(need_w_mm * 10) / 10:g} × {math.ceil(need_h_mm * 10) / 10:g}",
        size=f"{layout.width_mm:g} × {layout.height_mm:g}",
        dpi=str(dpi),
    )


def _fit_text(text: str, size: int, room: int, measure) -> str:
    if measure(text, size) <= room:
        return text
    while text and measure(text + "…", size) > room:
        text = text[:-1]
    return text + "…" if text else ""


def _text_block(lines: list[str], x: int, y: int, room_w: int, room_h: int, dpi: int, measure) -> list[TextLine]:
    """As many lines as fit in ``room_h`` at the largest size from 2.8 mm down to 1.6 mm."""
    lines = [ln for ln in lines if ln][:MAX_LINES]
    if not lines or room_w <= 0:
        return []
    big = round(symbols.dots_for(PREFERRED_TEXT_MM, dpi))
    small = math.ceil(symbols.dots_for(MIN_TEXT_MM, dpi))
    for count in range(len(lines), 0, -1):
        for size in range(big, small - 1, -1):
            step = size + math.ceil(size * LINE_GAP)
            if count * size + (count - 1) * (step - size) <= room_h:
                out, top = [], y
                for ln in lines[:count]:
                    own = size  # a line too wide shrinks on its own, then is cut
                    while own > small and measure(ln, own) > room_w:
                        own -= 1
                    fitted = _fit_text(ln, own, room_w, measure)
                    if fitted:
                        out.append(TextLine(x, top + (size - own), room_w, own, fitted))
                    top += step
                return out
    return []


def plan(label: Label, layout: Layout, dpi: int, measure=estimate_width) -> Plan:
    """Where the symbol and the text of ``label`` go on one ``layout`` label at ``dpi`` (all in dots);
    ``LABEL_TOO_SMALL`` if the symbol cannot have its minimum X-dimension and height there."""
    sym, spec = label.symbol, label.symbol.spec
    width = math.floor(symbols.dots_for(layout.width_mm, dpi))
    height = math.floor(symbols.dots_for(layout.height_mm, dpi))
    margin = math.ceil(symbols.dots_for(layout.margin_mm, dpi))
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    target, least = symbols.module_dots(sym.symbology, dpi)
    small_text = math.ceil(symbols.dots_for(MIN_TEXT_MM, dpi))
    gap = max(1, round(symbols.dots_for(0.25, dpi)))
    if spec.two_d:
        for module in range(target, least - 1, -1):
            side_w, side_h = sym.width_modules() * module, sym.height_modules() * module
            if side_w <= inner_w and side_h <= inner_h:
                break
        else:
            raise _too_small(
                label, layout, dpi, sym.width_modules() * least + 2 * margin, sym.height_modules() * least + 2 * margin
            )
        q = spec.quiet
        x0, y0 = margin + q[0] * module, margin + (inner_h - side_h) // 2 + q[2] * module
        tx = margin + side_w + gap
        texts = _text_block(label.lines + [label.hri], tx, margin, width - margin - tx, inner_h, dpi, measure)
        return Plan(label, layout, dpi, width, height, module, x0, y0, sym.modules_high * module, texts)

    for module in range(target, least - 1, -1):
        if sym.width_modules() * module <= inner_w:
            break
    else:
        raise _too_small(label, layout, dpi, sym.width_modules() * least + 2 * margin, height)
    x_mm = symbols.mm_for(module, dpi)
    length_mm = symbols.mm_for(sym.width_modules() * module, dpi)
    if spec.max_length_mm and length_mm > spec.max_length_mm:
        raise ScanningError(
            "INVALID_BARCODE",
            "content",
            detail=f"{spec.name} {label.title}: {length_mm:.1f} mm is longer than the "
            f"{spec.max_length_mm} mm GS1 allows: use datamatrix",
        )
    bars_min = math.ceil(
        symbols.dots_for(
            max(spec.height_x * x_mm, spec.min_height_mm, 0.15 * length_mm if sym.symbology == "code128" else 0), dpi
        )
    )
    if bars_min + gap + small_text > inner_h:
        raise _too_small(
            label,
            layout,
            dpi,
            max(sym.width_modules() * module + 2 * margin, width),
            bars_min + gap + small_text + 2 * margin,
        )
    x0 = margin + (inner_w - sym.width_modules() * module) // 2 + spec.quiet[0] * module
    # the bars get their minimum height, the human-readable line its size, the other lines what is left;
    # what the text does not use makes the bars taller (up to 1.5 × their minimum)
    hri_size = max(small_text, min(round(symbols.dots_for(PREFERRED_TEXT_MM, dpi)), inner_h - bars_min - gap))
    hri = TextLine(margin, 0, inner_w, hri_size, _fit_text(label.hri, hri_size, inner_w, measure), "C")
    rest = inner_h - bars_min - gap - hri_size - gap
    texts = _text_block(label.lines, margin, 0, inner_w, rest, dpi, measure) if rest > 0 else []
    used = (texts[-1].y + texts[-1].size) if texts else -gap
    bars = bars_min + max(0, min(rest - used, bars_min // 2))
    top = margin
    hri.y = top + bars + gap
    for t in texts:
        t.y += hri.y + hri_size + gap
    return Plan(label, layout, dpi, width, height, module, x0, top, bars, [hri] + texts)


# ---- PDF ----------------------------------------------------------------------------------------------------


def _pdf_measure(text: str, size: int) -> int:
    from reportlab.pdfbase import pdfmetrics

    return math.ceil(pdfmetrics.stringWidth(text, pdf_font(), size))  # size in dots: the width comes in dots too


def _runs(row: str):
    """(start, length) of each run of dark modules."""
    start = None
    for i, c in enumerate(row + "0"):
        if c == "1" and start is None:
            start = i
        elif c != "1" and start is not None:
            yield start, i - start
            start = None


def _draw(c, p: Plan, ox: int, oy: int, page_h_pt: float) -> None:
    """Draw plan ``p`` with its label's top-left at (ox, oy) dots from the page's top-left."""
    k = 72.0 / p.dpi

    def rect(x, y, w, h):  # dots from the page top-left → points from the bottom-left
        c.rect(x * k, page_h_pt - (y + h) * k, w * k, h * k, stroke=0, fill=1)

    sym, m = p.symbol, p.module
    if sym.spec.two_d:
        for r, row in enumerate(sym.rows):
            for start, n in _runs(row):
                rect(ox + p.x + start * m, oy + p.y + r * m, n * m, m)
    else:
        for start, n in _runs(sym.rows[0]):
            rect(ox + p.x + start * m, oy + p.y, n * m, p.bar_height)
    for t in p.texts:
        c.setFont(pdf_font(), t.size * k)
        baseline = page_h_pt - (oy + t.y + t.size * 0.88) * k
        if t.align == "C":
            c.drawCentredString((ox + t.x + t.width / 2) * k, baseline, t.text)
        else:
            c.drawString((ox + t.x) * k, baseline, t.text)


def labels_pdf(labels: list[Label], layout: str = "a4_3x8", dpi: int | None = None) -> bytes:
    """A printable PDF for a printer of ``dpi``: one label per page, or A4 sheets of 3×8 labels. Every
    position is a whole dot from the page's top-left corner, so the bars land on the printer's dots."""
    from reportlab.pdfgen import canvas

    if layout not in LAYOUTS:
        raise ScanningError("INVALID_BARCODE", "layout", detail=" | ".join(LAYOUTS))
    lay = LAYOUTS[layout]
    dpi = dpi or lay.default_dpi
    plans = [plan(label, lay, dpi, _pdf_measure) for label in labels]
    mm = 72 / 25.4
    page_mm = lay.page_mm or (lay.width_mm, lay.height_mm)
    page = (page_mm[0] * mm, page_mm[1] * mm)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=page, pageCompression=1)
    c.setTitle("jxc labels")
    per_page = lay.columns * lay.rows
    left = (page_mm[0] - lay.columns * lay.width_mm) / 2
    top = (page_mm[1] - lay.rows * lay.height_mm) / 2
    for i, p in enumerate(plans):
        if i and i % per_page == 0:
            c.showPage()
        col, row = (i % per_page) % lay.columns, (i % per_page) // lay.columns
        ox = round(symbols.dots_for(left + col * lay.width_mm, dpi))
        oy = round(symbols.dots_for(top + row * lay.height_mm, dpi))
        _draw(c, p, ox, oy, page[1])
    c.showPage()
    c.save()
    return out.getvalue()


def cell_box(layout: str, index: int, dpi: int) -> tuple[int, int, int, int]:
    """The pixel box (left, top, right, bottom) of label ``index`` on its page, rendered at ``dpi``."""
    lay = LAYOUTS[layout]
    page_mm = lay.page_mm or (lay.width_mm, lay.height_mm)
    per_page = lay.columns * lay.rows
    col, row = (index % per_page) % lay.columns, (index % per_page) // lay.columns
    ox = round(symbols.dots_for((page_mm[0] - lay.columns * lay.width_mm) / 2 + col * lay.width_mm, dpi))
    oy = round(symbols.dots_for((page_mm[1] - lay.rows * lay.height_mm) / 2 + row * lay.height_mm, dpi))
    return (
        ox,
        oy,
        ox + math.floor(symbols.dots_for(lay.width_mm, dpi)),
        oy + math.floor(symbols.dots_for(lay.height_mm, dpi)),
    )


# ---- PNG ----------------------------------------------------------------------------------------------------


def png(label: Label, dpi: int = 300) -> bytes:
    """The symbol alone (with its quiet zones and, under linear symbols, the human-readable line) at the
    target X-dimension in whole dots of ``dpi``."""
    sym, spec = label.symbol, label.symbol.spec
    m, _least = symbols.module_dots(sym.symbology, dpi)
    q = spec.quiet
    w = sym.width_modules() * m
    if spec.two_d:
        h = sym.height_modules() * m
        img = Image.new("L", (w, h), 255)
        draw = ImageDraw.Draw(img)
        for r, row in enumerate(sym.rows):
            for start, n in _runs(row):
                draw.rectangle(
                    [(q[0] + start) * m, (q[2] + r) * m, (q[0] + start + n) * m - 1, (q[2] + r + 1) * m - 1], fill=0
                )
    else:
        x_mm = symbols.mm_for(m, dpi)
        bars = math.ceil(symbols.dots_for(max(spec.height_x * x_mm, min(spec.min_height_mm, 15.0), 10.0), dpi))
        size = round(symbols.dots_for(PREFERRED_TEXT_MM, dpi))
        h = m * 4 + bars + size * 2
        img = Image.new("L", (w, h), 255)
        draw = ImageDraw.Draw(img)
        for start, n in _runs(sym.rows[0]):
            draw.rectangle([(q[0] + start) * m, m * 2, (q[0] + start + n) * m - 1, m * 2 + bars - 1], fill=0)
        try:
            font = ImageFont.load_default(size=size)
        except TypeError:  # Pillow without FreeType
            font = ImageFont.load_default()
        draw.text((w // 2, m * 2 + bars + size // 2), label.hri, fill=0, font=font, anchor="mt")
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
