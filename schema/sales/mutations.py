"""Sales mutations and their payloads: orders and approval, shipments, invoices and credit
notes, customer receipts, returns and settings. Rules live in ``server.sales``; this module maps
IDs and inputs and returns payloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.batching import ById
from schema.documents import id_decoder, load_row, order_transition, payload_of
from schema.enums import value_of
from schema.errors import SalesError, run_action
from schema.sales.inputs import (
    CreditNoteInput,
    CustomerReceiptInput,
    InvoiceInput,
    ReceiptAllocationInput,
    SalesOrderInput,
    SalesReturnInput,
    SalesSettingsInput,
    ShipmentInput,
)
from schema.sales.loaders import SalesLoaders
from schema.sales.types import CustomerReceipt, SalesInvoice, SalesOrder, SalesReturn, SalesSettings, Shipment
from schema.scalars import Money
from server.sales import invoicing, orders, settings, shipping
from server.sales.errors import SalesError as DomainSalesError
from server.sales.errors import SalesErrorCode
from server.sales.models import customer_receipt, sales_return

CODES = SalesErrorCode


WHAT = {
    "Customer": "customer",
    "Product": "product",
    "Warehouse": "warehouse",
    "Unit": "unit",
    "Location": "location",
    "SalesOrder": "sales_order",
    "SalesOrderLine": "sales_order_line",
    "Shipment": "shipment",
    "ShipmentLine": "shipment_line",
    "SalesInvoice": "invoice",
    "SalesInvoiceLine": "invoice",
    "CustomerReceipt": "customer_receipt",
    "PartnerAddress": "address",
}


pk = id_decoder(DomainSalesError, WHAT)  # a wrong global ID inside an action: a NOT_FOUND payload error


def _principal(info: Info):
    return info.context.principal


def _order_input(data: SalesOrderInput) -> orders.SalesOrderInput:
    return orders.SalesOrderInput(
        customer_id=pk(data.customer_id, "Customer", "customerId"),
        warehouse_id=pk(data.warehouse_id, "Warehouse", "warehouseId"),
        prices_include_vat=data.prices_include_vat,
        order_date=data.order_date,
        ship_to_address_id=pk(data.ship_to_address_id, "PartnerAddress", "shipToAddressId"),
        note=data.note,
        lines=[
            orders.SalesLineInput(
                product_id=pk(ln.product_id, "Product", f"lines.{i}.productId"),
                quantity=ln.quantity,
                unit_id=pk(ln.unit_id, "Unit", f"lines.{i}.unitId"),
                unit_price=ln.unit_price,
                discount=ln.discount,
                vat_rate=ln.vat_rate,
                requested_date=ln.requested_date,
                warehouse_id=pk(ln.warehouse_id, "Warehouse", f"lines.{i}.warehouseId"),
            )
            for i, ln in enumerate(data.lines)
        ],
    )


def _allocations(items) -> list[invoicing.Allocation]:
    return [
        invoicing.Allocation(pk(a.invoice_id, "SalesInvoice", f"allocations.{i}.invoiceId"), a.amount)
        for i, a in enumerate(items)
    ]


@strawberry.type
class SalesOrderPayload:
    order: SalesOrder | None
    errors: list[SalesError]


@strawberry.type
class ShipmentPayload:
    shipment: Shipment | None
    errors: list[SalesError]


@strawberry.type
class SalesInvoicePayload:
    invoice: SalesInvoice | None
    errors: list[SalesError]


@strawberry.type
class CustomerReceiptPayload:
    receipt: CustomerReceipt | None
    errors: list[SalesError]


@strawberry.type
class SalesReturnPayload:
    sales_return: SalesReturn | None
    errors: list[SalesError]


@strawberry.type
class SalesSettingsPayload:
    settings: SalesSettings | None
    errors: list[SalesError]


def _orders(loaders: SalesLoaders) -> ById:
    return loaders.sales_order


def _shipments(loaders: SalesLoaders) -> ById:
    return loaders.shipment


def _invoices(loaders: SalesLoaders) -> ById:
    return loaders.sales_invoice


async def _payload(info: Info, action, payload_type, field: str, loader: Callable[[SalesLoaders], ById], to_type):
    """``loader`` picks the row's loader from the request's (fresh, after the action) sales loaders."""
    row_id, errors = await run_action(info, CODES, action)
    return await payload_of(
        payload_type, field, row_id, errors, lambda i: loader(info.context.loaders.sales).load(i), to_type
    )


async def _row_payload(info: Info, action, payload_type, field: str, table, to_type):
    """A payload with a row read from ``table`` after the action (documents without a loader)."""
    row_id, errors = await run_action(info, CODES, action)
    return await payload_of(payload_type, field, row_id, errors, lambda i: load_row(info, table, i), to_type)


async def _order(info: Info, action) -> SalesOrderPayload:
    return await _payload(info, action, SalesOrderPayload, "order", _orders, SalesOrder.from_row)


def _transition(fn):
    """An order transition mutation: decode the id, run the action, return the order."""
    return order_transition(fn, lambda id: pk(id, "SalesOrder", "id"), _order)


@strawberry.type
class SalesMutation:
    @strawberry.mutation(description="Create a draft sales order (销售订单).", extensions=needs("sales.order.edit"))
    async def create_sales_order(
        self, info: Info, input: SalesOrderInput, idempotency_key: str | None = None
    ) -> SalesOrderPayload:
        return await _order(
            info,
            lambda: orders.do_create_sales_order(
                info.context.db, _order_input(input), _principal(info), idempotency_key=idempotency_key
            ),
        )

    @strawberry.mutation(
        description="Replace a draft's (or rejected order's) header and lines.", extensions=needs("sales.order.edit")
    )
    async def update_sales_order(self, info: Info, id: strawberry.ID, input: SalesOrderInput) -> SalesOrderPayload:
        async def action():
            order_id = pk(id, "SalesOrder", "id")
            await orders.do_update_sales_order(info.context.db, order_id, _order_input(input), _principal(info))
            return order_id

        return await _order(info, action)

    @strawberry.mutation(
        description="Submit: credit check, approval steps; approved (and reserved) at once when no rule applies.",
        extensions=needs("sales.order.edit"),
    )
    async def submit_sales_order(self, info: Info, id: strawberry.ID) -> SalesOrderPayload:
        return await _transition(lambda db, o, p, _c: orders.do_submit_sales_order(db, o, p))(info, id, "")

    @strawberry.mutation(
        description="Approve the current step (amount, discount, credit); the last one reserves the stock.",
        extensions=needs(None),
    )
    async def approve_sales_order(self, info: Info, id: strawberry.ID, comment: str = "") -> SalesOrderPayload:
        return await _transition(orders.do_approve_sales_order)(info, id, comment)

    @strawberry.mutation(description="Reject a submitted order with a comment.", extensions=needs(None))
    async def reject_sales_order(self, info: Info, id: strawberry.ID, comment: str) -> SalesOrderPayload:
        return await _transition(orders.do_reject_sales_order)(info, id, comment)

    @strawberry.mutation(
        description=(
            "反审核: take back the approval of an order nothing was shipped or invoiced against; its "
            "reservation is released; the comment (why) is required."
        ),
        extensions=needs("sales.order.approve"),
    )
    async def unapprove_sales_order(self, info: Info, id: strawberry.ID, comment: str) -> SalesOrderPayload:
        return await _transition(orders.do_unapprove_sales_order)(info, id, comment)

    @strawberry.mutation(
        description="Cancel before shipping; releases the reservation.", extensions=needs("sales.order.edit")
    )
    async def cancel_sales_order(self, info: Info, id: strawberry.ID, comment: str = "") -> SalesOrderPayload:
        return await _transition(orders.do_cancel_sales_order)(info, id, comment)

    @strawberry.mutation(
        description="Close a (partially) shipped order; releases what it still reserves.",
        extensions=needs("sales.order.edit"),
    )
    async def close_sales_order(self, info: Info, id: strawberry.ID, comment: str = "") -> SalesOrderPayload:
        return await _transition(orders.do_close_sales_order)(info, id, comment)

    @strawberry.mutation(
        description="Pick and ship (销售出库); consumes the reservation, records COGS.", extensions=needs("sales.ship")
    )
    async def ship_goods(self, info: Info, input: ShipmentInput, idempotency_key: str | None = None) -> ShipmentPayload:
        async def action():
            data = shipping.ShipmentInput(
                order_id=pk(input.order_id, "SalesOrder", "orderId"),
                ship_date=input.ship_date,
                lines=[
                    shipping.ShipmentLineInput(
                        order_line_id=pk(ln.order_line_id, "SalesOrderLine", f"lines.{i}.orderLineId"),
                        quantity=ln.quantity,
                        location_id=pk(ln.location_id, "Location", f"lines.{i}.locationId"),
                        lot=ln.lot,
                        serials=list(ln.serials),
                    )
                    for i, ln in enumerate(input.lines)
                ],
            )
            return await shipping.do_ship_goods(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _payload(info, action, ShipmentPayload, "shipment", _shipments, Shipment.from_row)

    @strawberry.mutation(description="Invoice shipped goods (销售发票).", extensions=needs("sales.invoice"))
    async def create_sales_invoice(
        self, info: Info, input: InvoiceInput, idempotency_key: str | None = None
    ) -> SalesInvoicePayload:
        async def action():
            data = invoicing.InvoiceInput(
                customer_id=pk(input.customer_id, "Customer", "customerId"),
                invoice_date=input.invoice_date,
                remarks=input.remarks,
                shipment_ids=[pk(s, "Shipment", f"shipmentIds.{i}") for i, s in enumerate(input.shipment_ids)],
                lines=[
                    invoicing.InvoiceLineInput(
                        pk(ln.shipment_line_id, "ShipmentLine", f"lines.{i}.shipmentLineId"), ln.quantity
                    )
                    for i, ln in enumerate(input.lines)
                ],
            )
            return await invoicing.do_create_invoice(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _payload(info, action, SalesInvoicePayload, "invoice", _invoices, SalesInvoice.from_row)

    @strawberry.mutation(
        description="A credit note (红字发票) for an allowance or correction.", extensions=needs("sales.invoice")
    )
    async def create_credit_note(
        self, info: Info, input: CreditNoteInput, idempotency_key: str | None = None
    ) -> SalesInvoicePayload:
        async def action():
            data = invoicing.CreditNoteInput(
                invoice_id=pk(input.invoice_id, "SalesInvoice", "invoiceId"),
                reason=input.reason,
                credit_date=input.credit_date,
                lines=[
                    invoicing.CreditLineInput(
                        pk(ln.invoice_line_id, "SalesInvoiceLine", f"lines.{i}.invoiceLineId"), ln.quantity, ln.amount
                    )
                    for i, ln in enumerate(input.lines)
                ],
            )
            return await invoicing.do_create_credit_note(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _payload(info, action, SalesInvoicePayload, "invoice", _invoices, SalesInvoice.from_row)

    @strawberry.mutation(
        description="Record money received from a customer (收款); the rest is an advance.",
        extensions=needs("finance.payment"),
    )
    async def record_customer_receipt(
        self, info: Info, input: CustomerReceiptInput, idempotency_key: str | None = None
    ) -> CustomerReceiptPayload:
        async def action():
            data = invoicing.CustomerReceiptInput(
                customer_id=pk(input.customer_id, "Customer", "customerId"),
                amount=input.amount,
                method=input.method.value,
                receipt_date=input.receipt_date,
                reference=input.reference,
                allocations=_allocations(input.allocations),
            )
            return await invoicing.do_record_customer_receipt(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _row_payload(
            info, action, CustomerReceiptPayload, "receipt", customer_receipt, CustomerReceipt.from_row
        )

    @strawberry.mutation(description="Apply an advance (预收) to invoices.", extensions=needs("finance.payment"))
    async def apply_advance(
        self,
        info: Info,
        receipt_id: strawberry.ID,
        allocations: list[ReceiptAllocationInput],
        date: Annotated[
            date | None,
            strawberry.argument(description="The business date (default today; never before the payment or note)."),
        ] = None,
    ) -> CustomerReceiptPayload:
        async def action():
            rid = pk(receipt_id, "CustomerReceipt", "receiptId")
            await invoicing.do_apply_advance(info.context.db, rid, _allocations(allocations), _principal(info), on=date)
            return rid

        return await _row_payload(
            info, action, CustomerReceiptPayload, "receipt", customer_receipt, CustomerReceipt.from_row
        )

    @strawberry.mutation(
        description="Offset a credit note against an open invoice.", extensions=needs("finance.payment")
    )
    async def apply_credit_note(
        self,
        info: Info,
        credit_note_id: strawberry.ID,
        invoice_id: strawberry.ID,
        amount: Money,
        date: Annotated[
            date | None,
            strawberry.argument(description="The business date (default today; never before the payment or note)."),
        ] = None,
    ) -> SalesInvoicePayload:
        async def action():
            note_id = pk(credit_note_id, "SalesInvoice", "creditNoteId")
            await invoicing.do_apply_credit_note(
                info.context.db,
                note_id,
                pk(invoice_id, "SalesInvoice", "invoiceId"),
                amount,
                _principal(info),
                on=date,
            )
            return note_id

        return await _payload(info, action, SalesInvoicePayload, "invoice", _invoices, SalesInvoice.from_row)

    @strawberry.mutation(
        description="Take back goods from a customer (销售退货) at the cost they left at.",
        extensions=needs("sales.return"),
    )
    async def take_back_goods(
        self, info: Info, input: SalesReturnInput, idempotency_key: str | None = None
    ) -> SalesReturnPayload:
        async def action():
            data = shipping.SalesReturnInput(
                shipment_id=pk(input.shipment_id, "Shipment", "shipmentId"),
                reason=input.reason,
                return_date=input.return_date,
                lines=[
                    shipping.SalesReturnLineInput(
                        pk(ln.shipment_line_id, "ShipmentLine", f"lines.{i}.shipmentLineId"),
                        ln.quantity,
                        pk(ln.location_id, "Location", f"lines.{i}.locationId"),
                    )
                    for i, ln in enumerate(input.lines)
                ],
            )
            return await shipping.do_take_back_goods(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _row_payload(info, action, SalesReturnPayload, "sales_return", sales_return, SalesReturn.from_row)

    @strawberry.mutation(
        description="Change sales settings (thresholds, discount, credit mode, auto-invoice).",
        extensions=needs("sales.settings"),
    )
    async def change_sales_settings(self, info: Info, input: SalesSettingsInput) -> SalesSettingsPayload:
        change = settings.SalesSettingsChange(
            separation_of_duties=input.separation_of_duties,
            approval_thresholds=None
            if input.approval_thresholds is None
            else [(t.above, t.role) for t in input.approval_thresholds],
            max_discount=input.max_discount,
            credit_mode=value_of(input.credit_mode),
            auto_approve=input.auto_approve,
            auto_invoice=input.auto_invoice,
            seller_name=input.seller_name,
            seller_tax_id=input.seller_tax_id,
        )
        result, errors = await run_action(
            info, CODES, lambda: settings.do_change_sales_settings(info.context.db, change, _principal(info))
        )
        return SalesSettingsPayload(settings=None if errors else SalesSettings.from_settings(result), errors=errors)
