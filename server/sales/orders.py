"""Sales orders (销售订单): draft → submitted → approved / rejected → partially shipped → shipped →
invoiced → closed; cancel releases everything the order held.

Prices are VAT-exclusive or VAT-inclusive per order (domain reference §4.2–4.3). Per line, the
discounted line value is rounded half-up to the fen once; exclusive: VAT = round(amount × rate);
inclusive: amount = round(total ÷ (1 + rate)) and VAT = total − amount. Order totals are the sums of
the lines, so they match an invoice line by line.

Approval reserves the stock (预留): per product and warehouse, ``stock_reservation`` rows are locked
in sorted order, on hand is read, and the reservation is refused with ``INSUFFICIENT_STOCK`` when
on hand − reserved would go below zero. Two orders racing for the last units queue on that row
lock, so exactly one gets them. The stock ledger keeps the other side of the bargain: nothing but a
shipment of the order can take reserved stock away.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.services import Principal
from server.catalog.models import product
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.numbers import fen_to_decimal, round_half_up_div, scaled_to_decimal
from server.core.sql import prepared
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
from server.events.journal import append_events
from server.inventory.availability import note_availability
from server.inventory.models import stock_level, stock_reservation, warehouse
from server.inventory.reorder import low_stock_events
from server.partners.models import customer, partner_address
from server.sales.common import (
    Collector,
    check_amount,
    load_products,
    lock_row,
    quantity_in_unit,
    require_permission,
    require_status,
)
from server.sales.errors import SalesError
from server.sales.models import (
    customer_receipt,
    sales_invoice,
    sales_order,
    sales_order_history,
    sales_order_line,
    shipment,
    shipment_line,
)
from server.sales.settings import load_sales_settings

SHIPPABLE = ("approved", "partially_shipped")
OPEN_FOR_CREDIT = ("approved", "partially_shipped", "shipped")


@dataclass
class SalesLineInput:
    product_id: int
    quantity: str
    unit_id: int | None = None
    unit_price: str | None = None  # per unit, incl. VAT when the order is; default: the product's sale price
    discount: str | None = None  # fraction, e.g. "0.05"; default: the customer's discount
    vat_rate: str | None = None  # default: the product's rate
    requested_date: date | None = None
    warehouse_id: int | None = None  # default: the order's


@dataclass
class SalesOrderInput:
    customer_id: int
    warehouse_id: int
    lines: list[SalesLineInput] = field(default_factory=list)
    prices_include_vat: bool = False
    order_date: date | None = None
    ship_to_address_id: int | None = None
    note: str = ""


def line_amounts(
    qty: int, price_micro: int, factor: int, discount_bp: int, rate_bp: int, include_vat: bool
) -> tuple[int, int, int]:
    """(amount excl. VAT, VAT, total) of a line in fen — the rounding rules of §4.3."""
    value = round_half_up_div(qty * price_micro * (10_000 - discount_bp), factor * 10_000 * 10_000)
    if include_vat:
        amount = round_half_up_div(value * 10_000, 10_000 + rate_bp)
        return amount, value - amount, value
    tax = round_half_up_div(value * rate_bp, 10_000)
    return value, tax, value + tax


SALES_ORDERS = OrderBook(
    error_cls=SalesError,
    orders=sales_order,
    lines=sales_order_line,
    history=sales_order_history,
    prefix="SO",
    edit_permission="sales.order.edit",
    create_scope="sales.order.create",
    party=customer,
    party_field="customerId",
    warehouses=warehouse,
    step_column="reason",
)


async def _build(
    conn: AsyncConnection, data: SalesOrderInput, principal: Principal | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    c = Collector()
    order_date = await business_day(conn, data.order_date, SalesError, "orderDate")
    cust = await check_header(
        conn,
        SALES_ORDERS,
        c,
        principal,
        note=data.note,
        party_id=data.customer_id,
        warehouse_id=data.warehouse_id,
        line_warehouses=[ln.warehouse_id for ln in data.lines],
    )
    if data.ship_to_address_id is not None:
        addr = (
            await conn.execute(select(partner_address).where(partner_address.c.id == data.ship_to_address_id))
        ).first()
        if addr is None or addr.partner_kind != "customer" or addr.partner_id != data.customer_id:
            c.add("NOT_FOUND", "shipToAddressId", what="address")
    if not data.lines:
        c.add("EMPTY_OPERATION", "lines")
    products = await load_products(conn, [ln.product_id for ln in data.lines])
    sale_prices: dict[int, int] = {
        r.id: r.sale_price_fen
        for r in await conn.execute(select(product.c.id, product.c.sale_price_fen).where(product.c.id.in_(products)))
    }
    lines: list[dict[str, Any]] = []
    for i, ln in enumerate(data.lines):
        p = line_product(c, products, ln.product_id, i)
        if p is None:
            continue
        q = quantity_in_unit(c, p, ln.unit_id, ln.quantity, f"lines.{i}.quantity")
        rate = p.vat_rate_bp if ln.vat_rate is None else c.rate(ln.vat_rate, f"lines.{i}.vatRate")
        discount = (
            (cust.discount_bp if cust is not None else 0)
            if ln.discount is None
            else c.rate(ln.discount, f"lines.{i}.discount")
        )
        if q is None or rate is None or discount is None:
            continue
        quantity, qty, factor = q
        price: int | None
        if ln.unit_price is not None:
            price = c.price(ln.unit_price, f"lines.{i}.unitPrice")
        else:  # the list price is per base unit excl. VAT
            per_base = sale_prices[p.id] * 10_000
            if data.prices_include_vat:
                per_base = per_base * (10_000 + rate) // 10_000
            price = per_base * factor // 10**6
        if price is None:
            continue
        amount, tax, total = line_amounts(qty, price, factor, discount, rate, data.prices_include_vat)
        check_amount(c, total, f"lines.{i}.unitPrice")
        lines.append(
            dict(
                line_no=i + 1,
                product_id=p.id,
                unit_id=ln.unit_id or p.base_unit_id,
                unit_factor=factor,
                quantity=quantity,
                qty=qty,
                unit_price_micro=price,
                discount_bp=discount,
                vat_rate_bp=rate,
                amount_fen=amount,
                tax_fen=tax,
                total_fen=total,
                requested_date=ln.requested_date,
                warehouse_id=ln.warehouse_id or data.warehouse_id,
            )
        )
    c.raise_if_any()
    assert cust is not None  # check_header collected the problem otherwise, and raise_if_any raised it
    header: dict[str, Any] = dict(
        customer_id=data.customer_id,
        warehouse_id=data.warehouse_id,
        order_date=order_date,
        prices_include_vat=data.prices_include_vat,
        ship_to_address_id=data.ship_to_address_id,
        salesperson_user_id=cust.salesperson_user_id,
        note=data.note.strip(),
        amount_fen=sum(ln["amount_fen"] for ln in lines),
        tax_fen=sum(ln["tax_fen"] for ln in lines),
        total_fen=sum(ln["total_fen"] for ln in lines),
    )
    check_amount(c, header["total_fen"], "lines")
    c.raise_if_any()
    return header, lines


async def do_create_sales_order(
    db: Database, data: SalesOrderInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Create a draft sales order (``SO2026-000001``)."""
    return await create_order(db, SALES_ORDERS, data, principal, _build, idempotency_key=idempotency_key)


