"""Finance rules at the domain level (no GraphQL): both accounting standards, the manual voucher
workflow, the database guards on posted vouchers, closed periods, prepayments and advances applied
later, production, stock counts, posting rules as data, exactly-once posting after a crash and a
property test over random business sequences. Amounts are integer fen throughout."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from server.core import clock
from server.core.audit import audit_log, audited
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.documents.actions import actor_label
from server.finance.books import AccountInput, do_add_account, do_set_posting_rule
from server.finance.closing import do_close_period, do_close_profit, do_reopen_period, do_transfer_vat
from server.finance.errors import FinanceError
from server.finance.ledger import period_of, period_start, previous_period
from server.finance.models import account, accounting_period, poster_state, posting_rule, voucher, voucher_line
from server.finance.poster import Poster, post_pending
from server.finance.vouchers import (
    VoucherInput,
    VoucherLineInput,
    do_clear_suspense,
    do_create_voucher,
    do_delete_voucher,
    do_post_voucher,
    do_reverse_voucher,
    do_review_voucher,
)
from server.inventory.counts import CountEntry, CountInput, do_approve_count, do_open_count, do_record_counts
from server.inventory.models import (
    product_cost,
    production_order,
    production_order_line,
    stock_count,
    stock_count_line,
    stock_operation,
)
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
from server.inventory.services import StockLine, do_adjust_stock, do_issue_stock, do_receive_stock
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.bills import (
    Allocation,
    BillInput,
    BillLineInput,
    PaymentInput,
    do_allocate_prepayment,
    do_create_supplier_bill,
    do_record_supplier_payment,
)
from server.purchasing.models import goods_receipt_line, purchase_order_line, supplier_bill
from server.purchasing.orders import (
    OrderInput,
    OrderLineInput,
    do_approve_purchase_order,
    do_create_purchase_order,
    do_submit_purchase_order,
)
from server.purchasing.receipts import ReceiptInput, ReceiptLineInput, do_receive_goods
from server.sales.invoicing import Allocation as SalesAllocation
from server.sales.invoicing import (
    CustomerReceiptInput,
    InvoiceInput,
    do_apply_advance,
    do_create_invoice,
    do_record_customer_receipt,
)
from server.sales.models import sales_invoice, sales_order_line
from server.sales.orders import SalesLineInput, SalesOrderInput, do_create_sales_order, do_submit_sales_order
from server.sales.shipping import ShipmentInput, ShipmentLineInput, do_ship_goods
from tests.doc_asserts import fails
from tests.factories import make_product, make_world
from tests.finance_helpers import (
    ACCOUNTANT,
    CASHIER,
    FINANCE_MANAGER,
    assert_books_clean,
    balances,
    lines_of,
    setup_books,
    vouchers_of,
)
from tests.purchasing_helpers import ACCOUNTANT as BILL_CLERK
from tests.purchasing_helpers import KEEPER, MANAGER, PURCHASER, make_purchasing_world, principal
from tests.sales_helpers import SALES

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

TODAY = clock.today()
P = period_of(TODAY)
LAST = previous_period(P)
LAST_DAY = period_start(P) - timedelta(days=1)  # a date in the previous month
Q = 10**6
COUNTER = principal("warehouse_keeper", 50, "pandian1")
APPROVER = principal("accountant", 52, "shenhe")


async def count_rows(db, table, *where) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def last_voucher(db, source_type: str | None = None):
    return (await vouchers_of(db, source_type))[-1]


async def stock_value(db) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.coalesce(func.sum(product_cost.c.value_fen), 0)))).scalar_one()


async def chart_codes(db) -> set[str]:
    async with db.read() as conn:
        return set((await conn.execute(select(account.c.code))).scalars())


async def rule(db, role: str) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(posting_rule.c.account_code).where(posting_rule.c.role == role))).scalar_one()


async def period_status(db, period: int) -> str | None:
    async with db.read() as conn:
        return (
            await conn.execute(select(accounting_period.c.status).where(accounting_period.c.period == period))
        ).scalar()


async def received_bill(db, pw, qty: str = "50", price: str = "12.00") -> int:
    """An approved PO for ``qty`` widgets at ``price`` + 13 % VAT, received in full and billed at that price."""
    po = await do_create_purchase_order(
        db,
        OrderInput(
            pw.supplier, pw.w.wh1, [OrderLineInput(pw.widget, qty, unit_price=price, vat_rate="0.13")], order_date=TODAY
        ),
        PURCHASER,
    )
    await do_submit_purchase_order(db, po, PURCHASER)
    await do_approve_purchase_order(db, po, MANAGER)
    async with db.read() as conn:
        pol = (await conn.execute(select(purchase_order_line).where(purchase_order_line.c.order_id == po))).one()
    rc = await do_receive_goods(
        db,
        ReceiptInput(
            lines=[ReceiptLineInput(qty, order_line_id=pol.id, location_id=pw.w.a1)], order_id=po, receipt_date=TODAY
        ),
        KEEPER,
    )
    async with db.read() as conn:
        rl = (await conn.execute(select(goods_receipt_line).where(goods_receipt_line.c.receipt_id == rc))).one()
    return await do_create_supplier_bill(
        db, BillInput(pw.supplier, [BillLineInput(rl.id, qty, price)], bill_date=TODAY), BILL_CLERK
    )


async def shipped_invoice(
    db, customer: int, warehouse: int, location: int, product: int, qty: str, price: str = "20.00"
) -> int:
    """A sales order for ``qty`` at ``price`` (+ the product's VAT), shipped and invoiced in full."""
    so = await do_create_sales_order(
        db, SalesOrderInput(customer, warehouse, [SalesLineInput(product, qty, None, price)], order_date=TODAY), SALES
    )
    assert await do_submit_sales_order(db, so, SALES) == "approved"
    async with db.read() as conn:
        sol = (await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == so))).one()
    sh = await do_ship_goods(db, ShipmentInput(so, [ShipmentLineInput(sol.id, qty, location)], ship_date=TODAY), KEEPER)
    return await do_create_invoice(db, InvoiceInput(customer, shipment_ids=[sh], invoice_date=TODAY), BILL_CLERK)


