"""Supplier bills (采购发票) with three-way match, payments and prepayments, debit-note offsets, and
the payables balance with aging per supplier (应付账款).

Three-way match per bill line, against its receipt line and order line:

* quantity: what this bill and earlier bills charge for a receipt line may not exceed the accepted
  and not returned quantity by more than ``match_qty_tolerance`` — beyond it the bill is refused
  (``OVER_BILLED``: receive the goods first, or the supplier issues a red-letter invoice), so goods
  never received are never booked into cost of sales — nor the ordered quantity (flag
  ``QTY_EXCEEDS_ORDERED``, for goods received beyond the order within its over-receipt tolerance);
* the supplier's invoice number: the same number twice for one supplier is refused
  (``DUPLICATE_SUPPLIER_INVOICE``; debit notes and bills without a number aside);
* price: the billed unit price may differ from the order price by at most ``match_price_tolerance``
  of it (``PRICE_MISMATCH``).

A bill with flags waits in ``pending_approval`` until someone with ``purchase.bill.approve`` (not
its creator, when separation of duties is on) accepts it; only then is it an open payable.
Each bill is an accounts-payable open item: ``total − paid``. Payments are allocated to bills with a
conditional ``UPDATE … WHERE paid_fen + n <= total_fen``, so concurrent payments can never overpay;
an unallocated remainder is a prepayment, allocated later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.services import Principal
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.numbering import next_number
from server.core.numbers import scaled_to_decimal
from server.core.text_limits import collect_length
from server.documents.open_items import (
    OpenItemBook,
    apply_money,
    apply_opposite,
    balances_named,
    record_money,
)
from server.partners.models import supplier
from server.purchasing.common import (
    Collector,
    actor_label,
    check_amount,
    create_once,
    load_products,
    lock_row,
    quantity_in_unit,
    require_permission,
    require_status,
    status_event,
    tax_fen,
    value_fen,
)
from server.purchasing.errors import PurchasingError
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    payment_allocation,
    purchase_order_line,
    supplier_bill,
    supplier_bill_line,
    supplier_payment,
)
from server.purchasing.settings import load_purchase_settings

PAYMENT_METHODS = ("bank_transfer", "cash", "bank_draft", "other")


@dataclass
class BillLineInput:
    receipt_line_id: int
    quantity: str  # base unit
    unit_price: str | None = None  # yuan per the order line's unit, excl. VAT; default: the order price
    vat_rate: str | None = None  # default: the order line's rate


@dataclass
class BillInput:
    supplier_id: int
    lines: list[BillLineInput]
    supplier_invoice_no: str = ""
    bill_date: date | None = None
    due_date: date | None = None  # default: bill date + the supplier's payment terms


async def do_create_supplier_bill(
    db: Database, data: BillInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Enter a supplier's invoice against receipt lines; returns the bill id."""
    require_permission(principal, "purchase.bill.edit")
    return await create_once(
        db, "purchase.bill", data, idempotency_key, lambda conn: _create_bill(conn, data, principal)
    )


