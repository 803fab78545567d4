"""Finance under concurrency (PostgreSQL only): several posters at once book every business source
exactly once; two people posting one reviewed voucher get one number; a period being closed lets
no voucher in while the poster waits for it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.core import clock
from server.core.numbering import document_sequence
from server.events.journal import last_sequence
from server.finance import closing
from server.finance.closing import do_close_period
from server.finance.errors import FinanceError
from server.finance.ledger import period_of, period_start, previous_period
from server.finance.models import accounting_period, poster_state, voucher, voucher_line
from server.finance.poster import post_pending
from server.finance.vouchers import (
    VoucherInput,
    VoucherLineInput,
    do_create_voucher,
    do_post_voucher,
    do_review_voucher,
)
from server.inventory.services import StockLine, do_receive_stock
from server.purchasing.bills import PaymentInput, do_record_supplier_payment
from tests.finance_helpers import (
    ACCOUNTANT,
    ACCOUNTANT2,
    CASHIER,
    FINANCE_MANAGER,
    assert_books_clean,
    balances,
    setup_books,
)
from tests.purchasing_helpers import make_purchasing_world
from tests.race import _lock_waiters, codes, lock_row_sql, race, split

pytestmark = pytest.mark.postgres

TODAY = clock.today()
P = period_of(TODAY)
LAST = previous_period(P)
LAST_DAY = period_start(P) - timedelta(days=1)


async def source_key_counts(db) -> dict[str, int]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(voucher.c.source_key, func.count())
            .where(voucher.c.source_key.is_not(None))
            .group_by(voucher.c.source_key)
        )
        return dict(rows.all())  # a list of (key, count) rows, not the result itself (it has .keys())


async def test_three_posters_at_once_book_every_source_exactly_once(dbs):
    db = dbs[0]
    await setup_books(db)
    pw = await make_purchasing_world(db)
    for i in range(10):
        await do_receive_stock(
            db, [StockLine(product_id=pw.widget, quantity=str(i + 1), location_id=pw.w.a1, unit_cost="10.00")]
        )
        await do_record_supplier_payment(db, PaymentInput(pw.supplier, f"{i + 1}.00", payment_date=TODAY), CASHIER)
    async with db.read() as conn:
        events = await last_sequence(conn)
    assert events >= 20

    # every poster queues on the poster_state row held by a blocker, then they all go at once
    results = await race(
        dbs, [post_pending, post_pending, post_pending], observer=dbs[3], hold=lock_row_sql("poster_state", 1)
    )
    ok, failed = split(results)
    assert failed == [] and len(ok) == 3
    assert sum(ok) == events and sorted(ok)[:2] == [0, 0]  # one poster read every event, the others none

    keys = await source_key_counts(db)
    assert len(keys) == 20 and set(keys.values()) == {1}
    assert {k.split(":")[0] for k in keys} == {"stock_operation", "supplier_payment"}
    async with db.read() as conn:
        numbers = sorted((await conn.execute(select(voucher.c.number))).scalars())
        last_seq = (await conn.execute(select(poster_state.c.last_seq))).scalar_one()
    assert numbers == [f"记-{i:04d}" for i in range(1, 21)]  # gap-free, none twice
    assert last_seq == events
    b = await balances(db)
    assert (b["1405"], b["1901"], b["1123"], b["1002"]) == (55 * 1000, -55 * 1000, 5500, -5500)
    await assert_books_clean(db)
    assert await asyncio.gather(*(post_pending(d) for d in dbs[:3])) == [0, 0, 0]
    assert await source_key_counts(db) == keys


async def test_two_people_posting_one_reviewed_voucher_get_one_number(dbs):
    db = dbs[0]
    await setup_books(db)
    vid = await do_create_voucher(
        db,
        VoucherInput(
            TODAY,
            "股东投入 capital",
            [VoucherLineInput("1002", debit="100.00"), VoucherLineInput("4001", credit="100.00")],
        ),
        ACCOUNTANT,
    )
    await do_review_voucher(db, vid, FINANCE_MANAGER)

    results = await race(
        dbs,
        [lambda d: do_post_voucher(d, vid, ACCOUNTANT), lambda d: do_post_voucher(d, vid, ACCOUNTANT2)],
        observer=dbs[3],
        hold=lock_row_sql("voucher", vid),
    )
    ok, failed = split(results, (FinanceError,))
    assert ok == ["记-0001"] and len(failed) == 1
    assert codes(failed[0]) == ["INVALID_STATUS"]
    async with db.read() as conn:
        row = (await conn.execute(select(voucher).where(voucher.c.id == vid))).one()
        seq = (
            await conn.execute(
                select(document_sequence.c.last_no).where(
                    document_sequence.c.doc_type == "记", document_sequence.c.year == P
                )
            )
        ).scalar_one()
        lines = (
            await conn.execute(
                select(func.count())
                .select_from(voucher_line)
                .where(voucher_line.c.voucher_id == vid, voucher_line.c.posted.is_(True))
            )
        ).scalar_one()
    assert (row.status, row.number, row.period) == ("posted", "记-0001", P)
    assert seq == 1 and lines == 2  # the loser consumed no number
    assert await balances(db) == {"1002": 10000, "4001": -10000}
    await assert_books_clean(db)


async def test_no_voucher_slips_into_a_period_while_it_is_being_closed(dbs, monkeypatch):
    db = dbs[0]
    await setup_books(db)
    pw = await make_purchasing_world(db)
    await do_record_supplier_payment(db, PaymentInput(pw.supplier, "300.00", payment_date=LAST_DAY), CASHIER)
    await post_pending(db)

    locked, release = asyncio.Event(), asyncio.Event()
    original = closing._pl_codes

    async def paused(conn):  # do_close_period calls this while it holds the period row FOR UPDATE
        locked.set()
        await release.wait()
        return await original(conn)

    monkeypatch.setattr(closing, "_pl_codes", paused)
    close = asyncio.create_task(do_close_period(dbs[1], LAST, FINANCE_MANAGER))
    await asyncio.wait_for(locked.wait(), 10)
    # a payment dated in the month being closed arrives now; the poster must wait for the period row
    await do_record_supplier_payment(db, PaymentInput(pw.supplier, "200.00", payment_date=LAST_DAY), CASHIER)
    poster = asyncio.create_task(post_pending(dbs[2]))
    for _ in range(1500):
        if await _lock_waiters(dbs[3]) >= 1 or poster.done():
            break
        await asyncio.sleep(0.01)
    assert not poster.done(), "the poster did not wait for the period being closed"
    release.set()
    await close
    assert await poster == 1
    monkeypatch.undo()

    async with db.read() as conn:
        status = (
            await conn.execute(select(accounting_period.c.status).where(accounting_period.c.period == LAST))
        ).scalar_one()
        late = (await conn.execute(select(voucher).order_by(voucher.c.id.desc()))).first()
    assert status == "closed"
    assert (late.period, late.voucher_date, late.document_date, late.number) == (
        P,
        period_start(P),
        LAST_DAY,
        "记-0001",
    )
    assert await balances(db, period=LAST) == {"1123": 30000, "1002": -30000}
    assert await balances(db) == {"1123": 50000, "1002": -50000}
    await assert_books_clean(db)