def manual(memo: str, *lines: VoucherLineInput, on: date = TODAY) -> VoucherInput:
    return VoucherInput(on, memo, list(lines))


# ---- 1. 小企业会计准则 ------------------------------------------------------------------------------


async def test_small_business_standard_clears_stock_differences_to_its_own_accounts(db):
    await setup_books(db, "small")
    codes = await chart_codes(db)
    assert {"3001", "3103", "4001", "4101", "5001", "5301", "5401", "5711"} <= codes
    assert "1406" not in codes and "4103" not in codes and "6001" not in codes
    assert await rule(db, "count_loss_normal") == "5711" and await rule(db, "count_gain_cleared") == "5301"

    w = await make_world(db)
    p = await make_product(db, w)
    # stock received without a document: 20 × 5.00 waits in 1901 for a decision
    await do_receive_stock(db, [StockLine(product_id=p, quantity="20", location_id=w.a1, unit_cost="5.00")])
    receipt = await last_voucher(db, "stock_operation")
    assert sorted(await lines_of(db, receipt.id)) == [("1405", 10000, 0), ("1901", 0, 10000)]
    await do_clear_suspense(db, receipt.id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY)
    b = await balances(db)
    assert b["3001"] == -10000 and b.get("1901", 0) == 0

    # a loss of 3 at the average 5.00 → 1901, cleared as a normal loss to 营业外支出 5711
    await do_adjust_stock(db, [StockLine(product_id=p, quantity="-3", location_id=w.a1)], reason="丢失 lost")
    loss = await last_voucher(db, "stock_operation")
    assert sorted(await lines_of(db, loss.id)) == [("1405", 0, 1500), ("1901", 1500, 0)]
    disposal = await do_clear_suspense(db, loss.id, FINANCE_MANAGER, loss_treatment="normal", on=TODAY)
    assert sorted(await lines_of(db, disposal)) == [("1901", 0, 1500), ("5711", 1500, 0)]

    # a gain of 2 (at the average 5.00) → 1901, cleared as income to 营业外收入 5301
    await do_adjust_stock(db, [StockLine(product_id=p, quantity="2", location_id=w.a1)], reason="盘盈 found")
    gain = await last_voucher(db, "stock_operation")
    assert sorted(await lines_of(db, gain.id)) == [("1405", 1000, 0), ("1901", 0, 1000)]
    disposal = await do_clear_suspense(db, gain.id, FINANCE_MANAGER, gain_treatment="income", on=TODAY)
    assert sorted(await lines_of(db, disposal)) == [("1901", 1000, 0), ("5301", 0, 1000)]

    b = await balances(db)
    assert (b["5711"], b["5301"], b.get("1901", 0), b["1405"]) == (1500, -1000, 0, 9500)
    assert "6711" not in b and "6602" not in b and "6301" not in b
    assert b["1405"] == await stock_value(db)
    await assert_books_clean(db)


# ---- 2. manual vouchers ---------------------------------------------------------------------------


async def test_manual_voucher_review_post_reverse_and_refusals(db):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    customer = await do_create_partner(db, "customer", PartnerInput(code="C100", name="华联超市"))

    vid = await do_create_voucher(
        db,
        manual(
            "股东投入 capital paid in",
            VoucherLineInput("1002", debit="500.00"),
            VoucherLineInput("4001", credit="500.00"),
        ),
        ACCOUNTANT,
    )
    (draft,) = await vouchers_of(db)
    assert (draft.id, draft.status, draft.number, draft.origin, draft.total_fen) == (vid, "draft", "", "manual", 50000)
    assert await balances(db) == {}  # a draft is not in the ledger
    await fails(do_review_voucher(db, vid, ACCOUNTANT), "SELF_REVIEW")
    await fails(do_post_voucher(db, vid, ACCOUNTANT), "INVALID_STATUS")  # not reviewed yet
    await do_review_voucher(db, vid, FINANCE_MANAGER)
    assert await do_post_voucher(db, vid, ACCOUNTANT) == "记-0001"
    (posted,) = await vouchers_of(db)
    assert (posted.status, posted.number, posted.period) == ("posted", "记-0001", P)
    assert posted.reviewed_by == actor_label(FINANCE_MANAGER)
    assert await balances(db) == {"1002": 50000, "4001": -50000}

    before = await count_rows(db, voucher), await count_rows(db, voucher_line)
    await fails(
        do_create_voucher(
            db,
            manual("unbalanced", VoucherLineInput("1002", debit="10.00"), VoucherLineInput("4001", credit="9.99")),
            ACCOUNTANT,
        ),
        "UNBALANCED",
    )
    await fails(
        do_create_voucher(
            db,
            manual("parent account", VoucherLineInput("2221", debit="10.00"), VoucherLineInput("1002", credit="10.00")),
            ACCOUNTANT,
        ),
        "NOT_LEAF_ACCOUNT",
        "lines.0.account",
    )
    await fails(
        do_create_voucher(
            db,
            manual(
                "no customer",
                VoucherLineInput("1122", debit="10.00"),
                VoucherLineInput("6001", credit="10.00", customer_id=customer),
            ),
            ACCOUNTANT,
        ),
        "REQUIRED",
        "lines.0.customerId",
    )
    await fails(
        do_create_voucher(
            db,
            manual("unknown account", VoucherLineInput("9999", debit="1.00"), VoucherLineInput("1002", credit="1.00")),
            ACCOUNTANT,
        ),
        "UNKNOWN_ACCOUNT",
        "lines.0.account",
    )
    assert (await count_rows(db, voucher), await count_rows(db, voucher_line)) == before

    # 红字冲销: a new posted voucher with the same lines in negative amounts
    red = await do_reverse_voucher(db, vid, FINANCE_MANAGER, on=TODAY)
    rv = next(v for v in await vouchers_of(db) if v.id == red)
    assert (rv.status, rv.origin, rv.reversal_of, rv.number, rv.total_fen) == (
        "posted",
        "reversal",
        vid,
        "记-0002",
        -50000,
    )
    assert await lines_of(db, red) == [("1002", -50000, 0), ("4001", 0, -50000)]
    assert await balances(db) == {}
    await fails(do_reverse_voucher(db, vid, FINANCE_MANAGER, on=TODAY), "ALREADY_REVERSED")

    # a voucher booked by the poster from a business document is corrected by documents, not reversed
    await do_record_supplier_payment(db, PaymentInput(pw.supplier, "100.00", payment_date=TODAY), CASHIER)
    auto = await last_voucher(db, "supplier_payment")
    assert (auto.origin, auto.status) == ("auto", "posted")
    await fails(do_reverse_voucher(db, auto.id, FINANCE_MANAGER, on=TODAY), "INVALID_VALUE", "id")
    assert await count_rows(db, voucher, voucher.c.reversal_of == auto.id) == 0
    await assert_books_clean(db)


