"""Partner errors: suppliers, customers and their addresses.

Each code is declared here with its messages (Chinese, English); ``PartnerErrorCode`` — and so
the API's ``PartnerErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

PARTNERS = error_vocabulary(
    "Partner",
    {},
    shared=(
        "DUPLICATE_CODE",
        "INACTIVE",
    ),
)

PartnerErrorCode = PARTNERS.codes


class PartnerError(DomainError):
    """A supplier or customer rule violation."""

    vocabulary = PARTNERS
