"""The finance poster when an event cannot be booked: it is set aside with its error (``poster_failure``),
independent later events are still booked, dependent ones (same document, or one whose voucher they
build on) wait behind it; ``books_problems``/``jxc check``, ``jxc finance status`` and ``posterStatus``
show it; once the cause is gone the next run books it exactly once, in order. Transient errors set
nothing aside. Runs on SQLite and PostgreSQL (where a failed statement aborts the transaction: the
savepoints are what lets the others go on)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, insert, select

from server import cli
from server.core import clock
from server.core.database import Database
from server.finance.check import books_problems
from server.finance.errors import FinanceError
from server.finance.models import poster_failure, poster_state, voucher, voucher_line
from server.finance.poster import Poster, is_deterministic, is_transient, post_pending
from server.inventory.models import stock_operation
from server.inventory.services import StockLine, do_receive_stock
from server.purchasing.bills import (
    Allocation,
    BillInput,
    BillLineInput,
    PaymentInput,
    do_create_supplier_bill,
    do_record_supplier_payment,
)
from tests.finance_helpers import CASHIER, assert_books_clean, buy, setup_books
from tests.purchasing_helpers import ACCOUNTANT as BILL_CLERK
from tests.purchasing_helpers import make_purchasing_world

TODAY = clock.today()


async def _receive(db, pw, qty: str, reference: str = "") -> int:
    res = await do_receive_stock(
        db, [StockLine(product_id=pw.widget, quantity=qty, location_id=pw.w.a1, unit_cost="10.00")], reference=reference
    )
    return res.operation_id


async def _failures(db) -> list:
    async with db.read() as conn:
        return (await conn.execute(select(poster_failure).order_by(poster_failure.c.seq))).all()


async def _vouchers(db) -> list:
    async with db.read() as conn:
        return (await conn.execute(select(voucher).order_by(voucher.c.id))).all()


async def _seq_of_operation(db, op_id: int) -> int:
    from server.events.models import event

    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(event.c.seq, event.c.payload).where(event.c.event_type == "stock.changed").order_by(event.c.seq)
            )
        ).all()
    return next(
        seq for seq, payload in rows if f'"operation_id":{op_id},' in payload or f'"operation_id":{op_id}}}' in payload
    )


def _break_operation(monkeypatch, op_id: int, how: str = "database"):
    """Make booking one stock operation fail deterministically: a statement the database refuses
    (a voucher line of a voucher that does not exist, a foreign-key violation on both databases) or
    a domain error in the posting rule."""
    original = Poster._stock_operation

    async def broken(self, seq, operation_id):
        if operation_id == op_id:
            if how == "domain":
                raise FinanceError("UNKNOWN_ACCOUNT", "lines.0.account", code="9999")
            await self.conn.execute(
                insert(voucher_line).values(
                    voucher_id=987654321, line_no=1, account_code="1405", debit_fen=1, credit_fen=0
                )
            )
        return await original(self, seq, operation_id)

    monkeypatch.setattr(Poster, "_stock_operation", broken)


async def test_a_failing_event_is_set_aside_the_others_are_booked_and_it_is_booked_once_fixed(db, monkeypatch, caplog):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    await post_pending(db)
    first = await _receive(db, pw, "1")
    bad = await _receive(db, pw, "2", reference="R" * 64)  # the longest reference the API accepts
    last = await _receive(db, pw, "3")
    bad_seq = await _seq_of_operation(db, bad)
    _break_operation(monkeypatch, bad)

    caplog.set_level(logging.INFO, logger="jxc.finance.poster")
    await post_pending(db)
    booked = {v.source_key for v in await _vouchers(db)}
    assert booked == {f"stock_operation:{first}", f"stock_operation:{last}"}  # the others went on
    [failure] = await _failures(db)
    assert (failure.seq, failure.event_type, failure.attempts, failure.waiting_for) == (
        bad_seq,
        "stock.changed",
        1,
        None,
    )
    assert failure.source == f"stock_operation {'R' * 64}"
    assert "IntegrityError" in failure.error
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"event {bad_seq}" in warnings[0].getMessage()
    async with db.read() as conn:
        state = (await conn.execute(select(poster_state))).one()
        problems = await books_problems(conn)
    assert state.last_seq >= bad_seq  # the poster moved past it
    assert any(p.startswith(f"poster: event {bad_seq} (stock.changed") and "set aside" in p for p in problems)
    assert any(p.startswith("inventory:") for p in problems)  # what the missing voucher leaves out

    caplog.clear()
    await post_pending(db)  # retried on every run, still failing: logged once only
    [failure] = await _failures(db)
    assert failure.attempts == 2
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]

    monkeypatch.undo()  # the cause is fixed
    await post_pending(db)
    assert await _failures(db) == []
    keys = [v.source_key for v in await _vouchers(db)]
    assert sorted(keys) == sorted({f"stock_operation:{op}" for op in (first, bad, last)})  # exactly once each
    fixed = next(v for v in await _vouchers(db) if v.source_key == f"stock_operation:{bad}")
    assert fixed.source_number == "R" * 64 and fixed.event_seq == bad_seq
    await post_pending(db)
    assert len(await _vouchers(db)) == 3
    await assert_books_clean(db)  # trial balance, 1405 = stock value …


async def test_later_events_of_the_same_document_wait_and_are_booked_after_it(db, monkeypatch):
    """A receipt that cannot be booked holds back its supplier bill (which reverses the receipt's 暂估)
    and the payment allocated to that bill; an unrelated stock receipt in between is booked."""
    await setup_books(db)
    pw = await make_purchasing_world(db)
    await post_pending(db)
    _po, _rc, rl = await buy(db, pw, pw.widget, "10", "12.00", pw.w.a1, TODAY)
    async with db.read() as conn:
        rc_op = (
            await conn.execute(select(stock_operation.c.id).where(stock_operation.c.source_type == "goods_receipt"))
        ).scalar_one()
    other = await _receive(db, pw, "4")
    bill = await do_create_supplier_bill(
        db, BillInput(pw.supplier, [BillLineInput(rl.id, "10", "12.00")], bill_date=TODAY), BILL_CLERK
    )
    await do_record_supplier_payment(
        db, PaymentInput(pw.supplier, "135.60", payment_date=TODAY, allocations=[Allocation(bill, "135.60")]), CASHIER
    )
    _break_operation(monkeypatch, rc_op, how="domain")

    await post_pending(db)
    assert {v.source_key for v in await _vouchers(db)} == {f"stock_operation:{other}"}
    failures = await _failures(db)
    assert [(f.event_type, f.attempts) for f in failures] == [
        ("stock.changed", 1),
        ("document.status_changed", 0),
        ("document.status_changed", 0),
    ]
    receipt_failure, bill_wait, payment_wait = failures
    assert "UNKNOWN_ACCOUNT" in receipt_failure.error and receipt_failure.source.startswith("goods_receipt ")
    assert bill_wait.waiting_for == receipt_failure.seq and bill_wait.source.startswith("supplier_bill ")
    assert payment_wait.waiting_for == bill_wait.seq  # behind the bill it settles
    assert "waiting for set-aside event" in bill_wait.error
    async with db.read() as conn:
        problems = await books_problems(conn)
    assert sum(p.startswith("poster: event ") for p in problems) == 3

    await post_pending(db)  # still broken: the dependents are not even tried
    assert [f.attempts for f in await _failures(db)] == [2, 0, 0]

    monkeypatch.undo()
    await post_pending(db)
    assert await _failures(db) == []
    order = [v.source_type for v in await _vouchers(db)]
    assert order == ["stock_operation", "goods_receipt", "supplier_bill", "supplier_payment"]  # in their order
    await assert_books_clean(db)


async def test_transient_errors_set_nothing_aside(db, monkeypatch):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    await post_pending(db)
    async with db.read() as conn:
        start = (await conn.execute(select(poster_state.c.last_seq))).scalar_one()
    op = await _receive(db, pw, "1")

    async def lost_connection(self, seq, operation_id):
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionResetError("server closed the connection"))

    monkeypatch.setattr(Poster, "_stock_operation", lost_connection)
    with pytest.raises(sa_exc.OperationalError):
        await post_pending(db)
    assert await _failures(db) == []
    async with db.read() as conn:
        assert (await conn.execute(select(poster_state.c.last_seq))).scalar_one() == start  # nothing skipped
    monkeypatch.undo()
    await post_pending(db)
    assert [v.source_key for v in await _vouchers(db)] == [f"stock_operation:{op}"]


def test_error_classification():
    class Orig(Exception):
        def __init__(self, sqlstate):
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    deadlock = sa_exc.DBAPIError("UPDATE …", {}, Orig("40P01"))
    serialization = sa_exc.DBAPIError("UPDATE …", {}, Orig("40001"))
    too_long = sa_exc.DBAPIError("INSERT …", {}, Orig("22001"))
    assert is_transient(deadlock) and is_transient(serialization) and not is_deterministic(deadlock)
    assert is_deterministic(too_long) and not is_transient(too_long)
    assert is_deterministic(sa_exc.IntegrityError("INSERT …", {}, Orig("23503")))
    assert is_deterministic(FinanceError("UNKNOWN_ACCOUNT", "lines.0.account", code="9"))
    assert is_deterministic(KeyError("inventory"))  # a posting-rule role that is not there
    assert not is_deterministic(sa_exc.OperationalError("SELECT 1", {}, Exception("database is locked")))
    assert not is_deterministic(ConnectionResetError()) and not is_deterministic(TimeoutError())
    assert not is_deterministic(RuntimeError("crash"))  # unknown: the round is retried whole
    assert not is_deterministic(sa_exc.ProgrammingError("SELECT …", {}, Orig("42P01")))  # a missing migration


async def test_poster_status_lists_set_aside_events(db_url, monkeypatch):
    from tests.gql import gql_client

    async with gql_client(db_url) as gql:
        db = gql.db
        await setup_books(db)
        pw = await make_purchasing_world(db)
        bad = await _receive(db, pw, "2", reference="BROKEN-1")
        _break_operation(monkeypatch, bad, how="domain")
        await post_pending(db)
        query = (
            "{ posterStatus { bookedUntil lastEvent failureCount failures { seq eventType source error attempts "
            "waitingFor firstFailedAt lastTriedAt } } }"
        )
        status = (await gql.execute(query))["posterStatus"]
        assert status["bookedUntil"] == status["lastEvent"] and status["failureCount"] == 1
        [f] = status["failures"]
        assert (f["eventType"], f["source"], f["attempts"], f["waitingFor"]) == (
            "stock.changed",
            "stock_operation BROKEN-1",
            1,
            None,
        )
        assert "UNKNOWN_ACCOUNT" in f["error"] and f["firstFailedAt"]
        monkeypatch.undo()
        await post_pending(db)
        status = (await gql.execute(query))["posterStatus"]
        assert status["failures"] == [] and status["failureCount"] == 0


def test_jxc_check_and_finance_status_report_set_aside_events(test_databases, monkeypatch, capsys):
    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    monkeypatch.setenv("DATABASE_URL", url)
    seen = {}

    async def seed():
        db = Database(url)
        await setup_books(db)
        pw = await make_purchasing_world(db)
        seen["op"] = await _receive(db, pw, "2", reference="BROKEN-2")
        await db.dispose()

    asyncio.run(seed())
    _break_operation(monkeypatch, seen["op"], how="domain")
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "set aside, not booked" in out and "UNKNOWN_ACCOUNT" in out
    assert cli.main(["finance", "status"]) == 0
    out = capsys.readouterr().out
    assert "1 event(s) set aside" in out and "stock_operation BROKEN-2" in out and "attempts" in out

    monkeypatch.undo()  # the cause is fixed; DATABASE_URL goes too
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["check"]) == 0
    assert cli.main(["finance", "status"]) == 0
    assert "set aside" not in capsys.readouterr().out


async def test_back_off_retries_only_when_due(db, monkeypatch):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    await post_pending(db)
    bad = await _receive(db, pw, "1")
    _break_operation(monkeypatch, bad, how="domain")
    await post_pending(db)
    assert [f.attempts for f in await _failures(db)] == [1]
    await post_pending(db, backoff=True)  # the runner: 10 s not yet passed, no retry
    assert [f.attempts for f in await _failures(db)] == [1]
    clock.set_clock(clock.utcnow() + timedelta(seconds=11))
    await post_pending(db, backoff=True)
    assert [f.attempts for f in await _failures(db)] == [2]
    monkeypatch.undo()
    await post_pending(db, backoff=True)  # 20 s now
    assert len(await _failures(db)) == 1
    clock.set_clock(clock.utcnow() + timedelta(seconds=21))
    await post_pending(db, backoff=True)
    assert await _failures(db) == []
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(voucher))).scalar_one() == 1
