"""Writing vouchers: account checks, the balance rule, accounting periods and gap-free numbers.

Every voucher — from the poster, an accountant, a reversal or a period-end step — is written by
``write_voucher``. A posted voucher is inserted as ``draft`` with its lines and then switched to
``posted`` by one UPDATE; a trigger (migration 0012) refuses that UPDATE unless the lines balance, and
refuses any later change to a posted voucher's amounts or lines. Corrections are reversals.

Periods (会计期间) are calendar months ``yyyymm``. A business document dated in a closed period posts
into the first open period after it, keeping its own date as ``document_date``; an accountant's
voucher dated in a closed period is refused. A month at or before the latest closed period counts as
closed even when nothing was ever posted in it (it has no row). Posting takes a shared lock on the period row and
closing takes an exclusive one, so no voucher slips into a period while it is being closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.clock import utcnow
from server.core.numbering import document_sequence
from server.core.numbers import fen_to_decimal
from server.core.sql import dialect_insert
from server.core.text_limits import check_length, fit
from server.finance.errors import FinanceError
from server.finance.models import account, accounting_period, poster_state, posting_rule, voucher, voucher_line

DIMENSIONS = ("customer", "supplier", "warehouse", "department")


@dataclass
class Line:
    account: str
    debit: int = 0
    credit: int = 0
    memo: str = ""
    customer_id: int | None = None
    supplier_id: int | None = None
    warehouse_id: int | None = None
    department_id: int | None = None
    cash_flow_item: str | None = None


@dataclass
class VoucherSpec:
    lines: list[Line]
    document_date: date
    memo: str
    origin: str = "auto"
    source_key: str | None = None
    source_type: str = ""
    source_id: int | None = None
    source_number: str = ""
    event_seq: int | None = None
    reversal_of: int | None = None
    extra: dict = field(default_factory=dict)


def period_of(d: date) -> int:
    return d.year * 100 + d.month


def period_start(period: int) -> date:
    return date(period // 100, period % 100, 1)


def period_end(period: int) -> date:
    y, m = divmod(period, 100)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def next_period(period: int) -> int:
    y, m = divmod(period, 100)
    return (y + 1) * 100 + 1 if m == 12 else period + 1


def previous_period(period: int) -> int:
    y, m = divmod(period, 100)
    return (y - 1) * 100 + 12 if m == 1 else period - 1


async def books_standard(conn: AsyncConnection) -> str:
    """``enterprise`` or ``small``; ``NOT_SET_UP`` before ``do_setup_books``."""
    std = (await conn.execute(select(poster_state.c.standard).where(poster_state.c.id == 1))).scalar()
    if std is None:
        raise FinanceError("NOT_SET_UP")
    return std


async def rule_accounts(conn: AsyncConnection) -> dict[str, str]:
    return {r.role: r.account_code for r in await conn.execute(select(posting_rule))}


async def _ensure_period(conn: AsyncConnection, period: int) -> None:
    await conn.execute(
        dialect_insert(conn, accounting_period)
        .values(period=period, status="open")
        .on_conflict_do_nothing(index_elements=["period"])
    )


async def posting_period(conn: AsyncConnection, on: date, *, strict: bool) -> tuple[int, date]:
    """The period a voucher dated ``on`` goes to and its voucher date there (see the module docstring).
    Holds a shared lock on that period's row until commit."""
    period = period_of(on)
    voucher_date = on
    latest_closed = (
        await conn.execute(select(func.max(accounting_period.c.period)).where(accounting_period.c.status == "closed"))
    ).scalar()
    if latest_closed is not None and period <= latest_closed:  # a month with no row behind a closed one
        if strict:
            raise FinanceError("PERIOD_CLOSED", "date", period=str(period))
        period = next_period(latest_closed)
        voucher_date = period_start(period)
    while True:
        await _ensure_period(conn, period)
        status = (
            await conn.execute(
                select(accounting_period.c.status)
                .where(accounting_period.c.period == period)
                .with_for_update(read=True)
            )
        ).scalar_one()
        if status == "open":
            return period, voucher_date
        if strict:
            raise FinanceError("PERIOD_CLOSED", "date", period=str(period))
        period = next_period(period)
        voucher_date = period_start(period)


async def next_voucher_number(conn: AsyncConnection, period: int) -> str:
    """记-0001, gap-free per period: the number is taken at posting, in the posting transaction."""
    await conn.execute(
        dialect_insert(conn, document_sequence)
        .values(doc_type="记", year=period, last_no=0)
        .on_conflict_do_nothing(index_elements=["doc_type", "year"])
    )
    n = (
        await conn.execute(
            update(document_sequence)
            .where(document_sequence.c.doc_type == "记", document_sequence.c.year == period)
            .values(last_no=document_sequence.c.last_no + 1)
            .returning(document_sequence.c.last_no)
        )
    ).scalar_one()
    return f"记-{n:04d}"


