"""Sales invoices (销售发票), credit notes (红字发票), customer receipts (收款) and advances (预收), and
receivables with aging (应收账款).

An invoice is made from shipment lines. Its quantities cannot exceed what was shipped and not yet
invoiced (returned goods not invoiced yet are simply not invoiced), and its prices and VAT come from
the order line: the share of the order line's amount and VAT for a quantity is rounded
cumulatively (``line_share``), so all invoices of a line add up to exactly the order line — prices
and VAT always agree with the order. Header fields follow the e-invoice contents of the domain
reference §4.4; the total in Chinese capital numerals is ``amount_in_words``.

Receipts settle invoices like supplier payments settle bills: allocations with an effective date,
each a conditional ``UPDATE … WHERE received_fen + n <= total_fen``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import cn2an
from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.services import Principal
from server.catalog.models import product, unit
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.numbering import next_number
from server.core.numbers import QTY_SCALE, fen_to_decimal, round_half_up_div, scaled_to_decimal
from server.core.text_limits import check_length, collect_length
from server.documents.open_items import (
    OpenItemBook,
    apply_money,
    apply_opposite,
    balances_named,
    record_money,
)
from server.partners.models import customer
from server.sales.common import (
    Collector,
    actor_label,
    create_once,
    load_products,
    lock_row,
    quantity_in_unit,
    require_permission,
    status_event,
)
from server.sales.errors import SalesError
from server.sales.models import (
    customer_receipt,
    receipt_allocation,
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_line,
    shipment,
    shipment_line,
)
from server.sales.orders import refresh_order_status
from server.sales.settings import load_sales_settings

RECEIPT_METHODS = ("bank_transfer", "cash", "bank_draft", "wechat", "alipay", "other")


def amount_in_words(fen: int) -> str:
    """价税合计（大写）: e.g. 248.62 → 贰佰肆拾捌元陆角贰分; an amount ending in 角 or 元 gets 整;
    a negative amount (credit note) is prefixed 负."""
    text = cn2an.an2cn(str(fen_to_decimal(abs(fen))), "rmb")
    if text.endswith("角"):
        text += "整"
    return ("负" if fen < 0 else "") + text


def line_share(order_line, before_qty: int, qty: int) -> tuple[int, int]:
    """Amount and VAT of ``qty`` of an order line after ``before_qty`` were taken: cumulative
    rounding, so the shares of all quantities add up to the order line exactly."""

    def upto(q):
        return (
            round_half_up_div(order_line.amount_fen * q, order_line.qty),
            round_half_up_div(order_line.tax_fen * q, order_line.qty),
        )

    a1, t1 = upto(before_qty + qty)
    a0, t0 = upto(before_qty)
    return a1 - a0, t1 - t0


def _unit_price_micro(amount_fen: int, qty: int) -> int:
    return round_half_up_div(abs(amount_fen) * 10_000 * QTY_SCALE, abs(qty)) if qty else 0


async def _header(conn, customer_id: int, on: date, kind: str) -> dict:
    cust = (await conn.execute(select(customer).where(customer.c.id == customer_id))).first()
    if cust is None:
        raise SalesError("NOT_FOUND", "customerId", what="customer")
    settings = await load_sales_settings(conn)
    return dict(
        kind=kind,
        invoice_type=cust.invoice_type,
        customer_id=customer_id,
        invoice_date=on,
        due_date=on + timedelta(days=cust.payment_terms_days),
        buyer_name=cust.invoice_title or cust.name,
        buyer_tax_id=cust.tax_id,
        seller_name=settings.seller_name,
        seller_tax_id=settings.seller_tax_id,
    )


async def _item_info(conn, product_ids) -> dict:
    rows = await conn.execute(
        select(product.c.id, product.c.name, product.c.spec, unit.c.name.label("unit_name"))
        .join(unit, unit.c.id == product.c.base_unit_id)
        .where(product.c.id.in_(set(product_ids)))
    )
    return {r.id: r for r in rows}


async def _insert_invoice(
    conn,
    header: dict,
    lines: list[dict],
    principal,
    remarks: str,
    original_invoice_id: int | None = None,
    *,
    remarks_field: str = "remarks",
) -> int:
    # a credit note's remarks are its reason and the original's number: the whole must fit the column
    check_length(remarks, sales_invoice.c.remarks, SalesError, remarks_field)
    prefix = "SI" if header["kind"] == "invoice" else "CN"
    number = await next_number(conn, prefix, header["invoice_date"])
    amount = sum(ln["amount_fen"] for ln in lines)
    tax = sum(ln["tax_fen"] for ln in lines)
    invoice_id = (
        await conn.execute(
            sales_invoice.insert()
            .values(
                number=number,
                original_invoice_id=original_invoice_id,
                amount_fen=amount,
                tax_fen=tax,
                total_fen=amount + tax,
                status="open",
                remarks=remarks,
                actor=actor_label(principal),
                created_at=utcnow(),
                **header,
            )
            .returning(sales_invoice.c.id)
        )
    ).scalar_one()
    await conn.execute(
        sales_invoice_line.insert(),
        [dict(ln, invoice_id=invoice_id, line_no=no) for no, ln in enumerate(lines, start=1)],
    )
    note_change(
        conn, f"sales_invoice:{invoice_id}", after={"number": number, "kind": header["kind"], "total_fen": amount + tax}
    )
    await status_event(conn, "sales_invoice", invoice_id, number, "", "open", principal, kind=header["kind"])
    return invoice_id


@dataclass
class InvoiceLineInput:
    shipment_line_id: int
    quantity: str | None = None  # base unit; default: everything still to invoice on that line


@dataclass
class InvoiceInput:
    customer_id: int
    lines: list[InvoiceLineInput] = field(default_factory=list)
    shipment_ids: list[int] = field(default_factory=list)  # whole shipments, in addition to ``lines``
    invoice_date: date | None = None
    remarks: str = ""


async def do_create_invoice(
    db: Database, data: InvoiceInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Invoice shipped goods; refused with ``OVER_INVOICE`` beyond what is shipped and not invoiced."""
    require_permission(principal, "sales.invoice")

    async def create(conn) -> int:
        lines = list(data.lines)
        if data.shipment_ids:
            rows = await conn.execute(
                select(shipment_line.c.id)
                .where(shipment_line.c.shipment_id.in_(data.shipment_ids))
                .order_by(shipment_line.c.shipment_id, shipment_line.c.line_no)
            )
            lines += [InvoiceLineInput(r.id) for r in rows]
        return await _invoice(
            conn,
            data.customer_id,
            lines,
            await business_day(conn, data.invoice_date, SalesError, "invoiceDate"),
            principal,
            data.remarks,
            explicit=len(data.lines),
        )

    return await create_once(db, "sales.invoice", data, idempotency_key, create)


