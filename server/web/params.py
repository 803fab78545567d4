"""Strict validation of URL parameters: every value a route reads is checked here first, so a
malformed one is a 400 with a typed, bilingual error instead of an exception deep inside.

* dates: ``YYYY-MM-DD`` only (``date.fromisoformat`` alone would also take ``20261101`` or
  ``2026-W48-1``), within the years 1900–2999;
* integers: ASCII digits only (``int()`` also takes full-width digits, signs, spaces and
  underscores), within bounds;
* options: one of the allowed values;
* global IDs: well-formed and of the expected type (``server.core.global_ids``);
* free text (lots, document numbers, account codes): a character class and a length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TypeVar, overload

from server.core.global_ids import MAX_ID_LENGTH, pk_of
from server.web.guard import Text, WebError

T = TypeVar("T")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MIN_YEAR, MAX_YEAR = 1900, 2999


def invalid(name: str, zh: str, en: str) -> WebError:
    return WebError(400, "INVALID_VALUE", detail=Text(f"{name}：{zh}", f"{name}: {en}"))


def _raw(params: Mapping[str, str], name: str, max_length: int = 1000) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if "\x00" in value or len(value) > max_length:
        raise invalid(name, "含有不允许的字符或过长", "contains a forbidden character or is too long")
    return value


@overload
def date_param(params: Mapping[str, str], name: str, default: date) -> date: ...
@overload
def date_param(params: Mapping[str, str], name: str, default: None = None) -> date | None: ...
def date_param(params: Mapping[str, str], name: str, default: date | None = None) -> date | None:
    raw = _raw(params, name)
    if raw is None:
        return default
    if not _DATE.fullmatch(raw):
        raise invalid(
            name, f"日期格式应为 YYYY-MM-DD，而不是“{raw[:40]}”", f"a date must be YYYY-MM-DD, not “{raw[:40]}”"
        )
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"日期不存在：{raw}", f"no such date: {raw}") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise invalid(name, f"年份应在 {MIN_YEAR}–{MAX_YEAR} 之间", f"the year must be from {MIN_YEAR} to {MAX_YEAR}")
    return value


@overload
def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int: ...
@overload
def int_param(params: Mapping[str, str], name: str, default: None, low: int, high: int) -> int | None: ...
def int_param(params: Mapping[str, str], name: str, default: int | None, low: int, high: int) -> int | None:
    raw = _raw(params, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or not low <= int(raw) <= high:
        raise invalid(name, f"应为 {low} 到 {high} 之间的整数", f"a whole number from {low} to {high} is required")
    return int(raw)


@overload
def choice_param(params: Mapping[str, str], name: str, allowed: Iterable[str], default: str) -> str: ...
@overload
def choice_param(params: Mapping[str, str], name: str, allowed: Iterable[str], default: None) -> str | None: ...
def choice_param(params: Mapping[str, str], name: str, allowed: Iterable[str], default: str | None) -> str | None:
    allowed = tuple(allowed)
    raw = _raw(params, name)
    if raw is None:
        return default
    if raw not in allowed:
        options = " | ".join(allowed)
        raise invalid(name, f"可选值：{options}", f"one of {options}")
    return raw


def text_param(params: Mapping[str, str], name: str, pattern: re.Pattern, zh: str, en: str) -> str | None:
    """A free-text value that must match ``pattern`` as a whole (``zh``/``en`` describe it)."""
    raw = _raw(params, name)
    if raw is None:
        return None
    if not pattern.fullmatch(raw):
        raise invalid(name, zh, en)
    return raw


def required(value: T | None, name: str) -> T:
    if value is None:
        raise WebError(400, "INVALID_VALUE", detail=Text(f"{name}：此项必填", f"{name}: required"))
    return value


def global_id(value: str | None, type_name: str) -> int:
    """The primary key of a global ID of ``type_name``; 400 ``INVALID_ID`` for anything else."""
    pk = pk_of(value, type_name)
    if pk is None:
        raise WebError(400, "INVALID_ID")
    return pk


def id_list(params: Mapping[str, str], name: str, type_name: str, limit: int) -> list[int]:
    raw = _raw(params, name, max_length=limit * (MAX_ID_LENGTH + 1))
    if raw is None:
        return []
    parts = raw.split(",")
    if len(parts) > limit:
        raise invalid(name, f"最多 {limit} 个", f"at most {limit} allowed")
    return [global_id(p.strip(), type_name) for p in parts if p.strip()]
