"""Purchasing GraphQL types. Purchase prices and inventory values need ``cost.view``; bill and
payment amounts (what we owe) need only ``purchase.view``."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.auth.permissions import PAYABLE_AMOUNTS, needs
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
from schema.enums import LabelKind, LabelLayout
from schema.inventory.types import Location, Lot, StockOperation
from schema.partners.types import Supplier
from schema.relay import Node, to_global_id
from schema.scalars import Decimal_, Money, Quantity
from schema.scanning.labels import ReceiptLabelLinks, receipt_label_links


def _payable(description: str = ""):
    """An amount owed or paid to a supplier: needs cost.view or finance.view (the cashier pays bills)."""
    text = f"{description} Needs cost.view or finance.view.".strip()
    return strawberry.field(description=text, extensions=needs(*PAYABLE_AMOUNTS))


@strawberry.enum(description="Purchase order status (采购订单状态).")
class PurchaseOrderStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@strawberry.enum(description="Supplier bill status: pending approval (three-way-match flags), open, paid.")
class BillStatus(enum.Enum):
    PENDING_APPROVAL = "pending_approval"
    OPEN = "open"
    PAID = "paid"


@strawberry.enum
class BillKind(enum.Enum):
    BILL = "bill"
    DEBIT_NOTE = "debit_note"


async def _supplier(info: Info, pk: int) -> Supplier:
    return Supplier.from_row(await info.context.loaders.partners.supplier.load(pk))


@strawberry.type(description="One step of an order's history: submitted, approved (per step), rejected…")
class PurchaseOrderHistoryEntry:
    action: str
    from_status: str
    to_status: str
    role: str = strawberry.field(description="The approval step's role (empty: any approver).")
    actor: str
    comment: str
    at: datetime

    @classmethod
    def from_row(cls, r) -> PurchaseOrderHistoryEntry:
        return cls(
            action=r.action,
            from_status=r.from_status,
            to_status=r.to_status,
            role=r.role_code,
            actor=r.actor,
            comment=r.comment,
            at=r.at,
        )


@strawberry.type(description="A purchase order line; quantities received etc. are in the base unit.")
class PurchaseOrderLine(Node):
    id: strawberry.ID
    line_no: int
    quantity: Quantity = strawberry.field(description="In the line's unit.")
    base_quantity: Quantity
    expected_date: date | None
    received_quantity: Quantity
    accepted_quantity: Quantity
    rejected_quantity: Quantity
    returned_quantity: Quantity
    billed_quantity: Quantity
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> PurchaseOrderLine:
        return cls(
            id=to_global_id("PurchaseOrderLine", r.id),
            line_no=r.line_no,
            quantity=quantity(r.quantity),
            base_quantity=quantity(r.qty),
            expected_date=r.expected_date,
            received_quantity=quantity(r.received_qty),
            accepted_quantity=quantity(r.accepted_qty),
            rejected_quantity=quantity(r.rejected_qty),
            returned_quantity=quantity(r.returned_qty),
            billed_quantity=quantity(r.billed_qty),
            _row=r,
        )

    product = strawberry.field(resolver=row_product)

    unit = strawberry.field(resolver=row_unit)

    warehouse = strawberry.field(resolver=row_warehouse)

    @strawberry.field(description="Open quantity still to be received (base unit).")
    def open_quantity(self) -> Quantity:
        return quantity(max(0, self._row.qty - self._row.accepted_qty))

    @strawberry.field(description="Yuan per line unit excl. VAT; needs cost.view.", extensions=needs("cost.view"))
    def unit_price(self) -> Decimal_ | None:
        return price(self._row.unit_price_micro)

    @strawberry.field
    def vat_rate(self) -> Decimal_:
        return rate(self._row.vat_rate_bp)

    @strawberry.field(description="Amount excl. VAT; needs cost.view.", extensions=needs("cost.view"))
    def amount(self) -> Money | None:
        return money(self._row.amount_fen)

    @strawberry.field(
        description="VAT of the line, half-up to the fen; needs cost.view.", extensions=needs("cost.view")
    )
    def tax(self) -> Money | None:
        return money(self._row.tax_fen)


@strawberry.type(description="A purchase order (采购订单).")
class PurchaseOrder(Node):
    id: strawberry.ID
    number: str
    status: PurchaseOrderStatus
    order_date: date
    currency: str
    note: str
    approvals_required: list[str] = strawberry.field(description="One role per approval step ('' = any approver).")
    approvals_done: int
    created_by: str
    created_at: datetime
    approved_at: datetime | None
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> PurchaseOrder:
        return cls(
            id=to_global_id("PurchaseOrder", r.id),
            number=r.number,
            status=PurchaseOrderStatus(r.status),
            order_date=r.order_date,
            currency=r.currency,
            note=r.note,
            approvals_required=json.loads(r.approvals_required),
            approvals_done=r.approvals_done,
            created_by=r.created_by,
            created_at=r.created_at,
            approved_at=r.approved_at,
            _row=r,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._row.supplier_id)

    warehouse = strawberry.field(resolver=row_warehouse)

    @strawberry.field(description="Total excl. VAT; needs cost.view.", extensions=needs("cost.view"))
    def amount(self) -> Money | None:
        return money(self._row.amount_fen)

    @strawberry.field(description="Sum of the line VATs; needs cost.view.", extensions=needs("cost.view"))
    def tax(self) -> Money | None:
        return money(self._row.tax_fen)

    @strawberry.field(description="Total incl. VAT (价税合计); needs cost.view.", extensions=needs("cost.view"))
    def total(self) -> Money | None:
        return money(self._row.total_fen)

    @strawberry.field
    async def lines(self, info: Info) -> list[PurchaseOrderLine]:
        rows = await info.context.loaders.purchasing.po_lines.load(self._row.id)
        return [PurchaseOrderLine.from_row(r) for r in primed_lines(info, rows)]

    @strawberry.field(description="Submissions, approvals with who/when/comment, rejections…")
    async def history(self, info: Info) -> list[PurchaseOrderHistoryEntry]:
        return [
            PurchaseOrderHistoryEntry.from_row(r)
            for r in await info.context.loaders.purchasing.po_history.load(self._row.id)
        ]


@strawberry.type(description="A receipt line: received = accepted + rejected; accepted goods were put away.")
class GoodsReceiptLine(Node):
    id: strawberry.ID
    line_no: int
    received_quantity: Quantity
    accepted_quantity: Quantity
    rejected_quantity: Quantity
    reject_reason: str
    on_time: bool | None
    returned_quantity: Quantity
    billed_quantity: Quantity
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> GoodsReceiptLine:
        return cls(
            id=to_global_id("GoodsReceiptLine", r.id),
            line_no=r.line_no,
            received_quantity=quantity(r.received_qty),
            accepted_quantity=quantity(r.accepted_qty),
            rejected_quantity=quantity(r.rejected_qty),
            reject_reason=r.reject_reason,
            on_time=r.on_time,
            returned_quantity=quantity(r.returned_qty),
            billed_quantity=quantity(r.billed_qty),
            _row=r,
        )

    product = strawberry.field(resolver=row_product)

    @strawberry.field
    def order_line_id(self) -> strawberry.ID | None:
        return to_global_id("PurchaseOrderLine", self._row.order_line_id) if self._row.order_line_id else None

    @strawberry.field(description="The bin the accepted goods were put away into.")
    async def location(self, info: Info) -> Location | None:
        if self._row.location_id is None:
            return None
        return Location.from_row(await info.context.loaders.inventory.location.load(self._row.location_id))

    @strawberry.field
    async def lot(self, info: Info) -> Lot | None:
        if self._row.lot_id is None:
            return None
        return Lot.from_row(await info.context.loaders.inventory.lot.load(self._row.lot_id))

    @strawberry.field(
        description="Order price per order unit excl. VAT; needs cost.view.", extensions=needs("cost.view")
    )
    def unit_price(self) -> Decimal_ | None:
        return price(self._row.unit_price_micro)

    @strawberry.field(description="Accepted × price; needs cost.view.", extensions=needs("cost.view"))
    def goods_value(self) -> Money | None:
        return money(self._row.goods_value_fen)

    @strawberry.field(description="Allocated landed cost; needs cost.view.", extensions=needs("cost.view"))
    def landed_cost(self) -> Money | None:
        return money(self._row.landed_fen)

    @strawberry.field(
        description="Inventory value = goods value + landed cost; needs cost.view.", extensions=needs("cost.view")
    )
    def value(self) -> Money | None:
        return money(self._row.value_fen)


@strawberry.type(description="A goods receipt (收货单) with its inspection record (验收单).")
class GoodsReceipt(Node):
    id: strawberry.ID
    number: str
    inspection_number: str
    receipt_date: date
    landed_allocation: str
    note: str
    actor: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> GoodsReceipt:
        return cls(
            id=to_global_id("GoodsReceipt", r.id),
            number=r.number,
            inspection_number=r.inspection_number,
            receipt_date=r.receipt_date,
            landed_allocation=r.landed_allocation,
            note=r.note,
            actor=r.actor,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._row.supplier_id)

    warehouse = strawberry.field(resolver=row_warehouse)

    @strawberry.field
    async def order(self, info: Info) -> PurchaseOrder | None:
        if self._row.order_id is None:
            return None
        return PurchaseOrder.from_row(await info.context.loaders.purchasing.purchase_order.load(self._row.order_id))

    @strawberry.field(description="The stock operation that put the accepted goods away.")
    async def operation(self, info: Info) -> StockOperation | None:
        if self._row.operation_id is None:
            return None
        return StockOperation.from_row(await info.context.loaders.inventory.operation.load(self._row.operation_id))

    @strawberry.field(description="Landed costs (运费、保险…); needs cost.view.", extensions=needs("cost.view"))
    def landed_cost(self) -> Money | None:
        return money(self._row.landed_cost_fen)

    @strawberry.field(description="Accepted goods at order prices; needs cost.view.", extensions=needs("cost.view"))
    def goods_value(self) -> Money | None:
        return money(self._row.goods_value_fen)

    @strawberry.field
    async def lines(self, info: Info) -> list[GoodsReceiptLine]:
        return [
            GoodsReceiptLine.from_row(r) for r in await info.context.loaders.purchasing.receipt_lines.load(self._row.id)
        ]

    @strawberry.field(
        description="Labels of the lots and serials this receipt accepted (PDF and ZPL downloads; "
        "kind GS1 DataMatrix unless given), with what would not fit the layout.",
        extensions=needs("catalog.view"),
    )
    async def label_links(
        self,
        info: Info,
        kind: LabelKind | None = None,
        layout: LabelLayout = LabelLayout.LABEL_50X30,
        dpi: int | None = None,
    ) -> ReceiptLabelLinks:
        return await receipt_label_links(info, self._row.id, self.id, kind, layout, dpi)


@strawberry.type(description="A line of a supplier bill or debit note.")
class SupplierBillLine:
    line_no: int
    quantity: Quantity
    unit_price: Decimal_ | None = strawberry.field(description="Needs cost.view.", extensions=needs("cost.view"))
    vat_rate: Decimal_
    amount: Money | None = strawberry.field(description="Needs cost.view.", extensions=needs("cost.view"))
    tax: Money | None = strawberry.field(description="Needs cost.view.", extensions=needs("cost.view"))
    flags: list[str] = strawberry.field(
        description="Three-way-match flags: PRICE_MISMATCH, QTY_EXCEEDS_RECEIVED, QTY_EXCEEDS_ORDERED."
    )
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SupplierBillLine:
        return cls(
            line_no=r.line_no,
            quantity=quantity(r.qty),
            unit_price=price(r.unit_price_micro),
            vat_rate=rate(r.vat_rate_bp),
            amount=money(r.amount_fen),
            tax=money(r.tax_fen),
            flags=[f for f in r.flags.split(",") if f],
            _row=r,
        )

    product = strawberry.field(resolver=row_product)

    @strawberry.field
    def receipt_line_id(self) -> strawberry.ID | None:
        return to_global_id("GoodsReceiptLine", self._row.receipt_line_id) if self._row.receipt_line_id else None


@strawberry.type(description="A supplier bill (采购发票) or debit note (红字发票, negative amounts): an AP open item.")
class SupplierBill(Node):
    id: strawberry.ID
    number: str
    kind: BillKind
    status: BillStatus
    supplier_invoice_no: str
    bill_date: date
    due_date: date
    amount: Money | None = _payable()
    tax: Money | None = _payable()
    total: Money | None = _payable()
    paid: Money | None = _payable()
    open_amount: Money | None = _payable("Total − paid.")
    approved_by: str
    actor: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SupplierBill:
        return cls(
            id=to_global_id("SupplierBill", r.id),
            number=r.number,
            kind=BillKind(r.kind),
            status=BillStatus(r.status),
            supplier_invoice_no=r.supplier_invoice_no,
            bill_date=r.bill_date,
            due_date=r.due_date,
            amount=money(r.amount_fen),
            tax=money(r.tax_fen),
            total=money(r.total_fen),
            paid=money(r.paid_fen),
            open_amount=money(r.total_fen - r.paid_fen),
            approved_by=r.approved_by,
            actor=r.actor,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._row.supplier_id)

    @strawberry.field
    async def lines(self, info: Info) -> list[SupplierBillLine]:
        return [
            SupplierBillLine.from_row(r) for r in await info.context.loaders.purchasing.bill_lines.load(self._row.id)
        ]


@strawberry.type(description="A purchase return (采购退货) with its debit note.")
class PurchaseReturn(Node):
    id: strawberry.ID
    number: str
    return_date: date
    reason: str
    actor: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> PurchaseReturn:
        return cls(
            id=to_global_id("PurchaseReturn", r.id),
            number=r.number,
            return_date=r.return_date,
            reason=r.reason,
            actor=r.actor,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def receipt(self, info: Info) -> GoodsReceipt:
        return GoodsReceipt.from_row(await info.context.loaders.purchasing.receipt.load(self._row.receipt_id))

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._row.supplier_id)

    @strawberry.field(
        description="Inventory value removed, at the original receipt cost; needs cost.view.",
        extensions=needs("cost.view"),
    )
    def value(self) -> Money | None:
        return money(self._row.value_fen)

    @strawberry.field
    async def debit_note(self, info: Info) -> SupplierBill | None:
        if self._row.debit_note_id is None:
            return None
        return SupplierBill.from_row(await info.context.loaders.purchasing.bill.load(self._row.debit_note_id))


@strawberry.type(description="Part of a payment or debit note applied to a bill.")
class PaymentAllocation:
    amount: Money | None = _payable()
    at: datetime
    _bill_id: strawberry.Private[int]

    @strawberry.field
    async def bill(self, info: Info) -> SupplierBill:
        return SupplierBill.from_row(await info.context.loaders.purchasing.bill.load(self._bill_id))


@strawberry.type(description="A payment to a supplier (付款); the unallocated part is a prepayment (预付款).")
class SupplierPayment(Node):
    id: strawberry.ID
    number: str
    payment_date: date
    amount: Money | None = _payable()
    unallocated: Money | None = _payable()
    method: str
    reference: str
    actor: str
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SupplierPayment:
        return cls(
            id=to_global_id("SupplierPayment", r.id),
            number=r.number,
            payment_date=r.payment_date,
            amount=money(r.amount_fen),
            unallocated=money(r.unallocated_fen),
            method=r.method,
            reference=r.reference,
            actor=r.actor,
            created_at=r.created_at,
            _row=r,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._row.supplier_id)

    @strawberry.field
    async def allocations(self, info: Info) -> list[PaymentAllocation]:
        rows = await info.context.loaders.purchasing.allocations_by_payment.load(self._row.id)
        return [PaymentAllocation(amount=money(r.amount_fen), at=r.at, _bill_id=r.bill_id) for r in rows]


@strawberry.type(description="A supplier's price for a product (供应商报价), per base unit excl. VAT.")
class SupplierPrice(Node):
    id: strawberry.ID
    vat_rate: Decimal_
    min_order_quantity: Quantity
    pack_quantity: Quantity
    lead_time_days: int
    valid_from: date
    valid_to: date | None
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> SupplierPrice:
        return cls(
            id=to_global_id("SupplierPrice", r.id),
            vat_rate=rate(r.vat_rate_bp),
            min_order_quantity=quantity(r.min_order_qty),
            pack_quantity=quantity(r.pack_qty),
            lead_time_days=r.lead_time_days,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            _row=r,
        )

    @strawberry.field(description="Needs cost.view.", extensions=needs("cost.view"))
    def unit_price(self) -> Decimal_ | None:
        return price(self._row.unit_price_micro)

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._row.supplier_id)

    product = strawberry.field(resolver=row_product)


@strawberry.type(description="A supplier's performance over a period, from its receipts.")
class SupplierScorecard:
    receipts: int
    lines: int
    on_time_rate: Decimal_ | None
    acceptance_rate: Decimal_ | None = strawberry.field(description="Accepted ÷ received, by value.")
    average_lead_time_days: Decimal_ | None
    price_index: Decimal_ | None = strawberry.field(description="1 = the average of all suppliers; < 1 cheaper.")
    _supplier_id: strawberry.Private[int]

    @classmethod
    def from_card(cls, card) -> SupplierScorecard:
        def d(v):
            return None if v is None else Decimal_(str(v))

        return cls(
            receipts=card.receipts,
            lines=card.lines,
            on_time_rate=d(card.on_time_rate),
            acceptance_rate=d(card.acceptance_rate),
            average_lead_time_days=d(card.average_lead_time_days),
            price_index=d(card.price_index),
            _supplier_id=card.supplier_id,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._supplier_id)


@strawberry.type(description="A supplier of a product with its weighted score (higher is better).")
class SupplierRanking:
    score: Decimal_
    preferred: bool
    lead_time_days: Decimal_ | None
    scorecard: SupplierScorecard
    _price: strawberry.Private[int | None]

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self.scorecard._supplier_id)

    @strawberry.field(
        description="Price list (else average receipt) price per base unit; needs cost.view.",
        extensions=needs("cost.view"),
    )
    def unit_price(self) -> Decimal_ | None:
        return None if self._price is None else price(self._price)


@strawberry.type(description="What we owe a supplier, and how overdue (应付账款及账龄).")
class SupplierPayable:
    open_bills: Money | None = _payable()
    open_debit_notes: Money | None = _payable("Negative: credit from returns.")
    prepayments: Money | None = _payable()
    balance: Money | None = _payable("Open bills + open debit notes − prepayments.")
    not_due: Money | None = _payable()
    days_1_30: Money | None = _payable()
    days_31_60: Money | None = _payable()
    days_61_90: Money | None = _payable()
    over_90: Money | None = _payable()
    _supplier_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, r) -> SupplierPayable:
        return cls(
            open_bills=money(r.bills_open),
            open_debit_notes=money(r.debit_open),
            prepayments=money(r.prepayments),
            balance=money(r.balance),
            **aging(r),
            _supplier_id=r.supplier_id,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return await _supplier(info, self._supplier_id)


@strawberry.type(description="An approval threshold: orders above the amount need this role.")
class ApprovalThreshold:
    above: Money
    role: str


@strawberry.type(description="Purchasing settings (采购设置).")
class PurchaseSettings:
    separation_of_duties: bool
    approval_thresholds: list[ApprovalThreshold]
    over_receipt_tolerance: Decimal_
    allow_receipt_without_order: bool
    match_price_tolerance: Decimal_
    match_qty_tolerance: Decimal_
    scorecard_weights: list[str] = strawberry.field(description="name=weight pairs.")

    @classmethod
    def from_settings(cls, s) -> PurchaseSettings:
        return cls(
            separation_of_duties=s.separation_of_duties,
            approval_thresholds=[
                ApprovalThreshold(above=money(t["above_fen"]), role=t["role"]) for t in s.approval_thresholds
            ],
            over_receipt_tolerance=Decimal_(s.over_receipt_tolerance),
            allow_receipt_without_order=s.allow_receipt_without_order,
            match_price_tolerance=Decimal_(s.match_price_tolerance),
            match_qty_tolerance=Decimal_(s.match_qty_tolerance),
            scorecard_weights=[f"{k}={v}" for k, v in s.scorecard_weights.items()],
        )
