"""The poster: turns business events of the journal into vouchers (domain reference §3.4).

It reads the event journal in sequence order from ``poster_state.last_seq`` and books, per event:

* ``stock.changed`` — one voucher per stock operation (the first of its events), by the document type
  that posted it: goods receipt (库存商品 / 暂估应付 + 暂估运杂费), purchase return (at the cost it left
  with; the difference to the supplier credit is a price variance), shipment and sales return (主营业务成本),
  stock count, transfer differences and stock moved without a document (待处理财产损溢 1901, cleared
  after approval), transfers between warehouses (库存商品 by warehouse), production issue and receipt
  (生产成本).
* ``document.status_changed`` — supplier bills and debit notes once booked (暂估 reversed, 进项税额,
  应付账款), supplier payments and prepayments, sales invoices and red-letter credit notes (应收账款,
  主营业务收入, 销项税额), customer receipts and advances, production conversion costs, expenses and
  their payments.
* ``money.applied`` — a prepayment or advance used later (预付 → 应付, 预收 → 应收).

One handler per event source. Events arrive typed (``server/events/types.py``). ``EVENT_HANDLERS`` maps
the event type to its handler; a stock operation goes on to the handler of the document type that
posted it (``STOCK_SOURCES`` by ``stock_operation.source_type``: goods receipt, purchase return,
shipment, sales return, stock count, transfer, production; ``NO_DOCUMENT`` for stock moved without a
document), a status change to the handler of its document type and kind (``DOCUMENT_SOURCES``: supplier
bill, debit note, supplier payment, sales invoice, credit note, customer receipt, production conversion,
expense, expense payment), and ``money.applied`` has its own. The same tables say which events book
anything and what each builds on (``event_dependencies``).

A stock operation's document is found by id: the goods receipt, purchase return, shipment or sales
return whose ``operation_id`` is the operation (``document_of_operation``) — not by matching the
operation's reference against document numbers. Every such document has recorded its operation since
its table was created, so old journal rows book the same way; an operation no document links to falls
back to the document numbered like its reference (none is known).

Exactly once: the batch of vouchers and the new ``last_seq`` commit in one transaction, under the
``poster_state`` row lock (several processes queue on it; a crash rolls the whole batch back), and
each voucher carries a unique ``source_key`` as a second guard. Accounts come from ``posting_rule``.

Events that cannot be booked. A batch runs without savepoints; when an event of it fails, the batch is
rolled back and run again with each event in its own savepoint. The event that fails is rolled back
alone and *set aside* in ``poster_failure`` with its error (logged once, as a WARNING), and the poster
moves on — but only where that is sound. Each event stands for documents, as ``doc_type:number`` keys
(``event_dependencies``): the ones it books (a stock operation also books its document — a goods
receipt, a shipment, a production order …) and the ones whose vouchers it builds on (a supplier bill
reverses the 暂估 of its receipts; a purchase return and its debit note the receipt's; a payment or a
customer receipt settles its bills or invoices; a prepayment or advance applied later needs the payment's
voucher; a credit note reverses its invoice; an expense payment settles its expense). **Rule: a later
event that books or needs a document held by a set-aside event is held back too** (set aside as
"waiting for" it, without being tried); every other event is booked as usual. No voucher amount
depends on the order of booking (each comes from its own documents), so booking an independent event
early changes only the order of voucher numbers — and a voucher booked after its month was closed goes
to the first open period, like any late document.

Set-aside events are retried at the start of every run, in sequence order, before new events — at
once by ``jxc finance post``, ``jxc check``, period end and direct calls, with back-off (10 s doubling
to 10 min) by the server's runner — and are booked once the cause is fixed: exactly once, by the
``source_key`` guard, and held-back events right after the one they waited for. Only deterministic
failures set an event aside (``is_deterministic``: a domain error in a posting rule, a missing
document or posting-rule role, a ``DataError``, an ``IntegrityError`` other than the duplicate
``source_key`` — which means the source is booked already); transient ones (a lost connection, a
deadlock, a serialization failure, a busy SQLite), errors about the code rather than the event (a
statement the schema does not fit) and errors of unknown kind roll the round back and it is retried
whole, as before. ``jxc finance status``, ``posterStatus.failures`` and ``jxc check`` show the
set-aside events.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core import clock
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.numbers import round_half_up_div
from server.core.sql import AnyRow
from server.core.text_limits import fit
from server.events.journal import last_sequence, read_events
from server.events.models import event
from server.events.types import (
    DOCUMENT_STATUS_CHANGED,
    MONEY_APPLIED,
    STOCK_CHANGED,
    DocumentStatusChanged,
    EventData,
    EventFormatError,
    MoneyApplied,
    StockChanged,
    parse_event,
)
from server.finance.chart import PAYROLL_CATEGORIES
from server.finance.ledger import Line, VoucherSpec, rule_accounts, write_voucher
from server.finance.models import (
    expense_bill,
    expense_category,
    expense_payment,
    poster_failure,
    poster_state,
    voucher,
    voucher_line,
)
from server.inventory.models import (
    location,
    production_order,
    stock_count,
    stock_move,
    stock_operation,
)
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    payment_allocation,
    purchase_return,
    purchase_return_line,
    supplier_bill,
    supplier_bill_line,
    supplier_payment,
)
from server.sales.models import (
    customer_receipt,
    receipt_allocation,
    sales_invoice,
    sales_return,
    shipment,
)

log = logging.getLogger("jxc.finance.poster")

BATCH = 200


def _signed(account: str, amount: int, **dims) -> Line:
    """A variance: positive on the debit side, negative as a credit."""
    return Line(account, debit=amount, **dims) if amount >= 0 else Line(account, credit=-amount, **dims)


def _merge(lines: list[Line]) -> list[Line]:
    """One line per account, side and dimensions (a 40-line shipment books one COGS line)."""
    merged: dict[tuple, Line] = {}
    for ln in lines:
        side = "d" if ln.debit else "c"
        key = (ln.account, side, ln.customer_id, ln.supplier_id, ln.warehouse_id, ln.department_id, ln.memo)
        if key in merged:
            merged[key].debit += ln.debit
            merged[key].credit += ln.credit
        else:
            merged[key] = Line(**vars(ln))
    return list(merged.values())


class Poster:
    """Books one batch of events inside the caller's transaction. ``post`` hands an event to the handler
    of its type (``EVENT_HANDLERS``); a stock operation goes on to the handler of the document type that
    posted it (``STOCK_SOURCES``), a status change to that of its document type and kind
    (``DOCUMENT_SOURCES``). Each handler builds the lines of one kind of voucher."""

    def __init__(self, conn: AsyncConnection, rules: dict[str, str]):
        self.conn = conn
        self.rules = rules
        self.done_keys: set[str] = set()
        self.done_operations: set[int] = set()

    def acc(self, role: str) -> str:
        return self.rules[role]

    def money_account(self, method: str) -> str:
        return self.acc("cash") if method == "cash" else self.acc("bank")

    async def _seen(self, key: str) -> bool:
        if key in self.done_keys:
            return True
        self.done_keys.add(key)
        return (await self.conn.execute(select(voucher.c.id).where(voucher.c.source_key == key))).first() is not None

    async def _book(
        self,
        key: str,
        lines: list[Line],
        on: date,
        memo: str,
        *,
        source_type: str,
        source_id: int | None,
        number: str,
        seq: int,
        actor: str,
    ) -> None:
        spec = VoucherSpec(
            lines=_merge(lines),
            document_date=on,
            memo=memo,
            origin="auto",
            source_key=key,
            source_type=source_type,
            source_id=source_id,
            source_number=number,
            event_seq=seq,
        )
        await write_voucher(self.conn, spec, actor or "system")

    async def post(self, seq: int, event_type: str, data: EventData) -> None:
        """Book one journal event; ``data`` is its typed payload (a stored payload dict is parsed)."""
        if not isinstance(data, EventData):
            data = parse_event(event_type, data)
        handler = EVENT_HANDLERS.get(event_type)
        if handler is not None and handler.books(data):
            await handler.book(self, seq, data)

    # ---- stock operations: one voucher per operation, built by the handler of its document type -------

    async def _stock_changed(self, seq: int, ev: StockChanged) -> None:
        await self._stock_operation(seq, ev.operation_id)

    async def _stock_operation(self, seq: int, op_id: int) -> None:
        if op_id in self.done_operations:  # an operation has one event per side it touched
            return
        self.done_operations.add(op_id)
        op = (await self.conn.execute(select(stock_operation).where(stock_operation.c.id == op_id))).one()
        source = STOCK_SOURCES.get(op.source_type, NO_DOCUMENT)
        key = f"{op.source_type}:{op.reference}" if source.per_document else f"stock_operation:{op_id}"
        if await self._seen(key):
            return
        op_ids = [op_id]
        if source.per_document:
            op_ids = list(
                (
                    await self.conn.execute(
                        select(stock_operation.c.id)
                        .where(
                            stock_operation.c.source_type == op.source_type, stock_operation.c.reference == op.reference
                        )
                        .order_by(stock_operation.c.id)
                    )
                ).scalars()
            )
        src, dst = location.alias("src"), location.alias("dst")
        moves = (
            await self.conn.execute(
                select(
                    stock_move.c.id,
                    stock_move.c.move_type,
                    stock_move.c.value_fen,
                    stock_move.c.source_line_id,
                    stock_move.c.from_location_id,
                    stock_move.c.to_location_id,
                    src.c.warehouse_id.label("from_wh"),
                    dst.c.warehouse_id.label("to_wh"),
                )
                .select_from(
                    stock_move.outerjoin(src, src.c.id == stock_move.c.from_location_id).outerjoin(
                        dst, dst.c.id == stock_move.c.to_location_id
                    )
                )
                .where(stock_move.c.operation_id.in_(op_ids))
                .order_by(stock_move.c.id)
            )
        ).all()
        # dated by the operation's business date; rows from before it was recorded (migration 0019): by the day
        # they were made. A date in a closed period moves on to the first open one (ledger.posting_period).
        so = StockOp(op, moves, on=op.business_date or clock.business_date(op.created_at), source_id=op.id)
        lines = await source.lines(self, so)
        memo = f"{op.reason or op.op_type} {op.reference}".strip()
        await self._book(
            key,
            lines,
            so.on,
            memo,
            source_type=op.source_type or "stock_operation",
            source_id=so.source_id,
            number=op.reference,
            seq=seq,
            actor=op.actor,
        )

    def _stock_lines(self, so: StockOp, counter: Callable[[Any, bool, int], Line] | None = None) -> list[Line]:
        """Per move: 库存商品 of the warehouse it entered or left, and ``counter(move, incoming, warehouse)``,
        the other side of it (none: the handler adds the other side for the whole operation). A move
        between bins of two warehouses moves 库存商品 between them; within one warehouse it books nothing."""
        inv = self.acc("inventory")
        lines: list[Line] = []
        for m in so.moves:
            v = m.value_fen
            if m.from_location_id and m.to_location_id:
                if m.from_wh != m.to_wh:
                    lines += [Line(inv, debit=v, warehouse_id=m.to_wh), Line(inv, credit=v, warehouse_id=m.from_wh)]
                continue
            incoming = m.to_location_id is not None
            wh = m.to_wh if incoming else m.from_wh
            lines.append(Line(inv, debit=v, warehouse_id=wh) if incoming else Line(inv, credit=v, warehouse_id=wh))
            if counter is not None:
                lines.append(counter(m, incoming, wh))
        return lines

    def _opposite(self, role: str, *, per_warehouse: bool = False) -> Callable[[Any, bool, int], Line]:
        """The other side of each move on ``role``'s account: a credit for stock that came in, a debit for
        stock that went out (with the move's warehouse when ``per_warehouse``)."""

        def line(m, incoming: bool, wh: int) -> Line:
            account, dim = self.acc(role), wh if per_warehouse else None
            if incoming:
                return Line(account, credit=m.value_fen, warehouse_id=dim)
            return Line(account, debit=m.value_fen, warehouse_id=dim)

        return line

    async def _document_of(self, table: Table, so: StockOp):
        """The document that posted the operation, linked by id (see ``document_of_operation``); the
        voucher's ``source_id`` becomes the document's."""
        doc = await document_of_operation(self.conn, table, so.op)
        so.source_id = doc.id
        return doc

    async def _goods_receipt(self, so: StockOp) -> list[Line]:
        """Dr 1405 (goods + landed costs) / Cr 220202 暂估 (goods), Cr 2241 (landed costs accrued)."""
        doc = await self._document_of(goods_receipt, so)
        so.on = doc.receipt_date
        lines = self._stock_lines(so)
        line_ids = {m.source_line_id for m in so.moves}
        landed = (
            await self.conn.execute(
                select(func.coalesce(func.sum(goods_receipt_line.c.landed_fen), 0)).where(
                    goods_receipt_line.c.id.in_(line_ids)
                )
            )
        ).scalar_one()
        return lines + [
            Line(self.acc("goods_not_billed"), credit=so.total - landed, supplier_id=doc.supplier_id),
            Line(self.acc("landed_cost_accrual"), credit=landed, supplier_id=doc.supplier_id),
        ]

    async def _purchase_return(self, so: StockOp) -> list[Line]:
        """Cr 1405 at the cost it left with / Dr 220202 暂估 by the supplier credit, the difference (the
        landed-cost share) to the price variance."""
        doc = await self._document_of(purchase_return, so)
        so.on = doc.return_date
        lines = self._stock_lines(so)
        credit = (
            await self.conn.execute(
                select(func.coalesce(func.sum(purchase_return_line.c.amount_fen), 0)).where(
                    purchase_return_line.c.return_id == doc.id
                )
            )
        ).scalar_one()
        return lines + [
            Line(self.acc("goods_not_billed"), debit=credit, supplier_id=doc.supplier_id),
            _signed(self.acc("purchase_price_variance"), so.total - credit),
        ]

    async def _shipment(self, so: StockOp) -> list[Line]:
        """Dr 6401 主营业务成本 / Cr 1405 at moving average."""
        so.on = (await self._document_of(shipment, so)).ship_date
        return self._stock_lines(so, self._opposite("cost_of_sales"))

    async def _sales_return(self, so: StockOp) -> list[Line]:
        """Dr 1405 / Cr 6401 at the cost it left with."""
        so.on = (await self._document_of(sales_return, so)).return_date
        return self._stock_lines(so, self._opposite("cost_of_sales"))

    async def _stock_count(self, so: StockOp) -> list[Line]:
        """Gains and losses of an approved count: 1405 ↔ 1901 待处理财产损溢 (one voucher for the count),
        dated by the count's date, not by when it was approved."""
        so.on = (
            await self.conn.execute(select(stock_count.c.count_date).where(stock_count.c.number == so.op.reference))
        ).scalar_one()
        return self._stock_lines(so, self._opposite("suspense", per_warehouse=True))

    async def _transfer(self, so: StockOp) -> list[Line]:
        """Between warehouses Dr 1405 [to] / Cr 1405 [from]; a difference on arrival 1405 ↔ 1901."""
        return self._stock_lines(so, self._opposite("suspense", per_warehouse=True))

    async def _production(self, so: StockOp) -> list[Line]:
        """Materials issued Dr 5001 生产成本 / Cr 1405; finished goods Dr 1405 / Cr 5001."""
        return self._stock_lines(so, self._opposite("work_in_progress"))

    async def _booked_by_document(self, so: StockOp) -> list[Line]:
        """Opening stock (server/opening): its 1405 is in the opening entry's own voucher, nothing here."""
        return []

    async def _stock_without_document(self, so: StockOp) -> list[Line]:
        """The stock primitives: an adjustment 1405 ↔ 1901; other stock received or issued against the
        other_stock_in / other_stock_out roles."""
        suspense = self._opposite("suspense", per_warehouse=True)

        def counter(m, incoming: bool, wh: int) -> Line:
            if m.move_type == "adjustment":
                return suspense(m, incoming, wh)
            if incoming:
                return Line(self.acc("other_stock_in"), credit=m.value_fen, warehouse_id=wh)
            return Line(self.acc("other_stock_out"), debit=m.value_fen, warehouse_id=wh)

        return self._stock_lines(so, counter)

    # ---- documents: one voucher per document, built by the handler of its type and kind -------------

    async def _document(self, seq: int, ev: DocumentStatusChanged) -> None:
        source = DOCUMENT_SOURCES[ev.doc_type]
        key = f"{source.key}:{ev.id}"
        if await self._seen(key):
            return
        row = (await self.conn.execute(select(source.table).where(source.table.c.id == ev.id))).one()
        entry = await source.handler(row)(self, row, ev)
        await self._book(
            key,
            entry.lines,
            entry.on,
            entry.memo,
            source_type=ev.doc_type,
            source_id=row.id,
            number=row.number,
            seq=seq,
            actor=ev.actor,
        )

    async def _supplier_bill(self, bill, ev: DocumentStatusChanged) -> Entry:
        """Dr 220202 (the billed quantities' receipt value), Dr/Cr 6401 price variance, Dr 22210101 进项 /
        Cr 220201 应付账款."""
        cleared = await self._goods_share(bill)
        return self._bill_entry(bill, cleared, bill.amount_fen - cleared, "采购发票 supplier bill ")

    async def _debit_note(self, bill, ev: DocumentStatusChanged) -> Entry:
        """红字: the return already moved 暂估 by the supplier credit; Dr 220202 −x, Dr 进项 −tax / Cr 220201 −total."""
        return self._bill_entry(bill, bill.amount_fen, 0, "红字发票 debit note ")

    def _bill_entry(self, bill, cleared: int, variance: int, memo: str) -> Entry:
        sup = bill.supplier_id
        return Entry(
            [
                Line(self.acc("goods_not_billed"), debit=cleared, supplier_id=sup),
                _signed(self.acc("purchase_price_variance"), variance),
                Line(self.acc("input_vat"), debit=bill.tax_fen),
                Line(self.acc("payable"), credit=bill.total_fen, supplier_id=sup),
            ],
            bill.bill_date,
            memo + bill.number,
        )

    async def _goods_share(self, bill) -> int:
        """The receipt value (goods, without landed costs) of the billed quantities: what this bill
        takes out of 暂估. Shares are cumulative per receipt line over the earlier bills, so partial
        bills of one line add up to its goods value exactly."""
        gl, bl, b = goods_receipt_line, supplier_bill_line, supplier_bill
        lines = (
            await self.conn.execute(
                select(bl.c.receipt_line_id, bl.c.qty, gl.c.goods_value_fen, gl.c.accepted_qty)
                .select_from(bl.join(gl, gl.c.id == bl.c.receipt_line_id))
                .where(bl.c.bill_id == bill.id)
            )
        ).all()
        total = 0
        for ln in lines:
            before = (
                await self.conn.execute(
                    select(func.coalesce(func.sum(bl.c.qty), 0))
                    .select_from(bl.join(b, b.c.id == bl.c.bill_id))
                    .where(
                        bl.c.receipt_line_id == ln.receipt_line_id,
                        b.c.kind == "bill",
                        b.c.id < bill.id,
                        b.c.status.in_(("open", "paid")),
                    )
                )
            ).scalar_one()
            if ln.accepted_qty <= 0:
                continue
            upto = min(before + ln.qty, ln.accepted_qty)
            prior = min(before, ln.accepted_qty)
            total += round_half_up_div(ln.goods_value_fen * upto, ln.accepted_qty) - round_half_up_div(
                ln.goods_value_fen * prior, ln.accepted_qty
            )
        return total

    async def _supplier_payment(self, pay, ev: DocumentStatusChanged) -> Entry:
        """Dr 220201 (allocated) + Dr 1123 预付 (the rest) / Cr 1002 or 1001."""
        allocated = ev.allocated_fen if ev.allocated_fen is not None else pay.amount_fen - pay.unallocated_fen
        return Entry(
            [
                Line(self.acc("payable"), debit=allocated, supplier_id=pay.supplier_id),
                Line(self.acc("supplier_prepayment"), debit=pay.amount_fen - allocated, supplier_id=pay.supplier_id),
                Line(self.money_account(pay.method), credit=pay.amount_fen),
            ],
            pay.payment_date,
            f"付款 payment {pay.number}",
        )

    async def _sales_invoice(self, inv, ev: DocumentStatusChanged) -> Entry:
        """Dr 1122 应收账款 / Cr 6001 主营业务收入, Cr 22210102 销项."""
        return self._invoice_entry(inv, "销售发票 invoice ")

    async def _credit_note(self, inv, ev: DocumentStatusChanged) -> Entry:
        """红字: the invoice's voucher with negative amounts."""
        return self._invoice_entry(inv, "红字发票 credit note ")

    def _invoice_entry(self, inv, memo: str) -> Entry:
        cust = inv.customer_id
        return Entry(
            [
                Line(self.acc("receivable"), debit=inv.total_fen, customer_id=cust),
                Line(self.acc("revenue"), credit=inv.amount_fen, customer_id=cust),
                Line(self.acc("output_vat"), credit=inv.tax_fen),
            ],
            inv.invoice_date,
            memo + inv.number,
        )

    async def _customer_receipt(self, rec, ev: DocumentStatusChanged) -> Entry:
        """Dr 1002 or 1001 / Cr 1122 (allocated), Cr 2203 预收 (the rest)."""
        allocated = ev.allocated_fen if ev.allocated_fen is not None else rec.amount_fen - rec.unallocated_fen
        return Entry(
            [
                Line(self.money_account(rec.method), debit=rec.amount_fen),
                Line(self.acc("receivable"), credit=allocated, customer_id=rec.customer_id),
                Line(self.acc("customer_advance"), credit=rec.amount_fen - allocated, customer_id=rec.customer_id),
            ],
            rec.receipt_date,
            f"收款 receipt {rec.number}",
        )

    async def _production_conversion(self, order, ev: DocumentStatusChanged) -> Entry:
        """Labour and overhead go into 生产成本 when production starts (the order leaves ``open``); the
        finished-goods receipts then take them out with the materials (the last receipt takes the rest)."""
        return Entry(
            [
                Line(self.acc("work_in_progress"), debit=order.labour_fen + order.overhead_fen),
                Line(self.acc("labour_applied"), credit=order.labour_fen),
                Line(self.acc("overhead_applied"), credit=order.overhead_fen),
            ],
            clock.business_date(order.created_at),
            f"人工及制造费用 conversion costs {order.number}",
        )

    def _expense_payable(self, exp) -> Line:
        """What an approved expense owes: wages to the staff (2211 应付职工薪酬), the rest to its supplier
        (2241 其他应付款)."""
        if exp.category_code in PAYROLL_CATEGORIES:
            return Line(self.acc("payroll"))
        return Line(self.acc("other_payable"), supplier_id=exp.supplier_id)

    async def _expense(self, exp, ev: DocumentStatusChanged) -> Entry:
        """Dr 66xx [department] (+ 进项 with a special invoice) / Cr 2241, or 2211 for wages."""
        cat = (
            await self.conn.execute(select(expense_category).where(expense_category.c.code == exp.category_code))
        ).one()
        target = cat.account_code or self.acc(cat.role)
        deductible = exp.tax_fen if exp.special_invoice else 0
        payable = self._expense_payable(exp)
        return Entry(
            [
                Line(
                    target,
                    debit=exp.total_fen - deductible,
                    department_id=exp.department_id,
                    memo=exp.description[:100],
                ),
                Line(self.acc("input_vat"), debit=deductible),
                replace(payable, credit=exp.total_fen),
            ],
            exp.expense_date,
            f"费用 expense {exp.number} {exp.description}",
        )

    async def _expense_payment(self, pay, ev: DocumentStatusChanged) -> Entry:
        """Dr the account the expense was owed on (2241, or 2211 for wages: 支付给职工以及为职工支付的现金
        in the cash-flow statement) / Cr 1002 or 1001. An expense booked before wages went to 2211 is
        settled on the account its own voucher credited."""
        exp = (await self.conn.execute(select(expense_bill).where(expense_bill.c.id == pay.expense_id))).one()
        payable = self._expense_payable(exp)
        owed_on = (
            await self.conn.execute(
                select(voucher_line.c.account_code)
                .join(voucher, voucher.c.id == voucher_line.c.voucher_id)
                .where(
                    voucher.c.source_type == "expense_bill",
                    voucher.c.source_id == exp.id,
                    voucher_line.c.credit_fen > 0,
                    voucher_line.c.account_code.in_([self.acc("payroll"), self.acc("other_payable")]),
                )
                .limit(1)
            )
        ).scalar()
        if owed_on is not None and owed_on != payable.account:
            payable = Line(owed_on, supplier_id=exp.supplier_id if owed_on == self.acc("other_payable") else None)
        return Entry(
            [
                replace(payable, debit=pay.amount_fen),
                Line(self.money_account(pay.method), credit=pay.amount_fen),
            ],
            pay.payment_date,
            f"费用付款 expense payment {pay.number} ({exp.number})",
        )

    # ---- money applied later ------------------------------------------------------------------------

    async def _money_applied(self, seq: int, ev: MoneyApplied) -> None:
        """A prepayment used later: Dr 220201 / Cr 1123; an advance: Dr 2203 / Cr 1122."""
        key = f"money_applied:{seq}"
        if await self._seen(key) or not ev.amount_fen:
            return
        amount, party = ev.amount_fen, ev.party_id
        if ev.side == "payable":
            lines = [
                Line(self.acc("payable"), debit=amount, supplier_id=party),
                Line(self.acc("supplier_prepayment"), credit=amount, supplier_id=party),
            ]
            memo, source_type = f"预付冲应付 prepayment applied {ev.number}", "supplier_payment"
        else:
            lines = [
                Line(self.acc("customer_advance"), debit=amount, customer_id=party),
                Line(self.acc("receivable"), credit=amount, customer_id=party),
            ]
            memo, source_type = f"预收冲应收 advance applied {ev.number}", "customer_receipt"
        await self._book(
            key, lines, ev.on, memo, source_type=source_type, source_id=ev.money_id, number=ev.number, seq=seq, actor=""
        )


@dataclass
class StockOp:
    """A stock operation being booked: its row, its moves (with their warehouses), and the voucher's date
    and source id — the operation's, until the handler finds its document."""

    op: Any
    moves: Sequence[Any]
    on: date
    source_id: int

    @property
    def total(self) -> int:
        """The value that entered or left stock (moves between bins left out)."""
        return sum(m.value_fen for m in self.moves if not (m.from_location_id and m.to_location_id))


@dataclass
class Entry:
    """What a document handler books: the voucher's lines, date and memo."""

    lines: list[Line]
    on: date
    memo: str


async def document_of_operation(conn: AsyncConnection, table: Table, op, *, required: bool = True):
    """The document row (goods receipt, purchase return, shipment, sales return) that posted stock
    operation ``op``, linked by id: the document's ``operation_id`` column, which each of these documents
    has recorded since its table was created, so old journal rows link the same way (the journal
    payload is not involved). Fallback, for an operation that no row links to (none is known; a goods
    receipt's column is nullable): the document whose number is the operation's reference, as the
    poster found documents before."""
    row = (await conn.execute(select(table).where(table.c.operation_id == op.id))).one_or_none()
    if row is not None:
        return row
    result = await conn.execute(select(table).where(table.c.number == op.reference))
    return result.one() if required else result.first()


# ---- which events book a voucher, and what they depend on ------------------------------------------


@dataclass
class Dependencies:
    """The documents an event books (``provides``) and those whose vouchers it builds on (``needs``),
    as ``doc_type:number`` keys; ``source`` names the event's document for people."""

    provides: set[str] = field(default_factory=set)
    needs: set[str] = field(default_factory=set)
    source: str = ""

    @property
    def keys(self) -> set[str]:
        return self.provides | self.needs


async def _numbers(conn: AsyncConnection, q) -> set[str]:
    return {n for n in (await conn.execute(q)).scalars() if n}


async def _settled(conn: AsyncConnection, doc_type: str, money_id: int) -> set[str]:
    """The bills a supplier payment settles, or the invoices a customer receipt settles."""
    if doc_type == "supplier_payment":
        q = (
            select(supplier_bill.c.number)
            .join(payment_allocation, payment_allocation.c.bill_id == supplier_bill.c.id)
            .where(payment_allocation.c.payment_id == money_id)
        )
        return {f"supplier_bill:{n}" for n in await _numbers(conn, q)}
    q = (
        select(sales_invoice.c.number)
        .join(receipt_allocation, receipt_allocation.c.invoice_id == sales_invoice.c.id)
        .where(receipt_allocation.c.receipt_id == money_id)
    )
    return {f"sales_invoice:{n}" for n in await _numbers(conn, q)}


async def _receipt_of_return(conn: AsyncConnection, op) -> set[str]:
    """A purchase return moves its goods receipt's 暂估 back."""
    ret = await document_of_operation(conn, purchase_return, op, required=False)
    if ret is None:
        return set()
    return {
        f"goods_receipt:{n}"
        for n in await _numbers(conn, select(goods_receipt.c.number).where(goods_receipt.c.id == ret.receipt_id))
    }


async def _bill_needs(conn: AsyncConnection, ev: DocumentStatusChanged) -> set[str]:
    """A bill reverses its receipts' 暂估; a debit note builds on its purchase return."""
    gl, bl = goods_receipt_line, supplier_bill_line
    needs = {
        f"goods_receipt:{n}"
        for n in await _numbers(
            conn,
            select(goods_receipt.c.number)
            .select_from(
                bl.join(gl, gl.c.id == bl.c.receipt_line_id).join(goods_receipt, goods_receipt.c.id == gl.c.receipt_id)
            )
            .where(bl.c.bill_id == ev.id),
        )
    }
    return needs | {
        f"purchase_return:{n}"
        for n in await _numbers(conn, select(purchase_return.c.number).where(purchase_return.c.debit_note_id == ev.id))
    }


async def _money_needs(conn: AsyncConnection, ev: DocumentStatusChanged) -> set[str]:
    return await _settled(conn, ev.doc_type, ev.id)


async def _original_invoice(conn: AsyncConnection, ev: DocumentStatusChanged) -> set[str]:
    """A credit note reverses its original invoice."""
    orig = sales_invoice.alias("orig")
    return {
        f"sales_invoice:{n}"
        for n in await _numbers(
            conn,
            select(orig.c.number)
            .join(sales_invoice, sales_invoice.c.original_invoice_id == orig.c.id)
            .where(sales_invoice.c.id == ev.id),
        )
    }


async def _expense_of_payment(conn: AsyncConnection, ev: DocumentStatusChanged) -> set[str]:
    return {
        f"expense_bill:{n}"
        for n in await _numbers(
            conn,
            select(expense_bill.c.number)
            .join(expense_payment, expense_payment.c.expense_id == expense_bill.c.id)
            .where(expense_payment.c.id == ev.id),
        )
    }


async def _stock_dependencies(conn: AsyncConnection, ev: StockChanged) -> Dependencies:
    """A stock operation books itself and its document; a purchase return needs its goods receipt."""
    op = (
        await conn.execute(
            select(stock_operation.c.id, stock_operation.c.source_type, stock_operation.c.reference).where(
                stock_operation.c.id == ev.operation_id
            )
        )
    ).one()
    deps = Dependencies(
        {f"stock_operation:{op.id}"}, set(), f"{op.source_type or 'stock_operation'} {op.reference or op.id}"
    )
    if op.source_type and op.reference:
        deps.provides.add(f"{op.source_type}:{op.reference}")
    source = STOCK_SOURCES.get(op.source_type, NO_DOCUMENT)
    if source.needs is not None:
        deps.needs |= await source.needs(conn, op)
    return deps


async def _document_dependencies(conn: AsyncConnection, ev: DocumentStatusChanged) -> Dependencies:
    """A status change books its document (a production order's conversion costs share its key with
    its stock operations) and builds on what its source names."""
    name = f"{ev.doc_type}:{ev.number or ev.id}"
    deps = Dependencies({name}, set(), f"{ev.doc_type} {ev.number or ev.id}")
    source = DOCUMENT_SOURCES[ev.doc_type]
    if source.needs is not None:
        deps.needs |= await source.needs(conn, ev)
    return deps


async def _money_dependencies(conn: AsyncConnection, ev: MoneyApplied) -> Dependencies:
    """A prepayment or advance applied later needs the payment's voucher and those of what it settles."""
    doc_type = "supplier_payment" if ev.side == "payable" else "customer_receipt"
    deps = Dependencies({f"{doc_type}:{ev.number}"}, set(), f"{doc_type} {ev.number}")
    deps.needs |= await _settled(conn, doc_type, ev.money_id)
    return deps


# ---- the handler tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockSource:
    """How the voucher of a stock operation posted by one document type is built: ``lines`` (a handler
    of ``Poster``); ``per_document``: one voucher for all operations of the document (a count's gains and
    losses), keyed ``doc_type:number``; ``needs``: what its voucher builds on (``event_dependencies``)."""

    lines: Callable[[Poster, StockOp], Awaitable[list[Line]]]
    per_document: bool = False
    needs: Callable[[AsyncConnection, Any], Awaitable[set[str]]] | None = None


# by stock_operation.source_type, the document type that posted the operation
STOCK_SOURCES: dict[str, StockSource] = {
    "goods_receipt": StockSource(Poster._goods_receipt),
    "purchase_return": StockSource(Poster._purchase_return, needs=_receipt_of_return),
    "shipment": StockSource(Poster._shipment),
    "sales_return": StockSource(Poster._sales_return),
    "stock_count": StockSource(Poster._stock_count, per_document=True),
    "transfer_order": StockSource(Poster._transfer),
    "production_order": StockSource(Poster._production),
    "opening_balance": StockSource(Poster._booked_by_document),
}
NO_DOCUMENT = StockSource(Poster._stock_without_document)  # "" — the stock primitives (and any other type)


@dataclass(frozen=True)
class DocumentSource:
    """A document whose status change books a voucher: its table, the voucher's ``source_key`` prefix,
    which status changes book (``books_on``; the others — a bill paid, an order approved — book nothing),
    the handlers by the document's ``kind`` (``""``: a document of one kind) and what it builds on."""

    table: Table
    key: str
    books_on: Callable[[DocumentStatusChanged], bool]
    handlers: dict[str, Callable[[Poster, Any, DocumentStatusChanged], Awaitable[Entry]]]
    needs: Callable[[AsyncConnection, DocumentStatusChanged], Awaitable[set[str]]] | None = None

    def handler(self, row):
        return self.handlers[""] if "" in self.handlers else self.handlers[row.kind]


def _always(ev: DocumentStatusChanged) -> bool:
    return True


# by document type (``document.status_changed`` doc_type)
DOCUMENT_SOURCES: dict[str, DocumentSource] = {
    "supplier_bill": DocumentSource(
        supplier_bill,
        "supplier_bill",
        lambda ev: ev.to_status == "open" and ev.from_status in ("", "needs_approval", "pending_approval", "draft"),
        {"bill": Poster._supplier_bill, "debit_note": Poster._debit_note},
        needs=_bill_needs,
    ),
    "supplier_payment": DocumentSource(
        supplier_payment, "supplier_payment", _always, {"": Poster._supplier_payment}, needs=_money_needs
    ),
    "sales_invoice": DocumentSource(
        sales_invoice,
        "sales_invoice",
        lambda ev: ev.to_status == "open" and ev.from_status == "",
        {"invoice": Poster._sales_invoice, "credit_note": Poster._credit_note},
        needs=_original_invoice,
    ),
    "customer_receipt": DocumentSource(
        customer_receipt, "customer_receipt", _always, {"": Poster._customer_receipt}, needs=_money_needs
    ),
    "production_order": DocumentSource(
        production_order,
        "production_conversion",
        lambda ev: ev.from_status == "open" and ev.to_status in ("in_progress", "completed"),
        {"": Poster._production_conversion},
    ),
    "expense_bill": DocumentSource(
        expense_bill, "expense_bill", lambda ev: ev.to_status == "approved", {"": Poster._expense}
    ),
    "expense_payment": DocumentSource(
        expense_payment, "expense_payment", _always, {"": Poster._expense_payment}, needs=_expense_of_payment
    ),
}


@dataclass(frozen=True)
class EventHandler:
    """What the poster does with one event type: whether an event books anything, the handler that books
    it and the documents it stands for (``event_dependencies``)."""

    books: Callable[[Any], bool]
    book: Callable[[Poster, int, Any], Awaitable[None]]
    dependencies: Callable[[AsyncConnection, Any], Awaitable[Dependencies]]


def _document_books(ev: DocumentStatusChanged) -> bool:
    source = DOCUMENT_SOURCES.get(ev.doc_type)
    return source is not None and source.books_on(ev)


# by event type; every other event type (stock.low, scan.recorded …) books nothing
EVENT_HANDLERS: dict[str, EventHandler] = {
    STOCK_CHANGED: EventHandler(lambda ev: True, Poster._stock_changed, _stock_dependencies),
    DOCUMENT_STATUS_CHANGED: EventHandler(_document_books, Poster._document, _document_dependencies),
    MONEY_APPLIED: EventHandler(lambda ev: bool(ev.amount_fen), Poster._money_applied, _money_dependencies),
}


def books_voucher(event_type: str, data: EventData) -> bool:
    """Whether the poster books anything for this event."""
    handler = EVENT_HANDLERS.get(event_type)
    return handler is not None and handler.books(data)


async def event_dependencies(conn: AsyncConnection, event_type: str, data: EventData) -> Dependencies:
    """See the module docstring, "Events that cannot be booked". A bill reverses its receipts' 暂估, a
    purchase return and its debit note the receipt's; a payment or a customer receipt settles the bills or
    invoices it was allocated to (and a prepayment or advance applied later, ``money.applied``, needs the
    payment's voucher and those documents); a credit note reverses its invoice; an expense payment settles
    its expense; the stock operations of one document (a production order, a transfer, a count) share it."""
    if not books_voucher(event_type, data):
        return Dependencies()
    return await EVENT_HANDLERS[event_type].dependencies(conn, data)


# ---- failures: transient or not -------------------------------------------------------------------------

# PostgreSQL SQLSTATEs that say "try again": connection (08…), insufficient resources (53…), serialization
# failure, deadlock, lock not available, statement cancelled, server shutting down
TRANSIENT_SQLSTATES = ("08", "53", "40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03")


def is_transient(exc: BaseException) -> bool:
    """A failure that says nothing about the event (a lost connection, a deadlock, a busy database):
    the whole round is rolled back and retried later, nothing is set aside."""
    if isinstance(
        exc,
        (
            asyncio.TimeoutError,
            TimeoutError,
            ConnectionError,
            OSError,
            sa_exc.TimeoutError,
            sa_exc.DisconnectionError,
            sa_exc.PendingRollbackError,
            sa_exc.ResourceClosedError,
        ),
    ):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            return True  # SQLite "database is locked", a server gone away
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or ""
        return any(state.startswith(code) for code in TRANSIENT_SQLSTATES)
    return False


# errors that say something about the event itself: a domain error in a posting rule, a document or a
# posting-rule role that is not there, a value the database refuses (DBAPIErrors other than transient)
DETERMINISTIC = (
    DomainError,
    sa_exc.NoResultFound,
    sa_exc.MultipleResultsFound,
    LookupError,
    ValueError,
    TypeError,
    ArithmeticError,
)


def is_deterministic(exc: BaseException) -> bool:
    """Whether booking the event again would fail the same way, so it is set aside. Anything else —
    transient errors, and exceptions of unknown kind — rolls the round back to be retried whole."""
    if isinstance(exc, sa_exc.ProgrammingError):
        return False  # a statement the schema does not fit (a missing migration): about the code, not the event
    if isinstance(exc, sa_exc.DBAPIError):
        return not is_transient(exc)
    if isinstance(exc, sa_exc.StatementError) and exc.orig is not None:  # a parameter the driver refused
        return is_deterministic(exc.orig)
    return isinstance(exc, DETERMINISTIC) and not is_transient(exc)


def _duplicate_source(exc: BaseException) -> bool:
    """The unique ``voucher.source_key`` refused a second voucher: the source is booked already."""
    return isinstance(exc, sa_exc.IntegrityError) and "source_key" in str(exc.orig)


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        text = "; ".join(f"{d.code}{f' ({d.field})' if d.field else ''}: {d.message('en')}" for d in exc.details)
    elif isinstance(exc, sa_exc.DBAPIError):
        text = f"{type(exc).__name__}: {exc.orig}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return fit(" ".join(text.split()), poster_failure.c.error)


RETRY_FIRST = 10.0  # seconds after a failure before the runner retries; doubles per attempt
RETRY_MAX = 600.0


def retry_delay(attempts: int) -> float:
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_MAX)


