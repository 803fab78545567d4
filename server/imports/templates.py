"""Blank import files: the header row and one or two example rows (``jxc import-template``)."""

from __future__ import annotations

from server.imports import opening, partners, products, warehouses

KINDS = ("products", "suppliers", "customers", "warehouses", "bins", "opening")


def template(kind: str, fmt: str = "csv", *, chinese_header: bool = False) -> bytes:
    """The ``kind`` file (one of ``KINDS``) as CSV or XLSX, with example rows."""
    if kind == "products":
        return products.template(fmt, chinese_header=chinese_header)
    if kind == "opening":
        return opening.template(fmt, chinese_header=chinese_header)
    if kind in warehouses.KINDS:
        return warehouses.template(kind, fmt, chinese_header=chinese_header)
    if kind in ("suppliers", "customers"):
        return partners.template(kind, fmt, chinese_header=chinese_header)
    raise ValueError(f"unknown import kind {kind}; one of {', '.join(KINDS)}")