async def invoice_shipments(
    conn: AsyncConnection, customer_id: int, shipment_ids: list[int], on: date, principal
) -> int:
    """Invoice everything still to invoice on these shipments (the ``auto_invoice`` setting)."""
    rows = await conn.execute(
        select(shipment_line.c.id)
        .where(shipment_line.c.shipment_id.in_(shipment_ids))
        .order_by(shipment_line.c.shipment_id, shipment_line.c.line_no)
    )
    return await _invoice(conn, customer_id, [InvoiceLineInput(r.id) for r in rows], on, principal, "", explicit=0)


async def _invoice(
    conn, customer_id: int, wanted: list[InvoiceLineInput], on: date, principal, remarks: str, *, explicit: int
) -> int:
    c = Collector()
    if not wanted:
        raise SalesError("EMPTY_OPERATION", "lines")
    collect_length(c, remarks, sales_invoice.c.remarks, "remarks")
    ids = sorted({w.shipment_line_id for w in wanted})
    # lock order: the orders first (as shipping and closing do), then their lines
    order_ids = sorted(
        {
            r.order_id
            for r in await conn.execute(
                select(shipment.c.order_id)
                .join(shipment_line, shipment_line.c.shipment_id == shipment.c.id)
                .where(shipment_line.c.id.in_(ids))
            )
        }
    )
    for order_id in order_ids:
        await lock_row(conn, sales_order, order_id, "sales_order")
    rows = {
        r.id: r
        for r in await conn.execute(
            select(shipment_line, shipment.c.customer_id, shipment.c.order_id)
            .join(shipment, shipment.c.id == shipment_line.c.shipment_id)
            .where(shipment_line.c.id.in_(ids))
            .order_by(shipment_line.c.id)
            .with_for_update(of=shipment_line)
        )
    }
    order_lines = {
        r.id: r
        for r in await conn.execute(
            select(sales_order_line)
            .where(sales_order_line.c.id.in_({r.order_line_id for r in rows.values()}))
            .with_for_update()
        )
    }
    products = await load_products(conn, {r.product_id for r in rows.values()})
    items = await _item_info(conn, products)
    taken: dict[int, int] = {}
    order_taken: dict[int, int] = {}
    lines = []
    for i, w in enumerate(wanted):
        field_name = f"lines.{i}" if i < explicit else "shipmentIds"
        r = rows.get(w.shipment_line_id)
        if r is None:
            c.add("NOT_FOUND", f"{field_name}.shipmentLineId", what="shipment_line")
            continue
        if r.customer_id != customer_id:
            c.add("CUSTOMER_MISMATCH", f"{field_name}.shipmentLineId")
            continue
        open_qty = r.qty - r.invoiced_qty - (r.returned_qty - r.credited_qty) - taken.get(r.id, 0)
        p = products[r.product_id]
        if w.quantity is None:
            qty = open_qty
            if qty <= 0:
                if i < explicit:
                    c.add("OVER_INVOICE", f"{field_name}.quantity", open="0")
                continue
        else:
            q = quantity_in_unit(c, p, None, w.quantity, f"{field_name}.quantity")
            if q is None:
                continue
            qty = q[1]
            if qty > open_qty:
                c.add(
                    "OVER_INVOICE", f"{field_name}.quantity", open=str(scaled_to_decimal(max(open_qty, 0), p.precision))
                )
                continue
        taken[r.id] = taken.get(r.id, 0) + qty
        ol = order_lines[r.order_line_id]
        before = ol.invoiced_qty + order_taken.get(ol.id, 0)
        order_taken[ol.id] = order_taken.get(ol.id, 0) + qty
        amount, tax = line_share(ol, before, qty)
        item = items[r.product_id]
        lines.append(
            dict(
                shipment_line_id=r.id,
                product_id=r.product_id,
                item_name=item.name,
                spec=item.spec,
                unit_name=item.unit_name,
                qty=qty,
                unit_price_micro=_unit_price_micro(amount, qty),
                vat_rate_bp=ol.vat_rate_bp,
                amount_fen=amount,
                tax_fen=tax,
            )
        )
    c.raise_if_any()
    if not lines:
        raise SalesError("OVER_INVOICE", "shipmentIds", open="0")
    header = await _header(conn, customer_id, on, "invoice")
    invoice_id = await _insert_invoice(conn, header, lines, principal, remarks)
    for sl_id, qty in taken.items():
        await conn.execute(
            update(shipment_line)
            .where(shipment_line.c.id == sl_id)
            .values(invoiced_qty=shipment_line.c.invoiced_qty + qty)
        )
    for ol_id, qty in order_taken.items():
        await conn.execute(
            update(sales_order_line)
            .where(sales_order_line.c.id == ol_id)
            .values(invoiced_qty=sales_order_line.c.invoiced_qty + qty)
        )
    for order_id in sorted({r.order_id for r in rows.values()}):
        await refresh_order_status(conn, order_id, principal)
    return invoice_id