# ---- the rounds -----------------------------------------------------------------------------------------


class _Round:
    """One transaction of the poster: set-aside events first (in their order), then the next batch.

    ``careful`` books each event in its own savepoint, so a failing one is rolled back alone and set
    aside; otherwise the batch runs without savepoints (the common case) and a failure rolls back the
    round, which ``post_pending`` then repeats carefully."""

    def __init__(self, conn: AsyncConnection, poster: Poster, careful: bool):
        self.conn = conn
        self.poster = poster
        self.careful = careful
        self.now = utcnow()
        self.blocked: dict[str, int] = {}  # document key → the set-aside event holding it
        self.logs: list[tuple[int, str]] = []  # emitted after commit only

    async def _dependencies(self, event_type: str, data: EventData, seq: int) -> Dependencies:
        try:
            async with self.conn.begin_nested():
                return await event_dependencies(self.conn, event_type, data)
        except Exception as exc:
            if not is_deterministic(exc):
                raise
            return Dependencies({f"event:{seq}"}, set(), event_type)  # unknown: it holds back only itself

    def _waits_for(self, deps: Dependencies) -> int | None:
        hits = [self.blocked[k] for k in deps.keys if k in self.blocked]
        return min(hits) if hits else None

    def _hold(self, seq: int, deps: Dependencies) -> None:
        for k in deps.provides:
            self.blocked.setdefault(k, seq)

    async def _book(self, seq: int, event_type: str, data: EventData) -> BaseException | None:
        """Book one event in a savepoint; the error when it cannot be booked (transient errors raise)."""
        saved = set(self.poster.done_keys), set(self.poster.done_operations)
        try:
            async with self.conn.begin_nested():
                await self.poster.post(seq, event_type, data)
        except Exception as exc:
            self.poster.done_keys, self.poster.done_operations = saved
            if _duplicate_source(exc):
                return None  # its voucher exists: booked, exactly once
            if not is_deterministic(exc):
                raise
            return exc
        return None

    async def _set_aside(
        self, seq: int, event_type: str, deps: Dependencies, *, error: str, waiting_for: int | None, row=None
    ) -> None:
        values = {
            "event_type": event_type,
            "source": fit(deps.source, poster_failure.c.source),
            "keys": " ".join(sorted(deps.provides)),
            "waiting_for": waiting_for,
            "error": error,
            "last_tried_at": self.now,
        }
        failed = waiting_for is None
        if row is None:
            await self.conn.execute(
                poster_failure.insert().values(seq=seq, attempts=int(failed), first_failed_at=self.now, **values)
            )
        else:
            await self.conn.execute(
                update(poster_failure)
                .where(poster_failure.c.seq == seq)
                .values(attempts=row.attempts + int(failed), **values)
            )
        if failed and (row is None or row.attempts == 0):  # logged once: when it first fails
            self.logs.append(
                (
                    logging.WARNING,
                    (
                        f"finance poster: event {seq} ({event_type}, {deps.source}) "
                        f"cannot be booked and is set aside: {error}"
                    ),
                )
            )
        elif row is None:
            self.logs.append(
                (
                    logging.INFO,
                    (
                        f"finance poster: event {seq} ({event_type}, {deps.source}) waits "
                        f"for set-aside event {waiting_for}"
                    ),
                )
            )
        self._hold(seq, deps)

    async def event(self, seq: int, event_type: str, payload: dict, row=None) -> None:
        """Book one event, or set it aside (``row``: its ``poster_failure`` row when it is a retry). The
        stored ``payload`` is read as its typed event (``server/events/types.py``) first; one that does
        not fit its type is set aside like any event that cannot be booked."""
        if event_type not in EVENT_HANDLERS:  # books nothing (stock.low, scan.recorded …)
            if row is not None:  # cannot happen: only events that book anything are set aside
                await self.conn.execute(delete(poster_failure).where(poster_failure.c.seq == seq))
            return
        try:
            data = parse_event(event_type, payload)
        except EventFormatError as exc:
            if not self.careful and row is None:
                raise  # the round is rolled back and run again carefully, which sets it aside
            await self._set_aside(
                seq,
                event_type,
                Dependencies({f"event:{seq}"}, set(), event_type),
                error=describe_error(exc),
                waiting_for=None,
                row=row,
            )
            return
        deps = None
        if self.blocked:
            deps = await self._dependencies(event_type, data, seq)
            blocker = self._waits_for(deps)
            if blocker is not None:
                await self._set_aside(
                    seq,
                    event_type,
                    deps,
                    waiting_for=blocker,
                    row=row,
                    error=f"waiting for set-aside event {blocker} (same document or one it depends on)",
                )
                return
        if not self.careful and row is None:
            await self.poster.post(seq, event_type, data)  # a failure rolls the round back
            return
        failure = await self._book(seq, event_type, data)
        if failure is None:
            if row is not None:
                await self.conn.execute(delete(poster_failure).where(poster_failure.c.seq == seq))
                self.logs.append((logging.INFO, f"finance poster: set-aside event {seq} ({row.source}) booked"))
            return
        deps = deps or await self._dependencies(event_type, data, seq)
        await self._set_aside(seq, event_type, deps, error=describe_error(failure), waiting_for=None, row=row)

    async def retry_set_aside(self, retry: bool) -> None:
        """Retry every set-aside event in sequence order (``retry``), or only hold their documents."""
        rows = (await self.conn.execute(select(poster_failure).order_by(poster_failure.c.seq))).all()
        if not rows:
            return
        if not retry:
            for r in rows:
                for k in r.keys.split():
                    self.blocked.setdefault(k, r.seq)
            return
        events = {
            e.seq: e
            for e in await self.conn.execute(
                select(event.c.seq, event.c.event_type, event.c.payload).where(event.c.seq.in_([r.seq for r in rows]))
            )
        }
        for r in rows:
            e = events.get(r.seq)
            if e is None:  # the journal is append-only: cannot happen, but never book twice
                continue
            await self.event(r.seq, e.event_type, json.loads(e.payload), row=r)


