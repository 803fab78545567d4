"""Exact decimal scalars. Floats are refused: a JSON number with a fraction is an error."""

from __future__ import annotations

from decimal import Decimal
from typing import NewType

import strawberry


def _parse_decimal_string(value):
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("send decimals as strings, e.g. \"12.50\" (floats are not exact)")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except Exception:
            raise ValueError(f"not a decimal number: {value!r}") from None
        if not d.is_finite():
            raise ValueError(f"not a decimal number: {value!r}")
        return value.strip()
    raise ValueError("expected a decimal string")


def _serialize(value) -> str:
    return str(value)


Quantity = NewType("Quantity", str)
Money = NewType("Money", str)
Decimal_ = NewType("Decimal_", str)

SCALAR_MAP = {
    Quantity: strawberry.scalar(
        name="Quantity",
        description="A quantity as a decimal string, e.g. \"12\" or \"1.250\"; at most as many decimals as its unit allows.",
        serialize=_serialize,
        parse_value=_parse_decimal_string,
    ),
    Money: strawberry.scalar(
        name="Money",
        description="An amount in CNY as a decimal string with two decimals (fen), e.g. \"1999.50\".",
        serialize=_serialize,
        parse_value=_parse_decimal_string,
    ),
    Decimal_: strawberry.scalar(
        name="Decimal",
        description="An exact decimal as a string (unit prices, rates), e.g. \"0.13\" or \"3.1415\".",
        serialize=_serialize,
        parse_value=_parse_decimal_string,
    ),
}


def quantity_of(scaled: int | None) -> Quantity | None:
    """A scaled quantity (10⁻⁶ base units) as the decimal string the API shows (no trailing zeros)."""
    from server.numbers import scaled_to_decimal

    return None if scaled is None else Quantity(str(scaled_to_decimal(scaled, 0)))
