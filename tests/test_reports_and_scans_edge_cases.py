"""Edge cases of reports, automation and scan batches found in review: supplier returns are not
consumption, aging and turnover as of past dates and by category, one failing supplier does not stop
the automatic orders, resends after completion or racing the first request, fractional pieces."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.automation.auto_po import do_auto_purchase_orders, do_set_automation
from server.automation.models import automation_log
from server.core import clock
from server.core.numbers import QTY_SCALE
from server.inventory import abc
from server.inventory.reorder import do_set_reorder_rule
from server.inventory.services import StockLine, do_receive_stock
from server.partners.services import do_set_partner_active
from server.purchasing.models import purchase_order
from server.purchasing.prices import SupplierPriceInput, do_create_supplier_price, do_set_preferred_supplier
from server.purchasing.receipts import ReturnInput, ReturnLineInput, do_return_to_supplier
from server.reports import inventory
from server.scanning.errors import ScanningError
from server.scanning.sessions import ScanInput, do_complete_session, do_scan, do_scan_batch, do_start_session
from tests.purchasing_helpers import KEEPER, approved_order_for_scanning, make_purchasing_world, principal
from tests.test_finance_month import fen
from tests.test_purchasing import ln, received_po
from tests.test_reports import small_shop

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

TODAY = clock.today()
Q = QTY_SCALE
GUN = principal("scanner", 80, "gun-01")
EAN = "9521234543213"


# ---- reports ------------------------------------------------------------------------------------------


async def test_returns_to_supplier_are_not_consumption(db):
    pw = await make_purchasing_world(db)
    _po, rc, (line,) = await received_po(db, pw, [ln(pw.widget, "10", "10.00")], on=TODAY)
    await do_return_to_supplier(
        db, ReturnInput(rc, [ReturnLineInput(line.id, "4")], reason="质量问题", return_date=TODAY), KEEPER
    )
    async with db.read() as conn:
        items = {i.product_id: i.consumption for i in await abc.abc_items(conn, TODAY)}
        slow = {s.product_id: s for s in await inventory.slow_movers(conn, TODAY, days=30)}
    # nothing was sold or used in production: no consumption, and the 6 left are dead stock
    assert items[pw.widget] == 0
    assert pw.widget in slow and slow[pw.widget].last_issue is None


async def test_stock_aging_buckets_add_up_to_the_quantity_for_a_past_date(db):
    pw = await make_purchasing_world(db)
    await do_receive_stock(db, [StockLine(product_id=pw.widget, quantity="10", location_id=pw.w.a1, unit_cost="10")])
    async with db.read() as conn:
        rows = await inventory.stock_aging(conn, TODAY - timedelta(days=1))
    # yesterday nothing was on hand; whatever is shown, the buckets must add up to it
    assert all(sum(r.buckets) == r.quantity for r in rows), [(r.quantity, r.buckets) for r in rows]


async def test_turnover_by_category_with_uncategorised_products(db):
    await small_shop(db)  # no product has a category
    async with db.read() as conn:
        rows, total, _basis = await inventory.turnover(conn, TODAY, TODAY, "category", "360")
    assert len(rows) == 1
    (row,) = rows
    assert (row.cost_of_sales, row.opening_value, row.closing_value) == (fen("290"), 0, fen("931"))
    assert row.turnover() == total.turnover()


async def test_turnover_by_warehouse_is_refused_or_right(db):
    pw, _gadget, _dusty, _c1, _c2 = await small_shop(db)
    async with db.read() as conn:
        try:
            rows, _total, _basis = await inventory.turnover(conn, TODAY, TODAY, "warehouse", "360")
        except ValueError:
            return
    assert {r.key: (r.cost_of_sales, r.closing_value) for r in rows} == {str(pw.w.wh1): (fen("290"), fen("931"))}


# ---- automatic purchase orders ----------------------------------------------------------------------------


async def test_one_bad_supplier_does_not_stop_the_other_automatic_orders(db):
    pw = await make_purchasing_world(db)
    for supplier in (pw.supplier, pw.supplier2):
        await do_create_supplier_price(
            db, SupplierPriceInput(supplier, pw.widget if supplier == pw.supplier else pw.flour, "9.50")
        )
    await do_set_preferred_supplier(db, pw.widget, pw.supplier)
    await do_set_preferred_supplier(db, pw.flour, pw.supplier2)
    await do_set_reorder_rule(db, pw.widget, pw.w.wh1, "10", "20")
    await do_set_reorder_rule(db, pw.flour, pw.w.wh1, "10", "20")
    await do_set_partner_active(db, "supplier", pw.supplier, False)  # the first group cannot be ordered
    await do_set_automation(db, "auto_purchase_orders", True, None)
    failure = None
    try:
        await do_auto_purchase_orders(db)
    except Exception as exc:
        failure = exc
    async with db.read() as conn:
        orders = (await conn.execute(select(purchase_order.c.supplier_id))).scalars().all()
        logs = (await conn.execute(select(automation_log.c.summary))).scalars().all()
    assert orders == [pw.supplier2], repr(failure)
    assert len(logs) == 1 and json.loads(logs[0])["orders"]


# ---- scan batches -----------------------------------------------------------------------------------------


async def test_a_replay_after_completion_returns_the_stored_answer(db):
    _pw, _item, number = await approved_order_for_scanning(db, "3")
    sid = await do_start_session(db, "RECEIVE", GUN, document_number=number, location_code="WH1-A-01")
    first = await do_scan(db, sid, EAN, "r1", GUN, quantity="3")
    assert (await do_complete_session(db, sid, GUN)).startswith("RC")
    again = await do_scan(db, sid, EAN, "r1", GUN, quantity="3")  # the answer was lost; the device resends
    assert again.replayed and again.done == first.done == 3 * Q


async def test_a_fractional_quantity_of_pieces_is_refused_at_scan_time(db):
    _pw, _item, number = await approved_order_for_scanning(db, "3")
    sid = await do_start_session(db, "RECEIVE", GUN, document_number=number, location_code="WH1-A-01")
    results = await do_scan_batch(db, sid, [ScanInput(EAN, "f1", quantity="1.5")], GUN)
    if not isinstance(results[0], ScanningError):  # accepted: then the session must be able to post it
        assert (await do_complete_session(db, sid, GUN)).startswith("RC")


@pytest.mark.postgres
async def test_a_resend_racing_the_first_request_gets_the_replayed_answer(db, dbs):
    from tests.race import lock_row_sql, race

    _pw, _item, number = await approved_order_for_scanning(db, "10")
    sid = await do_start_session(db, "RECEIVE", GUN, document_number=number, location_code="WH1-A-01")

    async def send(d):
        return await do_scan_batch(d, sid, [ScanInput(EAN, "dup-1", quantity="2")], GUN)

    results = await race(dbs, [send, send], observer=dbs[-1], hold=lock_row_sql("scan_session", sid))
    assert not any(isinstance(r, BaseException) for r in results), results
    answers = sorted((r[0].replayed, r[0].done) for r in results)
    assert answers == [(False, 2 * Q), (True, 2 * Q)]