async def _round(db: Database, batch: int, *, careful: bool, retry: bool) -> tuple[int, bool]:
    """(events read, whether more may be waiting)."""
    async with db.write() as conn:
        state = (await conn.execute(select(poster_state).where(poster_state.c.id == 1).with_for_update())).first()
        if state is None:
            return 0, False
        rnd = _Round(conn, Poster(conn, await rule_accounts(conn)), careful)
        await rnd.retry_set_aside(retry)
        events = await read_events(conn, state.last_seq, batch)
        for seq, event_type, _created_at, payload in events:
            await rnd.event(seq, event_type, payload)
        values = {"last_error": "", "updated_at": utcnow()}
        if events:
            values["last_seq"] = events[-1][0]
        await conn.execute(update(poster_state).where(poster_state.c.id == 1).values(**values))
    for level, message in rnd.logs:
        log.log(level, message)
    return len(events), len(events) == batch


async def _retry_due(conn: AsyncConnection, backoff: bool) -> bool:
    rows = (
        await conn.execute(
            select(
                poster_failure.c.seq,
                poster_failure.c.attempts,
                poster_failure.c.waiting_for,
                poster_failure.c.last_tried_at,
            )
        )
    ).all()
    if not rows or not backoff:
        return bool(rows)
    now, seqs = utcnow(), {r.seq for r in rows}
    return any(
        (r.waiting_for is None or r.waiting_for not in seqs)
        and (now - r.last_tried_at).total_seconds() >= retry_delay(r.attempts)
        for r in rows
    )


