"""Payload error types, one per domain, each with its own error-code enum."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from server import errors as domain
from server.audit import audited
from server.idempotency import keys_owned_by

CatalogErrorCode = strawberry.enum(domain.CatalogErrorCode, name="CatalogErrorCode")
PartnerErrorCode = strawberry.enum(domain.PartnerErrorCode, name="PartnerErrorCode")
InventoryErrorCode = strawberry.enum(domain.InventoryErrorCode, name="InventoryErrorCode")
AuthErrorCode = strawberry.enum(domain.AuthErrorCode, name="AuthErrorCode")
PurchasingErrorCode = strawberry.enum(domain.PurchasingErrorCode, name="PurchasingErrorCode")
SalesErrorCode = strawberry.enum(domain.SalesErrorCode, name="SalesErrorCode")
ScanningErrorCode = strawberry.enum(domain.ScanningErrorCode, name="ScanningErrorCode")
FinanceErrorCode = strawberry.enum(domain.FinanceErrorCode, name="FinanceErrorCode")


@strawberry.type(description="A business-rule violation; nothing was changed.")
class CatalogError:
    field: str | None
    code: CatalogErrorCode
    message: str


@strawberry.type(description="A business-rule violation; nothing was changed.")
class PartnerError:
    field: str | None
    code: PartnerErrorCode
    message: str


@strawberry.type(description="A business-rule violation; nothing was changed.")
class InventoryError:
    field: str | None
    code: InventoryErrorCode
    message: str


@strawberry.type(description="A sign-in or access problem; nothing was changed.")
class AuthError:
    field: str | None
    code: AuthErrorCode
    message: str


@strawberry.type(description="A purchasing rule violation; nothing was changed.")
class PurchasingError:
    field: str | None
    code: PurchasingErrorCode
    message: str


@strawberry.type(description="A sales rule violation; nothing was changed.")
class SalesError:
    field: str | None
    code: SalesErrorCode
    message: str


@strawberry.type(description="A scan that was not understood; tells the worker what to check.")
class ScanningError:
    field: str | None
    code: ScanningErrorCode
    message: str


@strawberry.type(description="A finance rule violation; nothing was changed.")
class FinanceError:
    field: str | None
    code: FinanceErrorCode
    message: str


ERROR_TYPES: dict[type[enum.Enum], type] = {
    domain.FinanceErrorCode: FinanceError,
    domain.ScanningErrorCode: ScanningError,
    domain.SalesErrorCode: SalesError,
    domain.PurchasingErrorCode: PurchasingError,
    domain.AuthErrorCode: AuthError,
    domain.CatalogErrorCode: CatalogError,
    domain.PartnerErrorCode: PartnerError,
    domain.InventoryErrorCode: InventoryError,
}

R = TypeVar("R")


def to_payload_errors(exc: domain.DomainError, codes: type[enum.Enum], lang: str) -> list:
    error_type = ERROR_TYPES[codes]
    out = []
    for d in exc.details:
        try:
            code = codes(d.code)
        except ValueError:
            code = codes("INVALID_VALUE")
        out.append(error_type(field=d.field, code=code, message=d.message(lang)))
    return out


def invalid_id(codes: type[enum.Enum], field: str, what: str, lang: str) -> list:
    exc = domain.DomainError("NOT_FOUND", field, what=what)
    return to_payload_errors(exc, codes, lang)


async def run_action(info, codes: type[enum.Enum], action: Callable[[], Awaitable[R]]) -> tuple[R | None, list]:
    """Run a domain action; domain errors become payload errors in the caller's language."""
    principal = info.context.principal
    try:
        with audited(info.context.actor, info.field_name), keys_owned_by(principal.key_owner if principal else ""):
            result = await action()
    except domain.DomainError as exc:
        return None, to_payload_errors(exc, codes, info.context.lang)
    info.context.fresh_loaders()  # later fields of this request must see the change
    return result, []
