"""Expense bills (费用管理): entered by category (freight-out, rent, wages, bank fees …), approved by
someone other than the person who entered them, then paid. The poster books the approval into
销售费用/管理费用/财务费用 (by the category's posting role) against 其他应付款, with deductible input VAT
when a special VAT invoice (专票) is present, and the payment out of bank or cash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from server.auth.services import Principal
from server.core import clock
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.numbering import next_number
from server.core.numbers import fen_to_decimal
from server.core.text_limits import collect_length
from server.documents.actions import tax_fen
from server.finance.common import (
    Collector,
    actor_label,
    create_once,
    lock_row,
    require_permission,
    require_status,
    status_event,
)
from server.finance.errors import FinanceError
from server.finance.ledger import books_standard
from server.finance.models import department, expense_bill, expense_category, expense_payment
from server.partners.models import supplier
from server.purchasing.bills import PAYMENT_METHODS


@dataclass
class ExpenseInput:
    category: str
    amount: str  # yuan, excl. VAT
    description: str
    vat_rate: str = "0"  # e.g. "0.06"
    special_invoice: bool = False
    supplier_id: int | None = None
    department_id: int | None = None
    expense_date: date | None = None


async def do_create_expense(
    db: Database, data: ExpenseInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    require_permission(principal, "expense.edit")
    c = Collector()
    amount = c.money(data.amount, "amount", positive=True)
    rate = c.rate(data.vat_rate or "0", "vatRate")
    description = data.description.strip()
    if not description:
        c.add("REQUIRED", "description")
    collect_length(c, description, expense_bill.c.description, "description")
    c.raise_if_any()
    assert amount is not None and rate is not None  # both parsed: raise_if_any() let them through

    async def create(conn) -> int:
        await books_standard(conn)
        if (
            await conn.execute(select(expense_category.c.code).where(expense_category.c.code == data.category))
        ).first() is None:
            raise FinanceError("NOT_FOUND", "category", what="expense_category")
        if (
            data.supplier_id is not None
            and (await conn.execute(select(supplier.c.id).where(supplier.c.id == data.supplier_id))).first() is None
        ):
            raise FinanceError("NOT_FOUND", "supplierId", what="supplier")
        if (
            data.department_id is not None
            and (await conn.execute(select(department.c.id).where(department.c.id == data.department_id))).first()
            is None
        ):
            raise FinanceError("NOT_FOUND", "departmentId", what="department")
        on = await business_day(conn, data.expense_date, FinanceError, "expenseDate")
        number = await next_number(conn, "EX", on)
        tax = tax_fen(amount, rate)
        expense_id = (
            await conn.execute(
                expense_bill.insert()
                .values(
                    number=number,
                    category_code=data.category,
                    supplier_id=data.supplier_id,
                    department_id=data.department_id,
                    expense_date=on,
                    description=description,
                    amount_fen=amount,
                    tax_fen=tax,
                    vat_rate_bp=rate,
                    special_invoice=data.special_invoice,
                    total_fen=amount + tax,
                    status="submitted",
                    created_by=actor_label(principal),
                    created_at=utcnow(),
                )
                .returning(expense_bill.c.id)
            )
        ).scalar_one()
        note_change(conn, f"expense_bill:{expense_id}", after={"number": number, "total_fen": amount + tax})
        await status_event(conn, "expense_bill", expense_id, number, "", "submitted", principal)
        return expense_id

    return await create_once(db, "finance.expense", data, idempotency_key, create)


async def do_decide_expense(
    db: Database, expense_id: int, approve: bool, principal: Principal | None, comment: str = ""
) -> None:
    """Approve (the poster then books it) or reject an expense bill; not by the person who entered it."""
    require_permission(principal, "expense.approve")
    async with db.write() as conn:
        row = await lock_row(conn, expense_bill, expense_id, "expense")
        require_status(row, ("submitted",), "expense", "approve" if approve else "reject")
        if principal is not None and row.created_by == actor_label(principal):
            raise FinanceError("SELF_APPROVAL", "id")
        new = "approved" if approve else "rejected"
        await conn.execute(
            update(expense_bill)
            .where(expense_bill.c.id == expense_id)
            .values(status=new, approved_by=actor_label(principal))
        )
        note_change(
            conn,
            f"expense_bill:{expense_id}",
            before={"status": row.status},
            after={"status": new, "comment": comment.strip()[:300]},
        )
        await status_event(conn, "expense_bill", expense_id, row.number, row.status, new, principal)


@dataclass
class ExpensePaymentInput:
    expense_id: int
    amount: str
    method: str = "bank_transfer"
    payment_date: date | None = None


async def do_pay_expense(
    db: Database, data: ExpensePaymentInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    require_permission(principal, "finance.payment")
    c = Collector()
    amount = c.money(data.amount, "amount", positive=True)
    if data.method not in PAYMENT_METHODS:
        c.add("INVALID_VALUE", "method", detail=" | ".join(PAYMENT_METHODS))
    c.raise_if_any()

    async def pay(conn) -> int:
        row = await lock_row(conn, expense_bill, data.expense_id, "expense")
        require_status(row, ("approved",), "expense", "pay")
        if row.paid_fen + amount > row.total_fen:
            raise FinanceError("OVER_PAYMENT", "amount", open=str(fen_to_decimal(row.total_fen - row.paid_fen)))
        on = max(data.payment_date or clock.today(), row.expense_date)
        number = await next_number(conn, "EP", on)
        payment_id = (
            await conn.execute(
                expense_payment.insert()
                .values(
                    number=number,
                    expense_id=row.id,
                    payment_date=on,
                    amount_fen=amount,
                    method=data.method,
                    actor=actor_label(principal),
                    created_at=utcnow(),
                )
                .returning(expense_payment.c.id)
            )
        ).scalar_one()
        values = {"paid_fen": row.paid_fen + amount}
        if values["paid_fen"] == row.total_fen:
            values["status"] = "paid"
        await conn.execute(update(expense_bill).where(expense_bill.c.id == row.id).values(**values))
        note_change(conn, f"expense_bill:{row.id}", before={"paid_fen": row.paid_fen}, after=values)
        await status_event(conn, "expense_payment", payment_id, number, "", "posted", principal)
        if values.get("status") == "paid":
            await status_event(conn, "expense_bill", row.id, row.number, "approved", "paid", principal)
        return payment_id

    return await create_once(db, "finance.expense_payment", data, idempotency_key, pay)