async def post_pending(db: Database, *, batch: int = BATCH, backoff: bool = False) -> int:
    """Book every event not booked yet and retry the set-aside ones; returns how many new events were
    read. Safe to call from several processes at once (they queue on the ``poster_state`` row). Nothing
    happens before set-up. ``backoff`` (the server's runner): retry set-aside events only once their
    delay has passed (10 s after the first failure, doubling up to 10 min); otherwise at once."""
    async with db.read() as conn:  # the common case, nothing new: no write transaction at all
        state = (await conn.execute(select(poster_state.c.last_seq).where(poster_state.c.id == 1))).first()
        if state is None:
            return 0
        retry = await _retry_due(conn, backoff)
        if state.last_seq >= await last_sequence(conn) and not retry:
            return 0
    done = 0
    while True:
        try:
            read, more = await _round(db, batch, careful=False, retry=retry)
        except Exception as exc:
            if not is_deterministic(exc) and not _duplicate_source(exc):
                raise
            # an event of the batch cannot be booked: again, event by event, setting it aside
            read, more = await _round(db, batch, careful=True, retry=retry)
        retry = False  # once per call
        done += read
        if not more:
            return done


async def set_aside_events(conn: AsyncConnection, limit: int | None = None) -> Sequence[AnyRow]:
    """The events the poster set aside, in order (``poster_failure`` rows; the first ``limit``)."""
    return (await conn.execute(select(poster_failure).order_by(poster_failure.c.seq).limit(limit))).all()


