"""Finance queries: the chart of accounts, posting rules, vouchers, periods, the poster's status,
the trial balance, statements (with XLSX/PDF download links), ledgers, partner statements, expenses."""

from __future__ import annotations

from datetime import date, timedelta

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.bounds import check_period, check_year
from schema.enums import CashFlowItemKey, ExpenseStatus, StatementKind, VoucherStatus
from schema.finance.types import (
    Account,
    AccountingPeriod,
    CashFlowItem,
    Department,
    DetailLedger,
    ExpenseBill,
    ExpenseCategory,
    FinancialStatement,
    GeneralLedgerMonth,
    LedgerLine,
    PartnerStatement,
    PartnerStatementLine,
    PosterFailure,
    PosterStatus,
    PostingRule,
    TrialBalanceRow,
    Voucher,
    money,
)
from schema.relay import Connection, decode_id, paginate, to_global_id
from server.core import clock
from server.finance import books, statements
from server.finance.chart import CASH_FLOW_ITEMS, ROLE_NAMES
from server.finance.errors import FinanceError as DomainFinanceError
from server.finance.ledger import books_standard
from server.finance.models import account, accounting_period, expense_bill, expense_category, posting_rule, voucher
from server.finance.poster import poster_lag, set_aside_count, set_aside_events


@strawberry.type(description="业务日期: a business date may lie at most futureDays after today.")
class BusinessDateSettings:
    future_days: int
    latest_date: date