async def check_lines(conn: AsyncConnection, lines: list[Line]) -> list[Line]:
    """Drop empty lines, check every account is an active leaf and the voucher balances."""
    lines = [ln for ln in lines if ln.debit or ln.credit]
    if len(lines) < 2:
        raise FinanceError("EMPTY_VOUCHER", "lines")
    codes = {ln.account for ln in lines}
    rows = {r.code: r for r in await conn.execute(select(account).where(account.c.code.in_(codes)))}
    for i, ln in enumerate(lines):
        acc = rows.get(ln.account)
        if acc is None or not acc.active:
            raise FinanceError("UNKNOWN_ACCOUNT", f"lines.{i}.account", code=ln.account)
        if not acc.is_leaf:
            raise FinanceError("NOT_LEAF_ACCOUNT", f"lines.{i}.account", code=ln.account)
        if ln.debit and ln.credit:
            raise FinanceError("INVALID_VALUE", f"lines.{i}", detail="debit or credit, not both")
    debit, credit = sum(ln.debit for ln in lines), sum(ln.credit for ln in lines)
    if debit != credit:
        raise FinanceError("UNBALANCED", "lines", debit=str(fen_to_decimal(debit)), credit=str(fen_to_decimal(credit)))
    return lines


async def insert_voucher(
    conn: AsyncConnection, spec: VoucherSpec, actor: str, *, status: str, period: int | None, voucher_date: date
) -> int:
    """Insert the voucher and its lines. The identifying strings (source key, type and number) must fit
    their columns — a longer one is refused (``INVALID_VALUE``), never cut, so two documents cannot
    end up with one number; memos and the actor label are derived text and are cut to fit."""
    lines = spec.lines
    for value, column, name in (
        (spec.source_key, voucher.c.source_key, "sourceKey"),
        (spec.source_type, voucher.c.source_type, "sourceType"),
        (spec.source_number, voucher.c.source_number, "sourceNumber"),
    ):
        check_length(value, column, FinanceError, name)
    voucher_id = (
        await conn.execute(
            voucher.insert()
            .values(
                period=period,
                voucher_date=voucher_date,
                document_date=spec.document_date,
                status=status,
                origin=spec.origin,
                source_key=spec.source_key,
                source_type=spec.source_type,
                source_id=spec.source_id,
                source_number=spec.source_number,
                event_seq=spec.event_seq,
                memo=fit(spec.memo, voucher.c.memo),
                total_fen=sum(ln.debit for ln in lines),
                reversal_of=spec.reversal_of,
                created_by=fit(actor, voucher.c.created_by),
                created_at=utcnow(),
            )
            .returning(voucher.c.id)
        )
    ).scalar_one()
    await conn.execute(
        voucher_line.insert(),
        [
            {
                "voucher_id": voucher_id,
                "line_no": i + 1,
                "account_code": ln.account,
                "debit_fen": ln.debit,
                "credit_fen": ln.credit,
                "memo": fit(ln.memo, voucher_line.c.memo),
                "customer_id": ln.customer_id,
                "supplier_id": ln.supplier_id,
                "warehouse_id": ln.warehouse_id,
                "department_id": ln.department_id,
                "cash_flow_item": ln.cash_flow_item,
                "period": period,
                "posted": False,
            }
            for i, ln in enumerate(lines)
        ],
    )
    return voucher_id


async def post_existing(conn: AsyncConnection, voucher_id: int, period: int, voucher_date: date, actor: str) -> str:
    """Number a draft/reviewed voucher and post it (the trigger checks the balance)."""
    number = await next_voucher_number(conn, period)
    await conn.execute(
        update(voucher)
        .where(voucher.c.id == voucher_id)
        .values(
            status="posted",
            number=number,
            period=period,
            voucher_date=voucher_date,
            posted_by=fit(actor, voucher.c.posted_by),
            posted_at=utcnow(),
        )
    )
    # then the lines, once: the triggers let a posted voucher's lines be marked posted in its period and
    # refuse the flag on any other voucher's lines
    await conn.execute(
        update(voucher_line).where(voucher_line.c.voucher_id == voucher_id).values(period=period, posted=True)
    )
    return number


async def write_voucher(conn: AsyncConnection, spec: VoucherSpec, actor: str, *, strict: bool = False) -> int | None:
    """Check and post a voucher in the right period; ``None`` when nothing is left to post (all lines
    zero, e.g. a transfer between two bins of one warehouse)."""
    spec.lines = [ln for ln in spec.lines if ln.debit or ln.credit]
    if not spec.lines:
        return None
    spec.lines = await check_lines(conn, spec.lines)
    period, voucher_date = await posting_period(conn, spec.document_date, strict=strict)
    voucher_id = await insert_voucher(conn, spec, actor, status="draft", period=period, voucher_date=voucher_date)
    await post_existing(conn, voucher_id, period, voucher_date, actor)
    return voucher_id