async def set_aside_count(conn: AsyncConnection) -> int:
    return (await conn.execute(select(func.count()).select_from(poster_failure))).scalar_one()


async def poster_lag(conn: AsyncConnection) -> tuple[int, int]:
    """(last booked event, last event) — equal when the books have caught up."""
    booked = (await conn.execute(select(poster_state.c.last_seq).where(poster_state.c.id == 1))).scalar()
    return booked or 0, await last_sequence(conn)


MIN_GAP = 1.0  # seconds between two rounds in a busy server


class PosterRunner:
    """Runs the poster in the server process after commits and every few seconds (other processes'
    commits). An event that cannot be booked is set aside by ``post_pending`` (retried with back-off);
    transient failures (a lost connection …) are logged, stored in ``poster_state.last_error`` and the
    round is retried."""

    def __init__(self, db: Database, *, interval: float = 3.0):
        self.db = db
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self.db.after_commit.append(self.wake)
        self._task = asyncio.create_task(self._run(), name="jxc-finance-poster")

    async def stop(self) -> None:
        """Let a running round finish (cancelling a database call half-way can hang the driver)."""
        self._stopping = True
        if self.wake in self.db.after_commit:
            self.db.after_commit.remove(self.wake)
        self._wake.set()
        if self._task:
            done, _ = await asyncio.wait({self._task}, timeout=10)
            if not done:
                self._task.cancel()

    async def _run(self) -> None:
        first = True
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                return
            await asyncio.sleep(MIN_GAP)  # let a burst of commits through: one round books them all
            self._wake.clear()
            try:
                await post_pending(self.db, backoff=not first)  # a restart retries set-aside events at once
                first = False
            except Exception as exc:  # keep the server up; the next round retries from last_seq
                log.exception("finance poster failed")
                try:
                    async with self.db.write() as conn:
                        await conn.execute(
                            update(poster_state)
                            .where(poster_state.c.id == 1)
                            .values(last_error=str(exc)[:500], updated_at=utcnow())
                        )
                except Exception:
                    log.exception("could not record the poster error")
                await asyncio.sleep(self.interval)