# ---- 3. database guards -----------------------------------------------------------------------------


async def test_database_refuses_edited_or_unbalanced_posted_vouchers(db):
    await setup_books(db)
    vid = await do_create_voucher(
        db,
        manual("capital", VoucherLineInput("1002", debit="100.00"), VoucherLineInput("4001", credit="100.00")),
        ACCOUNTANT,
    )
    await do_review_voucher(db, vid, FINANCE_MANAGER)
    await do_post_voucher(db, vid, FINANCE_MANAGER)
    before = await balances(db)
    assert before == {"1002": 10000, "4001": -10000}

    attempts = [
        f"UPDATE voucher_line SET debit_fen = debit_fen + 1 WHERE voucher_id = {vid}",
        f"UPDATE voucher_line SET account_code = '1001' WHERE voucher_id = {vid} AND account_code = '1002'",
        f"UPDATE voucher_line SET posted = false WHERE voucher_id = {vid}",
        f"DELETE FROM voucher_line WHERE voucher_id = {vid}",
        f"DELETE FROM voucher WHERE id = {vid}",
        f"UPDATE voucher SET status = 'draft' WHERE id = {vid}",
        f"UPDATE voucher SET total_fen = 1 WHERE id = {vid}",
        f"INSERT INTO voucher_line (voucher_id, line_no, account_code, debit_fen, credit_fen, memo, period, posted) "
        f"VALUES ({vid}, 3, '1001', 5, 0, '', {P}, true)",
    ]
    for sql in attempts:
        with pytest.raises(Exception):  # noqa: B017 - IntegrityError / DBAPIError depending on the driver
            async with db.write() as conn:
                await conn.execute(text(sql))
    assert await balances(db) == before
    async with db.read() as conn:
        row = (await conn.execute(select(voucher).where(voucher.c.id == vid))).one()
    assert (row.status, row.number, row.total_fen) == ("posted", "记-0001", 10000)
    # only the cash-flow classification of a posted line may change
    async with db.write() as conn:
        await conn.execute(text(f"UPDATE voucher_line SET cash_flow_item = 'financing' WHERE voucher_id = {vid}"))

    # a voucher inserted as a draft with unbalanced lines cannot be switched to posted
    async with db.write() as conn:
        draft = (
            await conn.execute(
                voucher.insert()
                .values(
                    period=P,
                    voucher_date=TODAY,
                    document_date=TODAY,
                    status="draft",
                    origin="manual",
                    total_fen=500,
                    created_by="tamper",
                    created_at=utcnow(),
                )
                .returning(voucher.c.id)
            )
        ).scalar_one()
        await conn.execute(
            voucher_line.insert(),
            [
                {"voucher_id": draft, "line_no": 1, "account_code": "1001", "debit_fen": 500, "credit_fen": 0},
                {"voucher_id": draft, "line_no": 2, "account_code": "4001", "debit_fen": 0, "credit_fen": 499},
            ],
        )
    with pytest.raises(Exception):  # noqa: B017
        async with db.write() as conn:
            await conn.execute(text(f"UPDATE voucher SET status = 'posted', number = '记-9999' WHERE id = {draft}"))
    # … nor inserted as posted directly
    with pytest.raises(Exception):  # noqa: B017
        async with db.write() as conn:
            await conn.execute(
                voucher.insert().values(
                    period=P,
                    voucher_date=TODAY,
                    document_date=TODAY,
                    status="posted",
                    origin="manual",
                    total_fen=0,
                    created_by="tamper",
                    created_at=utcnow(),
                )
            )
    async with db.read() as conn:
        assert (await conn.execute(select(voucher.c.status).where(voucher.c.id == draft))).scalar_one() == "draft"
    assert await balances(db) == before


async def test_database_refuses_moving_a_line_into_a_posted_voucher(db):
    await setup_books(db)
    vid = await do_create_voucher(
        db,
        manual("capital", VoucherLineInput("1002", debit="100.00"), VoucherLineInput("4001", credit="100.00")),
        ACCOUNTANT,
    )
    await do_review_voucher(db, vid, FINANCE_MANAGER)
    await do_post_voucher(db, vid, FINANCE_MANAGER)
    other = await do_create_voucher(
        db, manual("draft", VoucherLineInput("1001", debit="1.00"), VoucherLineInput("4001", credit="1.00")), ACCOUNTANT
    )
    with pytest.raises(Exception):  # noqa: B017
        async with db.write() as conn:
            await conn.execute(
                text(
                    f"UPDATE voucher_line SET voucher_id = {vid}, period = {P}, posted = true "
                    f"WHERE voucher_id = {other} AND line_no = 1"
                )
            )
    assert await balances(db) == {"1002": 10000, "4001": -10000}
    await assert_books_clean(db)