async def do_update_sales_order(
    db: Database, order_id: int, data: SalesOrderInput, principal: Principal | None
) -> None:
    """Replace a draft's (or a rejected order's) header and lines; it is a draft again. The stored
    order's warehouse must be inside the principal's scope (``update_order`` locks and checks it)."""
    await update_order(db, SALES_ORDERS, order_id, data, principal, _build)


async def _transition(
    conn: AsyncConnection,
    row: AnyRow,
    action: str,
    to_status: str,
    principal: Principal | None,
    *,
    comment: str = "",
    reason: str = "",
    **values: Any,
) -> None:
    await order_transition(
        conn, SALES_ORDERS, row, action, to_status, principal, comment=comment, step=reason, **values
    )


async def credit_exposure(conn: AsyncConnection, customer_id: int, *, exclude_order: int | None = None) -> dict:
    """What the customer owes or will owe: open receivables (invoices − credit notes − advances) and
    orders approved but not yet invoiced, in fen."""
    invoices = (
        await conn.execute(
            select(func.coalesce(func.sum(sales_invoice.c.total_fen - sales_invoice.c.received_fen), 0)).where(
                sales_invoice.c.customer_id == customer_id, sales_invoice.c.status == "open"
            )
        )
    ).scalar_one()
    advances = (
        await conn.execute(
            select(func.coalesce(func.sum(customer_receipt.c.unallocated_fen), 0)).where(
                customer_receipt.c.customer_id == customer_id
            )
        )
    ).scalar_one()
    q = (
        select(sales_order_line.c.total_fen, sales_order_line.c.qty, sales_order_line.c.invoiced_qty)
        .join(sales_order, sales_order.c.id == sales_order_line.c.order_id)
        .where(sales_order.c.customer_id == customer_id, sales_order.c.status.in_(OPEN_FOR_CREDIT))
    )
    if exclude_order is not None:
        q = q.where(sales_order.c.id != exclude_order)
    uninvoiced = sum(round_half_up_div(r.total_fen * (r.qty - r.invoiced_qty), r.qty) for r in await conn.execute(q))
    return {"receivables_fen": int(invoices) - int(advances), "uninvoiced_orders_fen": uninvoiced}


