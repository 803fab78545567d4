"""Reading what the worker types, and lots for labels that carry only a GTIN.

A line is a command (``undo`` 撤销, ``done`` 完成, ``status`` 状态, ``help`` 帮助, ``start MODE [DOCUMENT]
[BIN]``) or a scan: ``CODE``, ``CODE*QTY``, optionally followed by ``lot=`` (批次=), ``exp=`` (有效期=,
``YYYY-MM-DD``, ``YYYYMMDD`` or ``YYMMDD``), ``qty=`` (数量=) and ``sn=`` (序列号=)::

    6901234567892 lot=A123 exp=2027-06-30 qty=24

The server's ``scan`` takes a code and a quantity; a lot or an expiry comes inside a GS1 code. So a
GTIN typed with a lot is sent as the GS1 element string a GS1-128 label would carry — symbology
identifier ``]C1`` (FNC1 in first position), ``(01)`` the GTIN-14, ``(17)`` the expiry as YYMMDD,
``(21)`` a serial and ``(10)`` the lot, variable-length fields ended by the group separator (ASCII 29)
unless last — which the server already parses like any scanned label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

GS = "\x1d"
KEYS = {
    "lot": "lot",
    "批次": "lot",
    "exp": "exp",
    "expiry": "exp",
    "有效期": "exp",
    "qty": "qty",
    "数量": "qty",
    "sn": "sn",
    "serial": "sn",
    "序列号": "sn",
}
COMMANDS = {
    "undo": "undo",
    "撤销": "undo",
    "done": "done",
    "完成": "done",
    "status": "status",
    "状态": "status",
    "help": "help",
    "帮助": "help",
    "?": "help",
    "？": "help",
}
MODES = ("RECEIVE", "PUTAWAY", "PICK", "TRANSFER", "COUNT")
# GS1 AI 10 and 21: up to 20 characters of the GS1 character set 82
GS1_TEXT = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
QUANTITY = re.compile(r"^\d+(\.\d+)?$")


class EntryError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass
class Entry:
    kind: str  # scan | undo | done | status | help | start
    code: str = ""
    quantity: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    args: tuple[str, ...] = ()

    @property
    def has_lot(self) -> bool:
        return bool(self.lot or self.serial or self.expiry)

    def to_send(self) -> str:
        """The code to send: as typed, or the GS1 element string with the lot, expiry and serial."""
        if not self.has_lot:
            return self.code
        return compose_gs1(self.code, lot=self.lot, expiry=self.expiry, serial=self.serial)

    def normalized(self) -> str:
        """The line as the client understood it (kept in the queue, shown in the review)."""
        parts = [self.code + (f"*{self.quantity}" if self.quantity and not self.has_lot else "")]
        if self.has_lot:
            parts += [f"lot={self.lot}"] if self.lot else []
            parts += [f"sn={self.serial}"] if self.serial else []
            parts += [f"exp={self.expiry.isoformat()}"] if self.expiry else []
            parts += [f"qty={self.quantity}"] if self.quantity else []
        return " ".join(parts)


def parse_line(text: str) -> Entry:
    """``EntryError`` (bilingual) for a line that cannot be read."""
    text = text.strip()
    word = text.lower()
    if word in COMMANDS:
        return Entry(COMMANDS[word])
    head, *rest = text.split()
    if head.lower() == "start" or head == "开始":
        if not rest or rest[0].upper() not in MODES:
            raise EntryError(
                "用法：start 模式 [单号] [库位]，模式为 " + "|".join(MODES),
                "usage: start MODE [DOCUMENT] [BIN], MODE one of " + "|".join(MODES),
            )
        return Entry("start", args=(rest[0].upper(), *rest[1:3]))

    def key_of(token: str) -> str | None:
        key, sep, _ = token.partition("=")
        return (KEYS.get(key.lower()) or KEYS.get(key)) if sep else None

    if rest and not any(key_of(token) for token in rest):
        return Entry("scan", code=text)  # the whole line is one code (Code 39 and Code 128 may hold spaces)
    fields: dict[str, str] = {}
    for token in rest:
        key, _, value = token.partition("=")
        name = key_of(token)
        if name is None:
            raise EntryError(
                f"看不懂：{token}（可用 lot= exp= qty= sn=）", f"cannot read {token} (use lot= exp= qty= sn=)"
            )
        if name in fields:
            raise EntryError(f"{key}= 重复", f"{key}= given twice")
        fields[name] = value
    code, star, qty = head.partition("*")
    if star and "qty" in fields:
        raise EntryError("数量写了两次（*数量 与 qty=）", "the quantity is given twice (*QTY and qty=)")
    entry = Entry("scan", code=code, quantity=(qty if star else fields.get("qty")) or None)
    if star and not qty:
        raise EntryError("* 后面缺少数量", "a quantity is missing after *")
    if entry.quantity is not None:
        check_quantity(entry.quantity)
    if "lot" in fields:
        entry.lot = check_gs1_text(fields["lot"], "批次", "lot")
    if "sn" in fields:
        entry.serial = check_gs1_text(fields["sn"], "序列号", "serial")
    if "exp" in fields:
        entry.expiry = parse_expiry(fields["exp"])
    if entry.has_lot:
        gtin14(entry.code)  # a lot can only travel with a GTIN
    return entry


def check_quantity(value: str) -> str:
    if not QUANTITY.match(value) or not any(c in "123456789" for c in value):
        raise EntryError(f"数量无效：{value}", f"invalid quantity: {value}")
    return value


def check_gs1_text(value: str, zh: str, en: str) -> str:
    if not GS1_TEXT.match(value):
        raise EntryError(
            f"{zh}无效：{value}（最多 20 个字母、数字或 GS1 允许的符号，不含空格）",
            f"invalid {en}: {value} (up to 20 letters, digits or GS1 symbols, no spaces)",
        )
    return value


def parse_expiry(value: str, today: date | None = None) -> date:
    """``YYYY-MM-DD``, ``YYYYMMDD`` or ``YYMMDD``; within the years a GS1 date (YYMMDD) can carry."""
    digits = value.replace("-", "").replace("/", "").replace(".", "")
    try:
        if len(digits) == 8 and digits.isdigit():
            d = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        elif len(digits) == 6 and digits.isdigit():
            d = date(_century(int(digits[:2]), today) + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
        else:
            raise ValueError(value)
    except ValueError:
        raise EntryError(f"有效期无效：{value}（YYYY-MM-DD）", f"invalid expiry: {value} (YYYY-MM-DD)") from None
    year = (today or date.today()).year
    if not year - 49 <= d.year <= year + 50:
        raise EntryError(f"有效期超出 GS1 日期范围：{value}", f"expiry out of the range of a GS1 date: {value}")
    return d


def _century(yy: int, today: date | None) -> int:
    """GS1 General Specifications 7.12: a two-digit year is within −49…+50 years of this year."""
    year = (today or date.today()).year
    century, current = divmod(year, 100)
    diff = yy - current
    if diff >= 51:
        century -= 1
    elif diff <= -50:
        century += 1
    return century * 100


def gs1_check_digit(body: str) -> int:
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_gtin(code: str) -> bool:
    return code.isdigit() and len(code) in (8, 12, 13, 14) and int(code[-1]) == gs1_check_digit(code[:-1])


def gtin14(code: str) -> str:
    if not is_gtin(code):
        raise EntryError(
            f"{code} 不是有效的 GTIN（8、12、13 或 14 位，含校验位）：无法附带批次",
            f"{code} is not a valid GTIN (8, 12, 13 or 14 digits with the check digit): a lot cannot be attached",
        )
    return code.zfill(14)


def compose_gs1(gtin: str, *, lot: str | None = None, expiry: date | None = None, serial: str | None = None) -> str:
    """``]C1`` + (01)GTIN-14 [+ (17)YYMMDD] [+ (21)serial GS] [+ (10)lot], fixed-length fields first."""
    parts = ["01" + gtin14(gtin)]
    if expiry is not None:
        parts.append("17" + expiry.strftime("%y%m%d"))
    variable = ([f"21{serial}"] if serial else []) + ([f"10{lot}"] if lot else [])
    return "]C1" + "".join(parts) + GS.join(variable)


def human(code: str) -> str:
    """A composed element string as printed under the bars: (01)…(17)…(10)…"""
    if not code.startswith("]C101") or len(code) < 19:
        return code
    out, rest = f"(01){code[5:19]}", code[19:]
    if rest.startswith("17"):
        out, rest = out + f"({rest[:2]}){rest[2:8]}", rest[8:]
    for field in rest.split(GS):
        if field:
            out += f"({field[:2]}){field[2:]}"
    return out
