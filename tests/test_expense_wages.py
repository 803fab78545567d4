"""Wages (issue #19): an approved wage expense is owed to the staff on 2211 应付职工薪酬, not 2241, and
paying it is 支付给职工以及为职工支付的现金 in the cash-flow statement; other expenses stay on 2241."""

from __future__ import annotations

import pytest

from server.core import clock
from server.finance.expenses import (
    ExpenseInput,
    ExpensePaymentInput,
    do_create_expense,
    do_decide_expense,
    do_pay_expense,
)
from server.finance.ledger import period_of
from server.finance.statements import cash_flow_statement
from tests.finance_helpers import ACCOUNTANT, CASHIER, FINANCE_MANAGER, assert_books_clean, balances, setup_books

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`


async def test_wages_are_owed_on_payroll_and_paid_to_employees(db):
    await setup_books(db)
    today = clock.today()
    wages = await do_create_expense(
        db, ExpenseInput("admin_wages", "5000.00", "十一月管理人员工资 wages", expense_date=today), ACCOUNTANT
    )
    rent = await do_create_expense(db, ExpenseInput("rent", "3000.00", "房租 rent", expense_date=today), ACCOUNTANT)
    for e in (wages, rent):
        await do_decide_expense(db, e, True, FINANCE_MANAGER)
    b = await balances(db)
    assert b["2211"] == -500_000 and b["2241"] == -300_000
    assert b["6602"] == 800_000
    await do_pay_expense(db, ExpensePaymentInput(wages, "5000.00", payment_date=today), CASHIER)
    await do_pay_expense(db, ExpensePaymentInput(rent, "3000.00", payment_date=today), CASHIER)
    b = await balances(db)
    assert "2211" not in b and "2241" not in b
    async with db.read() as conn:
        st = await cash_flow_statement(conn, period_of(today))
    assert st.row("wages_paid").values[0] == 500_000
    assert st.row("other_operating_payments").values[0] == 300_000
    await assert_books_clean(db)