async def test_database_refuses_posted_lines_on_a_draft_voucher(db):
    await setup_books(db)
    draft = await do_create_voucher(
        db, manual("draft", VoucherLineInput("1001", debit="1.00"), VoucherLineInput("4001", credit="1.00")), ACCOUNTANT
    )
    with pytest.raises(Exception):  # noqa: B017
        async with db.write() as conn:
            await conn.execute(
                text(f"UPDATE voucher_line SET period = {P}, posted = true WHERE voucher_id = {draft} AND line_no = 1")
            )
    assert await balances(db) == {}


# ---- 4. closed periods ------------------------------------------------------------------------------


async def test_closed_periods_refuse_manual_vouchers_and_move_documents_forward(db):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    w = pw.w
    # activity in the previous month: a prepayment of 300.00 (1123 / 1002), then the month is closed
    await do_record_supplier_payment(db, PaymentInput(pw.supplier, "300.00", payment_date=LAST_DAY), CASHIER)
    first = await last_voucher(db, "supplier_payment")
    assert (first.period, first.voucher_date, first.number) == (LAST, LAST_DAY, "记-0001")
    assert await do_close_profit(db, LAST, FINANCE_MANAGER) == []  # no income or expense to close
    await do_close_period(db, LAST, FINANCE_MANAGER)
    assert await period_status(db, LAST) == "closed"
    await fails(do_close_period(db, LAST, FINANCE_MANAGER), "INVALID_STATUS", "period")

    # an accountant's voucher dated in the closed month is refused, and nothing is written
    before = await count_rows(db, voucher)
    await fails(
        do_create_voucher(
            db,
            manual(
                "late capital",
                VoucherLineInput("1001", debit="10.00"),
                VoucherLineInput("4001", credit="10.00"),
                on=LAST_DAY,
            ),
            ACCOUNTANT,
        ),
        "PERIOD_CLOSED",
        "date",
    )
    assert await count_rows(db, voucher) == before

    # a business document dated in the closed month posts into the first open period, keeping its date
    await do_record_supplier_payment(db, PaymentInput(pw.supplier, "200.00", payment_date=LAST_DAY), CASHIER)
    late = await last_voucher(db, "supplier_payment")
    assert (late.period, late.voucher_date, late.document_date) == (P, period_start(P), LAST_DAY)
    assert late.number == "记-0001"  # numbering is per period
    assert await balances(db, period=LAST) == {"1123": 30000, "1002": -30000}  # the closed month is untouched
    assert await balances(db) == {"1123": 50000, "1002": -50000}

    # 反结账 needs finance.period and a reason, and is audited
    await fails(do_reopen_period(db, LAST, "  ", FINANCE_MANAGER), "REQUIRED", "reason")
    await fails(do_reopen_period(db, LAST, "补录发票 missing invoice", CASHIER), "PERMISSION_DENIED")
    assert await period_status(db, LAST) == "closed"
    with audited("user:zhuguan", "reopenPeriod"):
        await do_reopen_period(db, LAST, "补录发票 missing invoice", FINANCE_MANAGER)
    assert await period_status(db, LAST) == "open"
    async with db.read() as conn:
        entries = (
            await conn.execute(
                select(audit_log).where(audit_log.c.target == f"period:{LAST}", audit_log.c.actor == "user:zhuguan")
            )
        ).all()
    assert len(entries) == 1  # (closing the period, done outside the API here, is audited as the system's)
    assert entries[0].operation == "reopenPeriod"
    assert json.loads(entries[0].details) == {
        "before": {"status": "closed"},
        "after": {"status": "open", "reason": "补录发票 missing invoice"},
    }
    await fails(do_reopen_period(db, LAST, "again", FINANCE_MANAGER), "INVALID_STATUS", "period")

    # the current month cannot be closed while the previous one is open
    await fails(do_close_period(db, P, FINANCE_MANAGER), "PREVIOUS_PERIOD_OPEN", "period")
    assert await period_status(db, P) == "open"
    await do_close_period(db, LAST, FINANCE_MANAGER)

    # … nor while 待处理财产损溢 holds a balance: stock received without a document sits in 1901
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, quantity="4", location_id=w.a1, unit_cost="2.50")])
    assert (await balances(db))["1901"] == -1000
    await fails(do_close_period(db, P, FINANCE_MANAGER), "SUSPENSE_NOT_CLEAR", "period")
    assert await period_status(db, P) == "open"
    opening = await last_voucher(db, "stock_operation")
    await do_clear_suspense(db, opening.id, FINANCE_MANAGER, gain_treatment="income", on=TODAY)  # 6602 −10.00
    # … nor with a voucher of the month not posted, nor with income and expense not closed to 本年利润
    draft = await do_create_voucher(
        db, manual("draft", VoucherLineInput("1001", debit="1.00"), VoucherLineInput("4001", credit="1.00")), ACCOUNTANT
    )
    await fails(do_close_period(db, P, FINANCE_MANAGER), "UNPOSTED_VOUCHERS", "period")
    await do_delete_voucher(db, draft, ACCOUNTANT)
    await fails(do_close_period(db, P, FINANCE_MANAGER), "PROFIT_NOT_CLOSED", "period")
    pl_close, *year_end = await do_close_profit(db, P, FINANCE_MANAGER)
    assert sorted(await lines_of(db, pl_close)) == [("4103", 0, 1000), ("6602", 1000, 0)]
    await do_close_period(db, P, FINANCE_MANAGER)
    assert await period_status(db, P) == "closed"
    b = await balances(db)
    if P % 100 == 12:  # 年末: 本年利润 goes on to 利润分配 (run on 12-31 by `make test`)
        assert [sorted(await lines_of(db, v)) for v in year_end] == [[("4103", 1000, 0), ("4104", 0, 1000)]]
        assert (b.get("6602", 0), b.get("4103", 0), b["4104"], b.get("1901", 0)) == (0, 0, -1000, 0)
    else:
        assert year_end == []
        assert (b.get("6602", 0), b["4103"], b.get("1901", 0)) == (0, -1000, 0)
    with audited("user:zhuguan", "reopenPeriod"):  # only the latest closed period can be reopened
        await fails(do_reopen_period(db, LAST, "wrong month", FINANCE_MANAGER), "LATER_PERIOD_CLOSED", "period")
    assert await period_status(db, LAST) == "closed"
    await assert_books_clean(db)


