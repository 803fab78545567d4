"""Purchasing queries and mutations: supplier prices and selection, purchase orders and approval,
receipts with inspection, returns, supplier bills, payments and payables. Rules live in
``server.purchasing``; this module maps IDs and inputs, checks permissions and returns payloads."""

from __future__ import annotations

from datetime import date, timedelta

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.enums import LandedAllocation, PaymentMethod
from schema.errors import PurchasingError, run_action
from schema.purchasing.types import (
    BillKind,
    BillStatus,
    GoodsReceipt,
    PurchaseOrder,
    PurchaseOrderStatus,
    PurchaseReturn,
    PurchaseSettings,
    SupplierBill,
    SupplierPayable,
    SupplierPayment,
    SupplierPrice,
    SupplierRanking,
    SupplierScorecard,
)
from schema.relay import Connection, decode_id, paginate
from schema.scalars import Decimal_, Money, Quantity
from server.auth import scope
from server.purchasing.errors import PurchasingError as DomainPurchasingError
from server.purchasing.errors import PurchasingErrorCode
from server.purchasing import bills, orders, prices, receipts, scorecard, settings
from server.purchasing.models import (
    goods_receipt,
    purchase_order,
    purchase_return,
    supplier_bill,
    supplier_payment,
    supplier_price,
)
from server.sql import like_pattern
from server import clock

CODES = PurchasingErrorCode

WHAT = {"Supplier": "supplier", "Product": "product", "Warehouse": "warehouse", "Unit": "unit",
        "Location": "location", "PurchaseOrder": "purchase_order", "PurchaseOrderLine": "purchase_order_line",
        "GoodsReceipt": "receipt", "GoodsReceiptLine": "receipt_line", "SupplierBill": "bill",
        "SupplierPayment": "payment", "SupplierPrice": "supplier_price"}


def pk(global_id, type_name: str, field: str) -> int | None:
    """Decode a global ID inside an action: a wrong one is a ``NOT_FOUND`` payload error."""
    if global_id is None:
        return None
    value = decode_id(global_id, type_name)
    if value is None:
        raise DomainPurchasingError("NOT_FOUND", field, what=WHAT[type_name])
    return value


def _principal(info: Info):
    return info.context.principal


def _allowed_warehouses(info: Info, column):
    allowed = caller_warehouses(info)
    return None if allowed is None else scope.within(allowed, column)


# ---- inputs -----------------------------------------------------------------------------------------


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


def _order_input(data: PurchaseOrderInput) -> orders.OrderInput:
    return orders.OrderInput(
        supplier_id=pk(data.supplier_id, "Supplier", "supplierId"),
        warehouse_id=pk(data.warehouse_id, "Warehouse", "warehouseId"),
        order_date=data.order_date, note=data.note,
        lines=[orders.OrderLineInput(
            product_id=pk(ln.product_id, "Product", f"lines.{i}.productId"), quantity=ln.quantity,
            unit_id=pk(ln.unit_id, "Unit", f"lines.{i}.unitId"), unit_price=ln.unit_price, vat_rate=ln.vat_rate,
            expected_date=ln.expected_date, warehouse_id=pk(ln.warehouse_id, "Warehouse", f"lines.{i}.warehouseId"))
            for i, ln in enumerate(data.lines)])


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


def _receipt_input(data: GoodsReceiptInput) -> receipts.ReceiptInput:
    return receipts.ReceiptInput(
        order_id=pk(data.order_id, "PurchaseOrder", "orderId"),
        supplier_id=pk(data.supplier_id, "Supplier", "supplierId"), receipt_date=data.receipt_date,
        landed_cost=data.landed_cost, landed_allocation=data.landed_allocation.value, note=data.note,
        lines=[receipts.ReceiptLineInput(
            received_quantity=ln.received_quantity,
            order_line_id=pk(ln.order_line_id, "PurchaseOrderLine", f"lines.{i}.orderLineId"),
            product_id=pk(ln.product_id, "Product", f"lines.{i}.productId"),
            rejected_quantity=ln.rejected_quantity, reject_reason=ln.reject_reason,
            location_id=pk(ln.location_id, "Location", f"lines.{i}.locationId"),
            unit_id=pk(ln.unit_id, "Unit", f"lines.{i}.unitId"), lot=ln.lot, expiry_date=ln.expiry_date,
            serials=list(ln.serials), unit_price=ln.unit_price, vat_rate=ln.vat_rate)
            for i, ln in enumerate(data.lines)])


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


def _allocations(items: list[AllocationInput]) -> list[bills.Allocation]:
    return [bills.Allocation(pk(a.bill_id, "SupplierBill", f"allocations.{i}.billId"), a.amount)
            for i, a in enumerate(items)]


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
        return {"on_time": self.on_time, "acceptance": self.acceptance, "lead_time": self.lead_time,
                "price": self.price}


@strawberry.input
class PurchaseSettingsInput:
    separation_of_duties: bool | None = None
    approval_thresholds: list[ApprovalThresholdInput] | None = None
    over_receipt_tolerance: Decimal_ | None = None
    allow_receipt_without_order: bool | None = None
    match_price_tolerance: Decimal_ | None = None
    match_qty_tolerance: Decimal_ | None = None
    scorecard_weights: ScorecardWeightsInput | None = None


# ---- filters and queries ------------------------------------------------------------------------------


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


def _supplier_filter(q, table, supplier_id):
    if supplier_id is not None:
        q = q.where(table.c.supplier_id == (decode_id(supplier_id, "Supplier") or 0))
    return q


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or clock.today()
    return start or end - timedelta(days=365), end


@strawberry.type
class PurchasingQuery:
    @strawberry.field(description="Purchase orders, newest first.", extensions=needs("purchase.view"))
    async def purchase_orders(self, info: Info, filter: PurchaseOrderFilter | None = None, first: int | None = None,
                              after: str | None = None) -> Connection[PurchaseOrder]:
        q = select(purchase_order).order_by(purchase_order.c.id.desc())
        if filter is not None:
            if filter.status is not None:
                q = q.where(purchase_order.c.status == filter.status.value)
            if filter.number:
                q = q.where(purchase_order.c.number.ilike(like_pattern(filter.number.strip()), escape="\\"))
            q = _supplier_filter(q, purchase_order, filter.supplier_id)
        restriction = _allowed_warehouses(info, purchase_order.c.warehouse_id)
        if restriction is not None:
            q = q.where(restriction)
        return await paginate(info, q, PurchaseOrder.from_row, first=first, after=after)

    @strawberry.field(description="Goods receipts, newest first.", extensions=needs("purchase.view"))
    async def goods_receipts(self, info: Info, order_id: strawberry.ID | None = None,
                             supplier_id: strawberry.ID | None = None, first: int | None = None,
                             after: str | None = None) -> Connection[GoodsReceipt]:
        q = _supplier_filter(select(goods_receipt).order_by(goods_receipt.c.id.desc()), goods_receipt, supplier_id)
        if order_id is not None:
            q = q.where(goods_receipt.c.order_id == (decode_id(order_id, "PurchaseOrder") or 0))
        restriction = _allowed_warehouses(info, goods_receipt.c.warehouse_id)
        if restriction is not None:
            q = q.where(restriction)
        return await paginate(info, q, GoodsReceipt.from_row, first=first, after=after)

    @strawberry.field(description="Purchase returns, newest first.", extensions=needs("purchase.view"))
    async def purchase_returns(self, info: Info, supplier_id: strawberry.ID | None = None, first: int | None = None,
                               after: str | None = None) -> Connection[PurchaseReturn]:
        q = _supplier_filter(select(purchase_return).order_by(purchase_return.c.id.desc()), purchase_return,
                             supplier_id)
        return await paginate(info, q, PurchaseReturn.from_row, first=first, after=after)

    @strawberry.field(description="Supplier bills and debit notes, newest first.", extensions=needs("purchase.view"))
    async def supplier_bills(self, info: Info, filter: SupplierBillFilter | None = None, first: int | None = None,
                             after: str | None = None) -> Connection[SupplierBill]:
        q = select(supplier_bill).order_by(supplier_bill.c.id.desc())
        if filter is not None:
            q = _supplier_filter(q, supplier_bill, filter.supplier_id)
            if filter.status is not None:
                q = q.where(supplier_bill.c.status == filter.status.value)
            if filter.kind is not None:
                q = q.where(supplier_bill.c.kind == filter.kind.value)
        return await paginate(info, q, SupplierBill.from_row, first=first, after=after)

    @strawberry.field(description="Payments to suppliers, newest first.", extensions=needs("purchase.view"))
    async def supplier_payments(self, info: Info, supplier_id: strawberry.ID | None = None, first: int | None = None,
                                after: str | None = None) -> Connection[SupplierPayment]:
        q = _supplier_filter(select(supplier_payment).order_by(supplier_payment.c.id.desc()), supplier_payment,
                             supplier_id)
        return await paginate(info, q, SupplierPayment.from_row, first=first, after=after)

    @strawberry.field(description="Supplier prices, optionally only those valid on a date.",
                      extensions=needs("purchase.view"))
    async def supplier_prices(self, info: Info, product_id: strawberry.ID | None = None,
                              supplier_id: strawberry.ID | None = None, valid_on: date | None = None,
                              first: int | None = None, after: str | None = None) -> Connection[SupplierPrice]:
        q = _supplier_filter(select(supplier_price).order_by(supplier_price.c.product_id, supplier_price.c.supplier_id,
                                                             supplier_price.c.valid_from.desc(), supplier_price.c.id),
                             supplier_price, supplier_id)
        if product_id is not None:
            q = q.where(supplier_price.c.product_id == (decode_id(product_id, "Product") or 0))
        if valid_on is not None:
            q = q.where(prices.valid_on(valid_on))
        return await paginate(info, q, SupplierPrice.from_row, first=first, after=after)

    @strawberry.field(description="A supplier's scorecard over a period (default: the last 365 days).",
                      extensions=needs("purchase.view"))
    async def supplier_scorecard(self, info: Info, supplier_id: strawberry.ID, start: date | None = None,
                                 end: date | None = None) -> SupplierScorecard | None:
        sid = decode_id(supplier_id, "Supplier")
        if sid is None:
            return None
        start, end = _period(start, end)
        async with info.context.db.read() as conn:
            return SupplierScorecard.from_card(await scorecard.supplier_scorecard(conn, sid, start, end))

    @strawberry.field(description="The suppliers of a product ranked by weighted score (供应商选择).",
                      extensions=needs("purchase.view"))
    async def rank_suppliers(self, info: Info, product_id: strawberry.ID, start: date | None = None,
                             end: date | None = None,
                             weights: ScorecardWeightsInput | None = None) -> list[SupplierRanking]:
        pid = decode_id(product_id, "Product")
        if pid is None:
            return []
        start, end = _period(start, end)
        async with info.context.db.read() as conn:
            ranked = await scorecard.rank_suppliers(conn, pid, start, end, weights.as_dict() if weights else None)
        return [SupplierRanking(score=Decimal_(str(r.score)), preferred=r.preferred,
                                lead_time_days=None if r.lead_time_days is None else Decimal_(str(r.lead_time_days)),
                                scorecard=SupplierScorecard.from_card(r.scorecard), _price=r.unit_price_micro)
                for r in ranked]

    @strawberry.field(description="Payables per supplier with aging by due date (应付账款账龄).",
                      extensions=needs("purchase.view"))
    async def supplier_payables(self, info: Info, as_of: date | None = None, supplier_id: strawberry.ID | None = None,
                                first: int | None = None, after: str | None = None) -> Connection[SupplierPayable]:
        sid = decode_id(supplier_id, "Supplier") or 0 if supplier_id is not None else None
        q = bills.payables_query(as_of or clock.today(), sid)
        return await paginate(info, q, SupplierPayable.from_row, first=first, after=after)

    @strawberry.field(extensions=needs("purchase.view"))
    async def purchase_settings(self, info: Info) -> PurchaseSettings:
        async with info.context.db.read() as conn:
            return PurchaseSettings.from_settings(await settings.load_purchase_settings(conn))


