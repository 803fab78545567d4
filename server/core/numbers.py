"""Exact numbers: quantities and money as scaled integers, never floats.

* Quantities are stored as integers in millionths of the product's base unit (``QTY_SCALE``).
  A unit declares its own precision (0 for pieces, 3 for kg, at most ``MAX_UNIT_PRECISION``);
  a quantity with more decimals than its unit allows is rejected, never rounded.
* Money is stored as integer fen (0.01 CNY).  Rounding happens only at documented points and is
  always half-up to the fen (``round_half_up_div``).
* SQL only ever adds and subtracts these integers, which is exact and identical on SQLite and
  PostgreSQL; multiplication and division happen in Python on unbounded ints.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

QTY_DIGITS = 6
QTY_SCALE = 10**QTY_DIGITS
MAX_UNIT_PRECISION = QTY_DIGITS
FEN_PER_YUAN = 100
MAX_QTY = 10**15  # scaled: one billion base units
MAX_FEN = 10**16  # one hundred trillion yuan; sums of these stay far inside BIGINT
MAX_NUMBER_CHARS = 64  # longer text is no quantity or amount we can hold (18 digits each side of the point)
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # [0-9]: ASCII only


class NumberError(ValueError):
    """A number that cannot be represented exactly (too many decimals, not a number, out of range)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def is_decimal_text(text: str) -> bool:
    """ASCII digits with an optional sign and at most one decimal point: ``12``, ``-0.5``, ``.5``, ``12.``."""
    return _DECIMAL_TEXT.fullmatch(text) is not None


def parse_decimal(value: str | int | Decimal) -> Decimal:
    """A number from user text (or an int/Decimal from our own code), exactly.

    Text is ASCII digits, an optional sign and at most one decimal point; surrounding ASCII spaces are
    ignored. Refused as ``INVALID_NUMBER``: exponent notation (``"1e3"`` — no client of ours sends it and
    none is documented, and it lets a short string name a huge number), digit separators (``"1_000"``,
    ``"1,000"``), full-width and other scripts' digits (``"１２"``, ``"١٢"``), ``NaN`` and ``Infinity`` —
    Python's ``Decimal()`` would take every one of them. Text longer than ``MAX_NUMBER_CHARS`` and
    numbers beyond 18 digits on either side of the point are ``OUT_OF_RANGE``.
    """
    if isinstance(value, (float, bool)):  # pragma: no cover - guarded by types; floats are never accepted
        raise NumberError("INVALID_NUMBER")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    else:
        text = str(value).strip(" \t\r\n")
        if len(text) > MAX_NUMBER_CHARS:
            raise NumberError("OUT_OF_RANGE")
        if not is_decimal_text(text):
            raise NumberError("INVALID_NUMBER")
        try:
            d = Decimal(text)
        except (InvalidOperation, ValueError):  # pragma: no cover - the pattern admits only valid decimals
            raise NumberError("INVALID_NUMBER") from None
    if not d.is_finite():
        raise NumberError("INVALID_NUMBER")
    if d and (d.adjusted() > 18 or _exponent(d) < -18):
        raise NumberError("OUT_OF_RANGE")  # also keeps Decimal arithmetic away from its exponent limits
    return d


def _exponent(d: Decimal) -> int:
    """The exponent of a finite decimal (``as_tuple`` gives a letter for NaN and Infinity)."""
    exp = d.as_tuple().exponent
    assert isinstance(exp, int), "a finite decimal"
    return exp


def decimals_of(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return max(0, -int(exp))


def round_half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (away from zero on .5) with integer arithmetic."""
    if denominator <= 0:
        raise ZeroDivisionError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return sign * q


def qty_to_scaled(value: str | int | Decimal, precision: int) -> int:
    """Parse a quantity for a unit with ``precision`` decimals into scaled base integers."""
    d = parse_decimal(value)
    if decimals_of(d) > precision:
        raise NumberError("TOO_MANY_DECIMALS", f"{precision}")
    scaled = int(d * QTY_SCALE)
    if abs(scaled) > MAX_QTY:
        raise NumberError("OUT_OF_RANGE")
    return scaled


def scaled_to_decimal(scaled: int, precision: int = QTY_DIGITS) -> Decimal:
    """Format a scaled quantity with at least ``precision`` decimals (exact, no rounding)."""
    d = Decimal(scaled) / QTY_SCALE
    digits = max(precision, decimals_of(d))
    return d.quantize(Decimal(1).scaleb(-digits))


def money_to_fen(value: str | int | Decimal) -> int:
    d = parse_decimal(value)
    if decimals_of(d) > 2:
        raise NumberError("TOO_MANY_DECIMALS", "2")
    fen = int(d * FEN_PER_YUAN)
    if abs(fen) > MAX_FEN:
        raise NumberError("OUT_OF_RANGE")
    return fen


def fen_to_decimal(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def parse_unit_price(value: str | int | Decimal) -> Decimal:
    """A unit price in yuan with up to 6 decimals (purchase prices often carry 4)."""
    d = parse_decimal(value)
    if decimals_of(d) > 6:
        raise NumberError("TOO_MANY_DECIMALS", "6")
    if abs(d) * FEN_PER_YUAN > MAX_FEN:
        raise NumberError("OUT_OF_RANGE")
    return d


def line_value_fen(qty_scaled: int, unit_price: Decimal) -> int:
    """Value of ``qty`` (scaled) at ``unit_price`` yuan, rounded half-up to the fen.

    This is the rounding point for receipt values: the line total is rounded once, the unit price
    never is.
    """
    sign, digits, _ = unit_price.as_tuple()
    exp = _exponent(unit_price)
    price_int = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    # price = price_int * 10**exp yuan = price_int * 10**(exp+2) fen
    shift = exp + 2
    num = qty_scaled * price_int
    den = QTY_SCALE
    if shift >= 0:
        num *= 10**shift
    else:
        den *= 10 ** (-shift)
    return round_half_up_div(num, den)


def parse_rate(value: str | int | Decimal) -> int:
    """A rate such as a VAT rate (``"0.13"``) as basis points of a percent: 0.13 -> 1300 (1/10000)."""
    d = parse_decimal(value)
    if decimals_of(d) > 4 or d < 0 or d > 1:
        raise NumberError("INVALID_RATE")
    return int(d * 10000)


def rate_to_decimal(bp: int) -> Decimal:
    return (Decimal(bp) / 10000).quantize(Decimal("0.0001")).normalize() if bp else Decimal("0")


def allocate_largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` fen in proportion to ``weights`` (largest remainder; ties to the first line).
    The shares always add up to ``total``; equal weights get shares that differ by at most 1 fen."""
    if not weights:
        return []
    s = sum(weights)
    if s == 0:
        weights, s = [1] * len(weights), len(weights)
    shares = [total * w // s for w in weights]
    left = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % s), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares
