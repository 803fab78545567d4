"""Business dates (issue #19): the four stock primitives — receive, issue, transfer, adjust — can be dated.

A business books last week's paperwork today: the operation records its business date (default today)
and its voucher is dated by it, not by the moment it was entered. A date after today is refused before
anything is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from schema.relay import to_global_id as gid
from server.core import clock
from server.events.models import event
from server.finance.closing import do_close_period
from server.finance.ledger import period_of, period_start, previous_period
from server.inventory.errors import InventoryError
from server.inventory.models import stock_level, stock_move, stock_operation
from server.inventory.services import (
    StockLine,
    do_adjust_stock,
    do_issue_stock,
    do_receive_stock,
    do_transfer_stock,
)
from tests.doc_asserts import fails
from tests.factories import make_product, make_world
from tests.finance_helpers import FINANCE_MANAGER, assert_books_clean, balances, setup_books, vouchers_of

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`


def last_month() -> tuple[int, date]:
    """The previous period and a day in it (three days before this month starts)."""
    today = clock.today()
    on = period_start(period_of(today)) - timedelta(days=3)
    return period_of(on), on


async def operation_row(db, operation_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(stock_operation).where(stock_operation.c.id == operation_id))).one()


async def voucher_of_operation(db, operation_id: int):
    (v,) = [v for v in await vouchers_of(db, "stock_operation") if v.source_id == operation_id]
    return v


async def counts(db) -> tuple[int, ...]:
    async with db.read() as conn:
        return tuple(
            [
                (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for t in (stock_operation, stock_move, event)
            ]
            + [(await conn.execute(select(func.coalesce(func.sum(stock_level.c.qty), 0)))).scalar_one()]
        )


async def test_each_primitive_books_its_voucher_on_its_business_date(db):
    """Receipt, issue, transfer and adjustment dated in the previous month book into that month; an
    undated one is dated today."""
    period, on = last_month()
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    rec = await do_receive_stock(
        db, [StockLine(product_id=p, location_id=w.a1, quantity="10", unit_cost="3.00")], on=on, reference="R-1"
    )
    iss = await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="2")], on=on + timedelta(1))
    moved = await do_transfer_stock(  # into the other warehouse: 1405 moves between them
        db, [StockLine(product_id=p, location_id=w.a1, to_location_id=w.b1, quantity="3")], on=on + timedelta(2)
    )
    adj = await do_adjust_stock(
        db, [StockLine(product_id=p, location_id=w.b1, quantity="-1")], reason="破损", on=on + timedelta(2)
    )
    plain = await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a2, quantity="1", unit_cost="3.00")])

    for result, day in [(rec, on), (iss, on + timedelta(1)), (moved, on + timedelta(2)), (adj, on + timedelta(2))]:
        assert (await operation_row(db, result.operation_id)).business_date == day
        v = await voucher_of_operation(db, result.operation_id)
        assert (v.voucher_date, v.document_date, v.period) == (day, day, period)
    today = clock.today()
    assert (await operation_row(db, plain.operation_id)).business_date == today
    v = await voucher_of_operation(db, plain.operation_id)
    assert (v.voucher_date, v.period) == (today, period_of(today))
    # last month: in 30.00, out 6.00 and 3.00 (loss): 1405 holds 21.00 against 1901; today's 3.00 is not in it
    assert await balances(db, period=period) == {"1405": 2100, "1901": -2100}
    assert await balances(db) == {"1405": 2400, "1901": -2400}
    await assert_books_clean(db)


async def test_a_date_in_a_closed_period_moves_to_the_first_open_one(db):
    """As for every business document: the voucher of an operation dated in a closed month is booked
    on the first day of the first open one."""
    period, on = last_month()
    await setup_books(db)
    await do_close_period(db, period, FINANCE_MANAGER)
    w = await make_world(db)
    p = await make_product(db, w)
    rec = await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="1", unit_cost="5.00")], on=on)
    assert (await operation_row(db, rec.operation_id)).business_date == on  # the operation keeps its date
    v = await voucher_of_operation(db, rec.operation_id)
    current = period_of(clock.today())
    assert previous_period(current) == period
    assert (v.period, v.voucher_date, v.document_date) == (current, period_start(current), on)
    await assert_books_clean(db)


async def test_a_date_after_today_is_refused_and_nothing_is_written(db):
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="5")])
    before = await counts(db)
    tomorrow = clock.today() + timedelta(days=1)
    line = StockLine(product_id=p, location_id=w.a1, quantity="1")
    attempts = [
        do_receive_stock(db, [line], on=tomorrow, idempotency_key="future-r"),
        do_issue_stock(db, [line], on=tomorrow, idempotency_key="future-i"),
        do_transfer_stock(
            db, [StockLine(product_id=p, location_id=w.a1, to_location_id=w.a2, quantity="1")], on=tomorrow
        ),
        do_adjust_stock(db, [line], reason="盘盈", on=tomorrow),
    ]
    for attempt in attempts:
        detail = await fails(attempt, "DATE_IN_FUTURE", "date", InventoryError)
        today = clock.today().isoformat()
        assert (detail.message("zh"), detail.message("en")) == (
            f"业务日期不能晚于 {today}（今天加上允许提前的天数）。",
            f"The business date cannot be after {today} (today plus the days ahead the company allows).",
        )
    assert await counts(db) == before  # no operation, no move, no event, no stock
    # the key was not taken: the same request dated today goes through
    ok = await do_receive_stock(db, [line], on=clock.today(), idempotency_key="future-r")
    assert not ok.replayed


async def test_idempotent_retries_of_dated_operations(db):
    _, on = last_month()
    w = await make_world(db)
    p = await make_product(db, w)
    line = StockLine(product_id=p, location_id=w.a1, quantity="4")
    first = await do_receive_stock(db, [line], on=on, idempotency_key="dated-1")
    again = await do_receive_stock(db, [line], on=on, idempotency_key="dated-1")
    assert (again.operation_id, again.replayed) == (first.operation_id, True)
    # the same key with another date is another request
    await fails(do_receive_stock(db, [line], on=on + timedelta(1), idempotency_key="dated-1"), "IDEMPOTENCY_KEY_REUSED")
    await fails(do_receive_stock(db, [line], idempotency_key="dated-1"), "IDEMPOTENCY_KEY_REUSED")
    # an undated request retried (even on a later day) is the same request
    undated = await do_receive_stock(db, [line], idempotency_key="undated-1")
    clock.set_clock(clock.utcnow() + timedelta(days=1))
    retried = await do_receive_stock(db, [line], idempotency_key="undated-1")
    assert (retried.operation_id, retried.replayed) == (undated.operation_id, True)


async def test_operations_from_before_the_date_was_recorded_are_dated_by_created_at(db):
    """Rows made before migration 0019 have no business date: the poster dates them as before."""
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    rec = await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="1", unit_cost="1.00")])
    async with db.write() as conn:
        await conn.execute(
            stock_operation.update().where(stock_operation.c.id == rec.operation_id).values(business_date=None)
        )
    row = await operation_row(db, rec.operation_id)
    v = await voucher_of_operation(db, rec.operation_id)
    assert v.voucher_date == clock.business_date(row.created_at)


RECEIVE = """mutation($lines: [ReceiveLineInput!]!, $key: String!, $date: Date) {
  receiveStock(lines: $lines, idempotencyKey: $key, date: $date) {
    replayed errors { field code message } operation { id businessDate } } }"""
ADJUST = """mutation($lines: [AdjustLineInput!]!, $key: String!, $date: Date) {
  adjustStock(lines: $lines, idempotencyKey: $key, reason: "盘亏", date: $date) {
    replayed errors { field code message } operation { id businessDate } } }"""


async def test_graphql_stock_mutations_take_a_date(gql):
    db = gql.db
    period, on = last_month()
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    line = {"productId": gid("Product", p), "locationId": gid("Location", w.a1), "quantity": "2", "unitCost": "1.50"}

    data = (await gql.execute(RECEIVE, {"lines": [line], "key": "gql-dated", "date": on.isoformat()}))["receiveStock"]
    assert data["errors"] == [] and data["replayed"] is False
    assert data["operation"]["businessDate"] == on.isoformat()
    retry = (await gql.execute(RECEIVE, {"lines": [line], "key": "gql-dated", "date": on.isoformat()}))["receiveStock"]
    assert retry["replayed"] is True and retry["operation"] == data["operation"]
    (v,) = await vouchers_of(db, "stock_operation")
    assert (v.voucher_date, v.period) == (on, period)

    undated = (await gql.execute(RECEIVE, {"lines": [line], "key": "gql-undated"}))["receiveStock"]
    assert undated["operation"]["businessDate"] == clock.today().isoformat()

    before = await counts(db)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    out = {k: v for k, v in line.items() if k != "unitCost"} | {"quantity": "-1"}
    refused = (await gql.execute(ADJUST, {"lines": [out], "key": "gql-future", "date": tomorrow}, lang="en"))[
        "adjustStock"
    ]
    assert refused["operation"] is None
    (err,) = refused["errors"]
    assert (err["field"], err["code"]) == ("date", "DATE_IN_FUTURE")
    assert err["message"].startswith(f"The business date cannot be after {clock.today().isoformat()}")
    assert await counts(db) == before


async def test_a_transfer_dispatched_last_month_is_booked_in_last_month(db):
    """A document's stock operation carries the document's date (here a transfer's dispatch date): the
    operation, and so the voucher moving 1405 between the warehouses, are dated by it, not by today."""
    from server.inventory.transfers import DispatchInput, DispatchLineInput, do_dispatch_transfer

    period, on = last_month()
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(
        db, [StockLine(product_id=p, location_id=w.a1, quantity="10", unit_cost="3.00")], on=on, reference="R-1"
    )
    await do_dispatch_transfer(
        db, DispatchInput(w.wh2, [DispatchLineInput(p, "4", w.a1)], dispatch_date=on + timedelta(days=1)), None
    )
    async with db.read() as conn:
        op = (
            await conn.execute(select(stock_operation).where(stock_operation.c.source_type == "transfer_order"))
        ).one()
    assert op.business_date == on + timedelta(days=1)
    (v,) = await vouchers_of(db, "transfer_order")
    assert v.voucher_date == on + timedelta(days=1) and v.period == period
    await assert_books_clean(db)