# ---- mutations ----------------------------------------------------------------------------------------


@strawberry.type
class PurchaseOrderPayload:
    order: PurchaseOrder | None
    errors: list[PurchasingError]


@strawberry.type
class GoodsReceiptPayload:
    receipt: GoodsReceipt | None
    errors: list[PurchasingError]


@strawberry.type
class PurchaseReturnPayload:
    purchase_return: PurchaseReturn | None
    errors: list[PurchasingError]


@strawberry.type
class SupplierBillPayload:
    bill: SupplierBill | None
    errors: list[PurchasingError]


@strawberry.type
class SupplierPaymentPayload:
    payment: SupplierPayment | None
    errors: list[PurchasingError]


@strawberry.type
class SupplierPricePayload:
    price: SupplierPrice | None
    errors: list[PurchasingError]


@strawberry.type
class PurchaseSettingsPayload:
    settings: PurchaseSettings | None
    errors: list[PurchasingError]


@strawberry.type
class PurchasingMutationPayload:
    ok: bool
    errors: list[PurchasingError]


async def _order_payload(info: Info, action) -> PurchaseOrderPayload:
    order_id, errors = await run_action(info, CODES, action)
    if errors:
        return PurchaseOrderPayload(order=None, errors=errors)
    return PurchaseOrderPayload(order=PurchaseOrder.from_row(await info.context.loaders.purchase_order.load(order_id)),
                                errors=[])


