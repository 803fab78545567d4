"""What a printed document says (``PrintedForm``), independent of the paper it is printed on.

A form is a header (company, title, number, labelled fields), a table of lines with optional totals,
the total amount in capital numerals where the paper form has it, and the signature boxes (制单,
审核, 记账 …). ``server.printing.documents`` fills forms from the database; ``server.printing.pdf``
draws them on A4, A5 or continuous paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from server.core.numbers import fen_to_decimal, scaled_to_decimal


@dataclass(frozen=True)
class FormColumn:
    zh: str
    en: str
    width: float = 1.0  # relative share of the table's width
    align: str = "LEFT"  # LEFT | RIGHT | CENTER


@dataclass
class PrintedForm:
    kind: str
    title: str  # 采购订单
    title_en: str  # Purchase order
    number: str
    company: str  # 编制单位 / the seller printed at the top
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (中文, English, value)
    columns: list[FormColumn] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    totals: list[str] | None = None  # a 合计 row, aligned with ``columns``
    amount_fen: int | None = None  # printed as 合计金额（大写）
    amount_label: str = "合计金额（大写）"
    signatures: list[tuple[str, str, str]] = field(default_factory=list)  # (中文, English, name)
    note: str = ""
    copies: tuple[str, ...] = ("存根", "客户", "财务")  # the plies of continuous three-part paper


def money(fen: int) -> str:
    """Yuan with two decimals and thousands separators: 123456 → 1,234.56."""
    return f"{fen_to_decimal(fen):,.2f}"


def quantity(scaled: int, precision: int) -> str:
    """A scaled quantity with the unit's decimals (no trailing zeros beyond them)."""
    value = scaled_to_decimal(scaled)
    return f"{value.quantize(Decimal(1).scaleb(-precision)):,f}" if precision else f"{value:,.0f}"


def price(micro: int) -> str:
    """A unit price kept in millionths of a yuan, with at least two and at most six decimals."""
    text = f"{Decimal(micro).scaleb(-6):,.6f}"
    while text.endswith("0") and len(text.rsplit(".", 1)[1]) > 2:
        text = text[:-1]
    return text


def rate(bp: int) -> str:
    """A VAT rate in basis points: 1300 → 13%."""
    return f"{Decimal(bp) / 100:f}".rstrip("0").rstrip(".") + "%"
