"""Purchase orders (采购订单): draft → submitted → approved / rejected → partially received →
received → closed, or cancelled before any receipt.

Every transition locks the order row first (``lock_row``), checks the status it starts from, writes
one history row and one ``document.status_changed`` event, all in one transaction. Two people
approving the same step at once therefore queue on the row lock; the second sees the step done
and gets ``INVALID_STATUS`` or moves on to the next step — an approval can never count twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.services import Principal
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.numbers import scaled_to_decimal
from server.documents.actions import AnyRow, approved_this_round, clean_comment, is_creator
from server.documents.orders import (
    CANCELLABLE,
    OrderBook,
    check_header,
    create_order,
    line_product,
    order_transition,
    update_order,
)
from server.inventory.models import warehouse
from server.partners.models import supplier
from server.purchasing.common import (
    Collector,
    check_amount,
    load_products,
    lock_row,
    quantity_in_unit,
    require_permission,
    require_status,
    tax_fen,
    value_fen,
)
from server.purchasing.errors import PurchasingError
from server.purchasing.models import purchase_order, purchase_order_history, purchase_order_line
from server.purchasing.prices import current_prices
from server.purchasing.settings import load_purchase_settings

RECEIVABLE = ("approved", "partially_received", "received")  # received: within the over-receipt tolerance


@dataclass
class OrderLineInput:
    product_id: int
    quantity: str
    unit_id: int | None = None  # default: the product's base unit
    unit_price: str | None = None  # yuan per ``unit_id`` excl. VAT; default: the supplier's price list
    vat_rate: str | None = None  # default: price list, else the product's rate
    expected_date: date | None = None
    warehouse_id: int | None = None  # default: the order's warehouse


@dataclass
class OrderInput:
    supplier_id: int
    warehouse_id: int
    lines: list[OrderLineInput] = field(default_factory=list)
    order_date: date | None = None
    note: str = ""


PURCHASE_ORDERS = OrderBook(
    error_cls=PurchasingError,
    orders=purchase_order,
    lines=purchase_order_line,
    history=purchase_order_history,
    prefix="PO",
    edit_permission="purchase.order.edit",
    create_scope="purchase.order.create",
    party=supplier,
    party_field="supplierId",
    warehouses=warehouse,
    step_column="role_code",
)


async def _build(
    conn: AsyncConnection, data: OrderInput, principal: Principal | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate an order and compute its lines and totals (VAT per line, to the fen)."""
    c = Collector()
    order_date = await business_day(conn, data.order_date, PurchasingError, "orderDate")
    await check_header(
        conn,
        PURCHASE_ORDERS,
        c,
        principal,
        note=data.note,
        party_id=data.supplier_id,
        warehouse_id=data.warehouse_id,
        line_warehouses=[ln.warehouse_id for ln in data.lines],
    )
    if not data.lines:
        c.add("EMPTY_OPERATION", "lines")
    products = await load_products(conn, [ln.product_id for ln in data.lines])
    prices = await current_prices(conn, data.supplier_id, products, order_date)
    lines: list[dict[str, Any]] = []
    for i, ln in enumerate(data.lines):
        p = line_product(c, products, ln.product_id, i)
        if p is None:
            continue
        q = quantity_in_unit(c, p, ln.unit_id, ln.quantity, f"lines.{i}.quantity")
        listed = prices.get(p.id)
        if q is None:
            continue
        quantity, qty, factor = q
        price: int | None
        if ln.unit_price is not None:
            price = c.price(ln.unit_price, f"lines.{i}.unitPrice")
        elif listed is not None:  # the list price is per base unit: per order unit it is × factor
            price = listed.unit_price_micro * factor // 10**6
        else:
            price = p.purchase_price_fen * 10_000 * factor // 10**6
        rate: int | None
        if ln.vat_rate is not None:
            rate = c.rate(ln.vat_rate, f"lines.{i}.vatRate")
        else:
            rate = listed.vat_rate_bp if listed is not None else p.vat_rate_bp
        if listed is not None and qty < listed.min_order_qty:
            c.add(
                "BELOW_MIN_ORDER_QTY",
                f"lines.{i}.quantity",
                min=str(scaled_to_decimal(listed.min_order_qty, p.precision)),
            )
        if price is None or rate is None:
            continue
        amount = value_fen(qty, price, factor)
        check_amount(c, amount, f"lines.{i}.unitPrice")
        lines.append(
            dict(
                line_no=i + 1,
                product_id=p.id,
                unit_id=ln.unit_id or p.base_unit_id,
                quantity=quantity,
                qty=qty,
                unit_factor=factor,
                unit_price_micro=price,
                vat_rate_bp=rate,
                amount_fen=amount,
                tax_fen=tax_fen(amount, rate),
                expected_date=ln.expected_date,
                warehouse_id=ln.warehouse_id or data.warehouse_id,
            )
        )
    c.raise_if_any()
    amount_total = sum(ln["amount_fen"] for ln in lines)
    tax_total = sum(ln["tax_fen"] for ln in lines)
    header: dict[str, Any] = dict(
        supplier_id=data.supplier_id,
        warehouse_id=data.warehouse_id,
        order_date=order_date,
        note=data.note.strip(),
        amount_fen=amount_total,
        tax_fen=tax_total,
        total_fen=amount_total + tax_total,
    )
    check_amount(c, amount_total + tax_total, "lines")
    c.raise_if_any()
    return header, lines


