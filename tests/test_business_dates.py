"""Business dates (issue #19): a stock count's voucher is dated by the count, not by its approval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.core import clock
from server.finance.ledger import period_of, period_start
from server.inventory.counts import CountEntry, CountInput, do_approve_count, do_open_count, do_record_counts
from server.inventory.models import stock_count, stock_count_line
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.finance_helpers import assert_books_clean, balances, setup_books, vouchers_of
from tests.purchasing_helpers import principal

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

COUNTER = principal("warehouse_keeper", 50, "pandian1")
APPROVER = principal("accountant", 52, "shenhe")


async def test_count_voucher_is_dated_by_the_count_not_its_approval(db):
    """A count dated in last month and approved today books its differences into last month."""
    today = clock.today()
    counted_on = period_start(period_of(today)) - timedelta(days=3)  # a day in the previous month
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="100", unit_cost="2.00")])
    count_id = await do_open_count(db, CountInput(w.wh1, count_date=counted_on), COUNTER)
    async with db.read() as conn:
        (line,) = (await conn.execute(select(stock_count_line).where(stock_count_line.c.count_id == count_id))).all()
    await do_record_counts(db, count_id, [CountEntry("98", line.id)], COUNTER)
    await do_approve_count(db, count_id, APPROVER)
    async with db.read() as conn:
        number = (await conn.execute(select(stock_count.c.number).where(stock_count.c.id == count_id))).scalar_one()
    (v,) = [v for v in await vouchers_of(db, "stock_count") if v.source_number == number]
    assert (v.voucher_date, v.document_date, v.period) == (counted_on, counted_on, period_of(counted_on))
    # the loss of 4.00 (Dr 1901 / Cr 1405) is in last month's books, before today's receipt
    assert (await balances(db, period=period_of(counted_on))) == {"1901": 400, "1405": -400}
    await assert_books_clean(db)