async def do_submit_sales_order(db: Database, order_id: int, principal: Principal | None) -> str:
    """Submit a draft: run the credit check and collect the approval steps; an order that needs
    none is approved (and reserves its stock) at once. Returns the new status."""
    require_permission(principal, "sales.order.edit")
    async with db.write() as conn:
        row = await lock_row(conn, sales_order, order_id, "sales_order", principal)
        require_status(row, ("draft",), "sales_order", "submit")
        settings = await load_sales_settings(conn)
        # a customer with a credit limit is locked: two of its orders pass the credit check one after the
        # other. Without a limit there is nothing to race for, and its orders (a shop's walk-in customer
        # takes hundreds an hour) do not queue on its row.
        cust = (await conn.execute(select(customer).where(customer.c.id == row.customer_id))).one()
        if cust.credit_limit_fen is not None:
            cust = (
                await conn.execute(select(customer).where(customer.c.id == row.customer_id).with_for_update())
            ).one()
        exposure = await credit_exposure(conn, row.customer_id, exclude_order=order_id)
        total_exposure = exposure["receivables_fen"] + exposure["uninvoiced_orders_fen"] + row.total_fen
        over_limit = cust.credit_limit_fen is not None and total_exposure > cust.credit_limit_fen
        credit_problem = over_limit or cust.credit_rating == "D"
        if credit_problem and settings.credit_mode == "refuse":
            raise SalesError(
                "CREDIT_LIMIT_EXCEEDED",
                "id",
                limit=str(fen_to_decimal(cust.credit_limit_fen or 0)),
                exposure=str(fen_to_decimal(total_exposure)),
            )
        max_discount = (
            await conn.execute(
                select(func.coalesce(func.max(sales_order_line.c.discount_bp), 0)).where(
                    sales_order_line.c.order_id == order_id
                )
            )
        ).scalar_one()
        steps = settings.steps(row.total_fen, max_discount, credit_problem)
        check = dict(
            exposure,
            order_fen=row.total_fen,
            exposure_fen=total_exposure,
            limit_fen=cust.credit_limit_fen,
            rating=cust.credit_rating,
            over_limit=over_limit,
        )
        await _transition(
            conn,
            row,
            "submitted",
            "submitted",
            principal,
            approvals_required=json.dumps(steps),
            approvals_done=0,
            credit_check=json.dumps(check),
        )
        if steps:
            return "submitted"
        row = await lock_row(conn, sales_order, order_id, "sales_order", principal)
        await _approve_finally(conn, row, principal, "approved automatically (no rule applies)", 0)
        return "approved"


async def _approve_finally(conn, row, principal, comment: str, done: int, reason: str = "") -> None:
    await reserve_order(conn, row.id)
    await _transition(
        conn,
        row,
        "approved",
        "approved",
        principal,
        comment=comment,
        reason=reason,
        approvals_done=done,
        approved_at=utcnow(),
    )


def _build_lock_reservation(insert):
    ins = insert(stock_reservation).values(
        product_id=bindparam("b_product_id"), warehouse_id=bindparam("b_wh"), reserved_qty=0
    )
    return ins.on_conflict_do_update(
        index_elements=["product_id", "warehouse_id"], set_={"reserved_qty": stock_reservation.c.reserved_qty}
    ).returning(stock_reservation.c.reserved_qty)


