"""Sales queries and mutations: orders and approval, pick lists, shipments, invoices and credit
notes, customer receipts, returns, receivables and the customer view. Rules live in
``server.sales``; this module maps IDs and inputs, checks permissions and returns payloads."""

from __future__ import annotations

from datetime import date, timedelta

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.enums import CreditMode, ReceiptMethod, value_of
from schema.errors import SalesError, run_action
from schema.relay import Connection, decode_id, paginate
from schema.sales.types import (
    CustomerOverview,
    CustomerReceipt,
    CustomerReceivable,
    InvoiceKind,
    InvoiceStatus,
    PickSuggestion,
    SalesInvoice,
    SalesOrder,
    SalesOrderStatus,
    SalesReturn,
    SalesSettings,
    Shipment,
    TopProduct,
)
from schema.scalars import Decimal_, Money, Quantity
from server.auth import scope
from server.sales.errors import SalesError as DomainSalesError
from server.sales.errors import SalesErrorCode
from server.numbers import fen_to_decimal, scaled_to_decimal
from server.sales import customers, invoicing, orders, settings, shipping
from server.sales.models import customer_receipt, sales_invoice, sales_order, sales_return, shipment
from server.sql import like_pattern
from server import clock

CODES = SalesErrorCode
WHAT = {"Customer": "customer", "Product": "product", "Warehouse": "warehouse", "Unit": "unit",
        "Location": "location", "SalesOrder": "sales_order", "SalesOrderLine": "sales_order_line",
        "Shipment": "shipment", "ShipmentLine": "shipment_line", "SalesInvoice": "invoice",
        "SalesInvoiceLine": "invoice", "CustomerReceipt": "customer_receipt", "PartnerAddress": "address"}


def pk(global_id, type_name: str, field: str) -> int | None:
    if global_id is None:
        return None
    value = decode_id(global_id, type_name)
    if value is None:
        raise DomainSalesError("NOT_FOUND", field, what=WHAT[type_name])
    return value


def _principal(info: Info):
    return info.context.principal


def _restricted(info: Info, q, column):
    return q.where(scope.within(caller_warehouses(info), column))


# ---- inputs ---------------------------------------------------------------------------------------------


@strawberry.input
class SalesOrderLineInput:
    product_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    unit_price: Decimal_ | None = strawberry.field(default=None, description="Per unit, incl. VAT when the order is.")
    discount: Decimal_ | None = strawberry.field(default=None, description="e.g. \"0.05\"; default: the customer's.")
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


def _order_input(data: SalesOrderInput) -> orders.SalesOrderInput:
    return orders.SalesOrderInput(
        customer_id=pk(data.customer_id, "Customer", "customerId"),
        warehouse_id=pk(data.warehouse_id, "Warehouse", "warehouseId"), prices_include_vat=data.prices_include_vat,
        order_date=data.order_date, ship_to_address_id=pk(data.ship_to_address_id, "PartnerAddress", "shipToAddressId"),
        note=data.note,
        lines=[orders.SalesLineInput(
            product_id=pk(ln.product_id, "Product", f"lines.{i}.productId"), quantity=ln.quantity,
            unit_id=pk(ln.unit_id, "Unit", f"lines.{i}.unitId"), unit_price=ln.unit_price, discount=ln.discount,
            vat_rate=ln.vat_rate, requested_date=ln.requested_date,
            warehouse_id=pk(ln.warehouse_id, "Warehouse", f"lines.{i}.warehouseId")) for i, ln in enumerate(data.lines)])


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


def _allocations(items) -> list[invoicing.Allocation]:
    return [invoicing.Allocation(pk(a.invoice_id, "SalesInvoice", f"allocations.{i}.invoiceId"), a.amount)
            for i, a in enumerate(items)]


