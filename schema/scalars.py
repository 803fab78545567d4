"""Exact decimal scalars, and bounded dates. Floats are refused: a JSON number with a fraction is an error.

A decimal string is what ``server.numbers.is_decimal_text`` accepts: ASCII digits, an optional sign and at
most one decimal point (``"12"``, ``"-0.5"``, ``"1.250"``); no exponent (``"1e3"``), no digit separators
(``"1_000"``), no full-width or Arabic-Indic digits (``"１２"``, ``"١٢"``). Python's ``Decimal()`` takes all
of those, so the characters are checked first. Dates are ISO ``yyyy-mm-dd`` between 1900-01-01 and
2999-12-31, so date arithmetic in the domain (``end - timedelta(days=29)``) cannot leave Python's range.
"""

from __future__ import annotations

import datetime as dt
import re
from operator import methodcaller
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from server.core.numbers import MAX_NUMBER_CHARS, is_decimal_text

MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # schema/bounds.py: MIN_YEAR, MAX_YEAR
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ScalarRefused(ValueError):
    """A variable or literal a scalar cannot take; reported as INVALID_VALUE before any resolver runs."""


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _parse_decimal_string(value):
    if isinstance(value, (bool, float)):
        raise ScalarRefused('send decimals as strings, e.g. "12.50" (floats are not exact)')
    if isinstance(value, int):
        if len(str(abs(value))) > MAX_NUMBER_CHARS:
            raise ScalarRefused("number out of range")
        return str(value)
    if isinstance(value, str):
        text = value.strip(" \t\r\n")
        if len(text) > MAX_NUMBER_CHARS or not is_decimal_text(text):
            raise ScalarRefused(
                f"not a decimal number: {_shown(value)} (ASCII digits, an optional sign and "
                f'decimal point, e.g. "12.50")'
            )
        return text
    raise ScalarRefused("expected a decimal string")


def _parse_date(value) -> dt.date:
    if not isinstance(value, str) or not _DATE_TEXT.fullmatch(value):
        raise ScalarRefused(f"not a date: {_shown(value)} (yyyy-mm-dd)")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ScalarRefused(f"not a date: {_shown(value)}") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ScalarRefused(f"date out of range: {value} ({MIN_DATE} … {MAX_DATE})")
    return day


def _parse_datetime(value) -> dt.datetime:
    if not isinstance(value, str) or not value.isascii() or len(value) > 40:
        raise ScalarRefused(f"not a date and time: {_shown(value)} (ISO 8601)")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ScalarRefused(f"not a date and time: {_shown(value)} (ISO 8601)") from None
    if not MIN_DATE <= moment.date() <= MAX_DATE:
        raise ScalarRefused(f"date out of range: {value} ({MIN_DATE} … {MAX_DATE})")
    return moment


def _serialize(value) -> str:
    return str(value)


Quantity = NewType("Quantity", str)
Money = NewType("Money", str)
Decimal_ = NewType("Decimal_", str)

SCALAR_MAP = {
    # strawberry's own Date/DateTime, with the characters and the range checked
    dt.date: ScalarDefinition(
        name="Date",
        description="Date (isoformat yyyy-mm-dd, 1900-01-01 … 2999-12-31)",
        specified_by_url=None,
        serialize=methodcaller("isoformat"),
        parse_value=_parse_date,
        parse_literal=None,
        origin=dt.date,
    ),
    dt.datetime: ScalarDefinition(
        name="DateTime",
        description="Date with time (isoformat)",
        specified_by_url=None,
        serialize=methodcaller("isoformat"),
        parse_value=_parse_datetime,
        parse_literal=None,
        origin=dt.datetime,
    ),
    Quantity: strawberry.scalar(
        name="Quantity",
        description='A quantity as a decimal string, e.g. "12" or "1.250"; at most as many decimals as its unit allows.',
        serialize=_serialize,
        parse_value=_parse_decimal_string,
    ),
    Money: strawberry.scalar(
        name="Money",
        description='An amount in CNY as a decimal string with two decimals (fen), e.g. "1999.50".',
        serialize=_serialize,
        parse_value=_parse_decimal_string,
    ),
    Decimal_: strawberry.scalar(
        name="Decimal",
        description='An exact decimal as a string (unit prices, rates), e.g. "0.13" or "3.1415".',
        serialize=_serialize,
        parse_value=_parse_decimal_string,
    ),
}


def quantity_of(scaled: int | None) -> Quantity | None:
    """A scaled quantity (10⁻⁶ base units) as the decimal string the API shows (no trailing zeros)."""
    from server.core.numbers import scaled_to_decimal

    return None if scaled is None else Quantity(str(scaled_to_decimal(scaled, 0)))