async def _create_bill(conn: AsyncConnection, data: BillInput, principal: Principal | None) -> int:
    c = Collector()
    sup = (await conn.execute(select(supplier).where(supplier.c.id == data.supplier_id))).first()
    if sup is None:
        raise PurchasingError("NOT_FOUND", "supplierId", what="supplier")
    if not data.lines:
        raise PurchasingError("EMPTY_OPERATION", "lines")
    invoice_no = data.supplier_invoice_no.strip()
    collect_length(c, invoice_no, supplier_bill.c.supplier_invoice_no, "supplierInvoiceNo")
    if invoice_no:
        earlier = (
            await conn.execute(
                select(supplier_bill.c.number).where(
                    supplier_bill.c.supplier_id == data.supplier_id,
                    supplier_bill.c.kind == "bill",
                    supplier_bill.c.supplier_invoice_no == invoice_no,
                )
            )
        ).first()
        if earlier is not None:
            c.add("DUPLICATE_SUPPLIER_INVOICE", "supplierInvoiceNo", invoice_no=invoice_no, bill=earlier.number)
    settings = await load_purchase_settings(conn)
    price_tol, qty_tol = settings.tolerance("match_price_tolerance"), settings.tolerance("match_qty_tolerance")
    ids = sorted({ln.receipt_line_id for ln in data.lines})
    # lock the receipt lines (sorted) so two bills for one line are matched one after the other
    rows = {
        r.id: r
        for r in await conn.execute(
            select(
                goods_receipt_line,
                goods_receipt.c.supplier_id,
                purchase_order_line.c.qty.label("ordered_qty"),
                purchase_order_line.c.billed_qty.label("order_billed_qty"),
            )
            .join(goods_receipt, goods_receipt.c.id == goods_receipt_line.c.receipt_id)
            .outerjoin(purchase_order_line, purchase_order_line.c.id == goods_receipt_line.c.order_line_id)
            .where(goods_receipt_line.c.id.in_(ids))
            .order_by(goods_receipt_line.c.id)
            .with_for_update(of=goods_receipt_line)
        )
    }
    products = await load_products(conn, {r.product_id for r in rows.values()})
    billed_now: dict[int, int] = {}
    order_billed_now: dict[int, int] = {}
    lines: list[dict[str, Any]] = []
    for i, ln in enumerate(data.lines):
        r = rows.get(ln.receipt_line_id)
        if r is None:
            c.add("NOT_FOUND", f"lines.{i}.receiptLineId", what="receipt_line")
            continue
        if r.supplier_id != data.supplier_id:
            c.add("SUPPLIER_MISMATCH", f"lines.{i}.receiptLineId")
            continue
        p = products[r.product_id]
        q = quantity_in_unit(c, p, None, ln.quantity, f"lines.{i}.quantity")
        price = r.unit_price_micro if ln.unit_price is None else c.price(ln.unit_price, f"lines.{i}.unitPrice")
        rate = r.vat_rate_bp if ln.vat_rate is None else c.rate(ln.vat_rate, f"lines.{i}.vatRate")
        if q is None or price is None or rate is None:
            continue
        qty = q[1]
        flags: list[str] = []
        billed_now[r.id] = billed_now.get(r.id, 0) + qty
        billable = r.accepted_qty - r.returned_qty - r.billed_qty
        if billed_now[r.id] > billable + Decimal(billable) * qty_tol:
            available = str(scaled_to_decimal(max(billable - (billed_now[r.id] - qty), 0), p.precision))
            c.add("OVER_BILLED", f"lines.{i}.quantity", available=available)
            continue
        if r.order_line_id is not None:
            order_billed_now[r.order_line_id] = order_billed_now.get(r.order_line_id, 0) + qty
            if r.order_billed_qty + order_billed_now[r.order_line_id] > r.ordered_qty:
                flags.append("QTY_EXCEEDS_ORDERED")
        if abs(price - r.unit_price_micro) > Decimal(r.unit_price_micro) * price_tol:
            flags.append("PRICE_MISMATCH")
        amount = value_fen(qty, price, r.unit_factor)
        check_amount(c, amount, f"lines.{i}.unitPrice")
        lines.append(
            dict(
                line_no=i + 1,
                receipt_line_id=r.id,
                product_id=r.product_id,
                qty=qty,
                unit_factor=r.unit_factor,
                unit_price_micro=price,
                vat_rate_bp=rate,
                amount_fen=amount,
                tax_fen=tax_fen(amount, rate),
                flags=",".join(flags),
                _order_line=r.order_line_id,
            )
        )
    c.raise_if_any()
    bill_date = await business_day(conn, data.bill_date, PurchasingError, "billDate")
    due_date = data.due_date or bill_date + timedelta(days=sup.payment_terms_days)
    if due_date < bill_date:
        raise PurchasingError("INVALID_VALUE", "dueDate", detail="before the bill date")
    amount = sum(bl["amount_fen"] for bl in lines)
    tax = sum(bl["tax_fen"] for bl in lines)
    match_flags = [{"line": bl["line_no"], "flags": bl["flags"].split(",")} for bl in lines if bl["flags"]]
    status = "pending_approval" if match_flags else "open"
    number = await next_number(conn, "PB", bill_date)
    bill_id = (
        await conn.execute(
            supplier_bill.insert()
            .values(
                number=number,
                kind="bill",
                supplier_id=data.supplier_id,
                supplier_invoice_no=invoice_no,
                bill_date=bill_date,
                due_date=due_date,
                amount_fen=amount,
                tax_fen=tax,
                total_fen=amount + tax,
                status=status,
                match_flags=json.dumps(match_flags),
                actor=actor_label(principal),
                created_at=utcnow(),
            )
            .returning(supplier_bill.c.id)
        )
    ).scalar_one()
    for bl in lines:
        order_line = bl.pop("_order_line")
        await conn.execute(supplier_bill_line.insert().values(bill_id=bill_id, **bl))
        await conn.execute(
            update(goods_receipt_line)
            .where(goods_receipt_line.c.id == bl["receipt_line_id"])
            .values(billed_qty=goods_receipt_line.c.billed_qty + bl["qty"])
        )
        if order_line is not None:
            await conn.execute(
                update(purchase_order_line)
                .where(purchase_order_line.c.id == order_line)
                .values(billed_qty=purchase_order_line.c.billed_qty + bl["qty"])
            )
    note_change(
        conn,
        f"supplier_bill:{bill_id}",
        after={"number": number, "total_fen": amount + tax, "status": status, "flags": match_flags},
    )
    await status_event(conn, "supplier_bill", bill_id, number, "", status, principal)
    return bill_id


