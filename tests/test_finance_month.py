"""A worked month (企业会计准则) covering the business events, with every statement line asserted to
the fen. The hand computation is in the comments; docs/finance.md walks through the same month."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.core import clock
from server.finance.closing import do_close_period, do_close_profit, do_transfer_vat
from server.finance.expenses import (
    ExpenseInput,
    ExpensePaymentInput,
    do_create_expense,
    do_decide_expense,
    do_pay_expense,
)
from server.finance.ledger import period_of
from server.finance.models import accounting_period
from server.finance.statements import balance_sheet, cash_flow_statement, income_statement, trial_balance
from server.finance.vouchers import (
    VoucherInput,
    VoucherLineInput,
    do_clear_suspense,
    do_create_voucher,
    do_post_voucher,
    do_review_voucher,
)
from server.inventory.services import StockLine, do_adjust_stock, do_receive_stock
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.bills import (
    Allocation,
    BillInput,
    BillLineInput,
    PaymentInput,
    do_create_supplier_bill,
    do_record_supplier_payment,
)
from server.purchasing.receipts import ReturnInput, ReturnLineInput, do_return_to_supplier
from server.sales.invoicing import Allocation as SalesAllocation
from server.sales.invoicing import CustomerReceiptInput, do_record_customer_receipt
from server.sales.models import shipment_line
from server.sales.shipping import SalesReturnInput, SalesReturnLineInput, do_take_back_goods
from tests.finance_helpers import (
    ACCOUNTANT,
    CASHIER,
    FINANCE_MANAGER,
    assert_books_clean,
    balances,
    buy,
    sell,
    setup_books,
    vouchers_of,
)
from tests.purchasing_helpers import ACCOUNTANT as BILL_CLERK
from tests.purchasing_helpers import KEEPER, PURCHASER, make_purchasing_world

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

TODAY = clock.today()
P = period_of(TODAY)


def fen(yuan: str) -> int:
    whole, _, cents = yuan.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((cents + "00")[:2]))


async def run_month(db):
    await setup_books(db, "enterprise")
    pw = await make_purchasing_world(db)
    w, widget = pw.w, pw.widget
    customer = await do_create_partner(db, "customer", PartnerInput(code="C100", name="华联超市"))

    # 1. opening stock contributed by the owners: 100 × 10.00 → 1901, then cleared to 实收资本
    await do_receive_stock(db, [StockLine(product_id=widget, quantity="100", location_id=w.a1, unit_cost="10.00")])
    opening = (await vouchers_of(db, "stock_operation"))[-1]
    await do_clear_suspense(db, opening.id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY)
    # … and 50,000.00 paid into the bank: a manual voucher, reviewed by another person, then posted
    vid = await do_create_voucher(
        db,
        VoucherInput(
            TODAY,
            "股东投入 capital paid in",
            [VoucherLineInput("1002", debit="50000"), VoucherLineInput("4001", credit="50000")],
        ),
        ACCOUNTANT,
    )
    await do_review_voucher(db, vid, FINANCE_MANAGER)
    await do_post_voucher(db, vid, ACCOUNTANT)

    # 2. goods receipt: 50 × 12.00 + landed cost 30.00 → 1405 630.00 / 暂估 600.00 + 运杂费 30.00
    _po, rc, rl = await buy(db, pw, widget, "50", "12.00", w.a1, TODAY, landed="30.00")
    # 3. supplier bill at 12.10 (within the 1 % tolerance): 605.00 + 78.65 → variance 5.00 to 6401
    bill = await do_create_supplier_bill(
        db, BillInput(pw.supplier, [BillLineInput(rl.id, "50", "12.10")], bill_date=TODAY), BILL_CLERK
    )
    # 4. payment 1,000.00: 683.65 settles the bill, 316.35 is a prepayment
    await do_record_supplier_payment(
        db, PaymentInput(pw.supplier, "1000.00", payment_date=TODAY, allocations=[Allocation(bill, "683.65")]), CASHIER
    )

    # 5. sale of 80 at 20.00: COGS at moving average 1,630.00 × 80 / 150 = 869.33
    _so, sh, inv = await sell(db, w, customer, widget, "80", "20.00", w.a1, TODAY)
    # 6. invoiced 1,600.00 + 208.00; 7. receipt 2,000.00: 1,808.00 settles it, 192.00 is an advance
    await do_record_customer_receipt(
        db,
        CustomerReceiptInput(customer, "2000.00", receipt_date=TODAY, allocations=[SalesAllocation(inv, "1808.00")]),
        CASHIER,
    )
    # 8. 5 come back: stock at the cost they left with (869.33 × 5 / 80 = 54.33) and a red credit note −113.00
    async with db.read() as conn:
        shl = (await conn.execute(select(shipment_line).where(shipment_line.c.shipment_id == sh))).one()
    await do_take_back_goods(
        db, SalesReturnInput(sh, [SalesReturnLineInput(shl.id, "5")], "破损 damaged", return_date=TODAY), KEEPER
    )
    # 9. 10 go back to the supplier at receipt cost 126.00 (credit 120.00 + 15.60 VAT; 6.00 landed cost lost)
    await do_return_to_supplier(
        db, ReturnInput(rc, [ReturnLineInput(rl.id, "10")], "质量问题", return_date=TODAY), PURCHASER
    )
    # 10. 2 lost (poor management): 689.00 × 2 / 65 = 21.20 to 1901; cleared to 管理费用 with 13 % input VAT reversed
    await do_adjust_stock(db, [StockLine(product_id=widget, quantity="-2", location_id=w.a1)], reason="丢失 lost")
    loss = (await vouchers_of(db, "stock_operation"))[-1]
    await do_clear_suspense(db, loss.id, FINANCE_MANAGER, loss_treatment="normal", abnormal_vat_rate="0.13", on=TODAY)

    # 11. expenses: rent 3,000.00 + 270.00 VAT on a normal invoice (not deductible), paid;
    #     freight-out 100.00 + 9.00 on a special invoice (deductible), not paid yet
    rent = await do_create_expense(
        db, ExpenseInput("rent", "3000.00", "十月房租 rent", vat_rate="0.09", expense_date=TODAY), ACCOUNTANT
    )
    freight = await do_create_expense(
        db,
        ExpenseInput(
            "freight_out",
            "100.00",
            "送货运费 delivery",
            vat_rate="0.09",
            special_invoice=True,
            supplier_id=pw.supplier2,
            expense_date=TODAY,
        ),
        ACCOUNTANT,
    )
    await do_decide_expense(db, rent, True, FINANCE_MANAGER)
    await do_decide_expense(db, freight, True, FINANCE_MANAGER)
    await do_pay_expense(db, ExpensePaymentInput(rent, "3270.00", payment_date=TODAY), CASHIER)
    return pw, customer


async def test_worked_month_statements_to_the_fen(db):
    _pw, _customer = await run_month(db)
    await assert_books_clean(db)
    b = await balances(db)
    assert b["1405"] == fen("667.80")  # 1000 + 630 − 869.33 + 54.33 − 126 − 21.20: the shelves' value
    assert b.get("1901", 0) == 0 and b.get("220202", 0) == 0

    # period end: VAT 195.00 + 2.76 − 72.05 = 125.71 to 未交增值税, then P&L to 本年利润, then close
    v = await do_transfer_vat(db, P, FINANCE_MANAGER)
    assert v is not None
    b = await balances(db)
    assert b["22210104"] == fen("125.71") and b["222102"] == -fen("125.71")
    await do_close_profit(db, P, FINANCE_MANAGER)
    await do_close_period(db, P, FINANCE_MANAGER)
    async with db.read() as conn:
        assert (
            await conn.execute(select(accounting_period.c.status).where(accounting_period.c.period == P))
        ).scalar_one() == "closed"
        income = await income_statement(conn, P)
        sheet = await balance_sheet(conn, P)
        cash = await cash_flow_statement(conn, P)
        tb = await trial_balance(conn, P)

    expected_income = {
        "revenue": "1500.00",
        "cost_of_sales": "826.00",
        "taxes_and_surcharges": "0",
        "selling_expenses": "100.00",
        "admin_expenses": "3293.96",
        "finance_costs": "0",
        "operating_profit": "-2719.96",
        "non_operating_income": "0",
        "non_operating_expenses": "0",
        "profit_before_tax": "-2719.96",
        "income_tax": "0",
        "net_profit": "-2719.96",
    }
    for key, value in expected_income.items():
        assert income.row(key).values == [fen(value), fen(value)], key

    expected_sheet = {
        "cash": "47730.00",
        "receivables": "-113.00",
        "prepayments": "316.35",
        "inventories": "667.80",
        "other_current_assets": "0",
        "total_assets": "48601.15",
        "payables": "-135.60",
        "advances": "192.00",
        "taxes": "125.71",
        "other_payables": "139.00",
        "total_liabilities": "321.11",
        "capital": "51000.00",
        "undistributed_profit": "-2719.96",
        "total_equity": "48280.04",
        "total_liabilities_and_equity": "48601.15",
    }
    for key, value in expected_sheet.items():
        assert sheet.row(key).values[0] == fen(value), key

    expected_cash = {  # outflows as positive amounts, as 会企03表 shows them
        "sales_receipts": "2000.00",
        "operating_inflows": "2000.00",
        "purchase_payments": "1000.00",
        "other_operating_payments": "3270.00",
        "operating_outflows": "4270.00",
        "net_operating": "-2270.00",
        "net_investing": "0",
        "net_financing": "50000.00",
        "net_increase": "47730.00",
        "closing_cash": "47730.00",
    }
    for key, value in expected_cash.items():
        assert cash.row(key).values[0] == fen(value), key

    leaves = [r for r in tb if r["is_leaf"]]
    assert sum(r["debit"] for r in leaves) == sum(r["credit"] for r in leaves)
    assert sum(r["closing"] for r in leaves) == 0
    row_2221 = next(r for r in tb if r["code"] == "2221")
    assert row_2221["closing"] == -fen("125.71")  # the parent rolls up its sub-accounts


async def test_every_voucher_links_its_source_and_balances(db):
    await run_month(db)
    await assert_books_clean(db)
    kinds = {v.source_type for v in await vouchers_of(db)}
    assert {
        "stock_operation",
        "goods_receipt",
        "supplier_bill",
        "supplier_payment",
        "shipment",
        "sales_invoice",
        "customer_receipt",
        "sales_return",
        "purchase_return",
        "expense_bill",
        "expense_payment",
        "voucher",
    } <= kinds
    numbers = [v.number for v in await vouchers_of(db) if v.status == "posted"]
    assert sorted(numbers) == [f"记-{i:04d}" for i in range(1, len(numbers) + 1)]  # gap-free


async def test_partner_statements_and_general_ledger(db):
    from server.finance.statements import general_ledger, partner_statement

    pw, customer = await run_month(db)
    await assert_books_clean(db)
    async with db.read() as conn:
        cust = await partner_statement(conn, "customer", customer, TODAY, TODAY)
        sup = await partner_statement(conn, "supplier", pw.supplier, TODAY, TODAY)
        gl = await general_ledger(conn, "1405", TODAY.year)
    # invoice +1,808.00, receipt −2,000.00 (1,808.00 settled + 192.00 advance), credit note −113.00
    assert [(ln["document_type"], ln["increase"], ln["decrease"]) for ln in cust["lines"]] == [
        ("sales_invoice", fen("1808.00"), 0),
        ("customer_receipt", 0, fen("2000.00")),
        ("sales_invoice", 0, fen("113.00")),
    ]
    assert cust["opening"] == 0 and cust["closing"] == -fen("305.00")
    # bill +683.65, payment −1,000.00 (with the prepayment), debit note −135.60: the supplier owes us 451.95
    assert [(ln["document_type"], ln["increase"], ln["decrease"]) for ln in sup["lines"]] == [
        ("supplier_bill", fen("683.65"), 0),
        ("supplier_payment", 0, fen("1000.00")),
        ("supplier_bill", 0, fen("135.60")),
    ]
    assert sup["closing"] == -fen("451.95")
    month = next(m for m in gl if m["period"] == P)
    assert month["closing"] == fen("667.80") and month["opening"] == 0
    assert month["debit"] - month["credit"] == fen("667.80")


async def run_month_two(db):
    """The events the first month leaves out: a prepayment and an advance applied later, production
    (materials, labour, overhead, finished goods), a real stock count with a gain and a loss cleared
    through 1901, an expense paid from the bank."""
    from server.inventory.counts import CountEntry, CountInput, do_approve_count, do_open_count, do_record_counts
    from server.inventory.models import production_order_line, stock_count_line
    from server.inventory.production import (
        ComponentInput,
        FinishedGoodsInput,
        MaterialLine,
        ProductionInput,
        do_create_production_order,
        do_issue_materials,
        do_receive_finished_goods,
        do_set_bill_of_materials,
    )
    from server.purchasing.bills import do_allocate_prepayment
    from server.sales.invoicing import do_apply_advance
    from tests.factories import make_product
    from tests.purchasing_helpers import principal

    await setup_books(db, "enterprise")
    pw = await make_purchasing_world(db)
    w = pw.w
    a = await make_product(db, w, purchase_price="2.00")
    b = await make_product(db, w, purchase_price="3.00")
    kit = await make_product(db, w, purchase_price="0.00")
    customer = await do_create_partner(db, "customer", PartnerInput(code="C200", name="联华超市"))
    vid = await do_create_voucher(
        db,
        VoucherInput(
            TODAY,
            "股东投入 capital",
            [VoucherLineInput("1002", debit="10000"), VoucherLineInput("4001", credit="10000")],
        ),
        ACCOUNTANT,
    )
    await do_review_voucher(db, vid, FINANCE_MANAGER)
    await do_post_voucher(db, vid, ACCOUNTANT)
    # opening stock contributed by the owners: A 50 × 2.00, B 50 × 3.00
    await do_receive_stock(
        db,
        [
            StockLine(product_id=a, quantity="50", location_id=w.a1, unit_cost="2.00"),
            StockLine(product_id=b, quantity="50", location_id=w.a1, unit_cost="3.00"),
        ],
    )
    await do_clear_suspense(
        db, (await vouchers_of(db, "stock_operation"))[-1].id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY
    )
    # a prepayment of 500.00, later used for a bill of 226.00 (100 A × 2.00 + 13 %)
    pay = await do_record_supplier_payment(db, PaymentInput(pw.supplier, "500.00", payment_date=TODAY), CASHIER)
    _po, _rc, rl = await buy(db, pw, a, "100", "2.00", w.a1, TODAY)
    bill = await do_create_supplier_bill(
        db, BillInput(pw.supplier, [BillLineInput(rl.id, "100")], bill_date=TODAY), BILL_CLERK
    )
    await do_allocate_prepayment(db, pay, [Allocation(bill, "226.00")], CASHIER, on=TODAY)
    # production of 10 kits: 20 A (40.00) + 10 B (30.00) + labour 15.00 + overhead 5.00 = 90.00
    await do_set_bill_of_materials(db, kit, [ComponentInput(a, "2"), ComponentInput(b, "1")])
    mo = await do_create_production_order(
        db, ProductionInput(kit, w.wh1, "10", labour="15.00", overhead="5.00"), KEEPER
    )
    async with db.read() as conn:
        la, lb = (await conn.execute(select(production_order_line).order_by(production_order_line.c.id))).all()
    await do_issue_materials(db, mo, [MaterialLine(la.id, "20", w.a1), MaterialLine(lb.id, "10", w.a1)], KEEPER)
    assert await do_receive_finished_goods(db, mo, FinishedGoodsInput("10", w.a2, complete=True), KEEPER) == 9000
    # an advance of 1,000.00, later used for an invoice of 8 kits at 20.00 (160.00 + 20.80)
    adv = await do_record_customer_receipt(db, CustomerReceiptInput(customer, "1000.00", receipt_date=TODAY), CASHIER)
    _so, _sh, inv = await sell(db, w, customer, kit, "8", "20.00", w.a2, TODAY)
    await do_apply_advance(db, adv, [SalesAllocation(inv, "180.80")], CASHIER, on=TODAY)
    # a blind count of A-01: A 130 → 128 (loss 4.00), B 40 → 41 (gain 3.00); approved, then cleared
    counter, approver = principal("warehouse_keeper", 90, "pd1"), principal("accountant", 91, "sh1")
    count = await do_open_count(db, CountInput(w.wh1, location_ids=[w.a1]), counter)
    async with db.read() as conn:
        lines = {
            r.product_id: r.id
            for r in await conn.execute(select(stock_count_line).where(stock_count_line.c.count_id == count))
        }
    await do_record_counts(db, count, [CountEntry("128", lines[a]), CountEntry("41", lines[b])], counter)
    await do_approve_count(db, count, approver, "月末盘点")
    counted = (await vouchers_of(db, "stock_count"))[-1]
    await do_clear_suspense(db, counted.id, FINANCE_MANAGER, loss_treatment="normal", gain_treatment="income", on=TODAY)
    # bank fees 12.00, approved and paid
    fee = await do_create_expense(
        db, ExpenseInput("bank_fees", "12.00", "手续费 bank fees", expense_date=TODAY), ACCOUNTANT
    )
    await do_decide_expense(db, fee, True, FINANCE_MANAGER)
    await do_pay_expense(db, ExpensePaymentInput(fee, "12.00", payment_date=TODAY), CASHIER)


async def test_worked_month_two_production_count_and_applied_money_to_the_fen(db):
    await run_month_two(db)
    await assert_books_clean(db)
    b = await balances(db)
    # 1405: 250 + 200 − 70 + 90 − 72 + 3 − 4 = 397.00; WIP 70 + 20 − 90 = 0; overhead applied −5.00
    assert (b["1405"], b.get("5001", 0), b["5101"], b["2211"]) == (fen("397"), 0, -fen("5"), -fen("15"))
    assert (b["1123"], b.get("220201", 0), b["2203"], b.get("1122", 0)) == (fen("274"), 0, -fen("819.20"), 0)
    assert await do_transfer_vat(db, P, FINANCE_MANAGER) is None  # input 26.00 > output 20.80: 留抵 5.20
    await do_close_profit(db, P, FINANCE_MANAGER)
    await do_close_period(db, P, FINANCE_MANAGER)
    async with db.read() as conn:
        income = await income_statement(conn, P)
        sheet = await balance_sheet(conn, P)
        cash = await cash_flow_statement(conn, P)
    for key, value in {
        "revenue": "160",
        "cost_of_sales": "72",
        "admin_expenses": "1.00",
        "finance_costs": "12",
        "selling_expenses": "0",
        "operating_profit": "75",
        "net_profit": "75",
    }.items():
        assert income.row(key).values[0] == fen(value), key
    for key, value in {
        "cash": "10488",
        "receivables": "0",
        "prepayments": "274",
        "inventories": "392",
        "total_assets": "11154",
        "payables": "0",
        "advances": "819.20",
        "payroll": "15",
        "taxes": "-5.20",
        "other_payables": "0",
        "total_liabilities": "829",
        "capital": "10250",
        "undistributed_profit": "75",
        "total_liabilities_and_equity": "11154",
    }.items():
        assert sheet.row(key).values[0] == fen(value), key
    for key, value in {
        "sales_receipts": "1000",
        "purchase_payments": "500",
        "other_operating_payments": "12",
        "net_operating": "488",
        "net_financing": "10000",
        "net_increase": "10488",
    }.items():
        assert cash.row(key).values[0] == fen(value), key
