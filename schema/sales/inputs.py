"""Sales input types: orders, shipments, invoices and credit notes, receipts, returns, settings, and
the list filters."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.enums import CreditMode, ReceiptMethod
from schema.sales.types import InvoiceKind, InvoiceStatus, SalesOrderStatus
from schema.scalars import Decimal_, Money, Quantity


@strawberry.input
class SalesOrderLineInput:
    product_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    unit_price: Decimal_ | None = strawberry.field(default=None, description="Per unit, incl. VAT when the order is.")
    discount: Decimal_ | None = strawberry.field(default=None, description='e.g. "0.05"; default: the customer\'s.')
    vat_rate: Decimal_ | None = None
    requested_date: date | None = None
    warehouse_id: strawberry.ID | None = None


@strawberry.input
class SalesOrderInput:
    customer_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[SalesOrderLineInput]
    prices_include_vat: bool = strawberry.field(default=False, description="Retail orders are usually VAT-inclusive.")
    order_date: date | None = None
    ship_to_address_id: strawberry.ID | None = None
    note: str = ""


@strawberry.input
class ShipmentLineInput:
    order_line_id: strawberry.ID
    quantity: Quantity = strawberry.field(description="In the order line's unit.")
    location_id: strawberry.ID
    lot: str | None = None
    serials: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class ShipmentInput:
    order_id: strawberry.ID
    lines: list[ShipmentLineInput]
    ship_date: date | None = None


@strawberry.input
class InvoiceLineInput:
    shipment_line_id: strawberry.ID
    quantity: Quantity | None = strawberry.field(default=None, description="Base unit; default: all still to invoice.")


@strawberry.input
class InvoiceInput:
    customer_id: strawberry.ID
    lines: list[InvoiceLineInput] = strawberry.field(default_factory=list)
    shipment_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    invoice_date: date | None = None
    remarks: str = ""


@strawberry.input
class CreditLineInput:
    invoice_line_id: strawberry.ID
    quantity: Quantity | None = None
    amount: Money | None = strawberry.field(default=None, description="Allowance (折让) incl. VAT.")


@strawberry.input
class CreditNoteInput:
    invoice_id: strawberry.ID
    lines: list[CreditLineInput]
    reason: str
    credit_date: date | None = None


@strawberry.input
class ReceiptAllocationInput:
    invoice_id: strawberry.ID
    amount: Money


@strawberry.input
class CustomerReceiptInput:
    customer_id: strawberry.ID
    amount: Money
    method: ReceiptMethod = ReceiptMethod.BANK_TRANSFER
    receipt_date: date | None = None
    reference: str = ""
    allocations: list[ReceiptAllocationInput] = strawberry.field(default_factory=list)


@strawberry.input
class SalesReturnLineInput:
    shipment_line_id: strawberry.ID
    quantity: Quantity = strawberry.field(description="Base unit.")
    location_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: where it was shipped from."
    )


@strawberry.input
class SalesReturnInput:
    shipment_id: strawberry.ID
    lines: list[SalesReturnLineInput]
    reason: str
    return_date: date | None = None


@strawberry.input
class SalesThresholdInput:
    above: Money
    role: str


@strawberry.input
class SalesSettingsInput:
    separation_of_duties: bool | None = None
    approval_thresholds: list[SalesThresholdInput] | None = None
    max_discount: Decimal_ | None = None
    credit_mode: CreditMode | None = None
    auto_approve: bool | None = None
    auto_invoice: bool | None = None
    seller_name: str | None = None
    seller_tax_id: str | None = None


@strawberry.input
class SalesOrderFilter:
    status: SalesOrderStatus | None = None
    customer_id: strawberry.ID | None = None
    number: str | None = None


@strawberry.input
class InvoiceFilter:
    customer_id: strawberry.ID | None = None
    status: InvoiceStatus | None = None
    kind: InvoiceKind | None = None