async def do_approve_supplier_bill(db: Database, bill_id: int, principal: Principal, comment: str = "") -> None:
    """Accept a bill whose three-way match was flagged; it becomes an open payable."""
    require_permission(principal, "purchase.bill.approve")
    async with db.write() as conn:
        row = await lock_row(conn, supplier_bill, bill_id, "bill")
        require_status(row, ("pending_approval",), "bill", "approve")
        settings = await load_purchase_settings(conn)
        if settings.separation_of_duties and row.actor == principal.label:
            raise PurchasingError("SELF_APPROVAL", "id")
        await conn.execute(
            update(supplier_bill)
            .where(supplier_bill.c.id == bill_id)
            .values(status="open", approved_by=principal.label)
        )
        note_change(
            conn,
            f"supplier_bill:{bill_id}",
            before={"status": row.status},
            after={"status": "open", "comment": comment.strip()[:500]},
        )
        await status_event(conn, "supplier_bill", bill_id, row.number, row.status, "open", principal)


@dataclass
class Allocation:
    bill_id: int
    amount: str  # yuan


@dataclass
class PaymentInput:
    supplier_id: int
    amount: str  # yuan
    method: str = "bank_transfer"
    payment_date: date | None = None
    reference: str = ""
    allocations: list[Allocation] = field(default_factory=list)


PAYABLES = OpenItemBook(
    error_cls=PurchasingError,
    documents=supplier_bill,
    document_kind="bill",
    document_type="supplier_bill",
    what="bill",
    party=supplier,
    party_fk="supplier_id",
    settled="paid_fen",
    date_col="bill_date",
    mismatch="SUPPLIER_MISMATCH",
    allocations=payment_allocation,
    document_fk="bill_id",
    opposite_fk="debit_note_id",
    money=supplier_payment,
    money_fk="payment_id",
    money_date="payment_date",
    money_what="payment",
    money_prefix="PP",
    money_scope="purchase.payment",
    methods=PAYMENT_METHODS,
    side="payable",
    opposite_kind="debit_note",
)


async def do_record_supplier_payment(
    db: Database, data: PaymentInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Record a payment to a supplier, allocated to bills; what is not allocated is a prepayment."""
    return await record_money(
        db,
        PAYABLES,
        data,
        principal,
        party_id=data.supplier_id,
        amount=data.amount,
        method=data.method,
        on=data.payment_date,
        reference=data.reference,
        allocations=data.allocations,
        idempotency_key=idempotency_key,
    )


async def do_allocate_prepayment(
    db: Database, payment_id: int, allocations: list[Allocation], principal: Principal | None, *, on: date | None = None
) -> None:
    """Use (part of) a prepayment to settle bills, effective ``on`` (default: today)."""
    await apply_money(db, PAYABLES, payment_id, allocations, principal, on=on)


async def do_apply_debit_note(
    db: Database, debit_note_id: int, bill_id: int, amount: str, principal: Principal | None, *, on: date | None = None
) -> None:
    """Offset a debit note (what the supplier owes us after a return) against an open bill,
    effective ``on`` (default: today)."""
    await apply_opposite(db, PAYABLES, debit_note_id, Allocation(bill_id, amount), principal, on=on)


def payables_query(as_of: date, supplier_id: int | None = None) -> Select[Any]:
    """Per supplier, as of the end of ``as_of``: open bills, open debit notes (negative), prepayments
    and the balance we owe, with open bills aged by due date (``open_items.balances_query``)."""
    return balances_named(
        PAYABLES,
        as_of,
        supplier_id,
        party="supplier_id",
        documents="bills_open",
        opposite="debit_open",
        unallocated="prepayments",
    )
