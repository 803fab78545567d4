"""Purchasing mutations and their payloads: supplier prices and selection, purchase orders and
approval, receipts with inspection, returns, supplier bills and payments. Rules live in
``server.purchasing``; this module maps IDs and inputs and returns payloads."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.documents import id_decoder, load_row, order_transition, payload_of
from schema.errors import PurchasingError, run_action
from schema.purchasing.inputs import (
    AllocationInput,
    GoodsReceiptInput,
    PurchaseOrderInput,
    PurchaseReturnInput,
    PurchaseSettingsInput,
    SupplierBillInput,
    SupplierPaymentInput,
    SupplierPriceInput,
)
from schema.purchasing.types import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseReturn,
    PurchaseSettings,
    SupplierBill,
    SupplierPayment,
    SupplierPrice,
)
from schema.scalars import Money
from server.purchasing import bills, orders, prices, receipts, settings
from server.purchasing.errors import PurchasingError as DomainPurchasingError
from server.purchasing.errors import PurchasingErrorCode
from server.purchasing.models import purchase_return, supplier_payment, supplier_price

CODES = PurchasingErrorCode


WHAT = {
    "Supplier": "supplier",
    "Product": "product",
    "Warehouse": "warehouse",
    "Unit": "unit",
    "Location": "location",
    "PurchaseOrder": "purchase_order",
    "PurchaseOrderLine": "purchase_order_line",
    "GoodsReceipt": "receipt",
    "GoodsReceiptLine": "receipt_line",
    "SupplierBill": "bill",
    "SupplierPayment": "payment",
    "SupplierPrice": "supplier_price",
}


pk = id_decoder(DomainPurchasingError, WHAT)  # a wrong global ID inside an action: a NOT_FOUND payload error


def _principal(info: Info):
    return info.context.principal


def _order_input(data: PurchaseOrderInput) -> orders.OrderInput:
    return orders.OrderInput(
        supplier_id=pk(data.supplier_id, "Supplier", "supplierId"),
        warehouse_id=pk(data.warehouse_id, "Warehouse", "warehouseId"),
        order_date=data.order_date,
        note=data.note,
        lines=[
            orders.OrderLineInput(
                product_id=pk(ln.product_id, "Product", f"lines.{i}.productId"),
                quantity=ln.quantity,
                unit_id=pk(ln.unit_id, "Unit", f"lines.{i}.unitId"),
                unit_price=ln.unit_price,
                vat_rate=ln.vat_rate,
                expected_date=ln.expected_date,
                warehouse_id=pk(ln.warehouse_id, "Warehouse", f"lines.{i}.warehouseId"),
            )
            for i, ln in enumerate(data.lines)
        ],
    )


def _receipt_input(data: GoodsReceiptInput) -> receipts.ReceiptInput:
    return receipts.ReceiptInput(
        order_id=pk(data.order_id, "PurchaseOrder", "orderId"),
        supplier_id=pk(data.supplier_id, "Supplier", "supplierId"),
        receipt_date=data.receipt_date,
        landed_cost=data.landed_cost,
        landed_allocation=data.landed_allocation.value,
        note=data.note,
        lines=[
            receipts.ReceiptLineInput(
                received_quantity=ln.received_quantity,
                order_line_id=pk(ln.order_line_id, "PurchaseOrderLine", f"lines.{i}.orderLineId"),
                product_id=pk(ln.product_id, "Product", f"lines.{i}.productId"),
                rejected_quantity=ln.rejected_quantity,
                reject_reason=ln.reject_reason,
                location_id=pk(ln.location_id, "Location", f"lines.{i}.locationId"),
                unit_id=pk(ln.unit_id, "Unit", f"lines.{i}.unitId"),
                lot=ln.lot,
                expiry_date=ln.expiry_date,
                serials=list(ln.serials),
                unit_price=ln.unit_price,
                vat_rate=ln.vat_rate,
            )
            for i, ln in enumerate(data.lines)
        ],
    )


def _allocations(items: list[AllocationInput]) -> list[bills.Allocation]:
    return [
        bills.Allocation(pk(a.bill_id, "SupplierBill", f"allocations.{i}.billId"), a.amount)
        for i, a in enumerate(items)
    ]


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


async def _payload(info: Info, action, payload_type, field: str, fetch, to_type):
    """Run ``action`` with purchasing's error enum; the payload carries what ``fetch`` reads after it."""
    row_id, errors = await run_action(info, CODES, action)
    return await payload_of(payload_type, field, row_id, errors, fetch, to_type)