async def test_a_month_skipped_before_a_closed_period_is_closed_too(db):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    gap = previous_period(LAST)
    before_gap = previous_period(gap)
    await do_record_supplier_payment(
        db, PaymentInput(pw.supplier, "1.00", payment_date=period_start(before_gap)), CASHIER
    )
    await do_record_supplier_payment(db, PaymentInput(pw.supplier, "2.00", payment_date=LAST_DAY), CASHIER)
    await do_close_period(db, before_gap, FINANCE_MANAGER)
    try:  # nothing happened in the gap month: either closing skips it, or it must be closed first
        await do_close_period(db, LAST, FINANCE_MANAGER)
    except DomainError as exc:
        assert [d.code for d in exc.details] == ["PREVIOUS_PERIOD_OPEN"]
        await do_close_period(db, gap, FINANCE_MANAGER)
        await do_close_period(db, LAST, FINANCE_MANAGER)
    closed = await balances(db, period=LAST)
    assert closed == {"1123": 300, "1002": -300}

    # a document dated in the gap month arrives late: it must post after the closed periods
    await do_record_supplier_payment(db, PaymentInput(pw.supplier, "4.00", payment_date=period_start(gap)), CASHIER)
    late = await last_voucher(db, "supplier_payment")
    assert (late.period, late.voucher_date) == (P, period_start(P))
    assert await balances(db, period=LAST) == closed
    await fails(
        do_create_voucher(
            db,
            manual(
                "late",
                VoucherLineInput("1001", debit="1.00"),
                VoucherLineInput("4001", credit="1.00"),
                on=period_start(gap),
            ),
            ACCOUNTANT,
        ),
        "PERIOD_CLOSED",
        "date",
    )


# ---- 5. prepayments and advances applied later ------------------------------------------------------


async def test_prepayment_and_advance_applied_later(db):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    customer = await do_create_partner(db, "customer", PartnerInput(code="C100", name="华联超市"))

    # 1,000.00 paid before any bill: all of it is a prepayment (1123)
    pay = await do_record_supplier_payment(db, PaymentInput(pw.supplier, "1000.00", payment_date=TODAY), CASHIER)
    b0 = await balances(db)
    assert (b0["1123"], b0["1002"], b0.get("220201", 0)) == (100000, -100000, 0)
    # 50 × 12.00 received and billed: 600.00 + 78.00 VAT = 678.00 payable
    bill = await received_bill(db, pw)
    b1 = await balances(db)
    assert (b1["220201"], b1.get("220202", 0), b1["22210101"], b1["1405"]) == (-67800, 0, 7800, 60000)
    # 678.00 of the prepayment settles the bill: 预付 → 应付
    await do_allocate_prepayment(db, pay, [Allocation(bill, "678.00")], CASHIER, on=TODAY)
    b2 = await balances(db)
    assert b1["1123"] - b2["1123"] == 67800 and b2.get("220201", 0) - b1["220201"] == 67800
    assert (b2["1123"], b2.get("220201", 0), b2["1002"]) == (32200, 0, -100000)
    applied = await last_voucher(db, "supplier_payment")
    assert sorted(await lines_of(db, applied.id)) == [("1123", 0, 67800), ("220201", 67800, 0)]
    async with db.read() as conn:
        assert (
            await conn.execute(select(supplier_bill.c.status).where(supplier_bill.c.id == bill))
        ).scalar_one() == "paid"
    await assert_books_clean(db)

    # 500.00 received before any invoice: all of it is an advance (2203)
    rec = await do_record_customer_receipt(db, CustomerReceiptInput(customer, "500.00", receipt_date=TODAY), CASHIER)
    b3 = await balances(db)
    assert (b3["2203"], b3["1002"] - b2["1002"]) == (-50000, 50000)
    # 10 widgets at 20.00: 200.00 + 26.00 VAT = 226.00 receivable
    inv = await shipped_invoice(db, customer, pw.w.wh1, pw.w.a1, pw.widget, "10")
    b4 = await balances(db)
    assert (b4["1122"], b4["6001"], b4["22210102"]) == (22600, -20000, -2600)
    await do_apply_advance(db, rec, [SalesAllocation(inv, "226.00")], CASHIER, on=TODAY)
    b5 = await balances(db)
    assert b5["2203"] - b4["2203"] == 22600 and b4["1122"] - b5.get("1122", 0) == 22600
    assert (b5["2203"], b5.get("1122", 0)) == (-27400, 0)
    applied = await last_voucher(db, "customer_receipt")
    assert sorted(await lines_of(db, applied.id)) == [("1122", 0, 22600), ("2203", 22600, 0)]
    async with db.read() as conn:
        assert (
            await conn.execute(select(sales_invoice.c.status).where(sales_invoice.c.id == inv))
        ).scalar_one() == "paid"
    await assert_books_clean(db)


# ---- 6. production ----------------------------------------------------------------------------------


