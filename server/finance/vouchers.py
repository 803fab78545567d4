"""Accountants' vouchers: draft → reviewed (审核, by someone else) → posted (记账); corrections by
reversal (红字冲销), never by editing a posted voucher. Also clearing stock differences out of
待处理财产损溢 once they are approved (§3.4, §5.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select, update

from server.auth.services import Principal
from server.core import clock
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.database import Database
from server.core.numbers import NumberError, parse_rate, round_half_up_div
from server.core.text_limits import collect_length
from server.finance.common import Collector, actor_label, lock_row, require_permission, require_status
from server.finance.errors import FinanceError
from server.finance.ledger import (
    Line,
    VoucherSpec,
    books_standard,
    check_lines,
    insert_voucher,
    post_existing,
    posting_period,
    rule_accounts,
    write_voucher,
)
from server.finance.models import account, voucher, voucher_line


@dataclass
class VoucherLineInput:
    account: str
    debit: str = "0"  # yuan
    credit: str = "0"
    memo: str = ""
    customer_id: int | None = None
    supplier_id: int | None = None
    warehouse_id: int | None = None
    department_id: int | None = None


@dataclass
class VoucherInput:
    voucher_date: date
    memo: str
    lines: list[VoucherLineInput] = field(default_factory=list)


async def _parse_lines(conn, data: VoucherInput) -> list[Line]:
    c = Collector()
    if not data.memo.strip():
        c.add("REQUIRED", "memo")
    collect_length(c, data.memo.strip(), voucher.c.memo, "memo")
    lines = []
    dims_of = {
        r.code: r.dimensions
        for r in await conn.execute(
            select(account.c.code, account.c.dimensions).where(account.c.code.in_({ln.account for ln in data.lines}))
        )
    }
    for i, ln in enumerate(data.lines):
        debit = c.money(ln.debit or "0", f"lines.{i}.debit")
        credit = c.money(ln.credit or "0", f"lines.{i}.credit")
        for dim in filter(None, (dims_of.get(ln.account) or "").split(",")):
            if getattr(ln, f"{dim}_id") is None:
                c.add("REQUIRED", f"lines.{i}.{dim}Id")
        collect_length(c, ln.memo.strip(), voucher_line.c.memo, f"lines.{i}.memo")
        lines.append(
            Line(
                ln.account.strip(),
                debit or 0,
                credit or 0,
                ln.memo.strip(),
                ln.customer_id,
                ln.supplier_id,
                ln.warehouse_id,
                ln.department_id,
            )
        )
    c.raise_if_any()
    return await check_lines(conn, lines)


async def do_create_voucher(db: Database, data: VoucherInput, principal: Principal | None) -> int:
    """A manual voucher (draft). Its date must be in an open period."""
    require_permission(principal, "finance.post")
    async with db.write() as conn:
        await books_standard(conn)
        lines = await _parse_lines(conn, data)
        await business_day(conn, data.voucher_date, FinanceError, "voucherDate")
        period, _ = await posting_period(conn, data.voucher_date, strict=True)
        spec = VoucherSpec(lines=lines, document_date=data.voucher_date, memo=data.memo.strip(), origin="manual")
        voucher_id = await insert_voucher(
            conn, spec, actor_label(principal), status="draft", period=period, voucher_date=data.voucher_date
        )
        note_change(conn, f"voucher:{voucher_id}", after={"status": "draft", "memo": spec.memo})
    return voucher_id


async def do_delete_voucher(db: Database, voucher_id: int, principal: Principal | None) -> None:
    require_permission(principal, "finance.post")
    async with db.write() as conn:
        row = await lock_row(conn, voucher, voucher_id, "voucher")
        require_status(row, ("draft",), "voucher", "delete")
        await conn.execute(delete(voucher_line).where(voucher_line.c.voucher_id == voucher_id))
        await conn.execute(delete(voucher).where(voucher.c.id == voucher_id))
        note_change(conn, f"voucher:{voucher_id}", before={"status": "draft", "memo": row.memo})


async def do_review_voucher(db: Database, voucher_id: int, principal: Principal | None) -> None:
    """审核: another person than the preparer checks the voucher."""
    require_permission(principal, "finance.review")
    async with db.write() as conn:
        row = await lock_row(conn, voucher, voucher_id, "voucher")
        require_status(row, ("draft",), "voucher", "review")
        if principal is not None and row.created_by == actor_label(principal):
            raise FinanceError("SELF_REVIEW", "id")
        await conn.execute(
            update(voucher)
            .where(voucher.c.id == voucher_id)
            .values(status="reviewed", reviewed_by=actor_label(principal))
        )
        note_change(conn, f"voucher:{voucher_id}", before={"status": "draft"}, after={"status": "reviewed"})


async def do_post_voucher(db: Database, voucher_id: int, principal: Principal | None) -> str:
    """记账: a reviewed voucher gets its number (记-0001) and enters the ledger."""
    require_permission(principal, "finance.post")
    async with db.write() as conn:
        row = await lock_row(conn, voucher, voucher_id, "voucher")
        require_status(row, ("reviewed",), "voucher", "post")
        period, voucher_date = await posting_period(conn, row.voucher_date, strict=True)
        number = await post_existing(conn, voucher_id, period, voucher_date, actor_label(principal))
        note_change(
            conn, f"voucher:{voucher_id}", before={"status": "reviewed"}, after={"status": "posted", "number": number}
        )
    return number


REVERSIBLE = ("manual", "disposal", "reversal")


async def do_reverse_voucher(
    db: Database, voucher_id: int, principal: Principal | None, *, on: date | None = None
) -> int:
    """红字冲销: a posted voucher is cancelled by a new posted voucher with the same lines in red
    (negative) amounts, dated ``on`` (default today) in an open period. Vouchers booked from business
    documents are corrected by documents (returns, credit notes), not here."""
    require_permission(principal, "finance.post")
    async with db.write() as conn:
        row = await lock_row(conn, voucher, voucher_id, "voucher")
        require_status(row, ("posted",), "voucher", "reverse")
        if row.origin not in REVERSIBLE:
            raise FinanceError("INVALID_VALUE", "id", detail="booked from a business document: correct the document")
        if (await conn.execute(select(voucher.c.id).where(voucher.c.reversal_of == voucher_id))).first():
            raise FinanceError("ALREADY_REVERSED", "id")
        if row.disposed_by is not None:
            raise FinanceError("ALREADY_DISPOSED", "id")
        if row.origin == "disposal":  # the differences it cleared wait in 1901 again, to be cleared anew
            await conn.execute(update(voucher).where(voucher.c.disposed_by == voucher_id).values(disposed_by=None))
        lines = [
            Line(
                r.account_code,
                -r.debit_fen,
                -r.credit_fen,
                r.memo,
                r.customer_id,
                r.supplier_id,
                r.warehouse_id,
                r.department_id,
            )
            for r in await conn.execute(
                select(voucher_line).where(voucher_line.c.voucher_id == voucher_id).order_by(voucher_line.c.line_no)
            )
        ]
        on = on or clock.today()
        spec = VoucherSpec(
            lines=lines,
            document_date=on,
            memo=f"冲销 reversal of {row.number}: {row.memo}",
            origin="reversal",
            source_type="voucher",
            source_id=voucher_id,
            source_number=row.number,
            reversal_of=voucher_id,
        )
        new_id = await write_voucher(conn, spec, actor_label(principal), strict=True)
        assert new_id is not None, "a posted voucher has lines that are not zero"
        note_change(conn, f"voucher:{voucher_id}", after={"reversed_by": new_id})
    return new_id


LOSS_TREATMENTS = {
    "normal": "count_loss_normal",
    "disaster": "count_loss_disaster",
    "compensation": "count_loss_compensation",
}
GAIN_TREATMENTS = {"income": "count_gain_cleared", "capital": "capital"}


async def do_clear_suspense(
    db: Database,
    voucher_id: int,
    principal: Principal | None,
    *,
    loss_treatment: str = "normal",
    gain_treatment: str = "income",
    abnormal_vat_rate: str | None = None,
    on: date | None = None,
) -> int:
    """Clear the 待处理财产损溢 of one voucher (a stock count, a transfer difference, stock moved
    without a document) after approval. Losses go to 管理费用 (normal), 营业外支出 (disaster) or
    其他应收款 (compensation from the person responsible); gains reduce 管理费用 (企业) / go to
    营业外收入 (小企业), or to 实收资本 for goods contributed by the owners (opening stock). An abnormal
    loss also reverses its input VAT (进项税额转出, §4.5) at ``abnormal_vat_rate`` (e.g. ``0.13``)."""
    require_permission(principal, "finance.post")
    c = Collector()
    if loss_treatment not in LOSS_TREATMENTS:
        c.add("INVALID_VALUE", "lossTreatment", detail=" | ".join(LOSS_TREATMENTS))
    if gain_treatment not in GAIN_TREATMENTS:
        c.add("INVALID_VALUE", "gainTreatment", detail=" | ".join(GAIN_TREATMENTS))
    rate_bp = 0
    if abnormal_vat_rate not in (None, ""):
        try:
            rate_bp = parse_rate(abnormal_vat_rate)
        except NumberError:
            c.add("INVALID_VALUE", "abnormalVatRate", detail="0–1, e.g. 0.13")
    c.raise_if_any()
    async with db.write() as conn:
        rules = await rule_accounts(conn)
        row = await lock_row(conn, voucher, voucher_id, "voucher")
        require_status(row, ("posted",), "voucher", "post")
        if row.disposed_by is not None:
            raise FinanceError("ALREADY_DISPOSED", "id")
        if row.origin not in ("auto", "manual"):  # clearing or reversal vouchers are not differences
            raise FinanceError("NOTHING_TO_DISPOSE", "id")
        suspense = rules["suspense"]
        held = (
            await conn.execute(
                select(voucher_line.c.warehouse_id, voucher_line.c.debit_fen, voucher_line.c.credit_fen).where(
                    voucher_line.c.voucher_id == voucher_id, voucher_line.c.account_code == suspense
                )
            )
        ).all()
        losses: dict[int | None, int] = {}
        gains: dict[int | None, int] = {}
        for r in held:
            losses[r.warehouse_id] = losses.get(r.warehouse_id, 0) + r.debit_fen
            gains[r.warehouse_id] = gains.get(r.warehouse_id, 0) + r.credit_fen
        if not any(losses.values()) and not any(gains.values()):
            raise FinanceError("NOTHING_TO_DISPOSE", "id")
        lines: list[Line] = []
        loss_account, gain_account = rules[LOSS_TREATMENTS[loss_treatment]], rules[GAIN_TREATMENTS[gain_treatment]]
        for wh, fen in gains.items():
            if fen:
                lines += [Line(suspense, debit=fen, warehouse_id=wh), Line(gain_account, credit=fen)]
        for wh, fen in losses.items():
            if fen:
                vat = round_half_up_div(fen * rate_bp, 10_000)
                lines += [
                    Line(loss_account, debit=fen + vat),
                    Line(suspense, credit=fen, warehouse_id=wh),
                    Line(rules["input_vat_reversed"], credit=vat),
                ]
        spec = VoucherSpec(
            lines=lines,
            document_date=on or max(clock.today(), row.document_date),
            memo=f"处理待处理财产损溢 clear stock differences {row.number} {row.source_number}",
            origin="disposal",
            source_type="voucher",
            source_id=voucher_id,
            source_number=row.number,
        )
        new_id = await write_voucher(conn, spec, actor_label(principal))
        assert new_id is not None, "the differences to clear are not zero (checked above)"
        await conn.execute(update(voucher).where(voucher.c.id == voucher_id).values(disposed_by=new_id))
        note_change(
            conn,
            f"voucher:{voucher_id}",
            after={"disposed_by": new_id, "loss": loss_treatment, "gain": gain_treatment, "vat_rate_bp": rate_bp},
        )
    return new_id


async def do_reclassify_cash_flow(db: Database, line_id: int, item: str | None, principal: Principal | None) -> None:
    """Manually put one cash line into another cash-flow item (``None``: back to the rule)."""
    from server.finance.chart import CASH_FLOW_ITEMS

    require_permission(principal, "finance.post")
    if item is not None and item not in CASH_FLOW_ITEMS:
        raise FinanceError("INVALID_VALUE", "item", detail=" | ".join(CASH_FLOW_ITEMS))
    async with db.write() as conn:
        ln = (
            await conn.execute(
                select(voucher_line, account.c.is_cash)
                .join(account, account.c.code == voucher_line.c.account_code)
                .where(voucher_line.c.id == line_id)
            )
        ).first()
        if ln is None:
            raise FinanceError("NOT_FOUND", "lineId", what="voucher")
        if not ln.is_cash:
            raise FinanceError("INVALID_VALUE", "lineId", detail="not a cash or bank line")
        await conn.execute(update(voucher_line).where(voucher_line.c.id == line_id).values(cash_flow_item=item))
        note_change(
            conn,
            f"voucher_line:{line_id}",
            before={"cash_flow_item": ln.cash_flow_item},
            after={"cash_flow_item": item},
        )
