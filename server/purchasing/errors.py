"""Purchasing errors: prices, orders and their approval, receipts and returns, bills and payments.

Receipts and returns post stock through the inventory primitives and pass their errors on
(``PurchasingError.from_inventory``): purchasing calls inventory.

Each code is declared here with its messages (Chinese, English); ``PurchasingErrorCode`` — and so
the API's ``PurchasingErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary
from server.inventory.errors import INVENTORY

PURCHASING = error_vocabulary(
    "Purchasing",
    {
        "BELOW_MIN_ORDER_QTY": ("低于供应商最小起订量 {min}。", "Below the supplier's minimum order quantity {min}."),
        "ORDER_REQUIRED": ("收货必须关联采购订单（系统设置）。", "A receipt needs a purchase order (system setting)."),
        "OVER_RECEIPT": (
            "超收：订购 {ordered}，已收 {received}，本次 {requested}，允许超收 {tolerance}。",
            "Over-receipt: ordered {ordered}, accepted so far {received}, now {requested}, tolerance {tolerance}.",
        ),
        "SUPPLIER_MISMATCH": ("单据属于另一个供应商。", "The document belongs to another supplier."),
        "OVER_BILLED": (
            "开票数量超过可开票数量 {available}（实收减已退、已开票）：请先收货，或请供应商开具红字发票。",
            "The bill exceeds the billable quantity {available} (accepted less returned and billed): receive the "
            "goods first, or ask the supplier for a red-letter invoice.",
        ),
        "DUPLICATE_SUPPLIER_INVOICE": (
            "该供应商的发票号“{invoice_no}”已录入（{bill}）。",
            "Supplier invoice number “{invoice_no}” of this supplier is already entered ({bill}).",
        ),
        "SERIAL_COUNT": (
            "序列号个数（{serials}）与合格数量（{accepted}）不符。",
            "The number of serials ({serials}) differs from the accepted quantity ({accepted}).",
        ),
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

PurchasingErrorCode = PURCHASING.codes


class PurchasingError(DomainError):
    """A purchasing rule violation."""

    vocabulary = PURCHASING
