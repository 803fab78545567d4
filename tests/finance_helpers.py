"""Principals and helpers for the finance tests: set up the books, post pending events, read balances."""

from __future__ import annotations

from sqlalchemy import func, select

from server.finance.books import do_setup_books
from server.finance.check import books_problems
from server.finance.models import voucher, voucher_line
from server.finance.poster import post_pending
from tests.purchasing_helpers import principal

ACCOUNTANT = principal("accountant", 21, "kuaiji")
ACCOUNTANT2 = principal("accountant", 22, "kuaiji2")
FINANCE_MANAGER = principal("finance_manager", 23, "zhuguan")
CASHIER = principal("cashier", 24, "chuna")
CLERK = principal("cashier", 25, "xiaozhou")


async def setup_books(db, standard: str = "enterprise") -> None:
    await do_setup_books(db, standard, FINANCE_MANAGER)


async def balances(db, *, period: int | None = None, by: str | None = None) -> dict:
    """Posted debit − credit per account code (or per (code, dimension) with ``by``), in fen."""
    await post_pending(db)
    cols = [voucher_line.c.account_code] + ([voucher_line.c[by]] if by else [])
    q = (select(*cols, func.sum(voucher_line.c.debit_fen - voucher_line.c.credit_fen))
         .where(voucher_line.c.posted.is_(True)).group_by(*cols))
    if period is not None:
        q = q.where(voucher_line.c.period <= period)
    async with db.read() as conn:
        rows = (await conn.execute(q)).all()
    if by:
        return {(r[0], r[1]): int(r[2]) for r in rows if r[2]}
    return {r[0]: int(r[1]) for r in rows if r[1]}


async def assert_books_clean(db) -> None:
    await post_pending(db)
    async with db.read() as conn:
        problems = await books_problems(conn)
    assert problems == [], problems


async def vouchers_of(db, source_type: str | None = None):
    await post_pending(db)
    q = select(voucher).order_by(voucher.c.id)
    if source_type:
        q = q.where(voucher.c.source_type == source_type)
    async with db.read() as conn:
        return (await conn.execute(q)).all()


async def lines_of(db, voucher_id: int) -> list[tuple[str, int, int]]:
    async with db.read() as conn:
        return [(r.account_code, r.debit_fen, r.credit_fen) for r in await conn.execute(
            select(voucher_line).where(voucher_line.c.voucher_id == voucher_id).order_by(voucher_line.c.line_no))]