@strawberry.input
class SalesReturnLineInput:
    shipment_line_id: strawberry.ID
    quantity: Quantity = strawberry.field(description="Base unit.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description="Default: where it was shipped from.")


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


def _customer_filter(q, table, customer_id):
    if customer_id is not None:
        q = q.where(table.c.customer_id == (decode_id(customer_id, "Customer") or 0))
    return q


# ---- queries ----------------------------------------------------------------------------------------------


@strawberry.type
class SalesQuery:
    @strawberry.field(description="Sales orders, newest first.", extensions=needs("sales.view"))
    async def sales_orders(self, info: Info, filter: SalesOrderFilter | None = None, first: int | None = None,
                           after: str | None = None) -> Connection[SalesOrder]:
        q = select(sales_order).order_by(sales_order.c.id.desc())
        if filter is not None:
            if filter.status is not None:
                q = q.where(sales_order.c.status == filter.status.value)
            if filter.number:
                q = q.where(sales_order.c.number.ilike(like_pattern(filter.number.strip()), escape="\\"))
            q = _customer_filter(q, sales_order, filter.customer_id)
        q = _restricted(info, q, sales_order.c.warehouse_id)
        return await paginate(info, q, SalesOrder.from_row, first=first, after=after)

    @strawberry.field(description="Where to pick the outstanding quantities of one or more orders (a wave).",
                      extensions=needs("sales.view"))
    async def pick_list(self, info: Info, order_ids: list[strawberry.ID]) -> list[PickSuggestion]:
        ids = [i for i in (decode_id(o, "SalesOrder") for o in order_ids) if i is not None]
        async with info.context.db.read() as conn:
            picks, _short = await shipping.pick_list(conn, ids)
        allowed = caller_warehouses(info)
        if allowed is not None:
            locations = await info.context.loaders.location.load_many([p.location_id for p in picks])
            picks = [p for p, loc in zip(picks, locations) if scope.allows(allowed, loc.warehouse_id)]
        return [PickSuggestion(quantity=Quantity(str(scaled_to_decimal(p.quantity, 0))), lot=p.lot_code,
                               expiry_date=p.expiry_date, _order_id=p.order_id, _order_line_id=p.order_line_id,
                               _product_id=p.product_id, _location_id=p.location_id) for p in picks]

    @strawberry.field(description="Shipments, newest first.", extensions=needs("sales.view"))
    async def shipments(self, info: Info, order_id: strawberry.ID | None = None, customer_id: strawberry.ID | None = None,
                        first: int | None = None, after: str | None = None) -> Connection[Shipment]:
        q = _customer_filter(select(shipment).order_by(shipment.c.id.desc()), shipment, customer_id)
        if order_id is not None:
            q = q.where(shipment.c.order_id == (decode_id(order_id, "SalesOrder") or 0))
        q = _restricted(info, q, shipment.c.warehouse_id)
        return await paginate(info, q, Shipment.from_row, first=first, after=after)

    @strawberry.field(description="Invoices and credit notes, newest first.", extensions=needs("sales.view"))
    async def sales_invoices(self, info: Info, filter: InvoiceFilter | None = None, first: int | None = None,
                             after: str | None = None) -> Connection[SalesInvoice]:
        q = select(sales_invoice).order_by(sales_invoice.c.id.desc())
        if filter is not None:
            q = _customer_filter(q, sales_invoice, filter.customer_id)
            if filter.status is not None:
                q = q.where(sales_invoice.c.status == filter.status.value)
            if filter.kind is not None:
                q = q.where(sales_invoice.c.kind == filter.kind.value)
        return await paginate(info, q, SalesInvoice.from_row, first=first, after=after)

    @strawberry.field(description="Customer receipts, newest first.", extensions=needs("sales.view"))
    async def customer_receipts(self, info: Info, customer_id: strawberry.ID | None = None, first: int | None = None,
                                after: str | None = None) -> Connection[CustomerReceipt]:
        q = _customer_filter(select(customer_receipt).order_by(customer_receipt.c.id.desc()), customer_receipt,
                             customer_id)
        return await paginate(info, q, CustomerReceipt.from_row, first=first, after=after)

    @strawberry.field(description="Sales returns, newest first.", extensions=needs("sales.view"))
    async def sales_returns(self, info: Info, customer_id: strawberry.ID | None = None, first: int | None = None,
                            after: str | None = None) -> Connection[SalesReturn]:
        q = _customer_filter(select(sales_return).order_by(sales_return.c.id.desc()), sales_return, customer_id)
        return await paginate(info, q, SalesReturn.from_row, first=first, after=after)

    @strawberry.field(description="Receivables per customer with aging (应收账款账龄), as of a date.",
                      extensions=needs("sales.view"))
    async def customer_receivables(self, info: Info, as_of: date | None = None,
                                   customer_id: strawberry.ID | None = None, first: int | None = None,
                                   after: str | None = None) -> Connection[CustomerReceivable]:
        cid = (decode_id(customer_id, "Customer") or 0) if customer_id is not None else None
        return await paginate(info, invoicing.receivables_query(as_of or clock.today(), cid), CustomerReceivable.from_row,
                              first=first, after=after)

    @strawberry.field(description="A customer at a glance: open orders, receivables and aging, top products.",
                      extensions=needs("sales.view"))
    async def customer_overview(self, info: Info, customer_id: strawberry.ID, start: date | None = None,
                                end: date | None = None, top: int = 10) -> CustomerOverview | None:
        cid = decode_id(customer_id, "Customer")
        if cid is None:
            return None
        end = end or clock.today()
        async with info.context.db.read() as conn:
            o = await customers.customer_overview(conn, cid, start or end - timedelta(days=365), end, min(max(top, 1), 100))

        def m(fen):
            return Money(str(fen_to_decimal(fen)))

        return CustomerOverview(
            open_orders=o.open_orders, open_orders_total=m(o.open_orders_fen), exposure=m(o.exposure_fen),
            invoiced=m(o.invoiced_fen),
            receivable=CustomerReceivable.from_row(o.receivables) if o.receivables is not None else None,
            top_products=[TopProduct(quantity=Quantity(str(scaled_to_decimal(t.quantity, 0))), amount=m(t.amount_fen),
                                     _product_id=t.product_id) for t in o.top_products])

    @strawberry.field(extensions=needs("sales.view"))
    async def sales_settings(self, info: Info) -> SalesSettings:
        async with info.context.db.read() as conn:
            return SalesSettings.from_settings(await settings.load_sales_settings(conn))


# ---- mutations --------------------------------------------------------------------------------------------


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


async def _payload(info: Info, action, payload_type, field: str, loader: str, to_type):
    row_id, errors = await run_action(info, CODES, action)
    if errors:
        return payload_type(**{field: None, "errors": errors})
    return payload_type(**{field: to_type(await getattr(info.context.loaders, loader).load(row_id)), "errors": []})


async def _order(info: Info, action) -> SalesOrderPayload:
    return await _payload(info, action, SalesOrderPayload, "order", "sales_order", SalesOrder.from_row)


def _transition(fn):
    async def run(info: Info, id: strawberry.ID, comment: str):
        async def action():
            order_id = pk(id, "SalesOrder", "id")
            await fn(info.context.db, order_id, _principal(info), comment)
            return order_id
        return await _order(info, action)

    return run


async def _load_row(info: Info, table, row_id: int):
    async with info.context.db.read() as conn:
        return (await conn.execute(select(table).where(table.c.id == row_id))).one()


@strawberry.type
class SalesMutation:
    @strawberry.mutation(description="Create a draft sales order (销售订单).", extensions=needs("sales.order.edit"))
    async def create_sales_order(self, info: Info, input: SalesOrderInput,
                                 idempotency_key: str | None = None) -> SalesOrderPayload:
        return await _order(info, lambda: orders.do_create_sales_order(
            info.context.db, _order_input(input), _principal(info), idempotency_key=idempotency_key))

    @strawberry.mutation(description="Replace a draft's (or rejected order's) header and lines.",
                         extensions=needs("sales.order.edit"))
    async def update_sales_order(self, info: Info, id: strawberry.ID, input: SalesOrderInput) -> SalesOrderPayload:
        async def action():
            order_id = pk(id, "SalesOrder", "id")
            await orders.do_update_sales_order(info.context.db, order_id, _order_input(input), _principal(info))
            return order_id
        return await _order(info, action)

    @strawberry.mutation(description="Submit: credit check, approval steps; approved (and reserved) at once when "
                                     "no rule applies.", extensions=needs("sales.order.edit"))
    async def submit_sales_order(self, info: Info, id: strawberry.ID) -> SalesOrderPayload:
        return await _transition(lambda db, o, p, _c: orders.do_submit_sales_order(db, o, p))(info, id, "")

    @strawberry.mutation(description="Approve the current step (amount, discount, credit); the last one reserves "
                                     "the stock.", extensions=needs(None))
    async def approve_sales_order(self, info: Info, id: strawberry.ID, comment: str = "") -> SalesOrderPayload:
        return await _transition(orders.do_approve_sales_order)(info, id, comment)

    @strawberry.mutation(description="Reject a submitted order with a comment.", extensions=needs(None))
    async def reject_sales_order(self, info: Info, id: strawberry.ID, comment: str) -> SalesOrderPayload:
        return await _transition(orders.do_reject_sales_order)(info, id, comment)

    @strawberry.mutation(description="Cancel before shipping; releases the reservation.",
                         extensions=needs("sales.order.edit"))
    async def cancel_sales_order(self, info: Info, id: strawberry.ID, comment: str = "") -> SalesOrderPayload:
        return await _transition(orders.do_cancel_sales_order)(info, id, comment)

    @strawberry.mutation(description="Close a (partially) shipped order; releases what it still reserves.",
                         extensions=needs("sales.order.edit"))
    async def close_sales_order(self, info: Info, id: strawberry.ID, comment: str = "") -> SalesOrderPayload:
        return await _transition(orders.do_close_sales_order)(info, id, comment)

    @strawberry.mutation(description="Pick and ship (销售出库); consumes the reservation, records COGS.",
                         extensions=needs("sales.ship"))
    async def ship_goods(self, info: Info, input: ShipmentInput, idempotency_key: str | None = None) -> ShipmentPayload:
        async def action():
            data = shipping.ShipmentInput(
                order_id=pk(input.order_id, "SalesOrder", "orderId"), ship_date=input.ship_date,
                lines=[shipping.ShipmentLineInput(
                    order_line_id=pk(ln.order_line_id, "SalesOrderLine", f"lines.{i}.orderLineId"),
                    quantity=ln.quantity, location_id=pk(ln.location_id, "Location", f"lines.{i}.locationId"),
                    lot=ln.lot, serials=list(ln.serials)) for i, ln in enumerate(input.lines)])
            return await shipping.do_ship_goods(info.context.db, data, _principal(info), idempotency_key=idempotency_key)
        return await _payload(info, action, ShipmentPayload, "shipment", "shipment", Shipment.from_row)

    @strawberry.mutation(description="Invoice shipped goods (销售发票).", extensions=needs("sales.invoice"))
    async def create_sales_invoice(self, info: Info, input: InvoiceInput,
                                   idempotency_key: str | None = None) -> SalesInvoicePayload:
        async def action():
            data = invoicing.InvoiceInput(
                customer_id=pk(input.customer_id, "Customer", "customerId"), invoice_date=input.invoice_date,
                remarks=input.remarks,
                shipment_ids=[pk(s, "Shipment", f"shipmentIds.{i}") for i, s in enumerate(input.shipment_ids)],
                lines=[invoicing.InvoiceLineInput(pk(ln.shipment_line_id, "ShipmentLine", f"lines.{i}.shipmentLineId"),
                                                  ln.quantity) for i, ln in enumerate(input.lines)])
            return await invoicing.do_create_invoice(info.context.db, data, _principal(info),
                                                     idempotency_key=idempotency_key)
        return await _payload(info, action, SalesInvoicePayload, "invoice", "sales_invoice", SalesInvoice.from_row)

    @strawberry.mutation(description="A credit note (红字发票) for an allowance or correction.",
                         extensions=needs("sales.invoice"))
    async def create_credit_note(self, info: Info, input: CreditNoteInput,
                                 idempotency_key: str | None = None) -> SalesInvoicePayload:
        async def action():
            data = invoicing.CreditNoteInput(
                invoice_id=pk(input.invoice_id, "SalesInvoice", "invoiceId"), reason=input.reason,
                credit_date=input.credit_date,
                lines=[invoicing.CreditLineInput(pk(ln.invoice_line_id, "SalesInvoiceLine", f"lines.{i}.invoiceLineId"),
                                                 ln.quantity, ln.amount) for i, ln in enumerate(input.lines)])
            return await invoicing.do_create_credit_note(info.context.db, data, _principal(info),
                                                         idempotency_key=idempotency_key)
        return await _payload(info, action, SalesInvoicePayload, "invoice", "sales_invoice", SalesInvoice.from_row)

    @strawberry.mutation(description="Record money received from a customer (收款); the rest is an advance.",
                         extensions=needs("finance.payment"))
    async def record_customer_receipt(self, info: Info, input: CustomerReceiptInput,
                                      idempotency_key: str | None = None) -> CustomerReceiptPayload:
        async def action():
            data = invoicing.CustomerReceiptInput(
                customer_id=pk(input.customer_id, "Customer", "customerId"), amount=input.amount, method=input.method.value,
                receipt_date=input.receipt_date, reference=input.reference, allocations=_allocations(input.allocations))
            return await invoicing.do_record_customer_receipt(info.context.db, data, _principal(info),
                                                              idempotency_key=idempotency_key)
        receipt_id, errors = await run_action(info, CODES, action)
        if errors:
            return CustomerReceiptPayload(receipt=None, errors=errors)
        return CustomerReceiptPayload(receipt=CustomerReceipt.from_row(await _load_row(info, customer_receipt, receipt_id)),
                                      errors=[])

    @strawberry.mutation(description="Apply an advance (预收) to invoices.", extensions=needs("finance.payment"))
    async def apply_advance(self, info: Info, receipt_id: strawberry.ID,
                            allocations: list[ReceiptAllocationInput]) -> CustomerReceiptPayload:
        async def action():
            rid = pk(receipt_id, "CustomerReceipt", "receiptId")
            await invoicing.do_apply_advance(info.context.db, rid, _allocations(allocations), _principal(info))
            return rid
        rid, errors = await run_action(info, CODES, action)
        if errors:
            return CustomerReceiptPayload(receipt=None, errors=errors)
        return CustomerReceiptPayload(receipt=CustomerReceipt.from_row(await _load_row(info, customer_receipt, rid)),
                                      errors=[])

    @strawberry.mutation(description="Offset a credit note against an open invoice.", extensions=needs("finance.payment"))
    async def apply_credit_note(self, info: Info, credit_note_id: strawberry.ID, invoice_id: strawberry.ID,
                                amount: Money) -> SalesInvoicePayload:
        async def action():
            note_id = pk(credit_note_id, "SalesInvoice", "creditNoteId")
            await invoicing.do_apply_credit_note(info.context.db, note_id, pk(invoice_id, "SalesInvoice", "invoiceId"),
                                                 amount, _principal(info))
            return note_id
        return await _payload(info, action, SalesInvoicePayload, "invoice", "sales_invoice", SalesInvoice.from_row)

    @strawberry.mutation(description="Take back goods from a customer (销售退货) at the cost they left at.",
                         extensions=needs("sales.return"))
    async def take_back_goods(self, info: Info, input: SalesReturnInput,
                              idempotency_key: str | None = None) -> SalesReturnPayload:
        async def action():
            data = shipping.SalesReturnInput(
                shipment_id=pk(input.shipment_id, "Shipment", "shipmentId"), reason=input.reason,
                return_date=input.return_date,
                lines=[shipping.SalesReturnLineInput(pk(ln.shipment_line_id, "ShipmentLine", f"lines.{i}.shipmentLineId"),
                                                     ln.quantity, pk(ln.location_id, "Location", f"lines.{i}.locationId"))
                       for i, ln in enumerate(input.lines)])
            return await shipping.do_take_back_goods(info.context.db, data, _principal(info),
                                                     idempotency_key=idempotency_key)
        rid, errors = await run_action(info, CODES, action)
        if errors:
            return SalesReturnPayload(sales_return=None, errors=errors)
        return SalesReturnPayload(sales_return=SalesReturn.from_row(await _load_row(info, sales_return, rid)), errors=[])

    @strawberry.mutation(description="Change sales settings (thresholds, discount, credit mode, auto-invoice).",
                         extensions=needs("sales.settings"))
    async def change_sales_settings(self, info: Info, input: SalesSettingsInput) -> SalesSettingsPayload:
        change = settings.SalesSettingsChange(
            separation_of_duties=input.separation_of_duties,
            approval_thresholds=None if input.approval_thresholds is None else
            [(t.above, t.role) for t in input.approval_thresholds],
            max_discount=input.max_discount, credit_mode=value_of(input.credit_mode), auto_approve=input.auto_approve,
            auto_invoice=input.auto_invoice, seller_name=input.seller_name, seller_tax_id=input.seller_tax_id)
        result, errors = await run_action(info, CODES, lambda: settings.do_change_sales_settings(
            info.context.db, change, _principal(info)))
        return SalesSettingsPayload(settings=None if errors else SalesSettings.from_settings(result), errors=errors)
