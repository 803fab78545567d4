"""The books' invariants (``jxc check`` and the tests): every voucher balances, the trial balance
balances, assets = liabilities + equity, the inventory account equals the stock ledger's value (in
total and per warehouse), and the receivable/payable control accounts equal the open-item
subledgers per partner. Compared once the poster has caught up with the journal; every event the poster
set aside (``poster_failure``) is a problem of its own."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core import clock
from server.core.numbers import fen_to_decimal
from server.finance.ledger import period_of, rule_accounts
from server.finance.models import poster_state, voucher, voucher_line
from server.finance.poster import poster_lag, set_aside_events
from server.finance.statements import balance_sheet
from server.inventory.models import location, product_cost, stock_move
from server.purchasing.bills import payables_query
from server.sales.invoicing import receivables_query

FAR = date(9999, 12, 31)


async def _by_dimension(conn, code: str, dim: str) -> dict:
    rows = await conn.execute(
        select(voucher_line.c[dim], func.sum(voucher_line.c.debit_fen - voucher_line.c.credit_fen))
        .where(voucher_line.c.posted.is_(True), voucher_line.c.account_code == code)
        .group_by(voucher_line.c[dim])
    )
    return {k: int(v) for k, v in rows if v}


def _compare(problems: list[str], what: str, gl: dict, sub: dict) -> None:
    for key in sorted(set(gl) | set(sub), key=lambda k: (k is None, k or 0)):
        if gl.get(key, 0) != sub.get(key, 0):
            problems.append(
                f"{what} {key}: ledger {fen_to_decimal(gl.get(key, 0))} ≠ subledger {fen_to_decimal(sub.get(key, 0))}"
            )


async def books_problems(conn: AsyncConnection) -> list[str]:
    """Every broken invariant as one line; empty when the books agree with the shelves and subledgers."""
    if (await conn.execute(select(poster_state.c.id))).first() is None:
        return []
    booked, last = await poster_lag(conn)
    if booked < last:
        return [f"poster behind: events {booked + 1}–{last} not booked yet (run `jxc finance post`)"]
    # events set aside are not in the books: the comparisons below show what they leave out
    problems = [
        f"poster: event {f.seq} ({f.event_type}, {f.source}) set aside, not booked: {f.error}"
        for f in await set_aside_events(conn)
    ]
    unbalanced = (
        (
            await conn.execute(
                select(voucher_line.c.voucher_id)
                .join(voucher, voucher.c.id == voucher_line.c.voucher_id)
                .where(voucher.c.status == "posted")
                .group_by(voucher_line.c.voucher_id)
                .having(func.sum(voucher_line.c.debit_fen) != func.sum(voucher_line.c.credit_fen))
            )
        )
        .scalars()
        .all()
    )
    problems += [f"voucher {v} does not balance" for v in unbalanced]
    d, c = (
        await conn.execute(
            select(
                func.coalesce(func.sum(voucher_line.c.debit_fen), 0),
                func.coalesce(func.sum(voucher_line.c.credit_fen), 0),
            ).where(voucher_line.c.posted.is_(True))
        )
    ).one()
    if d != c:
        problems.append(f"trial balance: debits {fen_to_decimal(d)} ≠ credits {fen_to_decimal(c)}")
    latest = (
        await conn.execute(select(func.max(voucher_line.c.period)).where(voucher_line.c.posted.is_(True)))
    ).scalar()
    bs = await balance_sheet(conn, max(latest or 0, period_of(clock.today())))
    assets, le = bs.row("total_assets").values[0], bs.row("total_liabilities_and_equity").values[0]
    if assets != le:
        problems.append(f"balance sheet: assets {fen_to_decimal(assets)} ≠ liabilities + equity {fen_to_decimal(le)}")

    rules = await rule_accounts(conn)
    stock_value = (await conn.execute(select(func.coalesce(func.sum(product_cost.c.value_fen), 0)))).scalar_one()
    gl_stock = await _by_dimension(conn, rules["inventory"], "warehouse_id")
    if sum(gl_stock.values()) != stock_value:
        problems.append(
            f"inventory: ledger {fen_to_decimal(sum(gl_stock.values()))} "
            f"≠ stock valuation {fen_to_decimal(stock_value)}"
        )
    into = (
        select(location.c.warehouse_id.label("wh"), func.sum(stock_move.c.value_fen).label("v"))
        .join(location, location.c.id == stock_move.c.to_location_id)
        .group_by(location.c.warehouse_id)
    )
    out = (
        select(location.c.warehouse_id.label("wh"), func.sum(stock_move.c.value_fen).label("v"))
        .join(location, location.c.id == stock_move.c.from_location_id)
        .group_by(location.c.warehouse_id)
    )
    per_wh: dict = {}
    for wh, v in await conn.execute(into):
        per_wh[wh] = per_wh.get(wh, 0) + int(v)
    for wh, v in await conn.execute(out):
        per_wh[wh] = per_wh.get(wh, 0) - int(v)
    _compare(problems, "inventory of warehouse", gl_stock, {k: v for k, v in per_wh.items() if v})

    payables = (await conn.execute(payables_query(FAR))).all()
    _compare(
        problems,
        "payables of supplier",
        {k: -v for k, v in (await _by_dimension(conn, rules["payable"], "supplier_id")).items()},
        {r.supplier_id: r.bills_open + r.debit_open for r in payables if r.bills_open + r.debit_open},
    )
    _compare(
        problems,
        "prepayments to supplier",
        await _by_dimension(conn, rules["supplier_prepayment"], "supplier_id"),
        {r.supplier_id: r.prepayments for r in payables if r.prepayments},
    )
    receivables = (await conn.execute(receivables_query(FAR))).all()
    _compare(
        problems,
        "receivables of customer",
        await _by_dimension(conn, rules["receivable"], "customer_id"),
        {r.customer_id: r.invoices_open + r.credit_open for r in receivables if r.invoices_open + r.credit_open},
    )
    _compare(
        problems,
        "advances from customer",
        {k: -v for k, v in (await _by_dimension(conn, rules["customer_advance"], "customer_id")).items()},
        {r.customer_id: r.advances for r in receivables if r.advances},
    )
    return problems