async def reserve_order(conn: AsyncConnection, order_id: int) -> None:
    """Reserve every line's quantity in its warehouse, or refuse with ``INSUFFICIENT_STOCK``."""
    lines = (
        await conn.execute(
            select(sales_order_line).where(sales_order_line.c.order_id == order_id).order_by(sales_order_line.c.line_no)
        )
    ).all()
    need: dict[tuple[int, int], int] = {}
    first_line: dict[tuple[int, int], int] = {}
    for ln in lines:
        key = (ln.product_id, ln.warehouse_id)
        need[key] = need.get(key, 0) + ln.qty - ln.shipped_qty
        first_line.setdefault(key, ln.line_no)
    products = await load_products(conn, {p for p, _ in need})
    for key in sorted(need):
        product_id, warehouse_id = key
        reserved = (
            await conn.execute(
                prepared(conn, "reservation.lock.read", _build_lock_reservation),
                {"b_product_id": product_id, "b_wh": warehouse_id},
            )
        ).scalar_one()
        on_hand = (
            await conn.execute(
                select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(
                    stock_level.c.product_id == product_id, stock_level.c.warehouse_id == warehouse_id
                )
            )
        ).scalar_one()
        available = on_hand - reserved
        if available < need[key]:
            precision = products[product_id].precision
            line_no = first_line[key]
            raise SalesError(
                "INSUFFICIENT_STOCK",
                f"lines.{line_no - 1}.quantity",
                line=line_no,
                available=str(scaled_to_decimal(max(available, 0), precision)),
                requested=str(scaled_to_decimal(need[key], precision)),
            )
        await conn.execute(
            update(stock_reservation)
            .where(stock_reservation.c.product_id == product_id, stock_reservation.c.warehouse_id == warehouse_id)
            .values(reserved_qty=stock_reservation.c.reserved_qty + need[key])
        )
    await conn.execute(
        update(sales_order_line)
        .where(sales_order_line.c.order_id == order_id)
        .values(reserved_qty=sales_order_line.c.qty - sales_order_line.c.shipped_qty)
    )
    await append_events(conn, await low_stock_events(conn, need))
    note_availability(conn, need)


async def release_order(conn: AsyncConnection, order_id: int) -> None:
    """Give back what an order still holds (cancel, close)."""
    lines = (
        await conn.execute(
            select(
                sales_order_line.c.product_id, sales_order_line.c.warehouse_id, sales_order_line.c.reserved_qty
            ).where(sales_order_line.c.order_id == order_id, sales_order_line.c.reserved_qty > 0)
        )
    ).all()
    held: dict[tuple[int, int], int] = {}
    for ln in lines:
        held[(ln.product_id, ln.warehouse_id)] = held.get((ln.product_id, ln.warehouse_id), 0) + ln.reserved_qty
    for (product_id, warehouse_id), qty in sorted(held.items()):
        await conn.execute(
            update(stock_reservation)
            .where(stock_reservation.c.product_id == product_id, stock_reservation.c.warehouse_id == warehouse_id)
            .values(reserved_qty=stock_reservation.c.reserved_qty - qty)
        )
    await conn.execute(update(sales_order_line).where(sales_order_line.c.order_id == order_id).values(reserved_qty=0))
    await append_events(conn, await low_stock_events(conn, held))
    note_availability(conn, held)


async def do_approve_sales_order(db: Database, order_id: int, principal: Principal, comment: str = "") -> str:
    """Approve the current step (amount, discount or credit); the last one approves the order and
    reserves its stock. Returns the new status."""
    comment = clean_comment(SalesError, comment)
    async with db.write() as conn:
        row = await lock_row(conn, sales_order, order_id, "sales_order", principal)
        require_status(row, ("submitted",), "sales_order", "approve")
        steps = json.loads(row.approvals_required)
        step = steps[row.approvals_done]
        require_permission(principal, step["permission"])
        settings = await load_sales_settings(conn)
        if settings.separation_of_duties and is_creator(row, principal):
            raise SalesError("SELF_APPROVAL", "id")
        if step["role"] and step["role"] not in principal.roles and "admin" not in principal.roles:
            raise SalesError("APPROVER_ROLE_REQUIRED", "id", role=step["role"])
        if await approved_this_round(conn, sales_order_history, order_id, principal):
            raise SalesError("ALREADY_APPROVED_BY_YOU", "id")
        done = row.approvals_done + 1
        if done < len(steps):
            await _transition(
                conn,
                row,
                "approved",
                "submitted",
                principal,
                comment=comment,
                reason=step["reason"],
                approvals_done=done,
            )
            return "submitted"
        await _approve_finally(conn, row, principal, comment, done, step["reason"])
        return "approved"