async def _load(info: Info, table, row_id: int):
    async with info.context.db.read() as conn:
        return (await conn.execute(select(table).where(table.c.id == row_id))).one()


def _transition(fn, *, with_comment: bool = True):
    """An order transition mutation: decode the id, run the action, return the order."""

    async def run(info: Info, id: strawberry.ID, comment: str):
        async def action():
            order_id = pk(id, "PurchaseOrder", "id")
            await fn(info.context.db, order_id, _principal(info), comment)
            return order_id
        return await _order_payload(info, action)

    return run


@strawberry.type
class PurchasingMutation:
    @strawberry.mutation(description="Create a draft purchase order (采购订单).", extensions=needs("purchase.order.edit"))
    async def create_purchase_order(self, info: Info, input: PurchaseOrderInput,
                                    idempotency_key: str | None = None) -> PurchaseOrderPayload:
        return await _order_payload(info, lambda: orders.do_create_purchase_order(
            info.context.db, _order_input(input), _principal(info), idempotency_key=idempotency_key))

    @strawberry.mutation(description="Replace a draft's (or a rejected order's) header and lines.",
                         extensions=needs("purchase.order.edit"))
    async def update_purchase_order(self, info: Info, id: strawberry.ID,
                                    input: PurchaseOrderInput) -> PurchaseOrderPayload:
        async def action():
            order_id = pk(id, "PurchaseOrder", "id")
            await orders.do_update_purchase_order(info.context.db, order_id, _order_input(input), _principal(info))
            return order_id
        return await _order_payload(info, action)

    @strawberry.mutation(description="Submit a draft for approval.", extensions=needs("purchase.order.edit"))
    async def submit_purchase_order(self, info: Info, id: strawberry.ID) -> PurchaseOrderPayload:
        return await _transition(lambda db, o, p, _c: orders.do_submit_purchase_order(db, o, p))(info, id, "")

    @strawberry.mutation(description="Approve the current approval step (not your own order).",
                         extensions=needs("purchase.order.approve"))
    async def approve_purchase_order(self, info: Info, id: strawberry.ID, comment: str = "") -> PurchaseOrderPayload:
        return await _transition(orders.do_approve_purchase_order)(info, id, comment)

    @strawberry.mutation(description="Reject a submitted order with a comment.",
                         extensions=needs("purchase.order.approve"))
    async def reject_purchase_order(self, info: Info, id: strawberry.ID, comment: str) -> PurchaseOrderPayload:
        return await _transition(orders.do_reject_purchase_order)(info, id, comment)

    @strawberry.mutation(description="Cancel an order before any receipt.", extensions=needs("purchase.order.edit"))
    async def cancel_purchase_order(self, info: Info, id: strawberry.ID, comment: str = "") -> PurchaseOrderPayload:
        return await _transition(orders.do_cancel_purchase_order)(info, id, comment)

    @strawberry.mutation(description="Close a (partially) received order.", extensions=needs("purchase.order.edit"))
    async def close_purchase_order(self, info: Info, id: strawberry.ID, comment: str = "") -> PurchaseOrderPayload:
        return await _transition(orders.do_close_purchase_order)(info, id, comment)

    @strawberry.mutation(description="Receive, inspect and put away goods (到货验收 → 采购入库).",
                         extensions=needs("stock.receive"))
    async def receive_goods(self, info: Info, input: GoodsReceiptInput,
                            idempotency_key: str | None = None) -> GoodsReceiptPayload:
        receipt_id, errors = await run_action(info, CODES, lambda: receipts.do_receive_goods(
            info.context.db, _receipt_input(input), _principal(info), idempotency_key=idempotency_key))
        if errors:
            return GoodsReceiptPayload(receipt=None, errors=errors)
        return GoodsReceiptPayload(receipt=GoodsReceipt.from_row(await info.context.loaders.receipt.load(receipt_id)),
                                   errors=[])

    @strawberry.mutation(description="Return received goods to the supplier (采购退货) with a debit note.",
                         extensions=needs("purchase.return"))
    async def return_to_supplier(self, info: Info, input: PurchaseReturnInput,
                                 idempotency_key: str | None = None) -> PurchaseReturnPayload:
        async def action():
            data = receipts.ReturnInput(
                receipt_id=pk(input.receipt_id, "GoodsReceipt", "receiptId"), reason=input.reason,
                return_date=input.return_date,
                lines=[receipts.ReturnLineInput(pk(ln.receipt_line_id, "GoodsReceiptLine", f"lines.{i}.receiptLineId"),
                                                ln.quantity, pk(ln.location_id, "Location", f"lines.{i}.locationId"))
                       for i, ln in enumerate(input.lines)])
            return await receipts.do_return_to_supplier(info.context.db, data, _principal(info),
                                                        idempotency_key=idempotency_key)
        return_id, errors = await run_action(info, CODES, action)
        if errors:
            return PurchaseReturnPayload(purchase_return=None, errors=errors)
        return PurchaseReturnPayload(purchase_return=PurchaseReturn.from_row(await _load(info, purchase_return, return_id)),
                                     errors=[])

    @strawberry.mutation(description="Enter a supplier bill (采购发票) against receipt lines; three-way matched.",
                         extensions=needs("purchase.bill.edit"))
    async def create_supplier_bill(self, info: Info, input: SupplierBillInput,
                                   idempotency_key: str | None = None) -> SupplierBillPayload:
        async def action():
            data = bills.BillInput(
                supplier_id=pk(input.supplier_id, "Supplier", "supplierId"),
                supplier_invoice_no=input.supplier_invoice_no, bill_date=input.bill_date, due_date=input.due_date,
                lines=[bills.BillLineInput(pk(ln.receipt_line_id, "GoodsReceiptLine", f"lines.{i}.receiptLineId"),
                                           ln.quantity, ln.unit_price, ln.vat_rate) for i, ln in enumerate(input.lines)])
            return await bills.do_create_supplier_bill(info.context.db, data, _principal(info),
                                                       idempotency_key=idempotency_key)
        return await _bill_payload(info, action)

    @strawberry.mutation(description="Accept a bill whose three-way match was flagged.",
                         extensions=needs("purchase.bill.approve"))
    async def approve_supplier_bill(self, info: Info, id: strawberry.ID, comment: str = "") -> SupplierBillPayload:
        async def action():
            bill_id = pk(id, "SupplierBill", "id")
            await bills.do_approve_supplier_bill(info.context.db, bill_id, _principal(info), comment)
            return bill_id
        return await _bill_payload(info, action)

    @strawberry.mutation(description="Record a payment to a supplier (付款); unallocated = prepayment.",
                         extensions=needs("finance.payment"))
    async def record_supplier_payment(self, info: Info, input: SupplierPaymentInput,
                                      idempotency_key: str | None = None) -> SupplierPaymentPayload:
        async def action():
            data = bills.PaymentInput(
                supplier_id=pk(input.supplier_id, "Supplier", "supplierId"), amount=input.amount,
                method=input.method.value, payment_date=input.payment_date, reference=input.reference,
                allocations=_allocations(input.allocations))
            return await bills.do_record_supplier_payment(info.context.db, data, _principal(info),
                                                          idempotency_key=idempotency_key)
        return await _payment_payload(info, action)

    @strawberry.mutation(description="Use a prepayment to settle bills.", extensions=needs("finance.payment"))
    async def allocate_prepayment(self, info: Info, payment_id: strawberry.ID,
                                  allocations: list[AllocationInput]) -> SupplierPaymentPayload:
        async def action():
            pid = pk(payment_id, "SupplierPayment", "paymentId")
            await bills.do_allocate_prepayment(info.context.db, pid, _allocations(allocations), _principal(info))
            return pid
        return await _payment_payload(info, action)

    @strawberry.mutation(description="Offset a debit note against an open bill.", extensions=needs("finance.payment"))
    async def apply_debit_note(self, info: Info, debit_note_id: strawberry.ID, bill_id: strawberry.ID,
                               amount: Money) -> SupplierBillPayload:
        async def action():
            note_id = pk(debit_note_id, "SupplierBill", "debitNoteId")
            await bills.do_apply_debit_note(info.context.db, note_id, pk(bill_id, "SupplierBill", "billId"), amount,
                                            _principal(info))
            return note_id
        return await _bill_payload(info, action)

    @strawberry.mutation(description="Add a supplier price for a product (with validity).",
                         extensions=needs("purchase.order.edit"))
    async def create_supplier_price(self, info: Info, input: SupplierPriceInput) -> SupplierPricePayload:
        async def action():
            return await prices.do_create_supplier_price(info.context.db, prices.SupplierPriceInput(
                supplier_id=pk(input.supplier_id, "Supplier", "supplierId"),
                product_id=pk(input.product_id, "Product", "productId"), unit_price=input.unit_price,
                vat_rate=input.vat_rate, min_order_qty=input.min_order_quantity, pack_qty=input.pack_quantity,
                lead_time_days=input.lead_time_days, valid_from=input.valid_from, valid_to=input.valid_to),
                _principal(info))
        return await _price_payload(info, action)

    @strawberry.mutation(description="End a supplier price's validity.", extensions=needs("purchase.order.edit"))
    async def end_supplier_price(self, info: Info, id: strawberry.ID, valid_to: date) -> SupplierPricePayload:
        async def action():
            price_id = pk(id, "SupplierPrice", "id")
            await prices.do_end_supplier_price(info.context.db, price_id, valid_to, info.context.principal)
            return price_id
        return await _price_payload(info, action)

    @strawberry.mutation(description="Set or clear (supplierId null) a product's preferred supplier.",
                         extensions=needs("purchase.order.edit"))
    async def set_preferred_supplier(self, info: Info, product_id: strawberry.ID,
                                     supplier_id: strawberry.ID | None = None) -> PurchasingMutationPayload:
        _, errors = await run_action(info, CODES, lambda: prices.do_set_preferred_supplier(
            info.context.db, pk(product_id, "Product", "productId"), pk(supplier_id, "Supplier", "supplierId"),
            info.context.principal))
        return PurchasingMutationPayload(ok=not errors, errors=errors)

    @strawberry.mutation(description="Change purchasing settings (thresholds, tolerances, separation of duties).",
                         extensions=needs("purchase.settings"))
    async def change_purchase_settings(self, info: Info, input: PurchaseSettingsInput) -> PurchaseSettingsPayload:
        change = settings.PurchaseSettingsChange(
            separation_of_duties=input.separation_of_duties,
            approval_thresholds=None if input.approval_thresholds is None else
            [(t.above, t.role) for t in input.approval_thresholds],
            over_receipt_tolerance=input.over_receipt_tolerance,
            allow_receipt_without_order=input.allow_receipt_without_order,
            match_price_tolerance=input.match_price_tolerance, match_qty_tolerance=input.match_qty_tolerance,
            scorecard_weights=input.scorecard_weights.as_dict() if input.scorecard_weights else None)
        result, errors = await run_action(info, CODES, lambda: settings.do_change_purchase_settings(
            info.context.db, change, _principal(info)))
        return PurchaseSettingsPayload(settings=None if errors else PurchaseSettings.from_settings(result),
                                       errors=errors)


async def _bill_payload(info: Info, action) -> SupplierBillPayload:
    bill_id, errors = await run_action(info, CODES, action)
    if errors:
        return SupplierBillPayload(bill=None, errors=errors)
    return SupplierBillPayload(bill=SupplierBill.from_row(await info.context.loaders.bill.load(bill_id)), errors=[])


async def _payment_payload(info: Info, action) -> SupplierPaymentPayload:
    payment_id, errors = await run_action(info, CODES, action)
    if errors:
        return SupplierPaymentPayload(payment=None, errors=errors)
    return SupplierPaymentPayload(payment=SupplierPayment.from_row(await _load(info, supplier_payment, payment_id)),
                                  errors=[])


async def _price_payload(info: Info, action) -> SupplierPricePayload:
    price_id, errors = await run_action(info, CODES, action)
    if errors:
        return SupplierPricePayload(price=None, errors=errors)
    return SupplierPricePayload(price=SupplierPrice.from_row(await _load(info, supplier_price, price_id)), errors=[])
