"""Understanding a scan (``resolve_barcode``): what a code is and what it carries.

A scanner may put an AIM/ISO 15424 symbology identifier before the data (``]C0`` Code 128, ``]C1``
GS1-128, ``]E0``/``]E4`` EAN/UPC, ``]I1`` ITF-14, ``]e0`` GS1 DataBar, ``]d1``/``]d2`` Data Matrix,
``]Q1``/``]Q3`` QR Code, …). It is taken off first (``split_code``) and decides how the rest is read:

* GS1 element strings (``]C1``, ``]e0``–``]e2``, ``]d2``, ``]Q3``, ``]J1``, or the human-readable
  ``(01)…(10)…`` form) go to biip, with the group separator (ASCII 29) or a configured substitute
  character (many keyboard-wedge scanners cannot send ASCII 29);
* a GTIN symbology (``]E0``, ``]E3``, ``]E4``, ``]I1``) carries one GTIN, checked and looked up;
* anything else — plain Code 128 (``]C0``), plain QR / Data Matrix (``]Q1``, ``]d1``), or no
  identifier at all — is tried, in order, as an internal location code, a document number
  (``PO2026-000123``…), a code of the barcode table (EAN/UPC/GTIN or internal), a SKU (jxc's Code 128
  SKU labels), a GS1 Digital Link URI, a GTIN with its check digit and, without an identifier only,
  GS1 element strings.

A GS1 message yields the product (01/02), lot (10), serial (21), expiry (17), best-before (15),
production date (11), a count (30/37), a net weight (310n, kg), an SSCC pallet (00) or a location
(414 + 254: the extension is the bin code). A GTIN-14 is found under its own code (a case registered
with its pack unit counts its pack content); with an indicator digit 1–8 that is not registered it is
refused (``UNKNOWN_PACK``), never counted as one piece; a variable-measure GTIN-14 (indicator 9) falls
back to its item's GTIN-13. A date that is not a date is ``INVALID_DATE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from biip import ParseConfig, ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message
from sqlalchemy import literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.gtin import gs1_check_digit, gtin_problem, looks_like_gtin
from server.catalog.models import barcode, product, product_unit
from server.core.numbers import QTY_SCALE
from server.inventory.models import location
from server.scanning.errors import ScanningError

DOCUMENT_NUMBER = re.compile(r"^(PO|RC|QC|PR|PB|DN|PP|SO|SH|SI|CN|CR|SR|TR|SC|MO)(\d{4})-(\d{6})$")
GS = "\x1d"
SYMBOLOGY_ID = re.compile(r"\]([A-Za-z])([0-9A-Za-z])")
#: symbologies whose data are GS1 element strings (FNC1 in first position): GS1-128, GS1 DataBar and
#: composites, GS1 DataMatrix, GS1 QR Code, GS1 DotCode
GS1_DATA = frozenset({"C1", "e0", "e1", "e2", "d2", "Q3", "J1"})
#: symbologies that carry one GTIN: EAN-13/UPC-A (E0), EAN-13 with an add-on (E3), EAN-8 (E4), ITF-14 (I1)
GTIN_DATA = frozenset({"E0", "E3", "E4", "I1"})
DATE_AIS = ("11", "12", "13", "15", "16", "17")
BIIP = ParseConfig(separator_chars=[GS])


@dataclass
class Resolution:
    kind: str  # product | location | document | sscc
    code: str
    product_id: int | None = None
    unit_id: int | None = None
    pack_quantity: int | None = None  # scaled base units in one scanned unit (a box of 12: 12 000 000)
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    expiry_date: date | None = None
    best_before: date | None = None
    production_date: date | None = None
    count: int | None = None  # AI 30/37: number of trade items
    net_weight_kg: Decimal | None = None  # AI 310n
    location_id: int | None = None
    document_type: str | None = None  # the number prefix: PO, SO, …
    document_number: str | None = None
    sscc: str | None = None
    symbology: str | None = None  # the symbology identifier the scanner sent ("]C0", "]Q1"…), if any


HRI = re.compile(r"\((\d{2,4})\)([^()]*)")


@dataclass(frozen=True)
class Scanned:
    """A scan split into its symbology identifier and its data."""

    symbology: str | None  # "C0", "E0", "Q1"… (without the "]"); None when the scanner sent none
    data: str  # what follows the identifier; GS for every substitute character

    @property
    def identifier(self) -> str:
        return f"]{self.symbology}" if self.symbology else ""


def split_code(raw: str, substitutes: str = "") -> Scanned:
    """Take the symbology identifier off a scan (it decides how the rest is read, see the module
    docstring); the human-readable GS1 form ``(01)…(10)…`` becomes GS1 element strings."""
    code = raw.strip("\r\n")
    for ch in substitutes:
        code = code.replace(ch, GS)
    code = code.strip()
    symbology = None
    if m := SYMBOLOGY_ID.match(code):
        symbology, code = m.group(1) + m.group(2), code[m.end() :].strip()
    if code.startswith("(") and (pairs := HRI.findall(code)) and "".join(f"({a}){v}" for a, v in pairs) == code:
        # the human-readable form printed under GS1-128 bars (and returned by decoders): (01)…(10)…
        symbology = symbology if symbology in GS1_DATA else "C1"
        code = GS.join(a + v for a, v in pairs)
    return Scanned(symbology, code)


class Lookups:
    """The table lookups of resolving codes, cached for a batch of scans: ``prefetch`` reads the
    location, barcode and SKU rows of all the batch's plain codes in one statement, and
    products by GTIN and pack quantities are read once per batch instead of once per scan."""

    def __init__(self, conn: AsyncConnection):
        self.conn = conn
        self.locations: dict[str, int | None] = {}
        self.barcodes: dict[str, object] = {}
        self.skus: dict[str, int | None] = {}
        self.gtins: dict[str, object] = {}
        self.packs: dict[tuple[int, int | None], int] = {}

    async def prefetch(self, codes: list[str]) -> None:
        """``codes``: the plain data of the batch's scans (``clean_code``)."""
        plain = sorted({c.strip() for c in codes if c.strip()})
        for i in range(0, len(plain), 1000):
            part = plain[i : i + 1000]
            rows = {
                (r.src, r.code): r
                for r in await self.conn.execute(
                    union_all(
                        select(
                            literal("b").label("src"), barcode.c.code, barcode.c.product_id, barcode.c.unit_id
                        ).where(barcode.c.code.in_(part)),
                        select(literal("s"), product.c.sku, product.c.id, null()).where(product.c.sku.in_(part)),
                        # a location's id in the product_id column (the union's columns are one list)
                        select(literal("l"), location.c.code, location.c.id, null()).where(location.c.code.in_(part)),
                    )
                )
            }
            for c in part:
                self.locations[c] = loc.product_id if (loc := rows.get(("l", c))) is not None else None
                self.barcodes[c] = rows.get(("b", c))
                self.skus[c] = sku.product_id if (sku := rows.get(("s", c))) is not None else None

    async def location(self, code: str) -> int | None:
        if code not in self.locations:
            self.locations[code] = (
                await self.conn.execute(select(location.c.id).where(location.c.code == code))
            ).scalar()
        return self.locations[code]

    async def barcode(self, code: str):
        if code not in self.barcodes:
            self.barcodes[code] = (
                await self.conn.execute(select(barcode.c.product_id, barcode.c.unit_id).where(barcode.c.code == code))
            ).first()
        return self.barcodes[code]

    async def sku(self, code: str) -> int | None:
        """The product whose SKU is ``code`` (jxc prints SKU labels as Code 128)."""
        if code not in self.skus:
            self.skus[code] = (await self.conn.execute(select(product.c.id).where(product.c.sku == code))).scalar()
        return self.skus[code]

    async def gtin_product(self, gtin: str):
        if gtin not in self.gtins:
            self.gtins[gtin] = await _gtin_product(self.conn, gtin)
        return self.gtins[gtin]

    async def pack_quantity(self, product_id: int, unit_id: int | None) -> int:
        key = (product_id, unit_id)
        if key not in self.packs:
            self.packs[key] = await _pack_quantity(self.conn, product_id, unit_id)
        return self.packs[key]


