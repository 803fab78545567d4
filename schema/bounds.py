"""Bounds of the integer arguments, checked before a value reaches the domain.

GraphQL's ``Int`` is 32-bit, so no argument overflows a BIGINT; but a day count or a year can still
leave Python's ``date`` range (``today + timedelta(days=2**31 - 1)`` raises ``OverflowError``), and a
period ``202613`` is no month. A value out of bounds is an ``ApiError("INVALID_VALUE")`` (a GraphQL
error with ``extensions.code``) for queries; mutations with a payload report their domain's
``INVALID_VALUE`` in the payload instead (see ``server/finance/closing.py::_valid_period``).
"""

from __future__ import annotations

from server.core.errors import ApiError

MIN_YEAR, MAX_YEAR = 1900, 2999  # also the range of the Date scalar (schema/scalars.py)
MAX_DAYS = 36_600  # a hundred years
MAX_WEEKS = 5_220
MAX_ROWS = 10_000  # top / bottom / limit of a report


def check_range(value: int | None, field: str, low: int, high: int) -> int | None:
    """``value`` unchanged when ``low <= value <= high`` (``None`` passes), else INVALID_VALUE."""
    if value is not None and not low <= value <= high:
        raise ApiError("INVALID_VALUE", detail=f"{field}: {low} … {high}")
    return value


def check_days(value: int | None, field: str = "days", low: int = 0) -> int | None:
    return check_range(value, field, low, MAX_DAYS)


def check_year(value: int | None, field: str = "year") -> int | None:
    return check_range(value, field, MIN_YEAR, MAX_YEAR)


def check_period(value: int | None, field: str = "period") -> int | None:
    """An accounting period ``yyyymm`` (190001 … 299912, month 01 … 12)."""
    if value is not None and not (MIN_YEAR * 100 + 1 <= value <= MAX_YEAR * 100 + 12 and 1 <= value % 100 <= 12):
        raise ApiError("INVALID_VALUE", detail=f"{field}: yyyymm, {MIN_YEAR}01 … {MAX_YEAR}12")
    return value


def check_rows(value: int | None, field: str) -> int | None:
    return check_range(value, field, 1, MAX_ROWS)