async def do_reject_sales_order(db: Database, order_id: int, principal: Principal, comment: str) -> None:
    comment = clean_comment(SalesError, comment, required=True)
    async with db.write() as conn:
        row = await lock_row(conn, sales_order, order_id, "sales_order", principal)
        require_status(row, ("submitted",), "sales_order", "reject")
        step = json.loads(row.approvals_required)[row.approvals_done]
        require_permission(principal, step["permission"])
        await _transition(conn, row, "rejected", "rejected", principal, comment=comment, reason=step["reason"])


async def do_unapprove_sales_order(db: Database, order_id: int, principal: Principal, comment: str) -> None:
    """反审核: take back the approval of an order nothing was shipped or invoiced against. Its stock
    reservation is released and it returns to draft with the comment (why) in its history (and the audit
    log); submitted again, it goes through every approval step anew."""
    comment = clean_comment(SalesError, comment, required=True)
    require_permission(principal, "sales.order.approve")
    async with db.write() as conn:
        row = await lock_row(conn, sales_order, order_id, "sales_order", principal)
        require_status(row, ("approved",), "sales_order", "unapprove")
        acted_on = (
            await conn.execute(
                select(sales_order_line.c.id)
                .where(
                    sales_order_line.c.order_id == order_id,
                    (sales_order_line.c.shipped_qty > 0) | (sales_order_line.c.invoiced_qty > 0),
                )
                .limit(1)
            )
        ).first()
        if acted_on is not None:
            raise SalesError("INVALID_STATUS", "id", what="sales_order", status="partially_shipped", action="unapprove")
        await release_order(conn, order_id)
        await _transition(
            conn, row, "unapproved", "draft", principal, comment=comment, approvals_done=0, approved_at=None
        )


async def do_cancel_sales_order(db: Database, order_id: int, principal: Principal | None, comment: str = "") -> None:
    """Cancel an order before anything was shipped; its reservation is released."""
    require_permission(principal, "sales.order.edit")
    comment = clean_comment(SalesError, comment)
    async with db.write() as conn:
        row = await lock_row(conn, sales_order, order_id, "sales_order", principal)
        require_status(row, CANCELLABLE, "sales_order", "cancel")
        await release_order(conn, order_id)
        await _transition(conn, row, "cancelled", "cancelled", principal, comment=comment)


async def do_close_sales_order(db: Database, order_id: int, principal: Principal | None, comment: str = "") -> None:
    """Close an order: nothing more will be shipped or invoiced; what it still reserves is released."""
    require_permission(principal, "sales.order.edit")
    comment = clean_comment(SalesError, comment)
    async with db.write() as conn:
        row = await lock_row(conn, sales_order, order_id, "sales_order", principal)
        require_status(row, ("partially_shipped", "shipped", "invoiced"), "sales_order", "close")
        await release_order(conn, order_id)
        await _transition(conn, row, "closed", "closed", principal, comment=comment)


async def refresh_order_status(conn: AsyncConnection, order_id: int, principal: Principal | None) -> None:
    """After a shipment or an invoice: shipped when every line is shipped, invoiced when every line
    is invoiced (returned goods need no invoice)."""
    row = await lock_row(conn, sales_order, order_id, "sales_order")  # a consequence: the shipment was checked
    if row.status in ("closed", "cancelled"):
        return
    lines = (await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == order_id))).all()
    shipped = all(ln.shipped_qty >= ln.qty for ln in lines)
    to_invoice = (
        await conn.execute(
            select(
                func.coalesce(
                    func.sum(
                        shipment_line.c.qty
                        - shipment_line.c.invoiced_qty
                        - shipment_line.c.returned_qty
                        + shipment_line.c.credited_qty
                    ),
                    0,
                )
            )
            .join(shipment, shipment.c.id == shipment_line.c.shipment_id)
            .where(shipment.c.order_id == order_id)
        )
    ).scalar_one()
    invoiced = shipped and to_invoice == 0
    new = (
        "invoiced"
        if invoiced
        else "shipped"
        if shipped
        else "partially_shipped"
        if any(ln.shipped_qty for ln in lines)
        else row.status
    )
    if new != row.status:
        action = {"partially_shipped": "shipped_part"}.get(new, new)  # history actions are ≤ 16 characters
        await _transition(conn, row, action, new, principal)
