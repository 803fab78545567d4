"""Purchasing input types: orders, receipts with inspection, returns, bills, payments, prices,
settings, and the list filters."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.enums import LandedAllocation, PaymentMethod
from schema.purchasing.types import BillKind, BillStatus, PurchaseOrderStatus
from schema.scalars import Decimal_, Money, Quantity


@strawberry.input(description="One order line. Price and VAT rate default from the supplier's price list.")
class PurchaseOrderLineInput:
    product_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    unit_price: Decimal_ | None = strawberry.field(default=None, description="Yuan per unit excl. VAT.")
    vat_rate: Decimal_ | None = None
    expected_date: date | None = None
    warehouse_id: strawberry.ID | None = strawberry.field(default=None, description="Default: the order's.")


@strawberry.input
class PurchaseOrderInput:
    supplier_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[PurchaseOrderLineInput]
    order_date: date | None = None
    note: str = ""


@strawberry.input(description="One receipt line: what arrived and the inspection result.")
class GoodsReceiptLineInput:
    received_quantity: Quantity
    order_line_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = strawberry.field(default=None, description="Receipts without an order.")
    rejected_quantity: Quantity = Quantity("0")
    reject_reason: str = ""
    location_id: strawberry.ID | None = strawberry.field(default=None, description="Put-away bin (上架库位).")
    unit_id: strawberry.ID | None = None
    lot: str | None = None
    expiry_date: date | None = None
    serials: list[str] = strawberry.field(default_factory=list)
    unit_price: Decimal_ | None = None
    vat_rate: Decimal_ | None = None


@strawberry.input
class GoodsReceiptInput:
    lines: list[GoodsReceiptLineInput]
    order_id: strawberry.ID | None = None
    supplier_id: strawberry.ID | None = None
    receipt_date: date | None = None
    landed_cost: Money = strawberry.field(default=Money("0"), description="Freight, insurance… (采购费用).")
    landed_allocation: LandedAllocation = LandedAllocation.VALUE
    note: str = ""


@strawberry.input
class PurchaseReturnLineInput:
    receipt_line_id: strawberry.ID
    quantity: Quantity = strawberry.field(description="In the product's base unit.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description="Default: where it was put away.")


@strawberry.input
class PurchaseReturnInput:
    receipt_id: strawberry.ID
    lines: list[PurchaseReturnLineInput]
    reason: str
    return_date: date | None = None


@strawberry.input
class SupplierBillLineInput:
    receipt_line_id: strawberry.ID
    quantity: Quantity = strawberry.field(description="In the product's base unit.")
    unit_price: Decimal_ | None = strawberry.field(default=None, description="Per order unit; default: order price.")
    vat_rate: Decimal_ | None = None


@strawberry.input
class SupplierBillInput:
    supplier_id: strawberry.ID
    lines: list[SupplierBillLineInput]
    supplier_invoice_no: str = ""
    bill_date: date | None = None
    due_date: date | None = None


@strawberry.input
class AllocationInput:
    bill_id: strawberry.ID
    amount: Money


@strawberry.input
class SupplierPaymentInput:
    supplier_id: strawberry.ID
    amount: Money
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    payment_date: date | None = None
    reference: str = ""
    allocations: list[AllocationInput] = strawberry.field(default_factory=list)


@strawberry.input
class SupplierPriceInput:
    supplier_id: strawberry.ID
    product_id: strawberry.ID
    unit_price: Decimal_ = strawberry.field(description="Yuan per base unit excl. VAT.")
    vat_rate: Decimal_ | None = None
    min_order_quantity: Quantity = Quantity("0")
    pack_quantity: Quantity = strawberry.field(default=Quantity("0"), description="Order in multiples of this.")
    lead_time_days: int = 0
    valid_from: date | None = None
    valid_to: date | None = None


@strawberry.input
class ApprovalThresholdInput:
    above: Money
    role: str


@strawberry.input
class ScorecardWeightsInput:
    on_time: Decimal_ = Decimal_("0")
    acceptance: Decimal_ = Decimal_("0")
    lead_time: Decimal_ = Decimal_("0")
    price: Decimal_ = Decimal_("0")

    def as_dict(self) -> dict:
        return {
            "on_time": self.on_time,
            "acceptance": self.acceptance,
            "lead_time": self.lead_time,
            "price": self.price,
        }


@strawberry.input
class PurchaseSettingsInput:
    separation_of_duties: bool | None = None
    approval_thresholds: list[ApprovalThresholdInput] | None = None
    over_receipt_tolerance: Decimal_ | None = None
    allow_receipt_without_order: bool | None = None
    match_price_tolerance: Decimal_ | None = None
    match_qty_tolerance: Decimal_ | None = None
    scorecard_weights: ScorecardWeightsInput | None = None


@strawberry.input
class PurchaseOrderFilter:
    status: PurchaseOrderStatus | None = None
    supplier_id: strawberry.ID | None = None
    number: str | None = strawberry.field(default=None, description="Part of the number.")


@strawberry.input
class SupplierBillFilter:
    supplier_id: strawberry.ID | None = None
    status: BillStatus | None = None
    kind: BillKind | None = None