async def _order_payload(info: Info, action) -> PurchaseOrderPayload:
    order_id, errors = await run_action(info, CODES, action)
    return await payload_of(
        PurchaseOrderPayload,
        "order",
        order_id,
        errors,
        lambda i: info.context.loaders.purchasing.purchase_order.load(i),
        PurchaseOrder.from_row,
    )


def _transition(fn):
    """An order transition mutation: decode the id, run the action, return the order."""
    return order_transition(fn, lambda id: pk(id, "PurchaseOrder", "id"), _order_payload)


@strawberry.type
class PurchasingMutation:
    @strawberry.mutation(
        description="Create a draft purchase order (采购订单).", extensions=needs("purchase.order.edit")
    )
    async def create_purchase_order(
        self, info: Info, input: PurchaseOrderInput, idempotency_key: str | None = None
    ) -> PurchaseOrderPayload:
        return await _order_payload(
            info,
            lambda: orders.do_create_purchase_order(
                info.context.db, _order_input(input), _principal(info), idempotency_key=idempotency_key
            ),
        )

    @strawberry.mutation(
        description="Replace a draft's (or a rejected order's) header and lines.",
        extensions=needs("purchase.order.edit"),
    )
    async def update_purchase_order(
        self, info: Info, id: strawberry.ID, input: PurchaseOrderInput
    ) -> PurchaseOrderPayload:
        async def action():
            order_id = pk(id, "PurchaseOrder", "id")
            await orders.do_update_purchase_order(info.context.db, order_id, _order_input(input), _principal(info))
            return order_id

        return await _order_payload(info, action)

    @strawberry.mutation(description="Submit a draft for approval.", extensions=needs("purchase.order.edit"))
    async def submit_purchase_order(self, info: Info, id: strawberry.ID) -> PurchaseOrderPayload:
        return await _transition(lambda db, o, p, _c: orders.do_submit_purchase_order(db, o, p))(info, id, "")

    @strawberry.mutation(
        description="Approve the current approval step (not your own order).",
        extensions=needs("purchase.order.approve"),
    )
    async def approve_purchase_order(self, info: Info, id: strawberry.ID, comment: str = "") -> PurchaseOrderPayload:
        return await _transition(orders.do_approve_purchase_order)(info, id, comment)

    @strawberry.mutation(
        description="Reject a submitted order with a comment.", extensions=needs("purchase.order.approve")
    )
    async def reject_purchase_order(self, info: Info, id: strawberry.ID, comment: str) -> PurchaseOrderPayload:
        return await _transition(orders.do_reject_purchase_order)(info, id, comment)

    @strawberry.mutation(
        description="反审核: take back the approval of an order nothing was received against; the comment (why) is required.",
        extensions=needs("purchase.order.approve"),
    )
    async def unapprove_purchase_order(self, info: Info, id: strawberry.ID, comment: str) -> PurchaseOrderPayload:
        return await _transition(orders.do_unapprove_purchase_order)(info, id, comment)

    @strawberry.mutation(description="Cancel an order before any receipt.", extensions=needs("purchase.order.edit"))
    async def cancel_purchase_order(self, info: Info, id: strawberry.ID, comment: str = "") -> PurchaseOrderPayload:
        return await _transition(orders.do_cancel_purchase_order)(info, id, comment)

    @strawberry.mutation(description="Close a (partially) received order.", extensions=needs("purchase.order.edit"))
    async def close_purchase_order(self, info: Info, id: strawberry.ID, comment: str = "") -> PurchaseOrderPayload:
        return await _transition(orders.do_close_purchase_order)(info, id, comment)

    @strawberry.mutation(
        description="Receive, inspect and put away goods (到货验收 → 采购入库).", extensions=needs("stock.receive")
    )
    async def receive_goods(
        self, info: Info, input: GoodsReceiptInput, idempotency_key: str | None = None
    ) -> GoodsReceiptPayload:
        return await _payload(
            info,
            lambda: receipts.do_receive_goods(
                info.context.db, _receipt_input(input), _principal(info), idempotency_key=idempotency_key
            ),
            GoodsReceiptPayload,
            "receipt",
            lambda i: info.context.loaders.purchasing.receipt.load(i),
            GoodsReceipt.from_row,
        )

    @strawberry.mutation(
        description="Return received goods to the supplier (采购退货) with a debit note.",
        extensions=needs("purchase.return"),
    )
    async def return_to_supplier(
        self, info: Info, input: PurchaseReturnInput, idempotency_key: str | None = None
    ) -> PurchaseReturnPayload:
        async def action():
            data = receipts.ReturnInput(
                receipt_id=pk(input.receipt_id, "GoodsReceipt", "receiptId"),
                reason=input.reason,
                return_date=input.return_date,
                lines=[
                    receipts.ReturnLineInput(
                        pk(ln.receipt_line_id, "GoodsReceiptLine", f"lines.{i}.receiptLineId"),
                        ln.quantity,
                        pk(ln.location_id, "Location", f"lines.{i}.locationId"),
                    )
                    for i, ln in enumerate(input.lines)
                ],
            )
            return await receipts.do_return_to_supplier(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _payload(
            info,
            action,
            PurchaseReturnPayload,
            "purchase_return",
            lambda i: load_row(info, purchase_return, i),
            PurchaseReturn.from_row,
        )

    @strawberry.mutation(
        description="Enter a supplier bill (采购发票) against receipt lines; three-way matched.",
        extensions=needs("purchase.bill.edit"),
    )
    async def create_supplier_bill(
        self, info: Info, input: SupplierBillInput, idempotency_key: str | None = None
    ) -> SupplierBillPayload:
        async def action():
            data = bills.BillInput(
                supplier_id=pk(input.supplier_id, "Supplier", "supplierId"),
                supplier_invoice_no=input.supplier_invoice_no,
                bill_date=input.bill_date,
                due_date=input.due_date,
                lines=[
                    bills.BillLineInput(
                        pk(ln.receipt_line_id, "GoodsReceiptLine", f"lines.{i}.receiptLineId"),
                        ln.quantity,
                        ln.unit_price,
                        ln.vat_rate,
                    )
                    for i, ln in enumerate(input.lines)
                ],
            )
            return await bills.do_create_supplier_bill(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _bill_payload(info, action)

    @strawberry.mutation(
        description="Accept a bill whose three-way match was flagged.", extensions=needs("purchase.bill.approve")
    )
    async def approve_supplier_bill(self, info: Info, id: strawberry.ID, comment: str = "") -> SupplierBillPayload:
        async def action():
            bill_id = pk(id, "SupplierBill", "id")
            await bills.do_approve_supplier_bill(info.context.db, bill_id, _principal(info), comment)
            return bill_id

        return await _bill_payload(info, action)

    @strawberry.mutation(
        description="Record a payment to a supplier (付款); unallocated = prepayment.",
        extensions=needs("finance.payment"),
    )
    async def record_supplier_payment(
        self, info: Info, input: SupplierPaymentInput, idempotency_key: str | None = None
    ) -> SupplierPaymentPayload:
        async def action():
            data = bills.PaymentInput(
                supplier_id=pk(input.supplier_id, "Supplier", "supplierId"),
                amount=input.amount,
                method=input.method.value,
                payment_date=input.payment_date,
                reference=input.reference,
                allocations=_allocations(input.allocations),
            )
            return await bills.do_record_supplier_payment(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _payment_payload(info, action)

    @strawberry.mutation(description="Use a prepayment to settle bills.", extensions=needs("finance.payment"))
    async def allocate_prepayment(
        self,
        info: Info,
        payment_id: strawberry.ID,
        allocations: list[AllocationInput],
        date: Annotated[
            date | None,
            strawberry.argument(description="The business date (default today; never before the payment or note)."),
        ] = None,
    ) -> SupplierPaymentPayload:
        async def action():
            pid = pk(payment_id, "SupplierPayment", "paymentId")
            await bills.do_allocate_prepayment(
                info.context.db, pid, _allocations(allocations), _principal(info), on=date
            )
            return pid

        return await _payment_payload(info, action)

    @strawberry.mutation(description="Offset a debit note against an open bill.", extensions=needs("finance.payment"))
    async def apply_debit_note(
        self,
        info: Info,
        debit_note_id: strawberry.ID,
        bill_id: strawberry.ID,
        amount: Money,
        date: Annotated[
            date | None,
            strawberry.argument(description="The business date (default today; never before the payment or note)."),
        ] = None,
    ) -> SupplierBillPayload:
        async def action():
            note_id = pk(debit_note_id, "SupplierBill", "debitNoteId")
            await bills.do_apply_debit_note(
                info.context.db, note_id, pk(bill_id, "SupplierBill", "billId"), amount, _principal(info), on=date
            )
            return note_id

        return await _bill_payload(info, action)

    @strawberry.mutation(
        description="Add a supplier price for a product (with validity).", extensions=needs("purchase.order.edit")
    )
    async def create_supplier_price(self, info: Info, input: SupplierPriceInput) -> SupplierPricePayload:
        async def action():
            return await prices.do_create_supplier_price(
                info.context.db,
                prices.SupplierPriceInput(
                    supplier_id=pk(input.supplier_id, "Supplier", "supplierId"),
                    product_id=pk(input.product_id, "Product", "productId"),
                    unit_price=input.unit_price,
                    vat_rate=input.vat_rate,
                    min_order_qty=input.min_order_quantity,
                    pack_qty=input.pack_quantity,
                    lead_time_days=input.lead_time_days,
                    valid_from=input.valid_from,
                    valid_to=input.valid_to,
                ),
                _principal(info),
            )

        return await _price_payload(info, action)

    @strawberry.mutation(description="End a supplier price's validity.", extensions=needs("purchase.order.edit"))
    async def end_supplier_price(self, info: Info, id: strawberry.ID, valid_to: date) -> SupplierPricePayload:
        async def action():
            price_id = pk(id, "SupplierPrice", "id")
            await prices.do_end_supplier_price(info.context.db, price_id, valid_to, info.context.principal)
            return price_id

        return await _price_payload(info, action)

    @strawberry.mutation(
        description="Set or clear (supplierId null) a product's preferred supplier.",
        extensions=needs("purchase.order.edit"),
    )
    async def set_preferred_supplier(
        self, info: Info, product_id: strawberry.ID, supplier_id: strawberry.ID | None = None
    ) -> PurchasingMutationPayload:
        _, errors = await run_action(
            info,
            CODES,
            lambda: prices.do_set_preferred_supplier(
                info.context.db,
                pk(product_id, "Product", "productId"),
                pk(supplier_id, "Supplier", "supplierId"),
                info.context.principal,
            ),
        )
        return PurchasingMutationPayload(ok=not errors, errors=errors)

    @strawberry.mutation(
        description="Change purchasing settings (thresholds, tolerances, separation of duties).",
        extensions=needs("purchase.settings"),
    )
    async def change_purchase_settings(self, info: Info, input: PurchaseSettingsInput) -> PurchaseSettingsPayload:
        change = settings.PurchaseSettingsChange(
            separation_of_duties=input.separation_of_duties,
            approval_thresholds=None
            if input.approval_thresholds is None
            else [(t.above, t.role) for t in input.approval_thresholds],
            over_receipt_tolerance=input.over_receipt_tolerance,
            allow_receipt_without_order=input.allow_receipt_without_order,
            match_price_tolerance=input.match_price_tolerance,
            match_qty_tolerance=input.match_qty_tolerance,
            scorecard_weights=input.scorecard_weights.as_dict() if input.scorecard_weights else None,
        )
        result, errors = await run_action(
            info, CODES, lambda: settings.do_change_purchase_settings(info.context.db, change, _principal(info))
        )
        return PurchaseSettingsPayload(
            settings=None if errors else PurchaseSettings.from_settings(result), errors=errors
        )


async def _bill_payload(info: Info, action) -> SupplierBillPayload:
    bill_id, errors = await run_action(info, CODES, action)
    return await payload_of(
        SupplierBillPayload,
        "bill",
        bill_id,
        errors,
        lambda i: info.context.loaders.purchasing.bill.load(i),
        SupplierBill.from_row,
    )


async def _payment_payload(info: Info, action) -> SupplierPaymentPayload:
    payment_id, errors = await run_action(info, CODES, action)
    return await payload_of(
        SupplierPaymentPayload,
        "payment",
        payment_id,
        errors,
        lambda i: load_row(info, supplier_payment, i),
        SupplierPayment.from_row,
    )


async def _price_payload(info: Info, action) -> SupplierPricePayload:
    price_id, errors = await run_action(info, CODES, action)
    return await payload_of(
        SupplierPricePayload,
        "price",
        price_id,
        errors,
        lambda i: load_row(info, supplier_price, i),
        SupplierPrice.from_row,
    )
