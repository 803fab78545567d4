"""凭证整理 (issue #19): before a period is closed its posted vouchers can be numbered again in date
order; the database still refuses any other change of a posted voucher's number; a closed period
keeps its numbers; posting goes on after the last number."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from server.core import clock
from server.finance.closing import do_close_period, do_renumber_vouchers
from server.finance.errors import FinanceError
from server.finance.ledger import period_of, period_start
from server.finance.models import voucher
from server.finance.vouchers import (
    VoucherInput,
    VoucherLineInput,
    do_create_voucher,
    do_post_voucher,
    do_review_voucher,
)
from tests.finance_helpers import ACCOUNTANT, CASHIER, FINANCE_MANAGER, setup_books

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`


async def _post(db, on, memo):
    vid = await do_create_voucher(
        db,
        VoucherInput(on, memo, [VoucherLineInput("1001", debit="10.00"), VoucherLineInput("1002", credit="10.00")]),
        ACCOUNTANT,
    )
    await do_review_voucher(db, vid, FINANCE_MANAGER)
    await do_post_voucher(db, vid, ACCOUNTANT)
    return vid


async def _numbers(db, period) -> dict[str, str]:
    async with db.read() as conn:
        rows = await conn.execute(select(voucher.c.memo, voucher.c.number).where(voucher.c.period == period))
        return {r.memo: r.number for r in rows}


def _last_month() -> date:
    """The first day of last month: its days are all in the past (business dates after today are refused)."""
    return period_start(period_of(period_start(period_of(clock.today())) - timedelta(days=1)))


async def test_vouchers_are_renumbered_in_date_order_and_posting_goes_on(db):
    await setup_books(db)
    start = _last_month()
    p = period_of(start)
    await _post(db, start + timedelta(days=3), "wages")  # posted first, dated late …
    await _post(db, start, "receipt")  # … posted second, dated first
    await _post(db, start + timedelta(days=1), "rent")
    assert await _numbers(db, p) == {"wages": "记-0001", "receipt": "记-0002", "rent": "记-0003"}
    with pytest.raises(FinanceError) as e:
        await do_renumber_vouchers(db, p, CASHIER)  # 凭证整理 is a period task
    assert e.value.details[0].code == "PERMISSION_DENIED"
    assert await do_renumber_vouchers(db, p, FINANCE_MANAGER) == 3
    assert await _numbers(db, p) == {"receipt": "记-0001", "rent": "记-0002", "wages": "记-0003"}
    assert await do_renumber_vouchers(db, p, FINANCE_MANAGER) == 0  # already in order
    await _post(db, start + timedelta(days=2), "fee")
    assert (await _numbers(db, p))["fee"] == "记-0004"  # the sequence continues after the last


async def test_the_database_still_refuses_any_other_change_of_a_posted_number(db):
    await setup_books(db)
    vid = await _post(db, clock.today(), "wages")
    with pytest.raises((DBAPIError, IntegrityError)):
        async with db.write() as conn:
            await conn.execute(update(voucher).where(voucher.c.id == vid).values(number="记-9999"))


async def test_a_closed_period_keeps_its_numbers(db):
    await setup_books(db)
    start = period_start(period_of(clock.today()))
    last = start - timedelta(days=1)
    await _post(db, last, "late")
    await _post(db, last - timedelta(days=5), "early")
    await do_close_period(db, period_of(last), FINANCE_MANAGER)
    with pytest.raises(FinanceError) as e:
        await do_renumber_vouchers(db, period_of(last), FINANCE_MANAGER)
    assert (e.value.details[0].code, e.value.details[0].field) == ("PERIOD_CLOSED", "period")
    assert await _numbers(db, period_of(last)) == {"late": "记-0001", "early": "记-0002"}


async def test_the_api_renumbers_a_period(gql):
    await setup_books(gql.db)
    start = _last_month()
    await _post(gql.db, start + timedelta(days=2), "b")
    await _post(gql.db, start, "a")
    r = await gql.execute(
        "mutation($p: Int!) { renumberVouchers(period: $p) { ok errors { code } } }", {"p": period_of(start)}
    )
    assert r["renumberVouchers"] == {"ok": True, "errors": []}
    assert await _numbers(gql.db, period_of(start)) == {"a": "记-0001", "b": "记-0002"}
