"""Sales GraphQL types. Sale prices and invoice amounts need ``sales.view``; the cost of goods
shipped or returned needs ``cost.view``."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.catalog.types import Product, product_from_id
from schema.documents import (
    aging,
    money,
    price,
    primed_lines,
    quantity,
    rate,
    row_product,
    row_unit,
    row_warehouse,
)
from schema.integrations.external_ids import ExternalId, PlatformOrder, external_ids_field
from schema.inventory.types import Location, Lot, StockOperation
from schema.partners.types import Customer
from schema.relay import Node, to_global_id
from schema.scalars import Decimal_, Money, Quantity
from server.core.numbers import fen_to_decimal
from server.sales.invoicing import amount_in_words


async def _customer(info: Info, pk: int) -> Customer:
    return Customer.from_row(await info.context.loaders.partners.customer.load(pk))


@strawberry.enum(description="Sales order status (销售订单状态).")
class SalesOrderStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@strawberry.enum
class InvoiceKind(enum.Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@strawberry.enum
class InvoiceStatus(enum.Enum):
    OPEN = "open"
    PAID = "paid"


@strawberry.type(description="An approval step: why it is needed and who may sign it.")
class ApprovalStep:
    reason: str = strawberry.field(description="amount | discount | credit | order")
    role: str
    permission: str


@strawberry.type
class SalesOrderHistoryEntry:
    action: str
    from_status: str
    to_status: str
    reason: str
    actor: str
    comment: str
    at: datetime


@strawberry.type(description="The credit check made at submission (信用检查).")
class CreditCheck:
    receivables: Money
    uninvoiced_orders: Money
    this_order: Money
    exposure: Money
    limit: Money | None
    rating: str
    over_limit: bool


@strawberry.type(description="A sales order line; shipped, invoiced… quantities are in the base unit.")
class SalesOrderLine(Node):
    id: strawberry.ID
    line_no: int
    quantity: Quantity = strawberry.field(description="In the line's unit.")
    base_quantity: Quantity
    unit_price: Decimal_ = strawberry.field(description="Per unit; incl. VAT when the order's prices are.")
    discount: Decimal_
    vat_rate: Decimal_
    amount: Money
    tax: Money
    total: Money
    requested_date: date | None
    reserved_quantity: Quantity
    shipped_quantity: Quantity
    invoiced_quantity: Quantity
    returned_quantity: Quantity
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SalesOrderLine:
        return cls(
            id=to_global_id("SalesOrderLine", r.id),
            line_no=r.line_no,
            quantity=quantity(r.quantity),
            base_quantity=quantity(r.qty),
            unit_price=price(r.unit_price_micro),
            discount=rate(r.discount_bp),
            vat_rate=rate(r.vat_rate_bp),
            amount=money(r.amount_fen),
            tax=money(r.tax_fen),
            total=money(r.total_fen),
            requested_date=r.requested_date,
            reserved_quantity=quantity(r.reserved_qty),
            shipped_quantity=quantity(r.shipped_qty),
            invoiced_quantity=quantity(r.invoiced_qty),
            returned_quantity=quantity(r.returned_qty),
            _row=r,
        )

    product = strawberry.field(resolver=row_product)

    unit = strawberry.field(resolver=row_unit)

    warehouse = strawberry.field(resolver=row_warehouse)


@strawberry.type(description="A sales order (销售订单).")
class SalesOrder(Node):
    id: strawberry.ID
    number: str
    status: SalesOrderStatus
    order_date: date
    prices_include_vat: bool
    note: str
    amount: Money
    tax: Money
    total: Money = strawberry.field(description="价税合计")
    approvals_required: list[ApprovalStep]
    approvals_done: int
    created_by: str
    created_at: datetime
    approved_at: datetime | None
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SalesOrder:
        return cls(
            id=to_global_id("SalesOrder", r.id),
            number=r.number,
            status=SalesOrderStatus(r.status),
            order_date=r.order_date,
            prices_include_vat=r.prices_include_vat,
            note=r.note,
            amount=money(r.amount_fen),
            tax=money(r.tax_fen),
            total=money(r.total_fen),
            approvals_required=[ApprovalStep(**s) for s in json.loads(r.approvals_required)],
            approvals_done=r.approvals_done,
            created_by=r.created_by,
            created_at=r.created_at,
            approved_at=r.approved_at,
            _row=r,
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await _customer(info, self._row.customer_id)

    warehouse = strawberry.field(resolver=row_warehouse)

    @strawberry.field(description="The ids other systems know this order by (a platform's order number).")
    async def external_ids(self, info: Info) -> list[ExternalId]:
        return await external_ids_field(info, "sales_order", self._row.id)

    @strawberry.field(description="The platform's side (its status, the consignee) of an order taken by intake.")
    async def platform_order(self, info: Info) -> PlatformOrder | None:
        return await info.context.loaders.integrations.platform_orders.load(self._row.id)

    @strawberry.field
    def credit_check(self) -> CreditCheck | None:
        c = json.loads(self._row.credit_check)
        if not c:
            return None
        return CreditCheck(
            receivables=money(c["receivables_fen"]),
            uninvoiced_orders=money(c["uninvoiced_orders_fen"]),
            this_order=money(c["order_fen"]),
            exposure=money(c["exposure_fen"]),
            limit=None if c["limit_fen"] is None else money(c["limit_fen"]),
            rating=c["rating"],
            over_limit=c["over_limit"],
        )

    @strawberry.field
    async def lines(self, info: Info) -> list[SalesOrderLine]:
        rows = await info.context.loaders.sales.so_lines.load(self._row.id)
        return [SalesOrderLine.from_row(r) for r in primed_lines(info, rows)]

    @strawberry.field
    async def history(self, info: Info) -> list[SalesOrderHistoryEntry]:
        return [
            SalesOrderHistoryEntry(
                action=r.action,
                from_status=r.from_status,
                to_status=r.to_status,
                reason=r.reason,
                actor=r.actor,
                comment=r.comment,
                at=r.at,
            )
            for r in await info.context.loaders.sales.so_history.load(self._row.id)
        ]


@strawberry.type(description="Where to pick: FEFO for lot-tracked goods, otherwise the bin order.")
class PickSuggestion:
    quantity: Quantity
    lot: str | None
    expiry_date: date | None
    _order_id: strawberry.Private[int]
    _order_line_id: strawberry.Private[int]
    _product_id: strawberry.Private[int]
    _location_id: strawberry.Private[int]

    @strawberry.field
    def order_line_id(self) -> strawberry.ID:
        return to_global_id("SalesOrderLine", self._order_line_id)

    @strawberry.field
    def order_id(self) -> strawberry.ID:
        return to_global_id("SalesOrder", self._order_id)

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_id)

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.inventory.location.load(self._location_id))


@strawberry.type
class ShipmentLine(Node):
    id: strawberry.ID
    line_no: int
    quantity: Quantity
    invoiced_quantity: Quantity
    returned_quantity: Quantity
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> ShipmentLine:
        return cls(
            id=to_global_id("ShipmentLine", r.id),
            line_no=r.line_no,
            quantity=quantity(r.qty),
            invoiced_quantity=quantity(r.invoiced_qty),
            returned_quantity=quantity(r.returned_qty),
            _row=r,
        )

    product = strawberry.field(resolver=row_product)

    @strawberry.field
    def order_line_id(self) -> strawberry.ID:
        return to_global_id("SalesOrderLine", self._row.order_line_id)

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.inventory.location.load(self._row.location_id))

    @strawberry.field
    async def lot(self, info: Info) -> Lot | None:
        if self._row.lot_id is None:
            return None
        return Lot.from_row(await info.context.loaders.inventory.lot.load(self._row.lot_id))

    @strawberry.field(
        description="Cost of goods sold at moving average; needs cost.view.", extensions=needs("cost.view")
    )
    def cost(self) -> Money | None:
        return money(self._row.cost_fen)


@strawberry.type(description="A shipment (销售出库单).")
class Shipment(Node):
    id: strawberry.ID
    number: str
    ship_date: date
    actor: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> Shipment:
        return cls(
            id=to_global_id("Shipment", r.id),
            number=r.number,
            ship_date=r.ship_date,
            actor=r.actor,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def order(self, info: Info) -> SalesOrder:
        return SalesOrder.from_row(await info.context.loaders.sales.sales_order.load(self._row.order_id))

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await _customer(info, self._row.customer_id)

    @strawberry.field
    async def operation(self, info: Info) -> StockOperation:
        return StockOperation.from_row(await info.context.loaders.inventory.operation.load(self._row.operation_id))

    @strawberry.field(description="Cost of goods sold; needs cost.view.", extensions=needs("cost.view"))
    def cost(self) -> Money | None:
        return money(self._row.cost_fen)

    @strawberry.field
    async def lines(self, info: Info) -> list[ShipmentLine]:
        return [ShipmentLine.from_row(r) for r in await info.context.loaders.sales.shipment_lines.load(self._row.id)]


@strawberry.type(description="An invoice line (项目): name, specification, unit, quantity, price, amount, rate, tax.")
class SalesInvoiceLine:
    line_no: int
    item_name: str
    spec: str
    unit_name: str
    quantity: Quantity
    unit_price: Decimal_ = strawberry.field(description="Excl. VAT, per base unit (amount ÷ quantity).")
    vat_rate: Decimal_
    amount: Money
    tax: Money
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SalesInvoiceLine:
        return cls(
            line_no=r.line_no,
            item_name=r.item_name,
            spec=r.spec,
            unit_name=r.unit_name,
            quantity=quantity(r.qty),
            unit_price=price(r.unit_price_micro),
            vat_rate=rate(r.vat_rate_bp),
            amount=money(r.amount_fen),
            tax=money(r.tax_fen),
            _row=r,
        )

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("SalesInvoiceLine", self._row.id)

    @strawberry.field
    def shipment_line_id(self) -> strawberry.ID | None:
        return to_global_id("ShipmentLine", self._row.shipment_line_id) if self._row.shipment_line_id else None


@strawberry.type(description="A sales invoice (销售发票) or credit note (红字发票), with the e-invoice header fields.")
class SalesInvoice(Node):
    id: strawberry.ID
    number: str
    kind: InvoiceKind
    invoice_type: str = strawberry.field(description="special 增值税专用发票 | normal 普通发票")
    status: InvoiceStatus
    invoice_date: date
    due_date: date
    buyer_name: str
    buyer_tax_id: str
    seller_name: str
    seller_tax_id: str
    amount: Money = strawberry.field(description="合计金额")
    tax: Money = strawberry.field(description="合计税额")
    total: Money = strawberry.field(description="价税合计（小写）")
    total_in_words: str = strawberry.field(description="价税合计（大写）")
    received: Money
    open_amount: Money
    remarks: str
    actor: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SalesInvoice:
        return cls(
            id=to_global_id("SalesInvoice", r.id),
            number=r.number,
            kind=InvoiceKind(r.kind),
            invoice_type=r.invoice_type,
            status=InvoiceStatus(r.status),
            invoice_date=r.invoice_date,
            due_date=r.due_date,
            buyer_name=r.buyer_name,
            buyer_tax_id=r.buyer_tax_id,
            seller_name=r.seller_name,
            seller_tax_id=r.seller_tax_id,
            amount=money(r.amount_fen),
            tax=money(r.tax_fen),
            total=money(r.total_fen),
            total_in_words=amount_in_words(r.total_fen),
            received=money(r.received_fen),
            open_amount=money(r.total_fen - r.received_fen),
            remarks=r.remarks,
            actor=r.actor,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await _customer(info, self._row.customer_id)

    @strawberry.field(description="The invoice a credit note refers to.")
    async def original_invoice(self, info: Info) -> SalesInvoice | None:
        if self._row.original_invoice_id is None:
            return None
        return SalesInvoice.from_row(await info.context.loaders.sales.sales_invoice.load(self._row.original_invoice_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[SalesInvoiceLine]:
        return [SalesInvoiceLine.from_row(r) for r in await info.context.loaders.sales.invoice_lines.load(self._row.id)]


@strawberry.type(description="Money received from a customer (收款); the unallocated part is an advance (预收).")
class CustomerReceipt(Node):
    id: strawberry.ID
    number: str
    receipt_date: date
    amount: Money
    unallocated: Money
    method: str
    reference: str
    actor: str
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> CustomerReceipt:
        return cls(
            id=to_global_id("CustomerReceipt", r.id),
            number=r.number,
            receipt_date=r.receipt_date,
            amount=money(r.amount_fen),
            unallocated=money(r.unallocated_fen),
            method=r.method,
            reference=r.reference,
            actor=r.actor,
            _row=r,
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await _customer(info, self._row.customer_id)


@strawberry.type(description="A sales return (销售退货).")
class SalesReturn(Node):
    id: strawberry.ID
    number: str
    return_date: date
    reason: str
    actor: str
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SalesReturn:
        return cls(
            id=to_global_id("SalesReturn", r.id),
            number=r.number,
            return_date=r.return_date,
            reason=r.reason,
            actor=r.actor,
            _row=r,
        )

    @strawberry.field(
        description="Value put back into stock (the cost it was issued at); needs cost.view.",
        extensions=needs("cost.view"),
    )
    def cost(self) -> Money | None:
        return money(self._row.cost_fen)

    @strawberry.field
    async def shipment(self, info: Info) -> Shipment:
        return Shipment.from_row(await info.context.loaders.sales.shipment.load(self._row.shipment_id))

    @strawberry.field
    async def credit_note(self, info: Info) -> SalesInvoice | None:
        if self._row.credit_note_id is None:
            return None
        return SalesInvoice.from_row(await info.context.loaders.sales.sales_invoice.load(self._row.credit_note_id))


@strawberry.type(description="What a customer owes us, and how overdue (应收账款及账龄).")
class CustomerReceivable:
    open_invoices: Money
    open_credit_notes: Money
    advances: Money
    balance: Money
    not_due: Money
    days_1_30: Money
    days_31_60: Money
    days_61_90: Money
    over_90: Money
    _customer_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, r) -> CustomerReceivable:
        return cls(
            open_invoices=money(r.invoices_open),
            open_credit_notes=money(r.credit_open),
            advances=money(r.advances),
            balance=money(r.balance),
            **aging(r),
            _customer_id=r.customer_id,
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await _customer(info, self._customer_id)


@strawberry.type
class TopProduct:
    quantity: Quantity
    amount: Money
    _product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._product_id)


@strawberry.type(description="A customer at a glance (客户视图).")
class CustomerOverview:
    open_orders: int
    open_orders_total: Money
    exposure: Money = strawberry.field(
        description="Receivables + orders not yet invoiced (what the credit check counts)."
    )
    invoiced: Money = strawberry.field(description="Invoiced in the period incl. VAT, net of credit notes.")
    receivable: CustomerReceivable | None
    top_products: list[TopProduct]


@strawberry.type(description="Sales settings (销售设置).")
class SalesSettings:
    separation_of_duties: bool
    approval_thresholds: list[str] = strawberry.field(description="amount=role pairs.")
    max_discount: Decimal_
    credit_mode: str
    auto_approve: bool
    auto_invoice: bool
    seller_name: str
    seller_tax_id: str

    @classmethod
    def from_settings(cls, s) -> SalesSettings:
        return cls(
            separation_of_duties=s.separation_of_duties,
            approval_thresholds=[f"{fen_to_decimal(t['above_fen'])}={t['role']}" for t in s.approval_thresholds],
            max_discount=Decimal_(s.max_discount),
            credit_mode=s.credit_mode,
            auto_approve=s.auto_approve,
            auto_invoice=s.auto_invoice,
            seller_name=s.seller_name,
            seller_tax_id=s.seller_tax_id,
        )