async def test_production_moves_materials_labour_and_overhead_through_wip(db):
    await setup_books(db)
    w = await make_world(db)
    a = await make_product(db, w, purchase_price="2.00")
    b = await make_product(db, w, purchase_price="3.00")
    kit = await make_product(db, w, purchase_price="0.00")
    await do_receive_stock(
        db,
        [
            StockLine(product_id=a, location_id=w.a1, quantity="50", unit_cost="2.00"),
            StockLine(product_id=b, location_id=w.a1, quantity="50", unit_cost="3.00"),
        ],
    )
    await do_clear_suspense(
        db, (await last_voucher(db, "stock_operation")).id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY
    )
    await do_set_bill_of_materials(db, kit, [ComponentInput(a, "2"), ComponentInput(b, "1")])
    keeper = principal("warehouse_keeper", 60, "chejian")
    order_id = await do_create_production_order(
        db, ProductionInput(kit, w.wh1, "10", labour="15.00", overhead="5.00"), keeper
    )
    assert (await balances(db)).get("5001", 0) == 0  # nothing booked while the order is open
    async with db.read() as conn:
        la, lb = (
            await conn.execute(
                select(production_order_line)
                .where(production_order_line.c.order_id == order_id)
                .order_by(production_order_line.c.id)
            )
        ).all()
    await do_issue_materials(db, order_id, [MaterialLine(la.id, "20", w.a1), MaterialLine(lb.id, "10", w.a1)], keeper)
    mid = await balances(db)
    # materials 40.00 + 30.00 and conversion costs 15.00 + 5.00 sit in 生产成本
    assert (mid["5001"], mid["2211"], mid["5101"]) == (9000, -1500, -500)
    assert mid["1405"] == 25000 - 7000
    assert await do_receive_finished_goods(db, order_id, FinishedGoodsInput("4", w.a2), keeper) == 3600
    assert (await balances(db))["5001"] == 9000 - 3600
    assert await do_receive_finished_goods(db, order_id, FinishedGoodsInput("6", w.a2, complete=True), keeper) == 5400
    async with db.read() as conn:
        assert (
            await conn.execute(select(production_order.c.status).where(production_order.c.id == order_id))
        ).scalar_one() == "completed"
    end = await balances(db)
    assert end.get("5001", 0) == 0
    assert (end["2211"], end["5101"]) == (-1500, -500)
    assert end["1405"] == await stock_value(db) == 25000 - 7000 + 9000
    conversion = await vouchers_of(db, "production_order")
    assert len([v for v in conversion if v.source_key.startswith("production_conversion:")]) == 1
    await assert_books_clean(db)


# ---- 7. stock counts ----------------------------------------------------------------------------------


async def approved_count(db):
    """Books set up, 150 × 2.00 on the shelves (opening stock cleared to capital), then a count of WH1
    finding A-01 two short (a loss of 4.00) and A-02 one over (a gain of 2.00), approved."""
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(
        db,
        [
            StockLine(product_id=p, location_id=w.a1, quantity="100", unit_cost="2.00"),
            StockLine(product_id=p, location_id=w.a2, quantity="50", unit_cost="2.00"),
        ],
    )
    await do_clear_suspense(
        db, (await last_voucher(db, "stock_operation")).id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY
    )
    count_id = await do_open_count(db, CountInput(w.wh1), COUNTER)
    async with db.read() as conn:
        a1, a2 = (
            await conn.execute(
                select(stock_count_line).where(stock_count_line.c.count_id == count_id).order_by(stock_count_line.c.id)
            )
        ).all()
    await do_record_counts(db, count_id, [CountEntry("98", a1.id), CountEntry("51", a2.id)], COUNTER)
    await do_approve_count(db, count_id, APPROVER)
    async with db.read() as conn:
        count = (await conn.execute(select(stock_count).where(stock_count.c.id == count_id))).one()
    assert (count.status, count.gain_fen, count.loss_fen) == ("approved", 200, 400)
    return [v for v in await vouchers_of(db, "stock_count") if v.source_number == count.number]


async def test_count_differences_wait_in_suspense_until_cleared(db):
    held = await approved_count(db)
    assert 1 <= len(held) <= 2  # see the next test: today one voucher per stock operation (gains, losses)
    suspense = [ln for v in held for ln in await lines_of(db, v.id) if ln[0] == "1901"]
    assert sorted(suspense) == [("1901", 0, 200), ("1901", 400, 0)]
    b = await balances(db)
    assert (b["1901"], b["1405"]) == (200, 30000 - 200)

    for v in held:  # losses as normal (管理费用), gains reduce 管理费用 (企业会计准则)
        await do_clear_suspense(db, v.id, FINANCE_MANAGER, loss_treatment="normal", gain_treatment="income", on=TODAY)
    b = await balances(db)
    assert (b.get("1901", 0), b["6602"]) == (0, 400 - 200)
    for v in held:
        await fails(do_clear_suspense(db, v.id, FINANCE_MANAGER, on=TODAY), "ALREADY_DISPOSED", "id")
    assert (await balances(db))["6602"] == 200
    await assert_books_clean(db)


async def test_an_approved_count_is_one_voucher(db):
    held = await approved_count(db)
    assert len(held) == 1, [v.source_key for v in held]
    assert sorted(ln for ln in await lines_of(db, held[0].id) if ln[0] == "1901") == [
        ("1901", 0, 200),
        ("1901", 400, 0),
    ]
    disposal = await do_clear_suspense(db, held[0].id, FINANCE_MANAGER, on=TODAY)
    assert sorted(await lines_of(db, disposal)) == [
        ("1901", 0, 400),
        ("1901", 200, 0),
        ("6602", 0, 200),
        ("6602", 400, 0),
    ]


async def test_a_disposal_voucher_cannot_itself_be_cleared(db):
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, quantity="20", location_id=w.a1, unit_cost="5.00")])
    disposal = await do_clear_suspense(
        db, (await last_voucher(db, "stock_operation")).id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY
    )
    before = await balances(db)
    assert before == {"1405": 10000, "4001": -10000}
    with pytest.raises(FinanceError):
        await do_clear_suspense(db, disposal, FINANCE_MANAGER, on=TODAY)
    assert await balances(db) == before


