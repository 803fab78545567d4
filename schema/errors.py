"""Payload error types, one per domain, each with its error-code enum — generated from the domains'
declarations (``server/<domain>/errors.py``): an enum has every code its domain's actions can raise,
those of the domains they call included (``tests/test_error_vocabulary.py`` proves it)."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from server.auth.errors import AUTH
from server.catalog.errors import CATALOG
from server.core import errors as domain
from server.core.audit import audited
from server.core.idempotency import keys_owned_by
from server.feedback.errors import FEEDBACK
from server.finance.errors import FINANCE
from server.imports.errors import DATA_IMPORT
from server.integrations.errors import INTEGRATIONS
from server.inventory.errors import INVENTORY
from server.opening.errors import OPENING
from server.partners.errors import PARTNERS
from server.purchasing.errors import PURCHASING
from server.sales.errors import SALES
from server.scanning.errors import SCANNING


def payload_error(vocabulary: domain.ErrorVocabulary, description: str) -> tuple[type[enum.Enum], type]:
    """The GraphQL enum ``<Name>ErrorCode`` of a domain's codes and the payload error type
    ``<Name>Error {field code message}`` that carries one of them."""
    codes = strawberry.enum(vocabulary.codes, name=f"{vocabulary.name}ErrorCode")
    cls = type(
        f"{vocabulary.name}Error",
        (),
        {
            "__module__": __name__,
            "__annotations__": {"field": str | None, "code": codes, "message": str},
        },
    )
    return codes, strawberry.type(cls, description=description)


CatalogErrorCode, CatalogError = payload_error(CATALOG, "A business-rule violation; nothing was changed.")
PartnerErrorCode, PartnerError = payload_error(PARTNERS, "A business-rule violation; nothing was changed.")
InventoryErrorCode, InventoryError = payload_error(INVENTORY, "A business-rule violation; nothing was changed.")
AuthErrorCode, AuthError = payload_error(AUTH, "A sign-in or access problem; nothing was changed.")
PurchasingErrorCode, PurchasingError = payload_error(PURCHASING, "A purchasing rule violation; nothing was changed.")
SalesErrorCode, SalesError = payload_error(SALES, "A sales rule violation; nothing was changed.")
ScanningErrorCode, ScanningError = payload_error(
    SCANNING, "A scan that was not understood; tells the worker what to check."
)
FinanceErrorCode, FinanceError = payload_error(FINANCE, "A finance rule violation; nothing was changed.")
OpeningErrorCode, OpeningError = payload_error(OPENING, "An opening-balance rule violation; nothing was changed.")
DataImportErrorCode, DataImportError = payload_error(
    DATA_IMPORT, "An import file that cannot be read; nothing was changed."
)
FeedbackErrorCode, FeedbackError = payload_error(FEEDBACK, "A feedback rule violation; nothing was changed.")
IntegrationErrorCode, IntegrationError = payload_error(
    INTEGRATIONS, "A webhook endpoint that cannot be registered or changed so; nothing was changed."
)

#: The payload error type of each domain's code enum (and so of each vocabulary).
ERROR_TYPES: dict[type[enum.Enum], type] = {
    FinanceErrorCode: FinanceError,
    OpeningErrorCode: OpeningError,
    DataImportErrorCode: DataImportError,
    IntegrationErrorCode: IntegrationError,
    FeedbackErrorCode: FeedbackError,
    ScanningErrorCode: ScanningError,
    SalesErrorCode: SalesError,
    PurchasingErrorCode: PurchasingError,
    AuthErrorCode: AuthError,
    CatalogErrorCode: CatalogError,
    PartnerErrorCode: PartnerError,
    InventoryErrorCode: InventoryError,
}

R = TypeVar("R")


def to_payload_errors(exc: domain.DomainError, codes: type[enum.Enum], lang: str) -> list:
    """``exc``'s details as payload errors of ``codes``. A code outside ``codes`` is a programming
    error (``UnknownErrorCode``, so ``INTERNAL_ERROR`` for the caller): the raising domain's vocabulary
    or the caller's ``calls`` misses it, and the error-vocabulary test fails first."""
    error_type = ERROR_TYPES[codes]
    out = []
    for d in exc.details:
        code = codes.__members__.get(d.code)
        if code is None:
            raise domain.UnknownErrorCode(
                f"{d.code} (field {d.field}) is not a {codes.__name__}: declare it in the raising domain's "
                f"server/<domain>/errors.py, or that domain in the calls= of the caller's"
            ) from exc
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
