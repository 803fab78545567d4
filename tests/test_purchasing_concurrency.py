"""Real concurrent purchasing actions on PostgreSQL: approvals count once, receipts never exceed the
order, numbers stay gap-free and bills are never overpaid.

Every race runs its actions at once with ``asyncio.gather``, each action on one of several
independent ``Database`` objects (own engine, own connection pool, connections opened beforehand),
so the transactions really overlap in the server. Each invariant is checked over a few free-running
rounds and one *gated* round: a blocker transaction holds the contended row lock until every action
is waiting for a lock, then lets them all go at once — the worst case for a check-then-act race.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from server.core import clock
from server.core.database import Database
from server.core.numbering import document_sequence, next_number
from server.core.numbers import fen_to_decimal
from server.documents import orders as orders_module  # creates orders: status_event is patched there
from server.events.journal import DOCUMENT_STATUS_CHANGED
from server.events.models import event
from server.inventory.models import product_cost, stock_level
from server.purchasing.bills import (
    Allocation,
    BillInput,
    BillLineInput,
    PaymentInput,
    do_allocate_prepayment,
    do_create_supplier_bill,
    do_record_supplier_payment,
)
from server.purchasing.errors import PurchasingError
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    payment_allocation,
    purchase_order,
    purchase_order_history,
    purchase_order_line,
    supplier_bill,
    supplier_payment,
)
from server.purchasing.orders import (
    OrderInput,
    OrderLineInput,
    do_approve_purchase_order,
    do_create_purchase_order,
    do_submit_purchase_order,
)
from server.purchasing.receipts import ReceiptInput, ReceiptLineInput, do_receive_goods
from tests.factories import make_product
from tests.purchasing_helpers import (
    ACCOUNTANT,
    ADMIN,
    CASHIER,
    KEEPER,
    MANAGER,
    MANAGER2,
    PURCHASER,
    make_purchasing_world,
    principal,
)
from tests.race import Call, assert_ledger_clean, codes, lock_row_sql, numbers_1_to, race, status_events
from tests.race import split as split_any

pytestmark = pytest.mark.postgres


def split(results):
    return split_any(results, (PurchasingError,))


Q = 10**6  # quantities are stored scaled by 10^6
UNKNOWN_PRODUCT = 987_654_321
ADMIN2 = principal("admin", 8, "root2")  # a second administrator for the last approval step


async def sequence_last(db: Database, doc_type: str, year: int) -> int:
    async with db.read() as conn:
        return (
            await conn.execute(
                select(document_sequence.c.last_no).where(
                    document_sequence.c.doc_type == doc_type, document_sequence.c.year == year
                )
            )
        ).scalar() or 0


# ---- purchasing set-up --------------------------------------------------------------------------


async def new_order(db, pw, product_id: int, quantity: str, *, price: str | None = None) -> int:
    return await do_create_purchase_order(
        db,
        OrderInput(
            supplier_id=pw.supplier,
            warehouse_id=pw.w.wh1,
            lines=[OrderLineInput(product_id=product_id, quantity=quantity, unit_price=price)],
        ),
        PURCHASER,
    )


async def submitted_order(db, pw, product_id: int, quantity: str, **kw) -> int:
    order_id = await new_order(db, pw, product_id, quantity, **kw)
    await do_submit_purchase_order(db, order_id, PURCHASER)
    return order_id


async def approved_order(db, pw, product_id: int, quantity: str) -> tuple[int, int]:
    """An approved order of one line; returns (order id, order line id)."""
    order_id = await submitted_order(db, pw, product_id, quantity)
    assert await do_approve_purchase_order(db, order_id, MANAGER) == "approved"
    async with db.read() as conn:
        line_id = (
            await conn.execute(select(purchase_order_line.c.id).where(purchase_order_line.c.order_id == order_id))
        ).scalar_one()
    return order_id, line_id


async def order_row(db, order_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(purchase_order).where(purchase_order.c.id == order_id))).one()


async def history_actions(db, order_id: int) -> list[str]:
    async with db.read() as conn:
        return list(
            (
                await conn.execute(
                    select(purchase_order_history.c.action)
                    .where(purchase_order_history.c.order_id == order_id)
                    .order_by(purchase_order_history.c.id)
                )
            ).scalars()
        )


def receive(order_id: int, line_id: int, quantity: str, location_id: int) -> Call:
    return lambda d: do_receive_goods(
        d,
        ReceiptInput(
            order_id=order_id,
            lines=[ReceiptLineInput(received_quantity=quantity, order_line_id=line_id, location_id=location_id)],
        ),
        KEEPER,
    )


async def on_hand(db, product_id: int) -> tuple[int, int]:
    """(Σ stock levels, product_cost quantity) of a product, scaled."""
    async with db.read() as conn:
        level = (
            await conn.execute(
                select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(stock_level.c.product_id == product_id)
            )
        ).scalar_one()
        cost = (
            await conn.execute(select(product_cost.c.qty).where(product_cost.c.product_id == product_id))
        ).scalar() or 0
    return int(level), int(cost)


async def line_quantities(db, line_id: int):
    async with db.read() as conn:
        return (
            await conn.execute(
                select(
                    purchase_order_line.c.received_qty,
                    purchase_order_line.c.accepted_qty,
                    purchase_order_line.c.rejected_qty,
                ).where(purchase_order_line.c.id == line_id)
            )
        ).one()


# ---- 1 & 2: approvals ---------------------------------------------------------------------------


async def _check_single_approval(db, order_id: int, results, loser_code: str = "INVALID_STATUS") -> None:
    ok, failed = split(results)
    assert ok == ["approved"], results
    assert len(failed) == len(results) - 1
    for f in failed:
        assert codes(f) == [loser_code], f.details
        if loser_code == "INVALID_STATUS":
            assert f.details[0].params["status"] == "approved", f.details
    row = await order_row(db, order_id)
    assert (row.status, row.approvals_done) == ("approved", 1)
    assert (await history_actions(db, order_id)).count("approved") == 1
    events = await status_events(db, "purchase_order", order_id)
    assert events.count(("submitted", "approved")) == 1, events
    assert events == [("", "draft"), ("draft", "submitted"), ("submitted", "approved")], events


async def test_two_managers_approving_at_once_approve_once(db, dbs):
    pw = await make_purchasing_world(db)
    approvers = [MANAGER, MANAGER2]
    for rnd in range(6):
        order_id = await submitted_order(db, pw, pw.widget, "10")
        pair = approvers if rnd % 2 == 0 else approvers[::-1]
        calls = [lambda d, who=who: do_approve_purchase_order(d, order_id, who) for who in pair]
        gated = rnd == 5
        results = await race(dbs, calls, observer=db, hold=lock_row_sql("purchase_order", order_id) if gated else None)
        await _check_single_approval(db, order_id, results)
        async with db.read() as conn:
            winners = (
                (
                    await conn.execute(
                        select(purchase_order_history.c.user_id).where(
                            purchase_order_history.c.order_id == order_id, purchase_order_history.c.action == "approved"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert len(winners) == 1 and winners[0] in (MANAGER.user_id, MANAGER2.user_id)
    await assert_ledger_clean(db)


async def test_one_manager_approving_twice_at_once_applies_once(db, dbs):
    """A retried approval (double click, client retry) by the same user counts once."""
    pw = await make_purchasing_world(db)
    for rnd in range(5):
        order_id = await submitted_order(db, pw, pw.widget, "10")
        calls = [lambda d: do_approve_purchase_order(d, order_id, MANAGER)] * (2 if rnd < 3 else 4)
        results = await race(
            dbs, calls, observer=db, hold=lock_row_sql("purchase_order", order_id) if rnd == 4 else None
        )
        await _check_single_approval(db, order_id, results)
    await assert_ledger_clean(db)


async def test_same_admin_approving_a_two_step_order_twice_at_once_signs_one_step(db, dbs):
    """An order above both thresholds needs purchase_manager, then admin — two different people. The
    same admin approving twice at once signs the first step once; the repeat is refused."""
    pw = await make_purchasing_world(db)
    for rnd in range(3):
        order_id = await submitted_order(db, pw, pw.widget, "30000")  # 300 000 yuan + VAT
        assert json.loads((await order_row(db, order_id)).approvals_required) == ["purchase_manager", "admin"]
        calls = [lambda d: do_approve_purchase_order(d, order_id, ADMIN)] * 3
        results = await race(
            dbs, calls, observer=db, hold=lock_row_sql("purchase_order", order_id) if rnd == 2 else None
        )
        ok, failed = split(results)
        assert ok == ["submitted"], results
        assert [codes(f) for f in failed] == [["ALREADY_APPROVED_BY_YOU"]] * 2
        row = await order_row(db, order_id)
        assert (row.status, row.approvals_done) == ("submitted", 1)
        assert (await history_actions(db, order_id)).count("approved") == 1
        # the second step still needs another person
        assert await do_approve_purchase_order(db, order_id, ADMIN2) == "approved"
    await assert_ledger_clean(db)


# ---- 3 & 4: receipts ----------------------------------------------------------------------------


async def test_two_receipts_of_one_line_never_exceed_the_order(db, dbs):
    """Ordered 10; two receipts of 6 at once: one is accepted, the other is refused as OVER_RECEIPT."""
    pw = await make_purchasing_world(db)
    rounds = 5
    for rnd in range(rounds):
        product_id = await make_product(db, pw.w, purchase_price="10.00")
        order_id, line_id = await approved_order(db, pw, product_id, "10")
        calls = [receive(order_id, line_id, "6", pw.w.a1), receive(order_id, line_id, "6", pw.w.a2)]
        results = await race(
            dbs, calls, observer=db, hold=lock_row_sql("purchase_order", order_id) if rnd == rounds - 1 else None
        )
        ok, failed = split(results)
        assert len(ok) == 1 and len(failed) == 1, results
        assert codes(failed[0]) == ["OVER_RECEIPT"]
        assert failed[0].details[0].params["received"] == "6"
        assert tuple(await line_quantities(db, line_id)) == (6 * Q, 6 * Q, 0)
        assert await on_hand(db, product_id) == (6 * Q, 6 * Q)
        assert (await order_row(db, order_id)).status == "partially_received"
        async with db.read() as conn:
            receipts = (
                (await conn.execute(select(goods_receipt.c.id).where(goods_receipt.c.order_id == order_id)))
                .scalars()
                .all()
            )
        assert receipts == ok
        await assert_ledger_clean(db)
    # the refused receipts gave their RC / QC numbers back
    year = clock.today().year
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(goods_receipt.c.number, goods_receipt.c.inspection_number).order_by(goods_receipt.c.id)
            )
        ).all()
    assert sorted(r.number for r in rows) == numbers_1_to("RC", year, rounds)
    assert sorted(r.inspection_number for r in rows) == numbers_1_to("QC", year, rounds)


async def test_eight_receipts_of_one_unit_against_five_ordered(db, dbs):
    pw = await make_purchasing_world(db)
    for rnd in range(3):
        product_id = await make_product(db, pw.w, purchase_price="10.00")
        order_id, line_id = await approved_order(db, pw, product_id, "5")
        calls = [receive(order_id, line_id, "1", (pw.w.a1, pw.w.a2)[i % 2]) for i in range(8)]
        results = await race(
            dbs, calls, observer=db, hold=lock_row_sql("purchase_order", order_id) if rnd == 2 else None
        )
        ok, failed = split(results)
        assert len(ok) == 5 and len(failed) == 3, results
        # receipts queue on the order row: the sixth finds the order fully received
        for f in failed:
            assert codes(f) in (["INVALID_STATUS"], ["OVER_RECEIPT"]), f.details
            if codes(f) == ["INVALID_STATUS"]:
                assert f.details[0].params["status"] == "received"
        assert tuple(await line_quantities(db, line_id)) == (5 * Q, 5 * Q, 0)
        assert await on_hand(db, product_id) == (5 * Q, 5 * Q)
        assert (await order_row(db, order_id)).status == "received"
        actions = await history_actions(db, order_id)
        assert actions.count("receiving") == 1 and actions.count("received") == 1, actions
        events = await status_events(db, "purchase_order", order_id)
        assert events[-2:] == [("approved", "partially_received"), ("partially_received", "received")], events
        async with db.read() as conn:
            lines = (
                (
                    await conn.execute(
                        select(goods_receipt_line.c.accepted_qty)
                        .join(goods_receipt, goods_receipt.c.id == goods_receipt_line.c.receipt_id)
                        .where(goods_receipt.c.order_id == order_id)
                    )
                )
                .scalars()
                .all()
            )
        assert sorted(lines) == [Q] * 5
        await assert_ledger_clean(db)


# ---- 5: numbering -------------------------------------------------------------------------------


async def take_a_po_number(conn) -> None:
    await next_number(conn, "PO", clock.today())


class InjectedFailure(Exception):
    """Raised after the document number was taken, so that the transaction rolls back."""


async def test_concurrent_order_creation_numbers_are_gap_free(db, dbs, monkeypatch):
    """~20 orders at once per round: some invalid (refused before numbering), some failing after
    their number was taken (rolled back), some dated last year (their own sequence). The committed
    numbers are exactly 1..N per year with no gap or duplicate."""
    pw = await make_purchasing_world(db)
    this_year = clock.today().year
    last_year_date = date(this_year - 1, 6, 30)

    real_status_event = orders_module.status_event

    async def failing_status_event(conn, doc_type, row_id, number, old, new, principal, **extra):
        if doc_type == "purchase_order" and old == "":
            note = (await conn.execute(select(purchase_order.c.note).where(purchase_order.c.id == row_id))).scalar()
            if note == "boom":
                raise InjectedFailure(number)
        return await real_status_event(conn, doc_type, row_id, number, old, new, principal, **extra)

    monkeypatch.setattr(orders_module, "status_event", failing_status_event)

    def order(kind: str) -> Call:
        product_id = UNKNOWN_PRODUCT if kind == "invalid" else pw.widget
        data = OrderInput(
            supplier_id=pw.supplier,
            warehouse_id=pw.w.wh1,
            order_date=last_year_date if kind == "old" else None,
            note="boom" if kind == "boom" else "",
            lines=[OrderLineInput(product_id=product_id, quantity="3")],
        )
        return lambda d: do_create_purchase_order(d, data, PURCHASER)

    plan = ["ok"] * 12 + ["invalid"] * 3 + ["boom"] * 3 + ["old"] * 3
    expected_now = expected_old = 0
    for rnd in range(3):
        kinds = plan[rnd:] + plan[:rnd]  # vary which Database gets which kind
        # last round: a blocker takes the next number and gives it back while everybody waits for it
        hold = take_a_po_number if rnd == 2 else None
        waiting = kinds.count("ok") + kinds.count("boom") if hold else None
        results = await race(dbs, [order(k) for k in kinds], observer=db, hold=hold, waiters=waiting)
        for kind, r in zip(kinds, results):
            if kind in ("ok", "old"):
                assert isinstance(r, int), (kind, r)
            elif kind == "invalid":
                assert codes(r) == ["NOT_FOUND"], r.details
            else:
                assert isinstance(r, InjectedFailure), (kind, r)
        expected_now += kinds.count("ok")
        expected_old += kinds.count("old")

        async with db.read() as conn:
            rows = (
                await conn.execute(select(purchase_order.c.id, purchase_order.c.number, purchase_order.c.order_date))
            ).all()
        assert {r for r in results if isinstance(r, int)} <= {r.id for r in rows}
        now_numbers = sorted(r.number for r in rows if r.order_date.year == this_year)
        old_numbers = sorted(r.number for r in rows if r.order_date.year == this_year - 1)
        assert now_numbers == numbers_1_to("PO", this_year, expected_now)
        assert old_numbers == numbers_1_to("PO", this_year - 1, expected_old)
        assert await sequence_last(db, "PO", this_year) == expected_now
        assert await sequence_last(db, "PO", this_year - 1) == expected_old

    async with db.read() as conn:
        count = (await conn.execute(select(func.count()).select_from(purchase_order))).scalar_one()
        lines = (await conn.execute(select(func.count()).select_from(purchase_order_line))).scalar_one()
    assert count == lines == expected_now + expected_old
    drafts = [e for e in await _all_status_events(db) if e["doc_type"] == "purchase_order"]
    assert len(drafts) == count and all(e["to"] == "draft" for e in drafts)
    assert sorted(e["number"] for e in drafts) == sorted(
        numbers_1_to("PO", this_year, expected_now) + numbers_1_to("PO", this_year - 1, expected_old)
    )
    await assert_ledger_clean(db)


async def _all_status_events(db) -> list[dict]:
    async with db.read() as conn:
        rows = (
            (await conn.execute(select(event.c.payload).where(event.c.event_type == DOCUMENT_STATUS_CHANGED)))
            .scalars()
            .all()
        )
    return [json.loads(r) for r in rows]


# ---- 6: payments --------------------------------------------------------------------------------


async def _billable_receipt_line(db, pw, quantity: str) -> int:
    order_id, line_id = await approved_order(db, pw, pw.widget, quantity)
    receipt_id = await receive(order_id, line_id, quantity, pw.w.a1)(db)
    async with db.read() as conn:
        return (
            await conn.execute(select(goods_receipt_line.c.id).where(goods_receipt_line.c.receipt_id == receipt_id))
        ).scalar_one()


async def _bill(db, pw, receipt_line_id: int, quantity: str = "10") -> tuple[int, int]:
    bill_id = await do_create_supplier_bill(
        db,
        BillInput(supplier_id=pw.supplier, lines=[BillLineInput(receipt_line_id=receipt_line_id, quantity=quantity)]),
        ACCOUNTANT,
    )
    async with db.read() as conn:
        row = (await conn.execute(select(supplier_bill).where(supplier_bill.c.id == bill_id))).one()
    assert row.status == "open" and row.paid_fen == 0
    return bill_id, row.total_fen


def pay(pw, bill_id: int, fen: int) -> Call:
    amount = str(fen_to_decimal(fen))
    return lambda d: do_record_supplier_payment(
        d, PaymentInput(supplier_id=pw.supplier, amount=amount, allocations=[Allocation(bill_id, amount)]), CASHIER
    )


async def _bill_state(db, bill_id: int):
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(supplier_bill.c.total_fen, supplier_bill.c.paid_fen, supplier_bill.c.status).where(
                    supplier_bill.c.id == bill_id
                )
            )
        ).one()
        allocated = (
            await conn.execute(
                select(func.coalesce(func.sum(payment_allocation.c.amount_fen), 0)).where(
                    payment_allocation.c.bill_id == bill_id
                )
            )
        ).scalar_one()
    return row, int(allocated)


async def _assert_payments_consistent(db) -> None:
    """Every payment's allocated part (amount − unallocated) equals its allocation rows; PP numbers are
    gap-free (refused payments gave theirs back)."""
    async with db.read() as conn:
        pays = (await conn.execute(select(supplier_payment))).all()
        per_payment = dict(
            (
                await conn.execute(
                    select(payment_allocation.c.payment_id, func.sum(payment_allocation.c.amount_fen)).group_by(
                        payment_allocation.c.payment_id
                    )
                )
            ).all()
        )
    for p in pays:
        assert p.amount_fen - p.unallocated_fen == int(per_payment.get(p.id, 0)), p
        assert p.unallocated_fen >= 0
    by_year = Counter(p.payment_date.year for p in pays)
    for year, n in by_year.items():
        assert sorted(p.number for p in pays if p.payment_date.year == year) == numbers_1_to("PP", year, n)


async def test_concurrent_payments_never_overpay_a_bill(db, dbs):
    pw = await make_purchasing_world(db)
    receipt_line = await _billable_receipt_line(db, pw, "50")
    for rnd in range(4):
        bill_id, total = await _bill(db, pw, receipt_line)
        share = total * 3 // 10  # three shares fit, a fourth does not
        calls = [pay(pw, bill_id, share) for _ in range(7)]
        results = await race(dbs, calls, observer=db, hold=lock_row_sql("supplier_bill", bill_id) if rnd == 3 else None)
        ok, failed = split(results)
        assert len(ok) == 3 and len(failed) == 4, results
        assert all(codes(f) == ["OVER_PAYMENT"] for f in failed), [f.details for f in failed]
        row, allocated = await _bill_state(db, bill_id)
        assert row.paid_fen == allocated == 3 * share <= row.total_fen
        assert row.status == "open"
        await _assert_payments_consistent(db)


async def test_concurrent_payments_settling_a_bill_exactly_pay_it_once(db, dbs):
    """Halves of the bill, six at once: two settle it; the others are refused (OVER_PAYMENT, or
    INVALID_STATUS when they already find the bill paid), and it is marked paid exactly once."""
    pw = await make_purchasing_world(db)
    receipt_line = await _billable_receipt_line(db, pw, "30")
    for rnd in range(3):
        bill_id, total = await _bill(db, pw, receipt_line)
        assert total % 2 == 0
        calls = [pay(pw, bill_id, total // 2) for _ in range(6)]
        results = await race(dbs, calls, observer=db, hold=lock_row_sql("supplier_bill", bill_id) if rnd == 2 else None)
        ok, failed = split(results)
        assert len(ok) == 2 and len(failed) == 4, results
        for f in failed:
            assert codes(f) in (["OVER_PAYMENT"], ["INVALID_STATUS"]), f.details
        row, allocated = await _bill_state(db, bill_id)
        assert (row.paid_fen, allocated, row.status) == (total, total, "paid")
        events = await status_events(db, "supplier_bill", bill_id)
        assert events == [("", "open"), ("open", "paid")], events
        await _assert_payments_consistent(db)


async def test_concurrent_prepayment_allocations_and_payments_never_overpay(db, dbs):
    """Prepayments allocated at once to one bill (no shared number sequence: the conditional UPDATE
    alone decides), mixed with direct payments."""
    pw = await make_purchasing_world(db)
    receipt_line = await _billable_receipt_line(db, pw, "30")
    for rnd in range(3):
        bill_id, total = await _bill(db, pw, receipt_line)
        share = total * 3 // 10
        prepayments = []
        for _ in range(5):
            prepayments.append(
                await do_record_supplier_payment(
                    db, PaymentInput(supplier_id=pw.supplier, amount=str(fen_to_decimal(share))), CASHIER
                )
            )
        amount = str(fen_to_decimal(share))
        calls = [
            lambda d, p=p: do_allocate_prepayment(d, p, [Allocation(bill_id, amount)], CASHIER) for p in prepayments
        ] + [pay(pw, bill_id, share) for _ in range(2)]
        results = await race(dbs, calls, observer=db, hold=lock_row_sql("supplier_bill", bill_id) if rnd == 2 else None)
        ok, failed = split(results)
        assert len(ok) == 3 and len(failed) == len(calls) - 3, results
        assert all(codes(f) == ["OVER_PAYMENT"] for f in failed), [f.details for f in failed]
        row, allocated = await _bill_state(db, bill_id)
        assert row.paid_fen == allocated == 3 * share <= row.total_fen
        async with db.read() as conn:
            left = dict(
                (
                    await conn.execute(
                        select(supplier_payment.c.id, supplier_payment.c.unallocated_fen).where(
                            supplier_payment.c.id.in_(prepayments)
                        )
                    )
                ).all()
            )
        # an allocation that went through used its whole prepayment; a refused one left it whole
        for p, r in zip(prepayments, results):
            assert left[p] == (share if isinstance(r, PurchasingError) else 0), (p, r)
        await _assert_payments_consistent(db)
    await assert_ledger_clean(db)
