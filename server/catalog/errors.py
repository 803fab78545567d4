"""Catalog errors: units, categories, products and their barcodes.

Each code is declared here with its messages (Chinese, English); ``CatalogErrorCode`` — and so
the API's ``CatalogErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

CATALOG = error_vocabulary(
    "Catalog",
    {
        "INVALID_BARCODE": ("条码格式无效：{detail}", "Malformed barcode: {detail}"),
        "BAD_CHECK_DIGIT": ("条码校验位错误：应为 {expected}。", "Bad barcode check digit: expected {expected}."),
    },
    shared=(
        "DUPLICATE_CODE",
        "INACTIVE",
        "INVALID_PARENT",
        "TOO_MANY_DECIMALS",
    ),
)

CatalogErrorCode = CATALOG.codes


class CatalogError(DomainError):
    """A catalog rule violation."""

    vocabulary = CATALOG
