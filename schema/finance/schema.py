"""Finance queries and mutations: books set-up, chart of accounts, posting rules, vouchers and their
review/posting/reversal, clearing stock differences, expenses, period end and the statements (with
XLSX/PDF download links). Rules live in ``server.finance``; this module maps IDs and inputs, checks
permissions and returns payloads."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth import needs
from schema.bounds import check_period, check_year
from schema.enums import (AccountDimension, CashFlowItemKey, ExpenseStatus, GainTreatment, LossTreatment, PaymentMethod,
                          StatementKind, VoucherStatus, value_of)
from schema.errors import FinanceError, run_action
from schema.relay import Connection, decode_id, paginate, to_global_id
from schema.scalars import Decimal_, Money
from server.finance.errors import FinanceError as DomainFinanceError
from server.finance.errors import FinanceErrorCode
from server.finance import books, closing, expenses, statements, vouchers
from server.finance.chart import CASH_FLOW_ITEMS, ROLE_NAMES
from server.finance.ledger import books_standard
from server.finance.models import account, accounting_period, expense_bill, expense_category, posting_rule, voucher
from server.finance.poster import poster_lag, set_aside_count, set_aside_events
from server.numbers import fen_to_decimal

CODES = FinanceErrorCode
WHAT = {"Voucher": "voucher", "ExpenseBill": "expense", "Customer": "customer", "Supplier": "supplier",
        "Warehouse": "warehouse", "Department": "department", "VoucherLine": "voucher"}


def _money(fen: int) -> Money:
    return Money(str(fen_to_decimal(fen)))


def pk(global_id, type_name: str, field: str) -> int | None:
    if global_id is None:
        return None
    value = decode_id(global_id, type_name)
    if value is None:
        raise DomainFinanceError("NOT_FOUND", field, what=WHAT[type_name])
    return value


# ---- types --------------------------------------------------------------------------------------------


@strawberry.type(description="A ledger account (会计科目).")
class Account:
    code: str
    parent_code: str | None
    name: str
    name_en: str
    category: str
    direction: str
    dimensions: list[str] = strawberry.field(description="辅助核算: customer, supplier, warehouse, department.")
    is_cash: bool
    is_leaf: bool
    active: bool

    @classmethod
    def from_row(cls, r) -> Account:
        return cls(code=r.code, parent_code=r.parent_code, name=r.name, name_en=r.name_en, category=r.category,
                   direction=r.direction, dimensions=[d for d in r.dimensions.split(",") if d], is_cash=r.is_cash,
                   is_leaf=r.is_leaf, active=r.active)


@strawberry.type(description="Which account a business role posts to (记账规则).")
class PostingRule:
    role: str
    label: str
    label_en: str
    account_code: str


@strawberry.type
class VoucherLine:
    id: strawberry.ID
    line_no: int
    account_code: str
    debit: Money
    credit: Money
    memo: str
    customer_id: strawberry.ID | None
    supplier_id: strawberry.ID | None
    warehouse_id: strawberry.ID | None
    department_id: strawberry.ID | None
    cash_flow_item: str | None

    @classmethod
    def from_row(cls, r) -> VoucherLine:
        def gid(type_name, value):
            return to_global_id(type_name, value) if value is not None else None
        return cls(id=to_global_id("VoucherLine", r.id), line_no=r.line_no, account_code=r.account_code,
                   debit=_money(r.debit_fen), credit=_money(r.credit_fen), memo=r.memo,
                   customer_id=gid("Customer", r.customer_id), supplier_id=gid("Supplier", r.supplier_id),
                   warehouse_id=gid("Warehouse", r.warehouse_id), department_id=gid("Department", r.department_id),
                   cash_flow_item=r.cash_flow_item)


@strawberry.type(description="A voucher (记账凭证): booked from a business event or entered by an accountant.")
class Voucher:
    id: strawberry.ID
    number: str = strawberry.field(description="记-0001 per period; empty until posted.")
    period: int | None
    voucher_date: date
    document_date: date = strawberry.field(description="The business date, kept when it posts into a later period.")
    status: str
    origin: str
    source_type: str
    source_number: str
    memo: str
    total: Money
    created_by: str
    reviewed_by: str
    posted_by: str
    created_at: datetime
    reversal_of: strawberry.ID | None
    disposed_by: strawberry.ID | None
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> Voucher:
        return cls(id=to_global_id("Voucher", r.id), number=r.number, period=r.period, voucher_date=r.voucher_date,
                   document_date=r.document_date, status=r.status, origin=r.origin, source_type=r.source_type,
                   source_number=r.source_number, memo=r.memo, total=_money(r.total_fen), created_by=r.created_by,
                   reviewed_by=r.reviewed_by, posted_by=r.posted_by, created_at=r.created_at,
                   reversal_of=to_global_id("Voucher", r.reversal_of) if r.reversal_of else None,
                   disposed_by=to_global_id("Voucher", r.disposed_by) if r.disposed_by else None, _row=r)

    @strawberry.field
    async def lines(self, info: Info) -> list[VoucherLine]:
        return [VoucherLine.from_row(r) for r in await info.context.loaders.voucher_lines.load(self._row.id)]


@strawberry.type
class AccountingPeriod:
    period: int
    status: str
    closed_by: str
    closed_at: datetime | None


@strawberry.type(description="An expense bill (费用单).")
class ExpenseBill:
    id: strawberry.ID
    number: str
    category: str
    expense_date: date
    description: str
    amount: Money
    tax: Money
    special_invoice: bool
    total: Money
    paid: Money
    status: str
    created_by: str
    approved_by: str

    @classmethod
    def from_row(cls, r) -> ExpenseBill:
        return cls(id=to_global_id("ExpenseBill", r.id), number=r.number, category=r.category_code,
                   expense_date=r.expense_date, description=r.description, amount=_money(r.amount_fen),
                   tax=_money(r.tax_fen), special_invoice=r.special_invoice, total=_money(r.total_fen),
                   paid=_money(r.paid_fen), status=r.status, created_by=r.created_by, approved_by=r.approved_by)


@strawberry.type
class ExpenseCategory:
    code: str
    name: str
    name_en: str
    account: str


@strawberry.type(description="One line of the trial balance (科目余额表); balances are debit-positive.")
class TrialBalanceRow:
    code: str
    name: str
    name_en: str
    category: str
    is_leaf: bool
    opening: Money
    debit: Money
    credit: Money
    closing: Money


@strawberry.type
class StatementRow:
    key: str
    label: str
    label_en: str
    values: list[Money]
    is_total: bool


@strawberry.type(description="资产负债表 / 利润表 / 现金流量表, computed from the ledger.")
class FinancialStatement:
    kind: str
    title: str
    title_en: str
    period: int
    columns: list[str]
    rows: list[StatementRow]
    xlsx_url: str
    pdf_url: str

    @classmethod
    def from_statement(cls, st) -> FinancialStatement:
        base = f"/finance/statements/{st.kind}"
        return cls(kind=st.kind, title=st.title, title_en=st.title_en, period=st.period,
                   columns=[f"{zh} {en}" for zh, en in st.columns],
                   rows=[StatementRow(key=r.key, label=r.label, label_en=r.label_en,
                                      values=[_money(v) for v in r.values], is_total=r.level == 1) for r in st.rows],
                   xlsx_url=f"{base}.xlsx?period={st.period}", pdf_url=f"{base}.pdf?period={st.period}")


@strawberry.type
class LedgerLine:
    voucher_id: strawberry.ID
    line_id: strawberry.ID
    number: str
    date: date
    account_code: str
    memo: str
    debit: Money
    credit: Money
    balance: Money


@strawberry.type(description="明细账: opening balance, lines with a running balance, closing balance.")
class DetailLedger:
    account_code: str
    opening: Money
    debit: Money
    credit: Money
    closing: Money
    lines: list[LedgerLine]


@strawberry.type(description="A department (部门), an auxiliary dimension of expenses.")
class Department:
    id: strawberry.ID
    code: str
    name: str


@strawberry.type
class GeneralLedgerMonth:
    period: int
    opening: Money
    debit: Money
    credit: Money
    closing: Money


@strawberry.type
class PartnerStatementLine:
    date: date
    voucher: str
    document_type: str
    document: str
    memo: str
    increase: Money
    decrease: Money
    balance: Money


@strawberry.type(description="对账单: what a customer owes us (or we owe a supplier), document by document.")
class PartnerStatement:
    opening: Money
    closing: Money
    lines: list[PartnerStatementLine]


@strawberry.type(description="A line of the cash-flow statement (direct method).")
class CashFlowItem:
    key: CashFlowItemKey = strawberry.field(description="Pass it to reclassifyCashFlow(item:).")
    section: str
    label: str
    label_en: str


@strawberry.type(description="A business event the poster could not book: set aside with its error, retried on "
                               "every run and booked once the cause is fixed.")
class PosterFailure:
    seq: int = strawberry.field(description="The event's sequence number in the journal.")
    event_type: str
    source: str = strawberry.field(description="The document it stands for, e.g. goods_receipt GR2026-000012.")
    error: str = strawberry.field(description="Why it cannot be booked, or which set-aside event it waits for.")
    waiting_for: int | None = strawberry.field(
        description="Held back behind this set-aside event (same document or one it depends on), not failed itself.")
    attempts: int
    first_failed_at: datetime
    last_tried_at: datetime


@strawberry.type
class PosterStatus:
    standard: str
    booked_until: int = strawberry.field(description="The last journal event turned into vouchers.")
    last_event: int
    last_error: str
    failure_count: int = strawberry.field(description="How many events are set aside.")
    failures: list[PosterFailure] = strawberry.field(
        description="Events set aside, in journal order (the first 100).")


# ---- payloads -----------------------------------------------------------------------------------------------


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


# ---- inputs ---------------------------------------------------------------------------------------------------


@strawberry.enum
class AccountingStandard(Enum):
    ENTERPRISE = "enterprise"
    SMALL = "small"


@strawberry.input
class VoucherLineInput:
    account_code: str
    debit: Money = Money("0")
    credit: Money = Money("0")
    memo: str = ""
    customer_id: strawberry.ID | None = None
    supplier_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None


@strawberry.input
class VoucherInput:
    voucher_date: date
    memo: str
    lines: list[VoucherLineInput]


@strawberry.input
class AccountInput:
    parent_code: str
    code: str
    name: str
    name_en: str = ""
    dimensions: list[AccountDimension] | None = None


@strawberry.input
class ExpenseInput:
    category: str
    amount: Money
    description: str
    vat_rate: Decimal_ = Decimal_("0")
    special_invoice: bool = strawberry.field(default=False, description="专票: the input VAT is deductible.")
    supplier_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None
    expense_date: date | None = None


@strawberry.input
class ClearSuspenseInput:
    voucher_id: strawberry.ID
    loss_treatment: LossTreatment = LossTreatment.NORMAL
    gain_treatment: GainTreatment = GainTreatment.INCOME
    abnormal_vat_rate: Decimal_ | None = strawberry.field(
        default=None, description="Abnormal loss: reverse input VAT at this rate (进项税额转出), e.g. 0.13.")
    on: date | None = None


# ---- queries --------------------------------------------------------------------------------------------------


def _principal(info: Info):
    return info.context.principal


@strawberry.type
class FinanceQuery:
    @strawberry.field(description="The chart of accounts (科目表).", extensions=needs("finance.view"))
    async def accounts(self, info: Info) -> list[Account]:
        async with info.context.db.read() as conn:
            return [Account.from_row(r) for r in await conn.execute(select(account).order_by(account.c.code))]

    @strawberry.field(description="Posting rules: business role → account.", extensions=needs("finance.view"))
    async def posting_rules(self, info: Info) -> list[PostingRule]:
        async with info.context.db.read() as conn:
            rows = (await conn.execute(select(posting_rule).order_by(posting_rule.c.role))).all()
        return [PostingRule(role=r.role, label=ROLE_NAMES.get(r.role, (r.role, r.role))[0],
                            label_en=ROLE_NAMES.get(r.role, (r.role, r.role))[1], account_code=r.account_code)
                for r in rows]

    @strawberry.field(description="Vouchers, newest first.", extensions=needs("finance.view"))
    async def vouchers(self, info: Info, period: int | None = None, status: VoucherStatus | None = None,
                       source_type: str | None = None, first: int | None = None,
                       after: str | None = None) -> Connection[Voucher]:
        check_period(period)
        q = select(voucher).order_by(voucher.c.id.desc())
        if period is not None:
            q = q.where(voucher.c.period == period)
        if status:
            q = q.where(voucher.c.status == status.value)
        if source_type:
            q = q.where(voucher.c.source_type == source_type)
        return await paginate(info, q, Voucher.from_row, first=first, after=after)

    @strawberry.field(description="Accounting periods (会计期间).", extensions=needs("finance.view"))
    async def accounting_periods(self, info: Info) -> list[AccountingPeriod]:
        async with info.context.db.read() as conn:
            rows = (await conn.execute(select(accounting_period).order_by(accounting_period.c.period))).all()
        return [AccountingPeriod(period=r.period, status=r.status, closed_by=r.closed_by, closed_at=r.closed_at)
                for r in rows]

    @strawberry.field(description="Where the poster stands in the event journal.", extensions=needs("finance.view"))
    async def poster_status(self, info: Info) -> PosterStatus | None:
        async with info.context.db.read() as conn:
            try:
                standard = await books_standard(conn)
            except DomainFinanceError:
                return None
            booked, last = await poster_lag(conn)
            from server.finance.models import poster_state
            error = (await conn.execute(select(poster_state.c.last_error))).scalar() or ""
            failures = [PosterFailure(seq=f.seq, event_type=f.event_type, source=f.source, error=f.error,
                                      waiting_for=f.waiting_for, attempts=f.attempts, first_failed_at=f.first_failed_at,
                                      last_tried_at=f.last_tried_at) for f in await set_aside_events(conn, 100)]
            count = await set_aside_count(conn) if len(failures) == 100 else len(failures)
        return PosterStatus(standard=standard, booked_until=booked, last_event=last, last_error=error,
                            failure_count=count, failures=failures)

    @strawberry.field(description="科目余额表 for a period (yyyymm).", extensions=needs("finance.view"))
    async def trial_balance(self, info: Info, period: int) -> list[TrialBalanceRow]:
        check_period(period)
        async with info.context.db.read() as conn:
            rows = await statements.trial_balance(conn, period)
        return [TrialBalanceRow(code=r["code"], name=r["name"], name_en=r["name_en"], category=r["category"],
                                is_leaf=r["is_leaf"], opening=_money(r["opening"]), debit=_money(r["debit"]),
                                credit=_money(r["credit"]), closing=_money(r["closing"])) for r in rows]

    @strawberry.field(description="A financial statement: BALANCE_SHEET | INCOME_STATEMENT | CASH_FLOW.",
                      extensions=needs("finance.view"))
    async def financial_statement(self, info: Info, kind: StatementKind, period: int) -> FinancialStatement | None:
        check_period(period)
        make = statements.STATEMENTS.get(kind.value)
        if make is None:
            return None
        async with info.context.db.read() as conn:
            return FinancialStatement.from_statement(await make(conn, period))

    @strawberry.field(description="明细账 of an account (and sub-accounts), optionally for one partner.",
                      extensions=needs("finance.view"))
    async def detail_ledger(self, info: Info, account_code: str, from_period: int, to_period: int,
                            customer_id: strawberry.ID | None = None, supplier_id: strawberry.ID | None = None,
                            warehouse_id: strawberry.ID | None = None, first: int = 200, offset: int = 0) -> DetailLedger:
        check_period(from_period, "fromPeriod")
        check_period(to_period, "toPeriod")
        first = min(max(first, 1), info.context.settings.max_page_size)
        async with info.context.db.read() as conn:
            led = await statements.detail_ledger(
                conn, account_code, from_period, to_period,
                customer_id=decode_id(customer_id, "Customer") if customer_id else None,
                supplier_id=decode_id(supplier_id, "Supplier") if supplier_id else None,
                warehouse_id=decode_id(warehouse_id, "Warehouse") if warehouse_id else None,
                limit=first, offset=max(offset, 0))
        return DetailLedger(account_code=account_code, opening=_money(led["opening"]), debit=_money(led["debit"]),
                            credit=_money(led["credit"]), closing=_money(led["closing"]), lines=[
                                LedgerLine(voucher_id=to_global_id("Voucher", ln["voucher_id"]),
                                           line_id=to_global_id("VoucherLine", ln["line_id"]), number=ln["number"],
                                           date=ln["date"], account_code=ln["account_code"], memo=ln["memo"],
                                           debit=_money(ln["debit"]), credit=_money(ln["credit"]),
                                           balance=_money(ln["balance"])) for ln in led["lines"]])

    @strawberry.field(description="Departments (辅助核算).", extensions=needs("finance.view"))
    async def departments(self, info: Info) -> list[Department]:
        from server.finance.models import department

        async with info.context.db.read() as conn:
            rows = (await conn.execute(select(department).order_by(department.c.code))).all()
        return [Department(id=to_global_id("Department", r.id), code=r.code, name=r.name) for r in rows]

    @strawberry.field(description="总账: an account's months of a year.", extensions=needs("finance.view"))
    async def general_ledger(self, info: Info, account_code: str, year: int) -> list[GeneralLedgerMonth]:
        check_year(year)
        async with info.context.db.read() as conn:
            rows = await statements.general_ledger(conn, account_code, year)
        return [GeneralLedgerMonth(period=r["period"], opening=_money(r["opening"]), debit=_money(r["debit"]),
                                   credit=_money(r["credit"]), closing=_money(r["closing"])) for r in rows]

    @strawberry.field(description="对账单 of a customer or supplier between two dates.",
                      extensions=needs("finance.view"))
    async def partner_statement(self, info: Info, partner_id: strawberry.ID, from_date: date,
                                to_date: date) -> PartnerStatement | None:
        kind = "customer" if decode_id(partner_id, "Customer") else "supplier"
        pid = decode_id(partner_id, "Customer") or decode_id(partner_id, "Supplier")
        if pid is None:
            return None
        async with info.context.db.read() as conn:
            st = await statements.partner_statement(conn, kind, pid, from_date, to_date)
        return PartnerStatement(opening=_money(st["opening"]), closing=_money(st["closing"]), lines=[
            PartnerStatementLine(date=ln["date"], voucher=ln["voucher"], document_type=ln["document_type"],
                                 document=ln["document"], memo=ln["memo"], increase=_money(ln["increase"]),
                                 decrease=_money(ln["decrease"]), balance=_money(ln["balance"]))
            for ln in st["lines"]])

    @strawberry.field(description="Expense bills, newest first.", extensions=needs("finance.view"))
    async def expense_bills(self, info: Info, status: ExpenseStatus | None = None, first: int | None = None,
                            after: str | None = None) -> Connection[ExpenseBill]:
        q = select(expense_bill).order_by(expense_bill.c.id.desc())
        if status:
            q = q.where(expense_bill.c.status == status.value)
        return await paginate(info, q, ExpenseBill.from_row, first=first, after=after)

    @strawberry.field(description="Expense categories and where they post.", extensions=needs("finance.view"))
    async def expense_categories(self, info: Info) -> list[ExpenseCategory]:
        async with info.context.db.read() as conn:
            rules = {r.role: r.account_code for r in await conn.execute(select(posting_rule))}
            rows = (await conn.execute(select(expense_category).order_by(expense_category.c.code))).all()
        return [ExpenseCategory(code=r.code, name=r.name, name_en=r.name_en,
                                account=r.account_code or rules.get(r.role, "")) for r in rows]

    @strawberry.field(description="Cash-flow statement items (for reclassifying a cash line).",
                      extensions=needs("finance.view"))
    def cash_flow_items(self) -> list[CashFlowItem]:
        return [CashFlowItem(key=CashFlowItemKey(k), section=sec, label=zh, label_en=en)
                for k, (sec, zh, en) in CASH_FLOW_ITEMS.items()]


# ---- mutations ------------------------------------------------------------------------------------------------


@strawberry.type
class FinanceMutation:
    @strawberry.mutation(description="建账: choose the accounting standard once.", extensions=needs("finance.admin"))
    async def setup_books(self, info: Info, standard: AccountingStandard) -> FinancePayload:
        return await _ok(info, lambda: books.do_setup_books(info.context.db, standard.value, _principal(info)))

    @strawberry.mutation(description="Add a sub-account (明细科目).", extensions=needs("finance.admin"))
    async def add_account(self, info: Info, input: AccountInput) -> FinancePayload:
        dimensions = None if input.dimensions is None else [d.value for d in input.dimensions]
        data = books.AccountInput(input.parent_code, input.code, input.name, input.name_en, dimensions)
        return await _ok(info, lambda: books.do_add_account(info.context.db, data, _principal(info)))

    @strawberry.mutation(description="Point a business role at another account.", extensions=needs("finance.admin"))
    async def set_posting_rule(self, info: Info, role: str, account_code: str) -> FinancePayload:
        return await _ok(info, lambda: books.do_set_posting_rule(info.context.db, role, account_code,
                                                                 _principal(info)))

    @strawberry.mutation(description="Add a department.", extensions=needs("finance.admin"))
    async def create_department(self, info: Info, code: str, name: str) -> FinancePayload:
        return await _ok(info, lambda: books.do_create_department(info.context.db, code, name, _principal(info)))

    @strawberry.mutation(description="A manual voucher (draft).", extensions=needs("finance.post"))
    async def create_voucher(self, info: Info, input: VoucherInput) -> VoucherPayload:
        async def action():
            data = vouchers.VoucherInput(input.voucher_date, input.memo, [vouchers.VoucherLineInput(
                ln.account_code, ln.debit, ln.credit, ln.memo, pk(ln.customer_id, "Customer", f"lines.{i}.customerId"),
                pk(ln.supplier_id, "Supplier", f"lines.{i}.supplierId"),
                pk(ln.warehouse_id, "Warehouse", f"lines.{i}.warehouseId"),
                pk(ln.department_id, "Department", f"lines.{i}.departmentId")) for i, ln in enumerate(input.lines)])
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
        return await _ok(info, lambda: vouchers.do_delete_voucher(info.context.db, pk(id, "Voucher", "id"),
                                                                  _principal(info)))

    @strawberry.mutation(description="红字冲销: reverse a posted voucher.", extensions=needs("finance.post"))
    async def reverse_voucher(self, info: Info, id: strawberry.ID, on: date | None = None) -> VoucherPayload:
        return await _voucher_payload(info, lambda: vouchers.do_reverse_voucher(
            info.context.db, pk(id, "Voucher", "id"), _principal(info), on=on))

    @strawberry.mutation(description="Clear the 待处理财产损溢 of a voucher after approval.",
                         extensions=needs("finance.post"))
    async def clear_stock_differences(self, info: Info, input: ClearSuspenseInput) -> VoucherPayload:
        return await _voucher_payload(info, lambda: vouchers.do_clear_suspense(
            info.context.db, pk(input.voucher_id, "Voucher", "voucherId"), _principal(info),
            loss_treatment=input.loss_treatment.value, gain_treatment=input.gain_treatment.value,
            abnormal_vat_rate=input.abnormal_vat_rate, on=input.on))

    @strawberry.mutation(description="Put a cash line into another cash-flow item (null: back to the rule).",
                         extensions=needs("finance.post"))
    async def reclassify_cash_flow(self, info: Info, line_id: strawberry.ID, item: CashFlowItemKey | None) -> FinancePayload:
        return await _ok(info, lambda: vouchers.do_reclassify_cash_flow(
            info.context.db, pk(line_id, "VoucherLine", "lineId"), value_of(item), _principal(info)))

    @strawberry.mutation(description="Enter an expense bill (费用单).", extensions=needs("expense.edit"))
    async def create_expense(self, info: Info, input: ExpenseInput, idempotency_key: str | None = None) -> ExpensePayload:
        async def action():
            data = expenses.ExpenseInput(input.category, input.amount, input.description, input.vat_rate,
                                         input.special_invoice, pk(input.supplier_id, "Supplier", "supplierId"),
                                         pk(input.department_id, "Department", "departmentId"), input.expense_date)
            return await expenses.do_create_expense(info.context.db, data, _principal(info),
                                                    idempotency_key=idempotency_key)
        return await _expense_payload(info, action)

    @strawberry.mutation(description="Approve or reject an expense bill.", extensions=needs("expense.approve"))
    async def decide_expense(self, info: Info, id: strawberry.ID, approve: bool, comment: str = "") -> ExpensePayload:
        async def action():
            eid = pk(id, "ExpenseBill", "id")
            await expenses.do_decide_expense(info.context.db, eid, approve, _principal(info), comment)
            return eid
        return await _expense_payload(info, action)

    @strawberry.mutation(description="Pay an approved expense bill.", extensions=needs("finance.payment"))
    async def pay_expense(self, info: Info, id: strawberry.ID, amount: Money, method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
                          payment_date: date | None = None, idempotency_key: str | None = None) -> ExpensePayload:
        async def action():
            eid = pk(id, "ExpenseBill", "id")
            await expenses.do_pay_expense(info.context.db, expenses.ExpensePaymentInput(eid, amount, method.value, payment_date),
                                          _principal(info), idempotency_key=idempotency_key)
            return eid
        return await _expense_payload(info, action)

    @strawberry.mutation(description="转出未交增值税 for a period.", extensions=needs("finance.post"))
    async def transfer_vat(self, info: Info, period: int) -> PeriodEndPayload:
        return await _period_end(info, lambda: closing.do_transfer_vat(info.context.db, period, _principal(info)))

    @strawberry.mutation(description="结转损益 for a period.", extensions=needs("finance.post"))
    async def close_profit_and_loss(self, info: Info, period: int) -> PeriodEndPayload:
        return await _period_end(info, lambda: closing.do_close_profit(info.context.db, period, _principal(info)))

    @strawberry.mutation(description="结账: close an accounting period.", extensions=needs("finance.period"))
    async def close_period(self, info: Info, period: int) -> FinancePayload:
        return await _ok(info, lambda: closing.do_close_period(info.context.db, period, _principal(info)))

    @strawberry.mutation(description="反结账: reopen the latest closed period (audited).",
                         extensions=needs("finance.period"))
    async def reopen_period(self, info: Info, period: int, reason: str) -> FinancePayload:
        return await _ok(info, lambda: closing.do_reopen_period(info.context.db, period, reason, _principal(info)))


async def _period_end(info: Info, action) -> PeriodEndPayload:
    result, errors = await run_action(info, CODES, action)
    ids = [] if result is None else (result if isinstance(result, list) else [result])
    if not ids:
        return PeriodEndPayload(vouchers=[], errors=errors)
    async with info.context.db.read() as conn:
        rows = (await conn.execute(select(voucher).where(voucher.c.id.in_(ids)).order_by(voucher.c.id))).all()
    return PeriodEndPayload(vouchers=[Voucher.from_row(r) for r in rows], errors=errors)