# ---- credit notes ---------------------------------------------------------------------------------------


async def credit_returned_goods(
    conn: AsyncConnection, customer_id: int, credits: list, on: date, reference: str, principal
) -> int | None:
    """Credit notes for returned goods that had been invoiced, against their invoices (latest first);
    one credit note per original invoice. Returns the first credit note's id (``None``: nothing of
    it was invoiced)."""
    per_invoice: dict[int, list[dict]] = {}
    credited: dict[int, tuple[int, int]] = {}  # invoice line → (quantity, fen) credited so far, this request too
    for ship_line, qty in credits:
        inv_lines = (
            await conn.execute(
                select(sales_invoice_line)
                .join(sales_invoice, sales_invoice.c.id == sales_invoice_line.c.invoice_id)
                .where(sales_invoice_line.c.shipment_line_id == ship_line.id, sales_invoice.c.kind == "invoice")
                .order_by(sales_invoice_line.c.id.desc())
                .with_for_update(of=sales_invoice_line)
            )
        ).all()
        for il in inv_lines:
            if qty == 0:
                break
            done_qty, done_fen = credited.get(il.id, (il.credited_qty, il.credited_fen))
            take = min(qty, il.qty - done_qty)
            if take <= 0:
                continue
            qty -= take
            line = _credit_line(il, take, credited_before=done_qty, value_left=il.amount_fen + il.tax_fen - done_fen)
            credited[il.id] = (done_qty + take, done_fen + line["_credited"][2])
            if line["_credited"][2] > 0:
                per_invoice.setdefault(il.invoice_id, []).append(line)
    first = None
    for invoice_id, lines in sorted(per_invoice.items()):
        note_id = await _credit_note(conn, customer_id, invoice_id, lines, on, f"退货 {reference}", principal)
        first = first or note_id
    return first


