"""Amounts in Chinese capital numerals (人民币大写), as the forms print them beside the figures.

The rules of the 《支付结算办法》 (正确填写票据和结算凭证的基本规定):

* digits 零壹贰叁肆伍陆柒捌玖 with 拾佰仟 inside a group of four and 万, 亿 between groups; a leading
  ten is written 壹拾 (16.15 → 壹拾陆元壹角伍分);
* zeros between digits are one 零, however many there are (1,000,001 → 壹佰万零壹元整; 100,100 →
  壹拾万零壹佰元整); a zero 元 before a non-zero 角 is not written (1,680.32 → 壹仟陆佰捌拾元叁角贰分);
  a zero 角 before a non-zero 分 is (1.05 → 壹元零伍分);
* an amount ending at 元 or 角 ends in 整, one with 分 does not; nothing is 零元整;
* negative amounts (red-letter documents, 红字) are prefixed 负.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))


def _group(n: int) -> str:
    """0 < n < 10,000, without leading or trailing zeros; inner zeros as one 零."""
    out, zero = "", False
    for place, unit in _PLACES:
        d = n // place % 10
        if d:
            out += ("零" if zero and out else "") + DIGITS[d] + unit
            zero = False
        elif out:
            zero = True
    return out


def _integer(n: int) -> str:
    """n > 0 in groups of 亿 and 万 (a 零 where the lower part starts with zeros)."""
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        return _integer(high) + "亿" + (("零" if low < 10**7 else "") + _integer(low) if low else "")
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        return _group(high) + "万" + (("零" if low < 1000 else "") + _group(low) if low else "")
    return _group(n)


def amount_in_capitals(fen: int) -> str:
    """``fen`` (an exact amount in fen) in capital numerals: 123456 → 壹仟贰佰叁拾肆元伍角陆分."""
    if fen < 0:
        return "负" + amount_in_capitals(-fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    out = _integer(yuan) + "元" if yuan else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        out += "零"
    if fen_digit:
        return out + DIGITS[fen_digit] + "分"
    return out + "整"
