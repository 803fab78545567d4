"""The cash-flow statement as 会企03表 lays it out (issue #19): per activity its inflow and outflow
lines with their subtotals (现金流入小计, 现金流出小计) and net; investing and financing in their
standard lines by counter-account and direction; opening + net increase = closing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.core import clock
from server.finance.ledger import period_of
from server.finance.models import voucher_line
from server.finance.statements import cash_flow_statement
from server.finance.vouchers import (
    VoucherInput,
    VoucherLineInput,
    do_create_voucher,
    do_post_voucher,
    do_reclassify_cash_flow,
    do_review_voucher,
)
from tests.finance_helpers import ACCOUNTANT, FINANCE_MANAGER, setup_books

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`


async def _post(db, memo, debit, credit, amount):
    vid = await do_create_voucher(
        db,
        VoucherInput(
            clock.today(), memo, [VoucherLineInput(debit, debit=amount), VoucherLineInput(credit, credit=amount)]
        ),
        ACCOUNTANT,
    )
    await do_review_voucher(db, vid, FINANCE_MANAGER)
    await do_post_voucher(db, vid, ACCOUNTANT)
    return vid


async def test_investing_and_financing_have_their_standard_lines_and_subtotals(db):
    await setup_books(db)
    await _post(db, "股东投入 capital paid in", "1002", "4001", "100000.00")
    await _post(db, "借款 loan", "1002", "2001", "30000.00")
    await _post(db, "还款 repayment", "2001", "1002", "10000.00")
    await _post(db, "购入设备 equipment", "1601", "1002", "25000.00")
    await _post(db, "出售旧设备 disposal", "1002", "1601", "2000.00")
    await _post(db, "分红 dividend", "4104", "1002", "5000.00")
    await _post(db, "提现 cash drawn", "1001", "1002", "800.00")  # between cash accounts: no cash flow
    async with db.read() as conn:
        st = await cash_flow_statement(conn, period_of(clock.today()))
    month = {r.key: r.values[0] for r in st.rows}
    expected = {
        "asset_disposals": 2000,
        "investing_inflows": 2000,
        "asset_purchases": 25000,
        "investing_outflows": 25000,
        "net_investing": -23000,
        "capital_received": 100000,
        "borrowings_received": 30000,
        "financing_inflows": 130000,
        "debt_repaid": 10000,
        "dividends_interest_paid": 5000,
        "financing_outflows": 15000,
        "net_financing": 115000,
        "operating_inflows": 0,
        "operating_outflows": 0,
        "net_operating": 0,
        "fx_effect": 0,
        "net_increase": 92000,
        "closing_cash": 92000,
    }
    assert {k: month[k] for k in expected} == {k: v * 100 for k, v in expected.items()}
    assert month["opening_cash"] + month["net_increase"] == month["closing_cash"]
    assert "investing" not in month and "financing" not in month  # section items are not lines
    keys = [r.key for r in st.rows]
    assert keys.index("investing_inflows") < keys.index("asset_purchases") < keys.index("investing_outflows")


async def test_a_line_reclassified_to_a_section_goes_to_its_other_line(db):
    await setup_books(db)
    vid = await _post(db, "营业外收入 non-operating income", "1002", "6301", "300.00")
    async with db.read() as conn:
        before = {r.key: r.values[0] for r in (await cash_flow_statement(conn, period_of(clock.today()))).rows}
    assert before["other_operating_receipts"] == 30000
    async with db.read() as conn:
        line_id = (
            await conn.execute(
                select(voucher_line.c.id).where(voucher_line.c.voucher_id == vid, voucher_line.c.account_code == "1002")
            )
        ).scalar_one()
    await do_reclassify_cash_flow(db, line_id, "financing", ACCOUNTANT)
    async with db.read() as conn:
        after = {r.key: r.values[0] for r in (await cash_flow_statement(conn, period_of(clock.today()))).rows}
    assert after["other_operating_receipts"] == 0
    assert after["other_financing_receipts"] == after["financing_inflows"] == 30000