def _credit_line(
    il,
    qty: int | None,
    amount_fen: int | None = None,
    *,
    credited_before: int | None = None,
    value_left: int | None = None,
) -> dict:
    """A negative line crediting ``qty`` of an invoice line (cumulative share, but never more than
    the ``value_left`` after earlier credits such as allowances), or an allowance (折让) of
    ``amount_fen`` incl. VAT split at the line's rate."""
    if qty is not None:
        before = il.credited_qty if credited_before is None else credited_before

        def upto(q):
            return (round_half_up_div(il.amount_fen * q, il.qty), round_half_up_div(il.tax_fen * q, il.qty))

        a1, t1 = upto(before + qty)
        a0, t0 = upto(before)
        amount, tax = a1 - a0, t1 - t0
        if value_left is not None and amount + tax > value_left:  # an allowance already took part of it
            left = max(value_left, 0)
            amount = round_half_up_div(left * 10_000, 10_000 + il.vat_rate_bp)
            tax = left - amount
    elif amount_fen is not None:
        amount = round_half_up_div(amount_fen * 10_000, 10_000 + il.vat_rate_bp)
        tax = amount_fen - amount
    else:
        raise ValueError("a credit line credits a quantity or an amount")
    return dict(
        shipment_line_id=il.shipment_line_id,
        product_id=il.product_id,
        item_name=il.item_name,
        spec=il.spec,
        unit_name=il.unit_name,
        qty=-(qty or 0),
        unit_price_micro=il.unit_price_micro,
        vat_rate_bp=il.vat_rate_bp,
        amount_fen=-amount,
        tax_fen=-tax,
        _credited=(il.id, qty or 0, amount + tax),
    )


async def _credit_note(
    conn,
    customer_id: int,
    invoice_id: int,
    lines: list[dict],
    on: date,
    remarks: str,
    principal,
    *,
    remarks_field: str = "remarks",
) -> int:
    original = (await conn.execute(select(sales_invoice).where(sales_invoice.c.id == invoice_id))).one()
    header = await _header(conn, customer_id, on, "credit_note")
    header["invoice_type"] = original.invoice_type
    credited = [ln.pop("_credited") for ln in lines]
    note_id = await _insert_invoice(
        conn,
        header,
        lines,
        principal,
        f"{remarks} 原发票 {original.number}",
        original_invoice_id=invoice_id,
        remarks_field=remarks_field,
    )
    for il_id, qty, fen in credited:
        await conn.execute(
            update(sales_invoice_line)
            .where(sales_invoice_line.c.id == il_id)
            .values(
                credited_qty=sales_invoice_line.c.credited_qty + qty,
                credited_fen=sales_invoice_line.c.credited_fen + fen,
            )
        )
    return note_id


@dataclass
class CreditLineInput:
    invoice_line_id: int
    quantity: str | None = None  # base unit: a return of goods (without a stock movement)
    amount: str | None = None  # yuan incl. VAT: an allowance (折让)


@dataclass
class CreditNoteInput:
    invoice_id: int
    lines: list[CreditLineInput]
    reason: str
    credit_date: date | None = None


