"""Understanding a scan (``resolve_barcode``): what a code is and what it carries.

In order: an internal location code; a document number (``PO2026-000123``…); a code in the
barcode table (EAN/UPC/GTIN or internal); then GS1 through biip — element strings with or without a
symbology identifier (``]C1``, ``]d2``, ``]Q3``, ``]E0``), with the group separator (ASCII 29) or a
configured substitute character (many keyboard-wedge scanners cannot send ASCII 29), Digital Link
URIs, plain GTINs with their check digits. A GS1 message yields the product (01/02), lot (10),
serial (21), expiry (17), best-before (15), production date (11), a count (30/37), a net weight
(310n, kg), an SSCC pallet (00) or a location (414 + 254: the extension is the bin code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from biip import ParseConfig, parse
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.gtin import gs1_check_digit, gtin_problem, looks_like_gtin
from server.catalog.models import barcode, product_unit
from server.scanning.errors import ScanningError
from server.inventory.models import location
from server.numbers import QTY_SCALE

DOCUMENT_NUMBER = re.compile(r"^(PO|RC|QC|PR|PB|DN|PP|SO|SH|SI|CN|CR|SR|TR|SC|MO)(\d{4})-(\d{6})$")
GS = "\x1d"


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


HRI = re.compile(r"\((\d{2,4})\)([^()]*)")


def _clean(raw: str, substitutes: str) -> str:
    code = raw.strip("\r\n")
    for ch in substitutes:
        code = code.replace(ch, GS)
    if code.startswith("(") and (pairs := HRI.findall(code)) and "".join(f"({a}){v}" for a, v in pairs) == code:
        # the human-readable form printed under GS1-128 bars (and returned by decoders): (01)…(10)…
        code = "]C1" + GS.join(a + v for a, v in pairs)
    return code


class Lookups:
    """The table lookups of resolving codes, cached for a batch of scans: ``prefetch`` reads the
    location and barcode rows of all the batch's codes in two statements, and products by GTIN and
    pack quantities are read once per batch instead of once per scan."""

    def __init__(self, conn: AsyncConnection):
        self.conn = conn
        self.locations: dict[str, int | None] = {}
        self.barcodes: dict[str, object] = {}
        self.gtins: dict[str, object] = {}
        self.packs: dict[tuple[int, int | None], int] = {}

    async def prefetch(self, codes: list[str]) -> None:
        plain = sorted({c.strip() for c in codes if c.strip()})
        for i in range(0, len(plain), 1000):
            part = plain[i:i + 1000]
            found = dict((await self.conn.execute(select(location.c.code, location.c.id)
                                                  .where(location.c.code.in_(part)))).all())
            rows = {r.code: r for r in await self.conn.execute(
                select(barcode.c.code, barcode.c.product_id, barcode.c.unit_id).where(barcode.c.code.in_(part)))}
            for c in part:
                self.locations[c] = found.get(c)
                self.barcodes[c] = rows.get(c)

    async def location(self, code: str) -> int | None:
        if code not in self.locations:
            self.locations[code] = (await self.conn.execute(select(location.c.id)
                                                            .where(location.c.code == code))).scalar()
        return self.locations[code]

    async def barcode(self, code: str):
        if code not in self.barcodes:
            self.barcodes[code] = (await self.conn.execute(select(barcode.c.product_id, barcode.c.unit_id)
                                                           .where(barcode.c.code == code))).first()
        return self.barcodes[code]

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
    """The barcode row of a GTIN, stored as GTIN-13 (or 8/12/14): try the forms without leading zeros."""
    forms = {gtin, gtin.lstrip("0")} | {gtin[-n:] for n in (8, 12, 13) if len(gtin) >= n}
    if len(gtin) == 14 and gtin[0] not in "0":  # a packaging or variable-measure indicator: the item's GTIN-13
        body = gtin[1:13]
        forms.add(body + str(gs1_check_digit(body)))
    row = (await conn.execute(select(barcode.c.product_id, barcode.c.unit_id, barcode.c.code)
                              .where(barcode.c.code.in_(sorted(forms))).order_by(barcode.c.id))).first()
    return row


async def _pack_quantity(conn, product_id: int, unit_id: int | None) -> int:
    if unit_id is None:
        return QTY_SCALE
    factor = (await conn.execute(select(product_unit.c.factor).where(product_unit.c.product_id == product_id,
                                                                     product_unit.c.unit_id == unit_id))).scalar()
    return factor or QTY_SCALE


def clean_code(raw: str, gs_substitutes: str = "") -> str:
    return _clean(raw, gs_substitutes).strip()


async def resolve_barcode(conn: AsyncConnection, raw: str, *, gs_substitutes: str = "",
                          lookups: Lookups | None = None) -> Resolution:
    """What ``raw`` is; ``ScanningError`` ``UNKNOWN_BARCODE`` / ``BAD_CHECK_DIGIT`` / ``INVALID_BARCODE``.
    ``lookups`` shares table reads across a batch of scans."""
    lookups = lookups or Lookups(conn)
    code = _clean(raw, gs_substitutes)
    if not code.strip():
        raise ScanningError("REQUIRED", "code")
    plain = code.strip()
    loc = await lookups.location(plain)
    if loc is not None:
        return Resolution("location", plain, location_id=loc)
    if m := DOCUMENT_NUMBER.match(plain):
        return Resolution("document", plain, document_type=m.group(1), document_number=plain)
    row = await lookups.barcode(plain)
    if row is not None:
        return Resolution("product", plain, product_id=row.product_id, unit_id=row.unit_id,
                          pack_quantity=await lookups.pack_quantity(row.product_id, row.unit_id), gtin=plain)
    if looks_like_gtin(plain) and (problem := gtin_problem(plain)) is not None:
        raise ScanningError(problem[0], "code", **{k: str(v) for k, v in problem[1].items()})
    try:
        result = parse(code, config=ParseConfig(separator_chars=[GS]))
    except Exception as exc:  # biip refuses what it cannot read at all
        raise ScanningError("UNKNOWN_BARCODE", "code", code=plain, detail=str(exc)) from None
    message = result.gs1_message
    if message is None and result.gs1_digital_link_uri is not None:
        message = result.gs1_digital_link_uri.to_gs1_message()
    if message is not None:
        return await _from_gs1(conn, plain, result, message, lookups)
    if result.gtin is not None:  # EAN/UPC with a symbology identifier, a UPC-E…
        return await _product(lookups, plain, result.gtin.value)
    raise ScanningError("UNKNOWN_BARCODE", "code", code=plain)


async def _product(lookups: Lookups, code: str, gtin: str) -> Resolution:
    row = await lookups.gtin_product(gtin)
    if row is None:
        raise ScanningError("UNKNOWN_BARCODE", "code", code=code)
    return Resolution("product", code, product_id=row.product_id, unit_id=row.unit_id,
                      pack_quantity=await lookups.pack_quantity(row.product_id, row.unit_id), gtin=gtin)


async def _from_gs1(conn, code: str, result, message, lookups: Lookups) -> Resolution:
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
            loc = (await conn.execute(select(location.c.id).where(
                or_(location.c.code == ext, location.c.code == f"{values['414'].value}-{ext}")))).scalar()
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