async def do_create_purchase_order(
    db: Database, data: OrderInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Create a draft order; its number (``PO2026-000001``) is taken in the same transaction."""
    return await create_order(db, PURCHASE_ORDERS, data, principal, _build, idempotency_key=idempotency_key)


async def do_update_purchase_order(db: Database, order_id: int, data: OrderInput, principal: Principal | None) -> None:
    """Replace a draft's header and lines. A rejected order may be corrected too: it becomes a draft."""
    await update_order(db, PURCHASE_ORDERS, order_id, data, principal, _build)


async def _transition(
    conn: AsyncConnection,
    row: AnyRow,
    action: str,
    to_status: str,
    principal: Principal | None,
    *,
    comment: str = "",
    role_code: str = "",
    **values: Any,
) -> None:
    await order_transition(
        conn, PURCHASE_ORDERS, row, action, to_status, principal, comment=comment, step=role_code, **values
    )


async def do_submit_purchase_order(db: Database, order_id: int, principal: Principal | None) -> None:
    """Submit a draft for approval; the approval steps follow the thresholds in force now."""
    require_permission(principal, "purchase.order.edit")
    async with db.write() as conn:
        row = await lock_row(conn, purchase_order, order_id, "purchase_order", principal)
        require_status(row, ("draft",), "purchase_order", "submit")
        settings = await load_purchase_settings(conn)
        roles = settings.approval_roles(row.total_fen)
        await _transition(
            conn, row, "submitted", "submitted", principal, approvals_required=json.dumps(roles), approvals_done=0
        )


async def do_approve_purchase_order(db: Database, order_id: int, principal: Principal, comment: str = "") -> str:
    """Approve the current step; the last step approves the order. Returns the new status.

    Refused with ``SELF_APPROVAL`` for the order's creator (separation of duties, a setting that is
    on by default), ``APPROVER_ROLE_REQUIRED`` when the step needs a role the approver lacks and
    ``ALREADY_APPROVED_BY_YOU`` when the approver signed an earlier step of this submission.
    """
    comment = clean_comment(PurchasingError, comment)
    require_permission(principal, "purchase.order.approve")
    async with db.write() as conn:
        row = await lock_row(conn, purchase_order, order_id, "purchase_order", principal)
        require_status(row, ("submitted",), "purchase_order", "approve")
        settings = await load_purchase_settings(conn)
        if settings.separation_of_duties and is_creator(row, principal):
            raise PurchasingError("SELF_APPROVAL", "id")
        roles = json.loads(row.approvals_required)
        step = row.approvals_done
        role_code = roles[step]
        if role_code and role_code not in principal.roles and "admin" not in principal.roles:
            raise PurchasingError("APPROVER_ROLE_REQUIRED", "id", role=role_code)
        if await approved_this_round(conn, purchase_order_history, row.id, principal):
            raise PurchasingError("ALREADY_APPROVED_BY_YOU", "id")
        last = step + 1 == len(roles)
        new_status = "approved" if last else "submitted"
        extra = {"approved_at": utcnow()} if last else {}
        await _transition(
            conn,
            row,
            "approved",
            new_status,
            principal,
            comment=comment,
            role_code=role_code,
            approvals_done=step + 1,
            **extra,
        )
    return new_status


async def do_reject_purchase_order(db: Database, order_id: int, principal: Principal, comment: str) -> None:
    """Reject a submitted order with a comment; the purchaser may correct it and submit again."""
    comment = clean_comment(PurchasingError, comment, required=True)
    require_permission(principal, "purchase.order.approve")
    async with db.write() as conn:
        row = await lock_row(conn, purchase_order, order_id, "purchase_order", principal)
        require_status(row, ("submitted",), "purchase_order", "reject")
        await _transition(conn, row, "rejected", "rejected", principal, comment=comment)


async def do_unapprove_purchase_order(db: Database, order_id: int, principal: Principal, comment: str) -> None:
    """反审核: take back the approval of an order nothing was received against. It returns to draft with
    the comment (why) in its history (and the audit log), to be corrected and submitted again; the approvals
    start over. An order something was received against is not un-approved: return the goods or
    close it."""
    comment = clean_comment(PurchasingError, comment, required=True)
    require_permission(principal, "purchase.order.approve")
    async with db.write() as conn:
        row = await lock_row(conn, purchase_order, order_id, "purchase_order", principal)
        require_status(row, ("approved",), "purchase_order", "unapprove")
        if await _anything_received(conn, order_id):  # a receipt whose goods were all rejected too
            raise PurchasingError(
                "INVALID_STATUS", "id", what="purchase_order", status="partially_received", action="unapprove"
            )
        await _transition(
            conn, row, "unapproved", "draft", principal, comment=comment, approvals_done=0, approved_at=None
        )


async def do_cancel_purchase_order(db: Database, order_id: int, principal: Principal | None, comment: str = "") -> None:
    """Cancel an order before anything was received against it."""
    require_permission(principal, "purchase.order.edit")
    comment = clean_comment(PurchasingError, comment)
    async with db.write() as conn:
        row = await lock_row(conn, purchase_order, order_id, "purchase_order", principal)
        require_status(row, CANCELLABLE, "purchase_order", "cancel")
        if await _anything_received(conn, order_id):  # e.g. a receipt whose goods were all rejected
            raise PurchasingError(
                "INVALID_STATUS", "id", what="purchase_order", status="partially_received", action="cancel"
            )
        await _transition(conn, row, "cancelled", "cancelled", principal, comment=comment)


async def do_close_purchase_order(db: Database, order_id: int, principal: Principal | None, comment: str = "") -> None:
    """Close an order something was received against (also when all of it was rejected): nothing
    more will be received. An order with no receipt at all is cancelled instead."""
    require_permission(principal, "purchase.order.edit")
    comment = clean_comment(PurchasingError, comment)
    async with db.write() as conn:
        row = await lock_row(conn, purchase_order, order_id, "purchase_order", principal)
        require_status(row, RECEIVABLE, "purchase_order", "close")
        if row.status == "approved" and not await _anything_received(conn, order_id):
            raise PurchasingError("INVALID_STATUS", "id", what="purchase_order", status=row.status, action="close")
        await _transition(conn, row, "closed", "closed", principal, comment=comment)


async def _anything_received(conn, order_id: int) -> bool:
    return (
        await conn.execute(
            select(purchase_order_line.c.id)
            .where(purchase_order_line.c.order_id == order_id, purchase_order_line.c.received_qty > 0)
            .limit(1)
        )
    ).first() is not None


async def refresh_receipt_status(conn: AsyncConnection, order_row, principal: Principal | None) -> None:
    """After a receipt: partially received until every line has its ordered quantity accepted."""
    lines = (
        await conn.execute(
            select(purchase_order_line.c.qty, purchase_order_line.c.accepted_qty).where(
                purchase_order_line.c.order_id == order_row.id
            )
        )
    ).all()
    done = all(ln.accepted_qty >= ln.qty for ln in lines)
    any_in = any(ln.accepted_qty > 0 for ln in lines)
    new_status = "received" if done else ("partially_received" if any_in else order_row.status)
    if new_status != order_row.status:
        await _transition(conn, order_row, "received" if done else "receiving", new_status, principal)
