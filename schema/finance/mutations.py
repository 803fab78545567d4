"""Finance mutations and their payloads, by concern: books set-up (chart of accounts, posting
rules, departments), vouchers (entry, review, posting, reversal, clearing stock differences, cash-flow
items), expenses, and period end. Rules live in ``server.finance``; this module maps IDs and inputs
and returns payloads."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.enums import CashFlowItemKey, PaymentMethod, value_of
from schema.errors import FinanceError, run_action
from schema.finance.inputs import AccountingStandard, AccountInput, ClearSuspenseInput, ExpenseInput, VoucherInput
from schema.finance.types import ExpenseBill, Voucher
from schema.relay import decode_id
from schema.scalars import Money
from server.finance import books, closing, expenses, vouchers
from server.finance.errors import FinanceError as DomainFinanceError
from server.finance.errors import FinanceErrorCode
from server.finance.models import expense_bill, voucher

CODES = FinanceErrorCode


WHAT = {
    "Voucher": "voucher",
    "ExpenseBill": "expense",
    "Customer": "customer",
    "Supplier": "supplier",
    "Warehouse": "warehouse",
    "Department": "department",
    "VoucherLine": "voucher",
}


def pk(global_id, type_name: str, field: str) -> int | None:
    if global_id is None:
        return None
    value = decode_id(global_id, type_name)
    if value is None:
        raise DomainFinanceError("NOT_FOUND", field, what=WHAT[type_name])
    return value


@strawberry.type
class VoucherPayload:
    voucher: Voucher | None
    errors: list[FinanceError]


@strawberry.type
class ExpensePayload:
    expense: ExpenseBill | None
    errors: list[FinanceError]


@strawberry.type
class FinancePayload:
    ok: bool
    errors: list[FinanceError]


@strawberry.type
class PeriodEndPayload:
    vouchers: list[Voucher]
    errors: list[FinanceError]


async def _voucher_payload(info: Info, action) -> VoucherPayload:
    vid, errors = await run_action(info, CODES, action)
    if vid is None:
        return VoucherPayload(voucher=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(voucher).where(voucher.c.id == vid))).first()
    return VoucherPayload(voucher=Voucher.from_row(row) if row else None, errors=errors)


async def _expense_payload(info: Info, action) -> ExpensePayload:
    eid, errors = await run_action(info, CODES, action)
    if eid is None:
        return ExpensePayload(expense=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(expense_bill).where(expense_bill.c.id == eid))).first()
    return ExpensePayload(expense=ExpenseBill.from_row(row), errors=errors)


async def _ok(info: Info, action) -> FinancePayload:
    _result, errors = await run_action(info, CODES, action)
    return FinancePayload(ok=not errors, errors=errors)


def _principal(info: Info):
    return info.context.principal


async def _period_end(info: Info, action) -> PeriodEndPayload:
    result, errors = await run_action(info, CODES, action)
    ids = [] if result is None else (result if isinstance(result, list) else [result])
    if not ids:
        return PeriodEndPayload(vouchers=[], errors=errors)
    async with info.context.db.read() as conn:
        rows = (await conn.execute(select(voucher).where(voucher.c.id.in_(ids)).order_by(voucher.c.id))).all()
    return PeriodEndPayload(vouchers=[Voucher.from_row(r) for r in rows], errors=errors)


@strawberry.type
class BooksMutation:
    """Books set-up: the accounting standard, the chart of accounts, posting rules, departments."""

    @strawberry.mutation(description="建账: choose the accounting standard once.", extensions=needs("finance.admin"))
    async def setup_books(self, info: Info, standard: AccountingStandard) -> FinancePayload:
        return await _ok(info, lambda: books.do_setup_books(info.context.db, standard.value, _principal(info)))

    @strawberry.mutation(
        description="How many days after today a business date may lie (0: none; at most 366).",
        extensions=needs("finance.admin"),
    )
    async def set_business_date_horizon(self, info: Info, days: int) -> FinancePayload:
        return await _ok(info, lambda: books.do_set_business_date_horizon(info.context.db, days, _principal(info)))

    @strawberry.mutation(description="Add a sub-account (明细科目).", extensions=needs("finance.admin"))
    async def add_account(self, info: Info, input: AccountInput) -> FinancePayload:
        dimensions = None if input.dimensions is None else [d.value for d in input.dimensions]
        data = books.AccountInput(input.parent_code, input.code, input.name, input.name_en, dimensions)
        return await _ok(info, lambda: books.do_add_account(info.context.db, data, _principal(info)))

    @strawberry.mutation(description="Point a business role at another account.", extensions=needs("finance.admin"))
    async def set_posting_rule(self, info: Info, role: str, account_code: str) -> FinancePayload:
        return await _ok(info, lambda: books.do_set_posting_rule(info.context.db, role, account_code, _principal(info)))

    @strawberry.mutation(description="Add a department.", extensions=needs("finance.admin"))
    async def create_department(self, info: Info, code: str, name: str) -> FinancePayload:
        return await _ok(info, lambda: books.do_create_department(info.context.db, code, name, _principal(info)))


@strawberry.type
class VoucherMutation:
    """Vouchers: manual entry, review, posting, deletion, reversal; clearing stock differences; cash-flow items."""

    @strawberry.mutation(description="A manual voucher (draft).", extensions=needs("finance.post"))
    async def create_voucher(self, info: Info, input: VoucherInput) -> VoucherPayload:
        async def action():
            data = vouchers.VoucherInput(
                input.voucher_date,
                input.memo,
                [
                    vouchers.VoucherLineInput(
                        ln.account_code,
                        ln.debit,
                        ln.credit,
                        ln.memo,
                        pk(ln.customer_id, "Customer", f"lines.{i}.customerId"),
                        pk(ln.supplier_id, "Supplier", f"lines.{i}.supplierId"),
                        pk(ln.warehouse_id, "Warehouse", f"lines.{i}.warehouseId"),
                        pk(ln.department_id, "Department", f"lines.{i}.departmentId"),
                    )
                    for i, ln in enumerate(input.lines)
                ],
            )
            return await vouchers.do_create_voucher(info.context.db, data, _principal(info))

        return await _voucher_payload(info, action)

    @strawberry.mutation(description="审核 (by someone other than the preparer).", extensions=needs("finance.review"))
    async def review_voucher(self, info: Info, id: strawberry.ID) -> VoucherPayload:
        async def action():
            vid = pk(id, "Voucher", "id")
            await vouchers.do_review_voucher(info.context.db, vid, _principal(info))
            return vid

        return await _voucher_payload(info, action)

    @strawberry.mutation(description="记账: number the voucher and post it.", extensions=needs("finance.post"))
    async def post_voucher(self, info: Info, id: strawberry.ID) -> VoucherPayload:
        async def action():
            vid = pk(id, "Voucher", "id")
            await vouchers.do_post_voucher(info.context.db, vid, _principal(info))
            return vid

        return await _voucher_payload(info, action)

    @strawberry.mutation(description="Delete a draft voucher.", extensions=needs("finance.post"))
    async def delete_voucher(self, info: Info, id: strawberry.ID) -> FinancePayload:
        return await _ok(
            info, lambda: vouchers.do_delete_voucher(info.context.db, pk(id, "Voucher", "id"), _principal(info))
        )

    @strawberry.mutation(description="红字冲销: reverse a posted voucher.", extensions=needs("finance.post"))
    async def reverse_voucher(self, info: Info, id: strawberry.ID, on: date | None = None) -> VoucherPayload:
        return await _voucher_payload(
            info, lambda: vouchers.do_reverse_voucher(info.context.db, pk(id, "Voucher", "id"), _principal(info), on=on)
        )

    @strawberry.mutation(
        description="Clear the 待处理财产损溢 of a voucher after approval.", extensions=needs("finance.post")
    )
    async def clear_stock_differences(self, info: Info, input: ClearSuspenseInput) -> VoucherPayload:
        return await _voucher_payload(
            info,
            lambda: vouchers.do_clear_suspense(
                info.context.db,
                pk(input.voucher_id, "Voucher", "voucherId"),
                _principal(info),
                loss_treatment=input.loss_treatment.value,
                gain_treatment=input.gain_treatment.value,
                abnormal_vat_rate=input.abnormal_vat_rate,
                on=input.on,
            ),
        )

    @strawberry.mutation(
        description="Put a cash line into another cash-flow item (null: back to the rule).",
        extensions=needs("finance.post"),
    )
    async def reclassify_cash_flow(
        self, info: Info, line_id: strawberry.ID, item: CashFlowItemKey | None
    ) -> FinancePayload:
        return await _ok(
            info,
            lambda: vouchers.do_reclassify_cash_flow(
                info.context.db, pk(line_id, "VoucherLine", "lineId"), value_of(item), _principal(info)
            ),
        )


@strawberry.type
class ExpenseMutation:
    """Expense bills: entry, approval, payment."""

    @strawberry.mutation(description="Enter an expense bill (费用单).", extensions=needs("expense.edit"))
    async def create_expense(
        self, info: Info, input: ExpenseInput, idempotency_key: str | None = None
    ) -> ExpensePayload:
        async def action():
            data = expenses.ExpenseInput(
                input.category,
                input.amount,
                input.description,
                input.vat_rate,
                input.special_invoice,
                pk(input.supplier_id, "Supplier", "supplierId"),
                pk(input.department_id, "Department", "departmentId"),
                input.expense_date,
            )
            return await expenses.do_create_expense(
                info.context.db, data, _principal(info), idempotency_key=idempotency_key
            )

        return await _expense_payload(info, action)

    @strawberry.mutation(description="Approve or reject an expense bill.", extensions=needs("expense.approve"))
    async def decide_expense(self, info: Info, id: strawberry.ID, approve: bool, comment: str = "") -> ExpensePayload:
        async def action():
            eid = pk(id, "ExpenseBill", "id")
            await expenses.do_decide_expense(info.context.db, eid, approve, _principal(info), comment)
            return eid

        return await _expense_payload(info, action)

    @strawberry.mutation(description="Pay an approved expense bill.", extensions=needs("finance.payment"))
    async def pay_expense(
        self,
        info: Info,
        id: strawberry.ID,
        amount: Money,
        method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
        payment_date: date | None = None,
        idempotency_key: str | None = None,
    ) -> ExpensePayload:
        async def action():
            eid = pk(id, "ExpenseBill", "id")
            await expenses.do_pay_expense(
                info.context.db,
                expenses.ExpensePaymentInput(eid, amount, method.value, payment_date),
                _principal(info),
                idempotency_key=idempotency_key,
            )
            return eid

        return await _expense_payload(info, action)


@strawberry.type
class PeriodEndMutation:
    """Period end: VAT transfer, closing profit and loss, closing and reopening periods."""

    @strawberry.mutation(description="转出未交增值税 for a period.", extensions=needs("finance.post"))
    async def transfer_vat(self, info: Info, period: int) -> PeriodEndPayload:
        return await _period_end(info, lambda: closing.do_transfer_vat(info.context.db, period, _principal(info)))

    @strawberry.mutation(description="结转损益 for a period.", extensions=needs("finance.post"))
    async def close_profit_and_loss(self, info: Info, period: int) -> PeriodEndPayload:
        return await _period_end(info, lambda: closing.do_close_profit(info.context.db, period, _principal(info)))

    @strawberry.mutation(
        description="凭证整理: number the posted vouchers of an open period again in date order (记-0001 …).",
        extensions=needs("finance.period"),
    )
    async def renumber_vouchers(self, info: Info, period: int) -> FinancePayload:
        return await _ok(info, lambda: closing.do_renumber_vouchers(info.context.db, period, _principal(info)))

    @strawberry.mutation(description="结账: close an accounting period.", extensions=needs("finance.period"))
    async def close_period(self, info: Info, period: int) -> FinancePayload:
        return await _ok(info, lambda: closing.do_close_period(info.context.db, period, _principal(info)))

    @strawberry.mutation(
        description="反结账: reopen the latest closed period (audited).", extensions=needs("finance.period")
    )
    async def reopen_period(self, info: Info, period: int, reason: str) -> FinancePayload:
        return await _ok(info, lambda: closing.do_reopen_period(info.context.db, period, reason, _principal(info)))


@strawberry.type
class FinanceMutation(BooksMutation, VoucherMutation, ExpenseMutation, PeriodEndMutation):
    """The finance mutations, in the schema's order."""