async def test_a_reversed_disposal_can_be_redone(db):
    await setup_books(db)
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, quantity="20", location_id=w.a1, unit_cost="5.00")])
    held = await last_voucher(db, "stock_operation")
    wrong = await do_clear_suspense(db, held.id, FINANCE_MANAGER, gain_treatment="income", on=TODAY)
    assert (await balances(db))["6602"] == -10000  # meant as opening stock, booked as a gain by mistake
    await do_reverse_voucher(db, wrong, FINANCE_MANAGER, on=TODAY)
    assert (await balances(db)) == {"1405": 10000, "1901": -10000}
    await do_clear_suspense(db, held.id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY)
    assert await balances(db) == {"1405": 10000, "4001": -10000}
    await assert_books_clean(db)


# ---- 8. posting rules are data -------------------------------------------------------------------------


async def test_posting_rules_and_sub_accounts_redirect_postings(db):
    from tests.sales_helpers import make_sales_world

    await setup_books(db)
    sw = await make_sales_world(db)  # 100 widgets at 10.00 in A-01 (stock received without a document)
    await do_clear_suspense(
        db, (await last_voucher(db, "stock_operation")).id, FINANCE_MANAGER, gain_treatment="capital", on=TODAY
    )

    await do_set_posting_rule(db, "cost_of_sales", "6402", FINANCE_MANAGER)
    assert await rule(db, "cost_of_sales") == "6402"
    await fails(do_set_posting_rule(db, "cost_of_sales", "2221", FINANCE_MANAGER), "NOT_LEAF_ACCOUNT", "accountCode")
    await fails(do_set_posting_rule(db, "cost_of_sales", "9999", FINANCE_MANAGER), "UNKNOWN_ACCOUNT", "accountCode")
    await fails(do_set_posting_rule(db, "no_such_role", "6402", FINANCE_MANAGER), "NOT_FOUND", "role")
    await fails(do_set_posting_rule(db, "cost_of_sales", "6401", ACCOUNTANT), "PERMISSION_DENIED")
    assert await rule(db, "cost_of_sales") == "6402"

    inv = await shipped_invoice(db, sw.customer, sw.w.wh1, sw.w.a1, sw.widget, "3")  # COGS 3 × 10.00
    b = await balances(db)
    assert b["6402"] == 3000 and "6401" not in b
    assert (b["1122"], b["6001"], b["22210102"]) == (6780, -6000, -780)
    assert b["1405"] == await stock_value(db) == 103000 - 3000  # 100 × 10.00 + 10 × 3.00, less 3 × 10.00
    shipment_voucher = await last_voucher(db, "shipment")
    assert sorted(await lines_of(db, shipment_voucher.id)) == [("1405", 0, 3000), ("6402", 3000, 0)]

    # a sub-account under 1002 (no postings yet): 1002 becomes a parent and the bank rule follows
    assert "1002" not in b
    assert (
        await do_add_account(db, AccountInput(parent_code="1002", code="100201", name="工商银行"), FINANCE_MANAGER)
        == "100201"
    )
    async with db.read() as conn:
        accounts = {
            r.code: r for r in await conn.execute(select(account).where(account.c.code.in_(["1002", "100201"])))
        }
    assert (accounts["1002"].is_leaf, accounts["100201"].is_leaf, accounts["100201"].is_cash) == (False, True, True)
    assert await rule(db, "bank") == "100201"
    await fails(
        do_add_account(db, AccountInput(parent_code="1002", code="100201", name="again"), FINANCE_MANAGER),
        "DUPLICATE_CODE",
        "code",
    )
    await fails(
        do_add_account(db, AccountInput(parent_code="1002", code="200201", name="wrong prefix"), FINANCE_MANAGER),
        "INVALID_VALUE",
        "code",
    )
    await fails(
        do_add_account(db, AccountInput(parent_code="1122", code="112201", name="in use"), FINANCE_MANAGER),
        "ACCOUNT_IN_USE",
        "parentCode",
    )
    await fails(
        do_create_voucher(
            db,
            manual("parent", VoucherLineInput("1002", debit="1.00"), VoucherLineInput("4001", credit="1.00")),
            ACCOUNTANT,
        ),
        "NOT_LEAF_ACCOUNT",
    )

    await do_record_customer_receipt(
        db,
        CustomerReceiptInput(sw.customer, "67.80", receipt_date=TODAY, allocations=[SalesAllocation(inv, "67.80")]),
        CASHIER,
    )
    receipt = await last_voucher(db, "customer_receipt")
    assert sorted(await lines_of(db, receipt.id)) == [("100201", 6780, 0), ("1122", 0, 6780)]
    b = await balances(db)
    assert b["100201"] == 6780 and "1002" not in b and b.get("1122", 0) == 0
    await assert_books_clean(db)


async def test_vat_transfer_with_output_vat_split_by_rate(db):
    await setup_books(db)
    await do_add_account(
        db, AccountInput(parent_code="22210102", code="2221010201", name="销项税额 13%"), FINANCE_MANAGER
    )
    assert await rule(db, "output_vat") == "2221010201"
    pw = await make_purchasing_world(db)
    await received_bill(db, pw)  # input VAT 78.00
    customer = await do_create_partner(db, "customer", PartnerInput(code="C100", name="华联超市"))
    await shipped_invoice(db, customer, pw.w.wh1, pw.w.a1, pw.widget, "10")  # output VAT 26.00
    b = await balances(db)
    assert (b["22210101"], b["2221010201"]) == (7800, -2600)
    # input exceeds output (留抵): there is no VAT payable to transfer
    assert await do_transfer_vat(db, P, FINANCE_MANAGER) is None
    assert "22210104" not in await balances(db)


# ---- 9. exactly once after a crash ----------------------------------------------------------------------