@strawberry.type
class FinanceQuery:
    @strawberry.field(
        description="How far ahead business dates may lie (setBusinessDateHorizon).", extensions=needs("finance.view")
    )
    async def business_date_settings(self, info: Info) -> BusinessDateSettings:
        days = await books.business_date_horizon(info.context.db)
        return BusinessDateSettings(future_days=days, latest_date=clock.today() + timedelta(days=days))

    @strawberry.field(description="The chart of accounts (科目表).", extensions=needs("finance.view"))
    async def accounts(self, info: Info) -> list[Account]:
        async with info.context.db.read() as conn:
            return [Account.from_row(r) for r in await conn.execute(select(account).order_by(account.c.code))]

    @strawberry.field(description="Posting rules: business role → account.", extensions=needs("finance.view"))
    async def posting_rules(self, info: Info) -> list[PostingRule]:
        async with info.context.db.read() as conn:
            rows = (await conn.execute(select(posting_rule).order_by(posting_rule.c.role))).all()
        return [
            PostingRule(
                role=r.role,
                label=ROLE_NAMES.get(r.role, (r.role, r.role))[0],
                label_en=ROLE_NAMES.get(r.role, (r.role, r.role))[1],
                account_code=r.account_code,
            )
            for r in rows
        ]

    @strawberry.field(description="Vouchers, newest first.", extensions=needs("finance.view"))
    async def vouchers(
        self,
        info: Info,
        period: int | None = None,
        status: VoucherStatus | None = None,
        source_type: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Voucher]:
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
        return [
            AccountingPeriod(period=r.period, status=r.status, closed_by=r.closed_by, closed_at=r.closed_at)
            for r in rows
        ]

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
            failures = [
                PosterFailure(
                    seq=f.seq,
                    event_type=f.event_type,
                    source=f.source,
                    error=f.error,
                    waiting_for=f.waiting_for,
                    attempts=f.attempts,
                    first_failed_at=f.first_failed_at,
                    last_tried_at=f.last_tried_at,
                )
                for f in await set_aside_events(conn, 100)
            ]
            count = await set_aside_count(conn) if len(failures) == 100 else len(failures)
        return PosterStatus(
            standard=standard,
            booked_until=booked,
            last_event=last,
            last_error=error,
            failure_count=count,
            failures=failures,
        )

    @strawberry.field(description="科目余额表 for a period (yyyymm).", extensions=needs("finance.view"))
    async def trial_balance(self, info: Info, period: int) -> list[TrialBalanceRow]:
        check_period(period)
        async with info.context.db.read() as conn:
            rows = await statements.trial_balance(conn, period)
        return [
            TrialBalanceRow(
                code=r["code"],
                name=r["name"],
                name_en=r["name_en"],
                category=r["category"],
                is_leaf=r["is_leaf"],
                opening=money(r["opening"]),
                debit=money(r["debit"]),
                credit=money(r["credit"]),
                closing=money(r["closing"]),
            )
            for r in rows
        ]

    @strawberry.field(
        description="A financial statement: BALANCE_SHEET | INCOME_STATEMENT | CASH_FLOW.",
        extensions=needs("finance.view"),
    )
    async def financial_statement(self, info: Info, kind: StatementKind, period: int) -> FinancialStatement | None:
        check_period(period)
        make = statements.STATEMENTS.get(kind.value)
        if make is None:
            return None
        async with info.context.db.read() as conn:
            return FinancialStatement.from_statement(await make(conn, period))

    @strawberry.field(
        description="明细账 of an account (and sub-accounts), optionally for one partner.",
        extensions=needs("finance.view"),
    )
    async def detail_ledger(
        self,
        info: Info,
        account_code: str,
        from_period: int,
        to_period: int,
        customer_id: strawberry.ID | None = None,
        supplier_id: strawberry.ID | None = None,
        warehouse_id: strawberry.ID | None = None,
        first: int = 200,
        offset: int = 0,
    ) -> DetailLedger:
        check_period(from_period, "fromPeriod")
        check_period(to_period, "toPeriod")
        first = min(max(first, 1), info.context.settings.max_page_size)
        async with info.context.db.read() as conn:
            led = await statements.detail_ledger(
                conn,
                account_code,
                from_period,
                to_period,
                customer_id=decode_id(customer_id, "Customer") if customer_id else None,
                supplier_id=decode_id(supplier_id, "Supplier") if supplier_id else None,
                warehouse_id=decode_id(warehouse_id, "Warehouse") if warehouse_id else None,
                limit=first,
                offset=max(offset, 0),
            )
        return DetailLedger(
            account_code=account_code,
            opening=money(led["opening"]),
            debit=money(led["debit"]),
            credit=money(led["credit"]),
            closing=money(led["closing"]),
            lines=[
                LedgerLine(
                    voucher_id=to_global_id("Voucher", ln["voucher_id"]),
                    line_id=to_global_id("VoucherLine", ln["line_id"]),
                    number=ln["number"],
                    date=ln["date"],
                    account_code=ln["account_code"],
                    memo=ln["memo"],
                    debit=money(ln["debit"]),
                    credit=money(ln["credit"]),
                    balance=money(ln["balance"]),
                )
                for ln in led["lines"]
            ],
        )

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
        return [
            GeneralLedgerMonth(
                period=r["period"],
                opening=money(r["opening"]),
                debit=money(r["debit"]),
                credit=money(r["credit"]),
                closing=money(r["closing"]),
            )
            for r in rows
        ]

    @strawberry.field(
        description="对账单 of a customer or supplier between two dates.", extensions=needs("finance.view")
    )
    async def partner_statement(
        self, info: Info, partner_id: strawberry.ID, from_date: date, to_date: date
    ) -> PartnerStatement | None:
        kind = "customer" if decode_id(partner_id, "Customer") else "supplier"
        pid = decode_id(partner_id, "Customer") or decode_id(partner_id, "Supplier")
        if pid is None:
            return None
        async with info.context.db.read() as conn:
            st = await statements.partner_statement(conn, kind, pid, from_date, to_date)
        return PartnerStatement(
            opening=money(st["opening"]),
            closing=money(st["closing"]),
            lines=[
                PartnerStatementLine(
                    date=ln["date"],
                    voucher=ln["voucher"],
                    document_type=ln["document_type"],
                    document=ln["document"],
                    memo=ln["memo"],
                    increase=money(ln["increase"]),
                    decrease=money(ln["decrease"]),
                    balance=money(ln["balance"]),
                )
                for ln in st["lines"]
            ],
        )

    @strawberry.field(description="Expense bills, newest first.", extensions=needs("finance.view"))
    async def expense_bills(
        self, info: Info, status: ExpenseStatus | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[ExpenseBill]:
        q = select(expense_bill).order_by(expense_bill.c.id.desc())
        if status:
            q = q.where(expense_bill.c.status == status.value)
        return await paginate(info, q, ExpenseBill.from_row, first=first, after=after)

    @strawberry.field(description="Expense categories and where they post.", extensions=needs("finance.view"))
    async def expense_categories(self, info: Info) -> list[ExpenseCategory]:
        async with info.context.db.read() as conn:
            rules = {r.role: r.account_code for r in await conn.execute(select(posting_rule))}
            rows = (await conn.execute(select(expense_category).order_by(expense_category.c.code))).all()
        return [
            ExpenseCategory(
                code=r.code, name=r.name, name_en=r.name_en, account=r.account_code or rules.get(r.role, "")
            )
            for r in rows
        ]

    @strawberry.field(
        description="Cash-flow statement items (for reclassifying a cash line).", extensions=needs("finance.view")
    )
    def cash_flow_items(self) -> list[CashFlowItem]:
        return [
            CashFlowItem(key=CashFlowItemKey(k), section=sec, label=zh, label_en=en)
            for k, (sec, zh, en) in CASH_FLOW_ITEMS.items()
        ]
