"""待我审批: everything waiting for one principal that the API lets them decide, in one list.

Each kind follows the rules of the action that decides it, so the inbox lists only what that action
would accept from the caller (it can still be refused later when the document changed meanwhile):

* purchase orders ``submitted`` — ``purchase.order.approve``; the current step's role (or admin);
  not the creator under separation of duties; not when the caller signed a step of this round;
* sales orders ``submitted`` (amount, discount, credit hold or plain approval) — the current step's
  permission (``sales.order.approve`` or ``sales.credit.approve``), its role, the same two rules;
* supplier bills ``pending_approval`` (a flagged three-way match) — ``purchase.bill.approve``, not
  the person who entered the bill under separation of duties;
* expense bills ``submitted`` — ``expense.approve``, not the person who entered it;
* stock counts ``open`` with every line counted and no recount pending — ``stock.count.approve``,
  not one of the counters, within the caller's warehouses;
* vouchers ``draft`` — ``finance.review``, not the preparer.

Orders and counts are limited to the caller's warehouses (``warehouses``, ``None``: all); bills,
expenses and vouchers belong to no warehouse. Amounts that reveal costs follow the same rules as the
documents' own fields: a purchase order's total needs ``cost.view``, a supplier bill's ``cost.view``
or ``finance.view`` (``None`` otherwise); a count shows no amount. Oldest first, at most ``limit`` items of each kind."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.documents.actions import actor_label, approved_this_round, is_creator
from server.finance.models import expense_bill, voucher
from server.inventory.models import stock_count, stock_count_line, warehouse
from server.partners.models import customer, supplier
from server.purchasing.models import purchase_order, purchase_order_history, supplier_bill
from server.purchasing.settings import load_purchase_settings
from server.sales.models import sales_order, sales_order_history
from server.sales.settings import load_sales_settings

KINDS = ("purchase_order", "sales_order", "supplier_bill", "expense", "stock_count", "voucher")


@dataclass
class ApprovalItem:
    kind: str  # one of KINDS
    id: int
    number: str
    status: str
    reason: str  # what the step is about: a sales step's reason, a PO step's role, a bill's match flags, …
    partner: str  # the supplier's or customer's name, a count's warehouse, an expense's category
    amount_fen: int | None  # None: not shown to this caller (or none: a count)
    submitted_by: str
    created_at: datetime
    step: int  # the step to approve, from 1
    steps: int
    warehouse_id: int | None


def _can(principal: Principal, permission: str) -> bool:
    return scope.can(principal, permission)


def _role_ok(principal: Principal, role: str) -> bool:
    return not role or role in principal.roles or "admin" in principal.roles


async def _purchase_orders(conn, principal, warehouses, limit) -> list[ApprovalItem]:
    if not _can(principal, "purchase.order.approve"):
        return []
    settings = await load_purchase_settings(conn)
    costs = _can(principal, "cost.view")  # a purchase order's amounts reveal purchase prices
    rows = (
        await conn.execute(
            select(purchase_order, supplier.c.name.label("partner"))
            .join(supplier, supplier.c.id == purchase_order.c.supplier_id)
            .where(purchase_order.c.status == "submitted", scope.within(warehouses, purchase_order.c.warehouse_id))
            .order_by(purchase_order.c.created_at, purchase_order.c.id)
            .limit(limit)
        )
    ).all()
    out = []
    for r in rows:
        roles = json.loads(r.approvals_required or "[]")
        if r.approvals_done >= len(roles):
            continue
        role = roles[r.approvals_done] or ""
        if settings.separation_of_duties and is_creator(r, principal):
            continue
        if not _role_ok(principal, role):
            continue
        if await approved_this_round(conn, purchase_order_history, r.id, principal):
            continue
        out.append(
            ApprovalItem(
                "purchase_order",
                r.id,
                r.number,
                r.status,
                role,
                r.partner,
                r.total_fen if costs else None,
                r.created_by,
                r.created_at,
                r.approvals_done + 1,
                len(roles),
                r.warehouse_id,
            )
        )
    return out


async def _sales_orders(conn, principal, warehouses, limit) -> list[ApprovalItem]:
    if not (_can(principal, "sales.order.approve") or _can(principal, "sales.credit.approve")):
        return []
    settings = await load_sales_settings(conn)
    rows = (
        await conn.execute(
            select(sales_order, customer.c.name.label("partner"))
            .join(customer, customer.c.id == sales_order.c.customer_id)
            .where(sales_order.c.status == "submitted", scope.within(warehouses, sales_order.c.warehouse_id))
            .order_by(sales_order.c.created_at, sales_order.c.id)
            .limit(limit)
        )
    ).all()
    out = []
    for r in rows:
        steps = json.loads(r.approvals_required or "[]")
        if r.approvals_done >= len(steps):
            continue
        step = steps[r.approvals_done]
        if not _can(principal, step["permission"]) or not _role_ok(principal, step["role"]):
            continue
        if settings.separation_of_duties and is_creator(r, principal):
            continue
        if await approved_this_round(conn, sales_order_history, r.id, principal):
            continue
        out.append(
            ApprovalItem(
                "sales_order",
                r.id,
                r.number,
                r.status,
                step["reason"],
                r.partner,
                r.total_fen,
                r.created_by,
                r.created_at,
                r.approvals_done + 1,
                len(steps),
                r.warehouse_id,
            )
        )
    return out


async def _supplier_bills(conn, principal, limit) -> list[ApprovalItem]:
    if not _can(principal, "purchase.bill.approve"):
        return []
    settings = await load_purchase_settings(conn)
    q = (
        select(supplier_bill, supplier.c.name.label("partner"))
        .join(supplier, supplier.c.id == supplier_bill.c.supplier_id)
        .where(supplier_bill.c.status == "pending_approval")
        .order_by(supplier_bill.c.created_at, supplier_bill.c.id)
        .limit(limit)
    )
    if settings.separation_of_duties:
        q = q.where(supplier_bill.c.actor != principal.label)
    amounts = _can(principal, "cost.view") or _can(principal, "finance.view")
    out = []
    for r in (await conn.execute(q)).all():
        flags = r.match_flags
        if isinstance(flags, str):
            try:
                flags = json.loads(flags)
            except ValueError:
                flags = [flags]
        reason = ",".join(str(f) for f in flags) if isinstance(flags, list) else str(flags or "")
        out.append(
            ApprovalItem(
                "supplier_bill",
                r.id,
                r.number,
                r.status,
                reason,
                r.partner,
                r.total_fen if amounts else None,
                r.actor,
                r.created_at,
                1,
                1,
                None,
            )
        )
    return out


async def _expenses(conn, principal, limit) -> list[ApprovalItem]:
    if not _can(principal, "expense.approve"):
        return []
    rows = (
        await conn.execute(
            select(expense_bill)
            .where(expense_bill.c.status == "submitted", expense_bill.c.created_by != actor_label(principal))
            .order_by(expense_bill.c.created_at, expense_bill.c.id)
            .limit(limit)
        )
    ).all()
    return [
        ApprovalItem(
            "expense",
            r.id,
            r.number,
            r.status,
            r.category_code,
            r.description,
            r.total_fen,
            r.created_by,
            r.created_at,
            1,
            1,
            None,
        )
        for r in rows
    ]


async def _stock_counts(conn, principal, warehouses, limit) -> list[ApprovalItem]:
    if not _can(principal, "stock.count.approve"):
        return []
    line = stock_count_line
    incomplete = exists().where(
        line.c.count_id == stock_count.c.id, or_(line.c.counted_qty.is_(None), line.c.recount_required)
    )
    has_lines = exists().where(line.c.count_id == stock_count.c.id)
    by_caller = exists().where(
        line.c.count_id == stock_count.c.id,
        or_(line.c.counted_by == principal.label, line.c.recounted_by == principal.label),
    )
    rows = (
        await conn.execute(
            select(stock_count, warehouse.c.name.label("partner"))
            .join(warehouse, warehouse.c.id == stock_count.c.warehouse_id)
            .where(
                stock_count.c.status == "open",
                has_lines,
                ~incomplete,
                ~by_caller,
                scope.within(warehouses, stock_count.c.warehouse_id),
            )
            .order_by(stock_count.c.created_at, stock_count.c.id)
            .limit(limit)
        )
    ).all()
    return [
        ApprovalItem(
            "stock_count",
            r.id,
            r.number,
            r.status,
            r.mode,
            r.partner,
            None,
            r.created_by,
            r.created_at,
            1,
            1,
            r.warehouse_id,
        )
        for r in rows
    ]


async def _vouchers(conn, principal, limit) -> list[ApprovalItem]:
    if not _can(principal, "finance.review"):
        return []
    rows = (
        await conn.execute(
            select(voucher)
            .where(voucher.c.status == "draft", voucher.c.created_by != actor_label(principal))
            .order_by(voucher.c.created_at, voucher.c.id)
            .limit(limit)
        )
    ).all()
    return [
        ApprovalItem(
            "voucher",
            r.id,
            r.number or r.source_number or f"#{r.id}",
            r.status,
            r.source_type or r.origin,
            r.memo,
            r.total_fen,
            r.created_by,
            r.created_at,
            1,
            1,
            None,
        )
        for r in rows
    ]


async def approvals_inbox(
    conn: AsyncConnection,
    principal: Principal,
    *,
    kinds: tuple[str, ...] = KINDS,
    limit: int = 100,
) -> list[ApprovalItem]:
    """What waits for ``principal`` (see the module docstring), oldest first."""
    warehouses = scope.warehouses(principal)
    items: list[ApprovalItem] = []
    if "purchase_order" in kinds:
        items += await _purchase_orders(conn, principal, warehouses, limit)
    if "sales_order" in kinds:
        items += await _sales_orders(conn, principal, warehouses, limit)
    if "supplier_bill" in kinds:
        items += await _supplier_bills(conn, principal, limit)
    if "expense" in kinds:
        items += await _expenses(conn, principal, limit)
    if "stock_count" in kinds:
        items += await _stock_counts(conn, principal, warehouses, limit)
    if "voucher" in kinds:
        items += await _vouchers(conn, principal, limit)
    items.sort(key=lambda i: (i.created_at, KINDS.index(i.kind), i.id))
    return items