async def do_create_credit_note(
    db: Database, data: CreditNoteInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """A credit note (红字发票) for an allowance or a correction, referring to its original invoice; it
    can never credit more than the original line (quantity, or amount incl. VAT)."""
    require_permission(principal, "sales.invoice")

    async def create(conn) -> int:
        c = Collector()
        original = await lock_row(conn, sales_invoice, data.invoice_id, "invoice")
        if original.kind != "invoice":
            raise SalesError("NOT_FOUND", "invoiceId", what="invoice")
        if not data.reason.strip():
            c.add("REQUIRED", "reason")
        if not data.lines:
            raise SalesError("EMPTY_OPERATION", "lines")
        inv_lines = {
            r.id: r
            for r in await conn.execute(
                select(sales_invoice_line).where(sales_invoice_line.c.invoice_id == original.id)
            )
        }
        products = await load_products(conn, {r.product_id for r in inv_lines.values()})
        lines = []
        for i, ln in enumerate(data.lines):
            il = inv_lines.get(ln.invoice_line_id)
            if il is None:
                c.add("NOT_FOUND", f"lines.{i}.invoiceLineId", what="invoice")
                continue
            if (ln.quantity is None) == (ln.amount is None):
                c.add("INVALID_VALUE", f"lines.{i}", detail="quantity or amount, one of them")
                continue
            if ln.quantity is not None:
                q = quantity_in_unit(c, products[il.product_id], None, ln.quantity, f"lines.{i}.quantity")
                if q is None:
                    continue
                if q[1] > il.qty - il.credited_qty:
                    c.add(
                        "OVER_RETURN",
                        f"lines.{i}.quantity",
                        available=str(scaled_to_decimal(il.qty - il.credited_qty, products[il.product_id].precision)),
                    )
                    continue
                line = _credit_line(il, q[1])
                left = il.amount_fen + il.tax_fen - il.credited_fen
                if line["_credited"][2] > left:  # allowances already credited this line's value
                    c.add("OVER_RETURN", f"lines.{i}.quantity", available=str(fen_to_decimal(left)))
                    continue
                lines.append(line)
            else:
                fen = c.money(ln.amount, f"lines.{i}.amount", positive=True)
                if fen is None:
                    continue
                if fen > il.amount_fen + il.tax_fen - il.credited_fen:
                    c.add(
                        "OVER_RETURN",
                        f"lines.{i}.amount",
                        available=str(fen_to_decimal(il.amount_fen + il.tax_fen - il.credited_fen)),
                    )
                    continue
                lines.append(_credit_line(il, None, fen))
        c.raise_if_any()
        return await _credit_note(
            conn,
            original.customer_id,
            original.id,
            lines,
            await business_day(conn, data.credit_date, SalesError, "creditDate"),
            data.reason.strip(),
            principal,
            remarks_field="reason",
        )

    return await create_once(db, "sales.credit_note", data, idempotency_key, create)


# ---- receipts and receivables ---------------------------------------------------------------------------


@dataclass
class Allocation:
    invoice_id: int
    amount: str  # yuan


@dataclass
class CustomerReceiptInput:
    customer_id: int
    amount: str
    method: str = "bank_transfer"
    receipt_date: date | None = None
    reference: str = ""
    allocations: list[Allocation] = field(default_factory=list)


RECEIVABLES = OpenItemBook(
    error_cls=SalesError,
    documents=sales_invoice,
    document_kind="invoice",
    document_type="sales_invoice",
    what="invoice",
    party=customer,
    party_fk="customer_id",
    settled="received_fen",
    date_col="invoice_date",
    mismatch="CUSTOMER_MISMATCH",
    allocations=receipt_allocation,
    document_fk="invoice_id",
    opposite_fk="credit_note_id",
    money=customer_receipt,
    money_fk="receipt_id",
    money_date="receipt_date",
    money_what="customer_receipt",
    money_prefix="CR",
    money_scope="sales.receipt",
    methods=RECEIPT_METHODS,
    side="receivable",
    opposite_kind="credit_note",
)


async def do_record_customer_receipt(
    db: Database, data: CustomerReceiptInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Money received from a customer, applied to invoices; the rest is an advance (预收款)."""
    return await record_money(
        db,
        RECEIVABLES,
        data,
        principal,
        party_id=data.customer_id,
        amount=data.amount,
        method=data.method,
        on=data.receipt_date,
        reference=data.reference,
        allocations=data.allocations,
        idempotency_key=idempotency_key,
    )


async def do_apply_advance(
    db: Database, receipt_id: int, allocations: list[Allocation], principal: Principal | None, *, on: date | None = None
) -> None:
    """Apply (part of) an advance to invoices."""
    await apply_money(db, RECEIVABLES, receipt_id, allocations, principal, on=on)


async def do_apply_credit_note(
    db: Database,
    credit_note_id: int,
    invoice_id: int,
    amount: str,
    principal: Principal | None,
    *,
    on: date | None = None,
) -> None:
    """Offset a credit note against an open invoice of the same customer."""
    await apply_opposite(db, RECEIVABLES, credit_note_id, Allocation(invoice_id, amount), principal, on=on)


def receivables_query(as_of: date, customer_id: int | None = None) -> Select[Any]:
    """Per customer, as of the end of ``as_of``: open invoices, open credit notes (negative), advances
    and the balance owed to us, with open invoices aged by due date (``open_items.balances_query``)."""
    return balances_named(
        RECEIVABLES,
        as_of,
        customer_id,
        party="customer_id",
        documents="invoices_open",
        opposite="credit_open",
        unallocated="advances",
    )