async def _gtin_product(conn: AsyncConnection, gtin: str):
    """``(row, item)``: the barcode row of the GTIN itself — the same number stored as GTIN-8, 12, 13
    or 14 — and, for a GTIN-14 with an indicator digit (1–8 packaging level, 9 variable measure), the
    row of its item's GTIN-13 (with the product's name), in one statement."""
    g14 = gtin.rjust(14, "0")
    same = {g14[-n:] for n in (8, 12, 13, 14) if not g14[:-n].strip("0")}
    body = None
    if g14[0] != "0":
        body = g14[1:13] + str(gs1_check_digit(g14[1:13]))
    rows = (
        await conn.execute(
            select(barcode.c.product_id, barcode.c.unit_id, barcode.c.code, product.c.name)
            .join(product, product.c.id == barcode.c.product_id)
            .where(barcode.c.code.in_(sorted(same | ({body} if body else set()))))
            .order_by(barcode.c.id)
        )
    ).all()
    return next((r for r in rows if r.code in same), None), next((r for r in rows if r.code == body), None)


async def _pack_quantity(conn, product_id: int, unit_id: int | None) -> int:
    if unit_id is None:
        return QTY_SCALE
    factor = (
        await conn.execute(
            select(product_unit.c.factor).where(
                product_unit.c.product_id == product_id, product_unit.c.unit_id == unit_id
            )
        )
    ).scalar()
    return factor or QTY_SCALE


