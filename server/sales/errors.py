"""Sales errors: orders, credit and approval, reservations, shipments, invoices, receipts and returns.

Orders reserve stock and shipments and returns post it through the inventory primitives, passing
their errors on (``SalesError.from_inventory``): sales calls inventory.

Each code is declared here with its messages (Chinese, English); ``SalesErrorCode`` — and so
the API's ``SalesErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary
from server.inventory.errors import INVENTORY

SALES = error_vocabulary(
    "Sales",
    {
        "CREDIT_LIMIT_EXCEEDED": (
            "超出信用额度：额度 {limit}，占用 {exposure}（应收 + 未发货订单 + 本单）。",
            "Credit limit exceeded: limit {limit}, exposure {exposure} (receivables + unshipped orders + this order).",
        ),
        "OVER_SHIPMENT": (
            "发货数量超过订单未发数量 {open}。",
            "The shipment exceeds the quantity still to ship, {open}.",
        ),
        "OVER_INVOICE": (
            "开票数量超过已发货未开票数量 {open}。",
            "The invoice exceeds the shipped and not yet invoiced quantity, {open}.",
        ),
        "CUSTOMER_MISMATCH": ("单据属于另一个客户。", "The document belongs to another customer."),
    },
    shared=(
        "DATE_IN_FUTURE",
        "INACTIVE",
        "TOO_MANY_DECIMALS",
        "INVALID_QUANTITY",
        "WRONG_UNIT",
        "INVALID_STATUS",
        "SELF_APPROVAL",
        "APPROVER_ROLE_REQUIRED",
        "ALREADY_APPROVED_BY_YOU",
        "WRONG_ORDER",
        "OVER_RETURN",
        "OVER_PAYMENT",
    ),
    calls=(INVENTORY,),
)

SalesErrorCode = SALES.codes


class SalesError(DomainError):
    """A sales rule violation."""

    vocabulary = SALES