async def test_poster_crash_rolls_back_the_batch_and_a_rerun_books_each_source_once(db, monkeypatch):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    w = pw.w
    await post_pending(db)  # the master-data events: nothing to book
    async with db.read() as conn:
        start = (await conn.execute(select(poster_state.c.last_seq))).scalar_one()
    assert await count_rows(db, voucher) == 0

    for i in range(4):  # four stock operations and three payments
        await do_receive_stock(
            db, [StockLine(product_id=pw.widget, quantity=str(i + 1), location_id=w.a1, unit_cost="10.00")]
        )
    for amount in ("10.00", "20.00", "30.00"):
        await do_record_supplier_payment(db, PaymentInput(pw.supplier, amount, payment_date=TODAY), CASHIER)

    original = Poster.post
    calls = {"n": 0, "written_before_crash": None}

    async def crashing(self, seq, event_type, payload):
        calls["n"] += 1
        if calls["n"] == 3:
            calls["written_before_crash"] = (
                await self.conn.execute(select(func.count()).select_from(voucher))
            ).scalar_one()
            raise RuntimeError("poster crashed")
        return await original(self, seq, event_type, payload)

    monkeypatch.setattr(Poster, "post", crashing)
    with pytest.raises(RuntimeError, match="poster crashed"):
        await post_pending(db)
    assert calls["written_before_crash"] >= 1  # vouchers were written in the batch …
    assert await count_rows(db, voucher) == 0  # … and rolled back with it
    assert await count_rows(db, voucher_line) == 0
    async with db.read() as conn:
        assert (await conn.execute(select(poster_state.c.last_seq))).scalar_one() == start

    monkeypatch.undo()
    assert Poster.post is original
    assert await post_pending(db) > 0
    async with db.read() as conn:
        keys = (await conn.execute(select(voucher.c.source_key, func.count()).group_by(voucher.c.source_key))).all()
        ops = (await conn.execute(select(stock_operation.c.id).order_by(stock_operation.c.id))).scalars().all()
    assert all(n == 1 for _, n in keys), keys
    assert len(ops) == 4
    assert sorted(k for k, _ in keys) == sorted(
        [f"stock_operation:{op}" for op in ops] + [f"supplier_payment:{i}" for i in (1, 2, 3)]
    )
    b = await balances(db)
    assert (b["1405"], b["1901"], b["1123"], b["1002"]) == (10000, -10000, 6000, -6000)
    await assert_books_clean(db)

    before = await count_rows(db, voucher), await count_rows(db, voucher_line)
    assert await post_pending(db) == 0
    assert (await count_rows(db, voucher), await count_rows(db, voucher_line)) == before


# ---- 10. property: random business sequences keep the books clean ---------------------------------------

small_qty = st.integers(1, 6)
yuan_fen = st.integers(1, 500_00)  # 0.01 – 500.00
operations = st.one_of(
    st.tuples(st.just("receive"), small_qty, st.integers(1, 30_00)),  # quantity, unit cost in fen
    st.tuples(st.just("issue"), small_qty),
    st.tuples(st.just("adjust"), st.integers(-4, 4).filter(bool)),
    st.tuples(st.just("supplier_payment"), yuan_fen),
    st.tuples(st.just("customer_receipt"), yuan_fen),
    st.tuples(st.just("sale"), st.integers(1, 3)),
)


def _yuan(f: int) -> str:
    return f"{f // 100}.{f % 100:02d}"


async def _on_hand(database, product_id: int) -> int:
    async with database.read() as conn:
        qty = (await conn.execute(select(product_cost.c.qty).where(product_cost.c.product_id == product_id))).scalar()
    return (qty or 0) // Q


async def _apply(database, op, w, widget: int, supplier: int, customer: int) -> bool:
    """Run one generated step; ``False`` when it does not apply (nothing on hand to issue or sell)."""
    kind = op[0]
    stock = await _on_hand(database, widget)
    if kind == "receive":
        await do_receive_stock(
            database, [StockLine(product_id=widget, quantity=str(op[1]), location_id=w.a1, unit_cost=_yuan(op[2]))]
        )
    elif kind == "issue" and stock:
        await do_issue_stock(
            database, [StockLine(product_id=widget, quantity=str(min(op[1], stock)), location_id=w.a1)]
        )
    elif kind == "adjust" and (op[1] > 0 or stock):
        qty = op[1] if op[1] > 0 else -min(-op[1], stock)
        await do_adjust_stock(
            database,
            [StockLine(product_id=widget, quantity=str(qty), location_id=w.a1)],
            reason="随机调整 random adjustment",
        )
    elif kind == "supplier_payment":
        await do_record_supplier_payment(database, PaymentInput(supplier, _yuan(op[1]), payment_date=TODAY), CASHIER)
    elif kind == "customer_receipt":  # applied to the oldest open invoice, the rest is an advance
        async with database.read() as conn:
            open_inv = (
                await conn.execute(
                    select(sales_invoice).where(sales_invoice.c.status == "open").order_by(sales_invoice.c.id)
                )
            ).first()
        allocations = []
        if open_inv is not None:
            allocations = [SalesAllocation(open_inv.id, _yuan(min(op[1], open_inv.total_fen - open_inv.received_fen)))]
        await do_record_customer_receipt(
            database, CustomerReceiptInput(customer, _yuan(op[1]), receipt_date=TODAY, allocations=allocations), CASHIER
        )
    elif kind == "sale" and stock:
        await shipped_invoice(database, customer, w.wh1, w.a1, widget, str(min(op[1], stock)))
    else:
        return False
    return True


async def _run_sequence(url: str, ops) -> None:
    database = Database(url)
    try:
        await setup_books(database)
        w = await make_world(database)
        widget = await make_product(database, w)
        supplier = await do_create_partner(database, "supplier", PartnerInput(code="S001", name="华东五金"))
        customer = await do_create_partner(database, "customer", PartnerInput(code="C100", name="华联超市"))
        for op in ops:
            if await _apply(database, op, w, widget, supplier, customer):
                await assert_books_clean(database)
        b = await balances(database)
        assert b.get("1405", 0) == await stock_value(database)
        assert sum(b.values()) == 0
    finally:
        await database.dispose()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operations, min_size=1, max_size=8))
def test_random_business_sequences_keep_the_books_clean(test_databases, ops):
    url = test_databases.fresh_url()

    async def example():
        await test_databases.reset(url)
        await _run_sequence(url, ops)

    asyncio.run(example())
