"""Finance GraphQL types: accounts and posting rules, vouchers, periods, expenses, the ledgers and
statements, the poster's status."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.enums import CashFlowItemKey
from schema.relay import to_global_id
from schema.scalars import Money
from server.core.numbers import fen_to_decimal


def money(fen: int) -> Money:
    return Money(str(fen_to_decimal(fen)))


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
        return cls(
            code=r.code,
            parent_code=r.parent_code,
            name=r.name,
            name_en=r.name_en,
            category=r.category,
            direction=r.direction,
            dimensions=[d for d in r.dimensions.split(",") if d],
            is_cash=r.is_cash,
            is_leaf=r.is_leaf,
            active=r.active,
        )


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

        return cls(
            id=to_global_id("VoucherLine", r.id),
            line_no=r.line_no,
            account_code=r.account_code,
            debit=money(r.debit_fen),
            credit=money(r.credit_fen),
            memo=r.memo,
            customer_id=gid("Customer", r.customer_id),
            supplier_id=gid("Supplier", r.supplier_id),
            warehouse_id=gid("Warehouse", r.warehouse_id),
            department_id=gid("Department", r.department_id),
            cash_flow_item=r.cash_flow_item,
        )


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
        return cls(
            id=to_global_id("Voucher", r.id),
            number=r.number,
            period=r.period,
            voucher_date=r.voucher_date,
            document_date=r.document_date,
            status=r.status,
            origin=r.origin,
            source_type=r.source_type,
            source_number=r.source_number,
            memo=r.memo,
            total=money(r.total_fen),
            created_by=r.created_by,
            reviewed_by=r.reviewed_by,
            posted_by=r.posted_by,
            created_at=r.created_at,
            reversal_of=to_global_id("Voucher", r.reversal_of) if r.reversal_of else None,
            disposed_by=to_global_id("Voucher", r.disposed_by) if r.disposed_by else None,
            _row=r,
        )

    @strawberry.field
    async def lines(self, info: Info) -> list[VoucherLine]:
        return [VoucherLine.from_row(r) for r in await info.context.loaders.finance.voucher_lines.load(self._row.id)]


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
        return cls(
            id=to_global_id("ExpenseBill", r.id),
            number=r.number,
            category=r.category_code,
            expense_date=r.expense_date,
            description=r.description,
            amount=money(r.amount_fen),
            tax=money(r.tax_fen),
            special_invoice=r.special_invoice,
            total=money(r.total_fen),
            paid=money(r.paid_fen),
            status=r.status,
            created_by=r.created_by,
            approved_by=r.approved_by,
        )


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
        return cls(
            kind=st.kind,
            title=st.title,
            title_en=st.title_en,
            period=st.period,
            columns=[f"{zh} {en}" for zh, en in st.columns],
            rows=[
                StatementRow(
                    key=r.key,
                    label=r.label,
                    label_en=r.label_en,
                    values=[money(v) for v in r.values],
                    is_total=r.level == 1,
                )
                for r in st.rows
            ],
            xlsx_url=f"{base}.xlsx?period={st.period}",
            pdf_url=f"{base}.pdf?period={st.period}",
        )


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


@strawberry.type(
    description="A business event the poster could not book: set aside with its error, retried on "
    "every run and booked once the cause is fixed."
)
class PosterFailure:
    seq: int = strawberry.field(description="The event's sequence number in the journal.")
    event_type: str
    source: str = strawberry.field(description="The document it stands for, e.g. goods_receipt GR2026-000012.")
    error: str = strawberry.field(description="Why it cannot be booked, or which set-aside event it waits for.")
    waiting_for: int | None = strawberry.field(
        description="Held back behind this set-aside event (same document or one it depends on), not failed itself."
    )
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
    failures: list[PosterFailure] = strawberry.field(description="Events set aside, in journal order (the first 100).")
