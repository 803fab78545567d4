"""Period end (期末处理): transfer unpaid VAT (转出未交增值税), close profit and loss to 本年利润 (and
本年利润 to 利润分配 in December), check that 待处理财产损溢 is clear, close the period; reopening
needs ``finance.period`` and a reason, and is audited.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from server.auth.services import Principal
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.numbering import document_sequence
from server.core.numbers import fen_to_decimal
from server.core.sql import dialect_insert
from server.finance.common import actor_label, require_permission
from server.finance.errors import FinanceError
from server.finance.ledger import (
    Line,
    VoucherSpec,
    books_standard,
    period_end,
    rule_accounts,
    write_voucher,
)
from server.finance.models import account, accounting_period, voucher, voucher_line, voucher_renumbering
from server.finance.poster import post_pending

PL_CATEGORIES = ("revenue", "expense")


def _valid_period(period: int) -> None:
    if not (190001 <= period <= 299912 and 1 <= period % 100 <= 12):
        raise FinanceError("INVALID_VALUE", "period", detail="yyyymm")


async def _open_period_for_update(conn, period: int):
    await conn.execute(
        dialect_insert(conn, accounting_period)
        .values(period=period, status="open")
        .on_conflict_do_nothing(index_elements=["period"])
    )
    return (
        await conn.execute(select(accounting_period).where(accounting_period.c.period == period).with_for_update())
    ).one()


async def _balances(conn, period: int, codes=None, *, by_dimensions: bool = False):
    """Posted debit − credit up to the end of ``period`` per account (and dimensions)."""
    cols = [voucher_line.c.account_code]
    if by_dimensions:
        cols += [
            voucher_line.c.customer_id,
            voucher_line.c.supplier_id,
            voucher_line.c.warehouse_id,
            voucher_line.c.department_id,
        ]
    q = (
        select(*cols, func.sum(voucher_line.c.debit_fen - voucher_line.c.credit_fen).label("balance"))
        .where(voucher_line.c.posted.is_(True), voucher_line.c.period <= period)
        .group_by(*cols)
    )
    if codes is not None:
        q = q.where(voucher_line.c.account_code.in_(codes))
    return [r for r in await conn.execute(q) if r.balance]


async def _pl_codes(conn) -> list[str]:
    return list(
        (
            await conn.execute(
                select(account.c.code).where(account.c.category.in_(PL_CATEGORIES), account.c.is_leaf.is_(True))
            )
        ).scalars()
    )


async def _vat_codes(conn, rules) -> list[str]:
    """The leaf accounts under 应交增值税: the nearest common parent of the input- and output-VAT
    accounts (so sub-accounts an accountant adds, e.g. 销项税额 by rate, stay inside)."""
    parents = {r.code: r.parent_code for r in await conn.execute(select(account.c.code, account.c.parent_code))}

    def chain(code):
        out = []
        while code is not None:
            out.append(code)
            code = parents.get(code)
        return out

    common = [c for c in chain(rules["input_vat"]) if c in set(chain(rules["output_vat"]))]
    root = common[0] if common else rules["output_vat"]
    return list(
        (
            await conn.execute(
                select(account.c.code).where(account.c.code.like(f"{root}%"), account.c.is_leaf.is_(True))
            )
        ).scalars()
    )


async def do_transfer_vat(db: Database, period: int, principal: Principal | None) -> int | None:
    """转出未交增值税: the month's VAT payable (销项 − 进项 + 进项转出 …, what 应交增值税 holds on the
    credit side) moves to 未交增值税. An excess of input VAT (留抵) stays where it is."""
    require_permission(principal, "finance.post")
    _valid_period(period)
    await post_pending(db)
    async with db.write() as conn:
        await books_standard(conn)
        rules = await rule_accounts(conn)
        payable = -sum(r.balance for r in await _balances(conn, period, await _vat_codes(conn, rules)))
        if payable <= 0:
            return None
        spec = VoucherSpec(
            lines=[Line(rules["vat_transferred_out"], debit=payable), Line(rules["vat_unpaid"], credit=payable)],
            document_date=period_end(period),
            origin="vat_transfer",
            source_type="period",
            source_id=period,
            memo=f"转出未交增值税 VAT payable {period}",
        )
        voucher_id = await write_voucher(conn, spec, actor_label(principal), strict=True)
        note_change(conn, f"period:{period}", after={"vat_transferred_fen": payable})
    return voucher_id


async def do_close_profit(db: Database, period: int, principal: Principal | None) -> list[int]:
    """结转损益: every income and expense account (per dimension) to 本年利润; in December 本年利润
    then goes to 利润分配. Returns the vouchers written."""
    require_permission(principal, "finance.post")
    _valid_period(period)
    await post_pending(db)
    written = []
    async with db.write() as conn:
        await books_standard(conn)
        rules = await rule_accounts(conn)
        profit = rules["current_profit"]
        rows = await _balances(conn, period, await _pl_codes(conn), by_dimensions=True)
        if rows:
            lines = [
                Line(
                    r.account_code,
                    credit=r.balance,
                    customer_id=r.customer_id,
                    supplier_id=r.supplier_id,
                    warehouse_id=r.warehouse_id,
                    department_id=r.department_id,
                )
                if r.balance > 0
                else Line(
                    r.account_code,
                    debit=-r.balance,
                    customer_id=r.customer_id,
                    supplier_id=r.supplier_id,
                    warehouse_id=r.warehouse_id,
                    department_id=r.department_id,
                )
                for r in rows
            ]
            net = sum(r.balance for r in rows)  # expenses − income: a loss when positive
            lines.append(Line(profit, debit=net) if net > 0 else Line(profit, credit=-net))
            written.append(
                await write_voucher(
                    conn,
                    VoucherSpec(
                        lines=lines,
                        document_date=period_end(period),
                        origin="pl_close",
                        source_type="period",
                        source_id=period,
                        memo=f"结转损益 close profit and loss {period}",
                    ),
                    actor_label(principal),
                    strict=True,
                )
            )
        if period % 100 == 12:
            balance = sum(r.balance for r in await _balances(conn, period, [profit]))
            if balance:
                written.append(
                    await write_voucher(
                        conn,
                        VoucherSpec(
                            lines=[
                                Line(profit, credit=balance) if balance > 0 else Line(profit, debit=-balance),
                                Line(rules["retained_earnings"], debit=balance)
                                if balance > 0
                                else Line(rules["retained_earnings"], credit=-balance),
                            ],
                            document_date=period_end(period),
                            origin="pl_close",
                            source_type="period",
                            source_id=period,
                            memo=f"本年利润转入利润分配 year-end {period // 100}",
                        ),
                        actor_label(principal),
                        strict=True,
                    )
                )
        if written:
            note_change(conn, f"period:{period}", after={"profit_closed": written})
    return [v for v in written if v is not None]


async def do_close_period(db: Database, period: int, principal: Principal | None) -> None:
    """结账: refused while an earlier period is open, a voucher of the period is not posted,
    待处理财产损溢 holds a balance or income and expense accounts are not closed."""
    require_permission(principal, "finance.period")
    _valid_period(period)
    await post_pending(db)
    async with db.write() as conn:
        await books_standard(conn)
        rules = await rule_accounts(conn)
        row = await _open_period_for_update(conn, period)
        if row.status == "closed":
            raise FinanceError("INVALID_STATUS", "period", what="period", status="closed", action="close")
        earlier = (
            await conn.execute(
                select(func.max(accounting_period.c.period)).where(
                    accounting_period.c.period < period, accounting_period.c.status == "open"
                )
            )
        ).scalar()
        if earlier is not None:
            raise FinanceError("PREVIOUS_PERIOD_OPEN", "period", period=str(earlier))
        unposted = (
            await conn.execute(
                select(func.count())
                .select_from(voucher)
                .where(voucher.c.period == period, voucher.c.status != "posted")
            )
        ).scalar_one()
        if unposted:
            raise FinanceError("UNPOSTED_VOUCHERS", "period", count=unposted)
        suspense = sum(r.balance for r in await _balances(conn, period, [rules["suspense"]]))
        if suspense:
            raise FinanceError(
                "SUSPENSE_NOT_CLEAR", "period", code=rules["suspense"], balance=str(fen_to_decimal(suspense))
            )
        if await _balances(conn, period, await _pl_codes(conn)):
            raise FinanceError("PROFIT_NOT_CLOSED", "period")
        await conn.execute(
            update(accounting_period)
            .where(accounting_period.c.period == period)
            .values(status="closed", closed_by=actor_label(principal), closed_at=utcnow())
        )
        note_change(conn, f"period:{period}", before={"status": "open"}, after={"status": "closed"})


async def do_reopen_period(db: Database, period: int, reason: str, principal: Principal | None) -> None:
    """反结账: only the latest closed period, with a reason that goes to the audit log."""
    require_permission(principal, "finance.period")
    _valid_period(period)
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise FinanceError("REQUIRED" if not reason else "INVALID_VALUE", "reason", detail="≤ 300")
    async with db.write() as conn:
        row = await _open_period_for_update(conn, period)
        if row.status != "closed":
            raise FinanceError("INVALID_STATUS", "period", what="period", status=row.status, action="reopen")
        later = (
            await conn.execute(
                select(func.min(accounting_period.c.period)).where(
                    accounting_period.c.period > period, accounting_period.c.status == "closed"
                )
            )
        ).scalar()
        if later is not None:
            raise FinanceError("LATER_PERIOD_CLOSED", "period", period=str(later))
        await conn.execute(
            update(accounting_period)
            .where(accounting_period.c.period == period)
            .values(status="open", closed_by="", closed_at=None)
        )
        note_change(conn, f"period:{period}", before={"status": "closed"}, after={"status": "open", "reason": reason})


async def do_renumber_vouchers(db: Database, period: int, principal: Principal | None) -> int:
    """凭证整理: number the posted vouchers of an open period again in date order (voucher date, then
    the order they were posted in), 记-0001 gap-free, and continue the sequence after the last one.
    Numbers follow posting order otherwise, so wages posted on the 25th before a receipt of the 3rd got
    the smaller number. The period row is locked (postings into it wait); the guard triggers let posted
    numbers change only while the period is listed in ``voucher_renumbering``, inside this transaction.
    Returns how many vouchers got another number. A closed period keeps its numbers."""
    require_permission(principal, "finance.period")
    _valid_period(period)
    async with db.write() as conn:
        await books_standard(conn)
        row = await _open_period_for_update(conn, period)
        if row.status == "closed":
            raise FinanceError("PERIOD_CLOSED", "period", period=str(period))
        posted = (
            await conn.execute(
                select(voucher.c.id, voucher.c.number)
                .where(voucher.c.period == period, voucher.c.status == "posted")
                .order_by(voucher.c.voucher_date, voucher.c.number, voucher.c.id)
            )
        ).all()
        wanted = {r.id: f"记-{i:04d}" for i, r in enumerate(posted, start=1)}
        moved = [r.id for r in posted if r.number != wanted[r.id]]
        if moved:
            await conn.execute(voucher_renumbering.insert().values(period=period))
            # two steps: the unique (period, number) index never sees two vouchers with one number
            for vid in moved:
                await conn.execute(update(voucher).where(voucher.c.id == vid).values(number=f"~{vid}"))
            for vid in moved:
                await conn.execute(update(voucher).where(voucher.c.id == vid).values(number=wanted[vid]))
            await conn.execute(delete(voucher_renumbering).where(voucher_renumbering.c.period == period))
        await conn.execute(
            update(document_sequence)
            .where(document_sequence.c.doc_type == "记", document_sequence.c.year == period)
            .values(last_no=len(posted))
        )
        if moved:
            note_change(conn, f"period:{period}", after={"renumbered": len(moved), "vouchers": len(posted)})
        return len(moved)
