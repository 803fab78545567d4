"""Barcode symbols as modules, sized in whole printer dots (条码符号：模块与打印点).

A thermal printer prints 203 or 300 dots per inch; a bar narrower than the GS1 minimum X-dimension,
or a module that is not a whole number of dots, does not scan. So every symbol here is a grid of
modules (``Symbol.rows``: one row for linear symbols), and ``module_dots`` turns a target
X-dimension into whole dots: ``round(X · dpi / 25.4)``, never fewer than the minimum X-dimension of
the symbology needs (``ceil(min · dpi / 25.4)``).

X-dimensions (mm; minimum / target) — GS1 General Specifications §5.12.3, symbol specification
tables, as summarised by GS1 Sweden's size guide and GS1 UK's "Barcoding – getting it right":

* EAN-13 on a consumer item (SST 1, retail point of sale): 0.264 / 0.330, quiet zones 11X / 7X,
  bar height 69.24X (22.85 mm at 0.330 mm; 18.28 mm at the minimum);
* GS1-128 on trade items in general distribution and on logistic units (SST 2 and 4):
  0.495 / 0.495 (max 1.016), quiet zones 10X, at most 165.10 mm long with its quiet zones and 48
  data characters (§5.4.4); bar height 31.75 mm;
* GS1 DataMatrix and GS1 QR Code: 1.5 × the linear X-dimension of the same table ("optical effects in
  the image capture process", the note under the tables): QR (GS1 Digital Link, read by phones at
  retail, SST 1) 0.396 / 0.495; DataMatrix (warehouse lot and serial labels, SST 2) 0.743 / 0.743;
  quiet zones 4X (QR) and 1X (DataMatrix, ISO/IEC 16022);
* Code 128 without FNC1 (our own SKUs, bin codes, document numbers) is not a GS1 symbol: ISO/IEC
  15417 leaves the X-dimension to the application; 0.25 mm (two dots at 203 dpi, three at 300) is the
  smallest a thermal printer makes reliably; quiet zones 10X, height at least 6.35 mm and 15 % of the
  symbol's length.

Code 128 and GS1-128 are encoded here (code sets B and C, FNC1 first and after every variable-length
element string that is not last) so that the PDF, the PNG and the ZPL (``^BC`` with the same code-set
invocations) are the same symbol, module for module. EAN-13, QR Code and GS1 DataMatrix come from
zxing-cpp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import zxingcpp
from barcode.charsets.code128 import CODES as CODE128_PATTERNS

GS = "\x1d"
FNC1 = 102
CODE_C, CODE_B = 99, 100
START_B, START_C = 104, 105
STOP_PATTERN = "1100011101011"  # the stop character with its termination bar (13 modules)


@dataclass(frozen=True)
class Symbology:
    name: str
    min_mm: float
    target_mm: float
    quiet: tuple[int, int, int]  # left/right, top/bottom quiet zone in modules (left, right, vertical)
    height_x: float = 0.0  # linear: minimum bar height as a multiple of X (0: use min_height_mm)
    min_height_mm: float = 0.0
    two_d: bool = False
    max_length_mm: float | None = None
    source: str = ""


SYMBOLOGIES: dict[str, Symbology] = {
    "ean13": Symbology("EAN-13", 0.264, 0.330, (11, 7, 0), height_x=69.24, source="GS1 GenSpecs SST 1"),
    "gs1_128": Symbology(
        "GS1-128",
        0.495,
        0.495,
        (10, 10, 0),
        min_height_mm=31.75,
        max_length_mm=165.10,
        source="GS1 GenSpecs SST 2 / SST 4, §5.4.4",
    ),
    "code128": Symbology(
        "Code 128", 0.250, 0.330, (10, 10, 0), min_height_mm=6.35, source="ISO/IEC 15417 (application-defined X)"
    ),
    "qr": Symbology("QR Code", 0.396, 0.495, (4, 4, 4), two_d=True, source="GS1 GenSpecs SST 1, 1.5 × linear X"),
    "datamatrix": Symbology(
        "GS1 DataMatrix", 0.743, 0.743, (1, 1, 1), two_d=True, source="GS1 GenSpecs SST 2, 1.5 × linear X"
    ),
}


def dots_for(mm: float, dpi: int) -> float:
    return mm * dpi / 25.4


def mm_for(dots: float, dpi: int) -> float:
    return dots * 25.4 / dpi


def module_dots(symbology: str, dpi: int) -> tuple[int, int]:
    """(target, minimum) module width in whole dots at ``dpi`` for ``symbology``."""
    spec = SYMBOLOGIES[symbology]
    least = max(1, math.ceil(dots_for(spec.min_mm, dpi) - 1e-9))
    return max(least, round(dots_for(spec.target_mm, dpi))), least


@dataclass(frozen=True)
class Symbol:
    symbology: str
    rows: tuple[str, ...]  # '1' dark module, '0' light; linear symbols have one row
    code128_values: tuple[int, ...] = ()  # Code 128: start, data, check (no stop): what ^BC is given

    @property
    def modules_wide(self) -> int:
        return len(self.rows[0])

    @property
    def modules_high(self) -> int:
        return len(self.rows)

    @property
    def spec(self) -> Symbology:
        return SYMBOLOGIES[self.symbology]

    def width_modules(self) -> int:
        """Width with the quiet zones."""
        q = self.spec.quiet
        return q[0] + self.modules_wide + q[1]

    def height_modules(self) -> int:
        return self.modules_high + 2 * self.spec.quiet[2]


# ---- Code 128 / GS1-128 ----------------------------------------------------------------------------------


def _b_value(ch: str) -> int:
    code = ord(ch)
    if not 32 <= code <= 126:
        raise ValueError(f"Code 128 set B cannot encode {ch!r}")
    return code - 32


def _digit_run(data: str, i: int) -> int:
    n = 0
    while i + n < len(data) and data[i + n].isdigit():
        n += 1
    return n


def code128_values(data: str, *, gs1: bool) -> list[int]:
    """Start, data and check values of ``data`` (GS = FNC1; GS1: a leading FNC1). Code set C for runs of
    digits (4 or more at the ends, 6 or more inside), set B for the rest."""
    values: list[int] = []
    i, n = 0, len(data)
    run = _digit_run(data, 0)
    if run >= 4 or (run == n and run >= 2 and run % 2 == 0) or (gs1 and run >= 2):
        mode = "C"
        values.append(START_C)
    else:
        mode = "B"
        values.append(START_B)
    if gs1:
        values.append(FNC1)
    while i < n:
        ch = data[i]
        if ch == GS:
            values.append(FNC1)
            i += 1
            continue
        run = _digit_run(data, i)
        if mode == "C":
            if run >= 2:
                values.append(int(data[i : i + 2]))
                i += 2
                continue
            values.append(CODE_B)
            mode = "B"
            continue
        # set B: switch to C for a long enough run of digits (an odd run keeps its first digit in B)
        to_end = i + run == n or (i + run < n and data[i + run] == GS)
        if run >= 4 and (to_end or run >= 6):
            if run % 2:
                values.append(_b_value(ch))
                i += 1
            values.append(CODE_C)
            mode = "C"
            continue
        values.append(_b_value(ch))
        i += 1
    check = (values[0] + sum(k * v for k, v in enumerate(values[1:], start=1))) % 103
    return values + [check]


def code128(data: str, *, gs1: bool = False) -> Symbol:
    values = code128_values(data, gs1=gs1)
    modules = "".join(CODE128_PATTERNS[v] for v in values) + STOP_PATTERN
    return Symbol("gs1_128" if gs1 else "code128", (modules,), tuple(values))


# set B characters ZPL reads as commands or invocations: programmed as invocation codes (ZPL II guide, ^BC)
ZPL_SET_B = {">": ">0", "^": "><", "~": ">="}


def zpl_code128_data(values: tuple[int, ...]) -> str:
    """The ``^FD`` of ``^BC`` (mode N) for these values: start code, data, code-set switches and FNC1 as
    ZPL invocation codes (``>;`` start C, ``>:`` start B, ``>5`` code C, ``>6`` code B, ``>8`` FNC1; ``>0``
    is ``>`` itself, ``><`` is ``^``, ``>=`` is ``~``). The printer adds the check character."""
    out, mode = [], None
    for v in values[:-1]:  # the check character is the printer's
        if v == START_C:
            out.append(">;")
            mode = "C"
        elif v == START_B:
            out.append(">:")
            mode = "B"
        elif v == FNC1:
            out.append(">8")
        elif v == CODE_C and mode == "B":
            out.append(">5")
            mode = "C"
        elif v == CODE_B and mode == "C":
            out.append(">6")
            mode = "B"
        elif mode == "C":
            out.append(f"{v:02d}")
        else:
            ch = chr(v + 32)
            out.append(ZPL_SET_B.get(ch, ch))
    return "".join(out)


# ---- EAN-13, QR Code, DataMatrix (zxing-cpp) ---------------------------------------------------------------


def _rows(barcode, *, linear: bool) -> tuple[str, ...]:
    img = barcode.to_image(scale=1, add_quiet_zones=False)
    height, width = img.shape[0], img.shape[1]
    raw = memoryview(img).tobytes()
    rows = tuple("".join("1" if raw[r * width + c] < 128 else "0" for c in range(width)) for r in range(height))
    return rows[:1] if linear else rows


def ean13(digits: str) -> Symbol:
    return Symbol("ean13", _rows(zxingcpp.create_barcode(digits, zxingcpp.BarcodeFormat.EAN13), linear=True))


def qr(text: str) -> Symbol:
    return Symbol("qr", _rows(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M"), linear=False))


def gs1_datamatrix(hri: str) -> Symbol:
    """A square GS1 DataMatrix (ECC 200; no rectangular DMRE sizes, which ``^BX`` and many readers lack) of
    the element strings in ``hri`` — ``(01)…(10)…``, parentheses inside values escaped as ``\\(``."""
    barcode = zxingcpp.create_barcode(hri, zxingcpp.BarcodeFormat.DataMatrix, gs1=True, forceSquare=True)
    return Symbol("datamatrix", _rows(barcode, linear=False))
