"""Opening balances (期初建账, issue #19): a go-live date, opening stock, open items and account
balances in one balanced entry dated the day before go-live, tied out by ``jxc check``; all or nothing;
fixed once a period is closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.core import clock
from server.finance.closing import do_close_period
from server.finance.ledger import period_of, period_start
from server.finance.models import voucher
from server.inventory.models import stock_level, stock_move
from server.opening.errors import OpeningError
from server.opening.services import (
    OpeningAccount,
    OpeningInput,
    OpeningItem,
    OpeningStock,
    do_post_opening,
    do_set_go_live_date,
    opening_status,
)
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.bills import Allocation as BillAllocation
from server.purchasing.bills import PaymentInput, do_allocate_prepayment, do_record_supplier_payment
from server.purchasing.models import supplier_bill, supplier_payment
from server.sales.invoicing import Allocation as InvoiceAllocation
from server.sales.invoicing import CustomerReceiptInput, do_record_customer_receipt
from server.sales.models import customer_receipt, sales_invoice
from tests.factories import make_product, make_world
from tests.finance_helpers import CASHIER, FINANCE_MANAGER, assert_books_clean, balances, setup_books, vouchers_of
from tests.purchasing_helpers import ACCOUNTANT, ADMIN

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

Y = 100  # fen per yuan


def _go_live():
    """The first day of this month: the opening entry lands on the last day of the previous one."""
    return period_start(period_of(clock.today()))


async def _world(db):
    await setup_books(db)
    w = await make_world(db)
    widget = await make_product(db, w, purchase_price="2.00")
    lotted = await make_product(db, w, tracking="lot", purchase_price="3.00")
    shop = await do_create_partner(db, "customer", PartnerInput(code="C001", name="好邻居便利店"))
    mill = await do_create_partner(db, "supplier", PartnerInput(code="S001", name="华东五金"))
    return w, widget, lotted, shop, mill


def _opening(w, widget, lotted, shop, mill, go_live, *, capital="5830.00"):
    before = go_live - timedelta(days=10)
    return OpeningInput(
        stock=[
            OpeningStock(widget, w.a1, "100", unit_cost="2.50"),  # 250.00 in WH1
            OpeningStock(lotted, w.b1, "10", amount="33.33", lot="L2026", expiry_date=go_live + timedelta(days=90)),
        ],
        items=[
            OpeningItem("receivable", shop, "OLD-AR-1", before, "1000.00", due_date=before + timedelta(days=30)),
            OpeningItem("payable", mill, "OLD-AP-7", before, "600.00"),
            OpeningItem("customer_advance", shop, "OLD-ADV-1", before, "50.00"),
            OpeningItem("supplier_prepayment", mill, "OLD-PP-1", before, "80.00"),
        ],
        accounts=[
            OpeningAccount("1002", debit="5000.00"),
            OpeningAccount("1601", debit="116.67"),
            OpeningAccount("4001", credit=capital),
        ],
    )


async def _counts(db) -> dict[str, int]:
    async with db.read() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in (stock_move, sales_invoice, supplier_bill, customer_receipt, supplier_payment, voucher)
        }


async def test_opening_entry_books_stock_open_items_and_accounts_the_day_before_go_live(db):
    w, widget, lotted, shop, mill = await _world(db)
    go_live = _go_live()
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    voucher_id = await do_post_opening(db, _opening(w, widget, lotted, shop, mill, go_live), FINANCE_MANAGER)

    (v,) = await vouchers_of(db, "opening_balance")
    assert v.id == voucher_id
    assert v.document_date == go_live - timedelta(days=1)  # the old books' closing day
    assert v.period == period_of(go_live - timedelta(days=1))
    b = await balances(db)
    assert b["1405"] == 250 * Y + 3333
    assert b["1122"] == 1000 * Y
    assert b["220201"] == -600 * Y
    assert b["2203"] == -50 * Y
    assert b["1123"] == 80 * Y
    assert b["1002"] == 5000 * Y
    assert b["4001"] == -5830 * Y
    by_wh = await balances(db, by="warehouse_id")
    assert by_wh[("1405", w.wh1)] == 250 * Y and by_wh[("1405", w.wh2)] == 3333
    async with db.read() as conn:
        levels = {(r.product_id, r.location_id): (r.qty, r.lot_id) for r in await conn.execute(select(stock_level))}
    assert set(levels) == {(widget, w.a1), (lotted, w.b1)}
    assert levels[(lotted, w.b1)][1] is not None  # the lot was created with its expiry
    await assert_books_clean(db)  # jxc check: 1405 = stock value, 1122/2202/2203/1123 = open items

    status = await opening_status(db)
    assert status.go_live_date == go_live and status.entries == (voucher_id,) and not status.locked


async def test_opening_items_are_settled_like_any_document(db):
    """An opening receivable is received, an opening payable paid, an opening prepayment used: the
    books stay tied out."""
    w, widget, lotted, shop, mill = await _world(db)
    go_live = _go_live()
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    await do_post_opening(db, _opening(w, widget, lotted, shop, mill, go_live), FINANCE_MANAGER)
    async with db.read() as conn:
        invoice_id = (await conn.execute(select(sales_invoice.c.id))).scalar_one()
        bill_id = (await conn.execute(select(supplier_bill.c.id))).scalar_one()
        prepayment_id = (await conn.execute(select(supplier_payment.c.id))).scalar_one()
    await do_record_customer_receipt(
        db,
        CustomerReceiptInput(
            shop, "400.00", receipt_date=go_live, allocations=[InvoiceAllocation(invoice_id, "400.00")]
        ),
        CASHIER,
    )
    await do_allocate_prepayment(db, prepayment_id, [BillAllocation(bill_id, "80.00")], CASHIER, on=go_live)
    await do_record_supplier_payment(
        db, PaymentInput(mill, "520.00", payment_date=go_live, allocations=[BillAllocation(bill_id, "520.00")]), CASHIER
    )
    b = await balances(db)
    assert b["1122"] == 600 * Y
    assert "220201" not in b and "1123" not in b
    async with db.read() as conn:
        bill = (await conn.execute(select(supplier_bill))).one()
    assert bill.paid_fen == 600 * Y and bill.status == "paid"
    await assert_books_clean(db)


async def test_an_unbalanced_opening_writes_nothing(db):
    w, widget, lotted, shop, mill = await _world(db)
    go_live = _go_live()
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    before = await _counts(db)
    with pytest.raises(OpeningError) as e:
        await do_post_opening(db, _opening(w, widget, lotted, shop, mill, go_live, capital="5800.00"), FINANCE_MANAGER)
    assert [(d.code, d.field) for d in e.value.details] == [("OPENING_UNBALANCED", "accounts")]
    assert e.value.details[0].params == {"debit": "6480.00", "credit": "6450.00"}
    assert await _counts(db) == before


async def test_every_problem_is_listed_at_once_and_nothing_is_written(db):
    w, widget, lotted, _shop, mill = await _world(db)
    go_live = _go_live()
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    before = await _counts(db)
    bad = OpeningInput(
        stock=[
            OpeningStock(widget, w.a1, "1.5", unit_cost="2.00"),  # a piece has no decimals
            OpeningStock(lotted, w.a1, "5", unit_cost="3.00"),  # lot-tracked, no lot
            OpeningStock(widget, w.a1, "5"),  # no cost
        ],
        items=[
            OpeningItem("receivable", 9999, "X-1", go_live - timedelta(days=1), "10.00"),  # no such customer
            OpeningItem("payable", mill, "X-2", go_live, "10.00"),  # not before go-live
            OpeningItem("payable", mill, "X-3", go_live - timedelta(days=5), "0"),  # no amount
            OpeningItem("payable", mill, "X-3", go_live - timedelta(days=5), "1.00"),  # the same number twice
        ],
        accounts=[
            OpeningAccount("1405", debit="10.00"),  # from opening stock only
            OpeningAccount("2202", credit="10.00"),  # the parent of the payables account
            OpeningAccount("6001", credit="10.00"),  # profit and loss
            OpeningAccount("1002", debit="10.00", credit="10.00"),
            OpeningAccount("9999", debit="1.00"),
        ],
    )
    with pytest.raises(OpeningError) as e:
        await do_post_opening(db, bad, FINANCE_MANAGER)
    got = {(d.code, d.field) for d in e.value.details}
    assert {
        ("CONTROLLED_ACCOUNT", "accounts.0.account"),
        ("CONTROLLED_ACCOUNT", "accounts.1.account"),
        ("PROFIT_AND_LOSS_ACCOUNT", "accounts.2.account"),
        ("DEBIT_OR_CREDIT", "accounts.3"),
        ("NOT_FOUND", "accounts.4.account"),
        ("NOT_FOUND", "items.0.partnerId"),
        ("DATE_NOT_BEFORE_GO_LIVE", "items.1.documentDate"),
        ("INVALID_VALUE", "items.2.amount"),
        ("DUPLICATE_CODE", "items.3.number"),
        ("REQUIRED", "stock.2.unitCost"),
    } <= got
    assert any(f and f.startswith("stock.0.") for _, f in got)  # the stock ledger's own checks, renamed
    assert any(f and f.startswith("stock.1.") for _, f in got)
    assert await _counts(db) == before


async def test_go_live_is_required_and_fixed_once_an_opening_is_posted(db):
    w, widget, lotted, shop, mill = await _world(db)
    go_live = _go_live()
    with pytest.raises(OpeningError) as e:
        await do_post_opening(db, _opening(w, widget, lotted, shop, mill, go_live), FINANCE_MANAGER)
    assert e.value.details[0].code == "GO_LIVE_NOT_SET"
    await do_set_go_live_date(db, go_live + timedelta(days=1), FINANCE_MANAGER)
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)  # moved freely before the first entry
    await do_post_opening(db, _opening(w, widget, lotted, shop, mill, go_live), FINANCE_MANAGER)
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)  # the same date again: nothing to do
    with pytest.raises(OpeningError) as e:
        await do_set_go_live_date(db, go_live + timedelta(days=1), FINANCE_MANAGER)
    assert e.value.details[0].code == "GO_LIVE_FIXED"


async def test_a_correcting_entry_is_allowed_until_a_period_is_closed(db):
    w, widget, lotted, shop, mill = await _world(db)
    go_live = _go_live()
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    await do_post_opening(db, _opening(w, widget, lotted, shop, mill, go_live), FINANCE_MANAGER)
    fix = OpeningInput(accounts=[OpeningAccount("1001", debit="12.30"), OpeningAccount("4001", credit="12.30")])
    await do_post_opening(db, fix, FINANCE_MANAGER)
    assert len((await opening_status(db)).entries) == 2
    await do_close_period(db, period_of(go_live - timedelta(days=1)), FINANCE_MANAGER)
    assert (await opening_status(db)).locked
    with pytest.raises(OpeningError) as e:
        await do_post_opening(db, fix, FINANCE_MANAGER)
    assert e.value.details[0].code == "OPENING_LOCKED"
    with pytest.raises(OpeningError) as e:
        await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    assert e.value.details[0].code == "OPENING_LOCKED"
    await assert_books_clean(db)


async def test_only_a_finance_administrator_posts_the_opening(db):
    w, widget, lotted, shop, mill = await _world(db)
    go_live = _go_live()
    for who in (ACCOUNTANT, CASHIER):
        with pytest.raises(OpeningError) as e:
            await do_set_go_live_date(db, go_live, who)
        assert e.value.details[0].code == "PERMISSION_DENIED"
    await do_set_go_live_date(db, go_live, ADMIN)
    with pytest.raises(OpeningError) as e:
        await do_post_opening(db, _opening(w, widget, lotted, shop, mill, go_live), ACCOUNTANT)
    assert e.value.details[0].code == "PERMISSION_DENIED"


async def test_texts_that_reach_a_column_are_checked_at_the_input(db):
    w, widget, lotted, shop, mill = await _world(db)
    go_live = _go_live()
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    data = _opening(w, widget, lotted, shop, mill, go_live)
    data.items[0].number = "N" * 21
    data.memo = "备" * 201
    with pytest.raises(OpeningError) as e:
        await do_post_opening(db, data, FINANCE_MANAGER)
    assert {(d.code, d.field) for d in e.value.details} == {
        ("INVALID_VALUE", "items.0.number"),
        ("INVALID_VALUE", "memo"),
    }


POST = """mutation($input: OpeningInput!) { postOpeningBalances(input: $input) {
  voucher { number voucherDate total } errors { field code message } } }"""


async def test_the_api_sets_go_live_and_posts_an_opening_in_the_callers_language(gql):
    from schema.relay import to_global_id

    w, widget, _lotted, shop, mill = await _world(gql.db)
    go_live = _go_live()
    r = await gql.execute(
        "mutation($d: Date!) { setGoLiveDate(date: $d) { opening { goLiveDate locked } errors { code } } }",
        {"d": go_live.isoformat()},
    )
    assert r["setGoLiveDate"] == {"opening": {"goLiveDate": go_live.isoformat(), "locked": False}, "errors": []}
    stock = [
        {
            "productId": to_global_id("Product", widget),
            "locationId": to_global_id("Location", w.a1),
            "quantity": "10",
            "unitCost": "2.00",
        }
    ]
    items = [
        {
            "kind": "RECEIVABLE",
            "partnerId": to_global_id("Customer", shop),
            "number": "OLD-1",
            "documentDate": (go_live - timedelta(days=3)).isoformat(),
            "amount": "30.00",
        }
    ]
    unbalanced = {"stock": stock, "items": items, "accounts": [{"accountCode": "4001", "credit": "49.00"}]}
    bad = await gql.execute(POST, {"input": unbalanced}, lang="en")
    assert bad["postOpeningBalances"]["voucher"] is None
    (err,) = bad["postOpeningBalances"]["errors"]
    assert err["code"] == "OPENING_UNBALANCED" and "debit 50.00, credit 49.00" in err["message"]
    wrong_id = dict(unbalanced, items=[dict(items[0], partnerId=to_global_id("Supplier", mill))])
    bad = await gql.execute(POST, {"input": wrong_id})
    assert bad["postOpeningBalances"]["errors"][0]["field"] == "items.0.partnerId"

    ok = await gql.execute(POST, {"input": dict(unbalanced, accounts=[{"accountCode": "4001", "credit": "50.00"}])})
    assert ok["postOpeningBalances"]["errors"] == []
    v = ok["postOpeningBalances"]["voucher"]
    assert v["voucherDate"] == (go_live - timedelta(days=1)).isoformat() and v["total"] == "50.00"
    status = await gql.execute("{ opening { goLiveDate locked entries { number } } }")
    assert status["opening"]["entries"] == [{"number": v["number"]}]