def clean_code(raw: str, gs_substitutes: str = "") -> str:
    """The plain data of a scan that is looked up in the tables as it is (a bin, a barcode, a SKU…);
    empty for GS1 element strings and GTIN symbologies, which are parsed instead."""
    sc = split_code(raw, gs_substitutes)
    return "" if sc.symbology in GS1_DATA or sc.symbology in GTIN_DATA else sc.data


async def resolve_barcode(
    conn: AsyncConnection, raw: str, *, gs_substitutes: str = "", lookups: Lookups | None = None
) -> Resolution:
    """What ``raw`` is; ``ScanningError`` ``UNKNOWN_BARCODE`` / ``BAD_CHECK_DIGIT`` / ``INVALID_BARCODE``
    / ``INVALID_DATE`` / ``UNKNOWN_PACK``. ``lookups`` shares table reads across a batch of scans."""
    lookups = lookups or Lookups(conn)
    sc = split_code(raw, gs_substitutes)
    if not sc.data:
        raise ScanningError("REQUIRED", "code")
    res = await _resolve(conn, sc, lookups)
    res.symbology = sc.identifier or None
    return res


async def _resolve(conn: AsyncConnection, sc: Scanned, lookups: Lookups) -> Resolution:
    data, code = sc.data, sc.identifier + sc.data
    if sc.symbology in GS1_DATA:
        if _is_uri(data):  # biip also reads a Digital Link from GS1 DataMatrix / QR
            return await _digital_link(conn, code, data, lookups)
        return await _element_strings(conn, code, data, lookups)
    if sc.symbology in GTIN_DATA:
        digits = data[:13] if sc.symbology == "E3" and len(data) in (15, 18) else data  # without the add-on
        return await _plain_gtin(lookups, code, digits)
    # plain data: Code 128 without FNC1 (jxc's bin, SKU and document labels), plain QR / Data Matrix,
    # Code 39…, or a scanner that sends no identifier
    loc = await lookups.location(data)
    if loc is not None:
        return Resolution("location", code, location_id=loc)
    if m := DOCUMENT_NUMBER.match(data):
        return Resolution("document", code, document_type=m.group(1), document_number=data)
    row = await lookups.barcode(data)
    if row is not None:
        return Resolution(
            "product",
            code,
            product_id=row.product_id,
            unit_id=row.unit_id,
            pack_quantity=await lookups.pack_quantity(row.product_id, row.unit_id),
            gtin=data,
        )
    if (product_id := await lookups.sku(data)) is not None:
        return Resolution("product", code, product_id=product_id, pack_quantity=QTY_SCALE)
    if _is_uri(data):
        return await _digital_link(conn, code, data, lookups)
    if looks_like_gtin(data):
        return await _plain_gtin(lookups, code, data)
    if sc.symbology is None:  # GS1 element strings from a scanner that sends no identifier
        return await _element_strings(conn, code, data, lookups)
    raise ScanningError("UNKNOWN_BARCODE", "code", code=data)


def _is_uri(data: str) -> bool:
    return data[:8].lower().startswith(("https://", "http://"))


def _bad_date(problem: str) -> dict | None:
    """``{ai, value}`` when biip refused a message for a date that is not a date: "(17) 251340"."""
    m = re.search(r"GS1 AI \((\d{2})\)", problem)
    quoted = re.search(r"'([^']*)'", problem)
    if m is None or quoted is None or m.group(1) not in DATE_AIS:
        return None
    ai, value = m.group(1), quoted.group(1)
    value = value[len(ai) :] if value.startswith(ai) and len(value) > 6 else value
    value = value[:6]
    return {"ai": ai, "value": value} if len(value) == 6 and value.isdigit() else None


