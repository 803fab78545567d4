"""The business-date horizon (issue #19): a document dated beyond today + the company's horizon is
refused before anything is written (a receipt typed as 2031 no longer opens period 203103); the
horizon is a setting of the finance administrator; past dates are always allowed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.core import clock
from server.finance.books import do_set_business_date_horizon
from server.finance.errors import FinanceError
from server.finance.expenses import ExpenseInput, do_create_expense
from server.finance.models import accounting_period, expense_bill
from server.inventory.errors import InventoryError
from server.inventory.services import StockLine, do_receive_stock
from server.purchasing.errors import PurchasingError
from server.purchasing.models import purchase_order
from server.purchasing.orders import OrderInput, OrderLineInput, do_create_purchase_order
from tests.factories import make_product, make_world
from tests.finance_helpers import ACCOUNTANT, FINANCE_MANAGER, setup_books
from tests.purchasing_helpers import PURCHASER, make_purchasing_world

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`


async def _count(db, table) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_dates_beyond_the_horizon_are_refused_everywhere(db):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    far = clock.today() + timedelta(days=5 * 365)
    order = OrderInput(pw.supplier, pw.w.wh1, [OrderLineInput(pw.widget, "1")], order_date=far)
    with pytest.raises(PurchasingError) as e:
        await do_create_purchase_order(db, order, PURCHASER)
    assert [(d.code, d.field) for d in e.value.details] == [("DATE_IN_FUTURE", "orderDate")]
    with pytest.raises(FinanceError) as e:
        await do_create_expense(db, ExpenseInput("rent", "10.00", "房租", expense_date=far), ACCOUNTANT)
    assert (e.value.details[0].code, e.value.details[0].field) == ("DATE_IN_FUTURE", "expenseDate")
    assert await _count(db, purchase_order) == 0 and await _count(db, expense_bill) == 0
    async with db.read() as conn:
        periods = set((await conn.execute(select(accounting_period.c.period))).scalars())
    assert not any(p // 100 == far.year for p in periods)  # no far-away period was opened
    # last week's paperwork is fine
    week_ago = clock.today() - timedelta(days=7)
    await do_create_expense(db, ExpenseInput("rent", "10.00", "房租", expense_date=week_ago), ACCOUNTANT)


async def test_the_horizon_is_the_finance_administrators_setting(db):
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    line = [StockLine(product_id=p, location_id=w.a1, quantity="1", unit_cost="1.00")]
    in_three_days = clock.today() + timedelta(days=3)
    with pytest.raises(InventoryError):
        await do_receive_stock(db, line, on=in_three_days)
    with pytest.raises(FinanceError) as e:
        await do_set_business_date_horizon(db, 7, ACCOUNTANT)
    assert e.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(FinanceError) as e:
        await do_set_business_date_horizon(db, 400, FINANCE_MANAGER)
    assert (e.value.details[0].code, e.value.details[0].field) == ("INVALID_VALUE", "days")
    await do_set_business_date_horizon(db, 7, FINANCE_MANAGER)
    await do_receive_stock(db, line, on=in_three_days)  # within a week ahead now
    with pytest.raises(InventoryError) as e:
        await do_receive_stock(db, line, on=clock.today() + timedelta(days=8))
    assert e.value.details[0].params["latest"] == (clock.today() + timedelta(days=7)).isoformat()


async def test_the_api_sets_and_shows_the_horizon(gql):
    await setup_books(gql.db)
    r = await gql.execute("mutation { setBusinessDateHorizon(days: 3) { ok errors { code field } } }")
    assert r["setBusinessDateHorizon"] == {"ok": True, "errors": []}
    bad = await gql.execute("mutation { setBusinessDateHorizon(days: -1) { ok errors { code field } } }")
    assert bad["setBusinessDateHorizon"]["errors"] == [{"code": "INVALID_VALUE", "field": "days"}]
    shown = (await gql.execute("{ businessDateSettings { futureDays latestDate } }"))["businessDateSettings"]
    assert shown == {"futureDays": 3, "latestDate": (clock.today() + timedelta(days=3)).isoformat()}