async def _element_strings(conn, code: str, data: str, lookups: Lookups) -> Resolution:
    try:
        message = GS1Message.parse(data, config=BIIP)
    except (ParseError, ValueError) as exc:  # biip refuses what it cannot read
        if (bad := _bad_date(str(exc))) is not None:
            raise ScanningError("INVALID_DATE", "code", **bad) from None
        raise ScanningError("UNKNOWN_BARCODE", "code", code=data, detail=str(exc)) from None
    return await _from_gs1(conn, code, message, lookups)


async def _digital_link(conn, code: str, data: str, lookups: Lookups) -> Resolution:
    try:
        uri = GS1DigitalLinkURI.parse(data, config=BIIP)
    except (ParseError, ValueError) as exc:
        problem = str(exc)
        if (bad := _bad_date(problem)) is not None:
            raise ScanningError("INVALID_DATE", "code", **bad) from None
        if problem.startswith(("Expected URI", "Expected a primary identifier")):  # some other web address
            raise ScanningError("UNKNOWN_BARCODE", "code", code=data) from None
        raise ScanningError("INVALID_BARCODE", "code", detail=problem) from None  # a malformed Digital Link
    return await _from_gs1(conn, code, uri.as_gs1_message(), lookups)


async def _plain_gtin(lookups: Lookups, code: str, digits: str) -> Resolution:
    if not looks_like_gtin(digits):
        raise ScanningError("UNKNOWN_BARCODE", "code", code=digits)
    if (problem := gtin_problem(digits)) is not None:
        raise ScanningError(problem[0], "code", **{k: str(v) for k, v in problem[1].items()})
    return await _product(lookups, code, digits)


async def _product(lookups: Lookups, code: str, gtin: str) -> Resolution:
    row, item = await lookups.gtin_product(gtin)
    g14 = gtin.rjust(14, "0")
    if row is None and item is not None:
        if g14[0] != "9":  # a case of the item whose GTIN-14 nobody registered: its content is unknown
            raise ScanningError(
                "UNKNOWN_PACK",
                "code",
                gtin=g14,
                indicator=g14[0],
                item=f"商品“{item.name}”",
                item_en=f"product “{item.name}”",
            )
        row = item  # a variable-measure GTIN-14: its item
    if row is None:
        raise ScanningError("UNKNOWN_BARCODE", "code", code=gtin)
    return Resolution(
        "product",
        code,
        product_id=row.product_id,
        unit_id=row.unit_id,
        pack_quantity=await lookups.pack_quantity(row.product_id, row.unit_id),
        gtin=gtin,
    )


async def _from_gs1(conn, code: str, message, lookups: Lookups) -> Resolution:
    values = {es.ai.ai: es for es in message.element_strings}
    for ai in ("00", "01", "02", "414"):  # keys with a check digit
        if ai in values:
            digits = values[ai].value
            expected = gs1_check_digit(digits[:-1])
            if not digits.isdigit() or int(digits[-1]) != expected:
                raise ScanningError("BAD_CHECK_DIGIT", "code", expected=str(expected))
    if "414" in values:
        ext = values["254"].value if "254" in values else None
        loc = None
        if ext:
            loc = (
                await conn.execute(
                    select(location.c.id).where(
                        or_(location.c.code == ext, location.c.code == f"{values['414'].value}-{ext}")
                    )
                )
            ).scalar()
        if loc is None:
            raise ScanningError("UNKNOWN_BARCODE", "code", code=code)
        return Resolution("location", code, location_id=loc)
    gtin = values.get("01") or values.get("02")
    if gtin is None:
        if "00" in values:
            return Resolution("sscc", code, sscc=values["00"].value)
        raise ScanningError("UNKNOWN_BARCODE", "code", code=code)
    res = await _product(lookups, code, gtin.value)
    if "00" in values:
        res.sscc = values["00"].value
    res.lot = values["10"].value if "10" in values else None
    res.serial = values["21"].value if "21" in values else None
    res.expiry_date = values["17"].date if "17" in values else None
    res.best_before = values["15"].date if "15" in values else None
    res.production_date = values["11"].date if "11" in values else None
    for ai in ("30", "37"):
        if ai in values:
            res.count = int(values[ai].value)
    weight = next((es for ai, es in values.items() if ai.startswith("310")), None)
    if weight is not None:
        res.net_weight_kg = weight.decimal
    return res
