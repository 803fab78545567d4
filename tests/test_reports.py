"""Reports on known small datasets with hand-computed answers; report totals agree with the books and
the stock ledger; forecasts pick the right method on synthetic series; automatic purchase orders and
the job scheduler (once across processes, triggered by stock.low)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.automation.auto_po import do_set_automation
from server.automation.jobs import ensure_jobs, run_due_jobs, run_job
from server.automation.models import automation_log, job
from server.core import clock
from server.core.audit import audit_log
from server.core.numbers import QTY_SCALE
from server.finance.poster import post_pending
from server.inventory import abc
from server.inventory.models import stock_move, stock_operation
from server.inventory.reorder import do_set_reorder_rule
from server.inventory.services import StockLine, do_issue_stock, do_receive_stock
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.models import purchase_order, purchase_order_line
from server.purchasing.prices import SupplierPriceInput, do_create_supplier_price, do_set_preferred_supplier
from server.reports import dashboard, forecast, inventory, purchasing, sales
from server.sales.models import shipment_line
from server.sales.shipping import SalesReturnInput, SalesReturnLineInput, do_take_back_goods
from tests.factories import make_product
from tests.finance_helpers import balances, sell, setup_books
from tests.purchasing_helpers import KEEPER, make_purchasing_world
from tests.test_finance_month import fen, run_month

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

TODAY = clock.today()
Q = QTY_SCALE


async def _sell(db, w, customer, product_id, qty: str, price: str) -> tuple[int, int]:
    so, sh, _inv = await sell(db, w, customer, product_id, qty, price, w.a1, TODAY)
    return so, sh


async def small_shop(db):
    """widget: 100 in at 10.00, 30 sold at 20.00, 5 back; gadget: 50 in at 4.00, 10 sold at 9.00;
    dusty: 7 in at 3.00, never sold."""
    await setup_books(db)
    pw = await make_purchasing_world(db)
    w = pw.w
    gadget = await make_product(db, w, purchase_price="4.00")
    dusty = await make_product(db, w, purchase_price="3.00")
    c1 = await do_create_partner(db, "customer", PartnerInput(code="C1", name="甲客户"))
    c2 = await do_create_partner(db, "customer", PartnerInput(code="C2", name="乙客户"))
    await do_receive_stock(
        db,
        [
            StockLine(product_id=pw.widget, quantity="100", location_id=w.a1, unit_cost="10.00"),
            StockLine(product_id=gadget, quantity="50", location_id=w.a1, unit_cost="4.00"),
            StockLine(product_id=dusty, quantity="7", location_id=w.a2, unit_cost="3.00"),
        ],
    )
    _so, sh = await _sell(db, w, c1, pw.widget, "30", "20.00")
    await _sell(db, w, c2, gadget, "10", "9.00")
    async with db.read() as conn:
        shl = (await conn.execute(select(shipment_line).where(shipment_line.c.shipment_id == sh))).one()
    await do_take_back_goods(
        db, SalesReturnInput(sh, [SalesReturnLineInput(shl.id, "5")], "退货", return_date=TODAY), KEEPER
    )
    return pw, gadget, dusty, c1, c2


async def test_sales_report_by_product_and_customer_by_hand(db):
    pw, gadget, _dusty, c1, c2 = await small_shop(db)
    async with db.read() as conn:
        rep = await sales.sales_report(conn, TODAY, TODAY, "product")
        by_customer = await sales.sales_report(conn, TODAY, TODAY, "customer")
        by_month = await sales.sales_report(conn, TODAY, TODAY, "month")
        top1 = await sales.sales_report(conn, TODAY, TODAY, "product", top=1)
        bottom1 = await sales.sales_report(conn, TODAY, TODAY, "product", bottom=1)
    rows = {int(r.key): r for r in rep.rows}
    w, g = rows[pw.widget], rows[gadget]
    # widget: invoiced 600.00, credit note −100.00; cost 300.00 out, 50.00 back; 30 shipped, 5 returned
    assert (w.quantity, w.revenue, w.cost, w.margin) == (25 * Q, fen("500"), fen("250"), fen("250"))
    assert w.margin_pct == Decimal("50.00") and w.return_rate == Decimal("16.67")
    assert (g.quantity, g.revenue, g.cost, g.margin_pct) == (10 * Q, fen("90"), fen("40"), Decimal("55.56"))
    assert (rep.total.revenue, rep.total.cost) == (fen("590"), fen("290"))
    assert rep.share(w) == Decimal("84.75") and rep.share(g) == Decimal("15.25")
    assert rep.total.previous_revenue == 0
    assert {int(r.key): r.revenue for r in by_customer.rows} == {c1: fen("500"), c2: fen("90")}
    assert [r.key for r in by_month.rows] == [f"{TODAY:%Y-%m}"] and by_month.total.revenue == fen("590")
    assert [int(r.key) for r in top1.rows] == [pw.widget] and [int(r.key) for r in bottom1.rows] == [gadget]


async def test_inventory_reports_by_hand(db):
    pw, gadget, dusty, _c1, _c2 = await small_shop(db)
    await do_set_reorder_rule(db, pw.widget, pw.w.wh1, "80", "90")
    await do_set_reorder_rule(db, gadget, pw.w.wh1, "5", "20")
    async with db.read() as conn:
        now = {int(r.key): (r.quantity, r.value) for r in await inventory.stock_as_of(conn, TODAY, "product")}
        before = await inventory.stock_as_of(conn, TODAY - timedelta(days=1), "product")
        by_wh = {int(r.key): r.value for r in await inventory.stock_as_of(conn, TODAY, "warehouse")}
        _rows, total, basis = await inventory.turnover(conn, TODAY, TODAY, "product", "360")
        slow = await inventory.slow_movers(conn, TODAY, days=30)
        alerts = await inventory.overstock_and_shortage(conn)
        aging = {r.product_id: r.buckets for r in await inventory.stock_aging(conn, TODAY)}
    assert now == {pw.widget: (75 * Q, fen("750")), gadget: (40 * Q, fen("160")), dusty: (7 * Q, fen("21"))}
    assert before == []  # nothing had arrived the day before
    assert by_wh == {pw.w.wh1: fen("931")}
    # cost of sales 290.00, opening 0, closing 931.00 → average 465.50: turnover 0.62, 577.9 days (360)
    assert (
        total.cost_of_sales == fen("290")
        and total.turnover() == Decimal("0.62")
        and total.days(360) == Decimal("577.9")
    )
    assert basis == 360
    assert [(s.product_id, s.dead, s.last_issue) for s in slow] == [(dusty, True, None)]
    assert {(a.product_id, a.kind) for a in alerts} == {(pw.widget, "shortage"), (gadget, "overstock")}
    assert aging[pw.widget] == [75 * Q, 0, 0, 0, 0]


async def test_abc_split_is_a_setting_and_the_counts_use_it(db):
    pw, gadget, dusty, _c1, _c2 = await small_shop(db)
    async with db.read() as conn:
        default = {i.product_id: i.cls for i in await abc.abc_items(conn, TODAY)}
    assert default[dusty] == "C"
    await abc.do_set_abc_split(db, "0.34", "0.33", None)
    async with db.read() as conn:
        items = {i.product_id: (i.cls, i.consumption) for i in await abc.abc_items(conn, TODAY)}
        counted = await abc.abc_classes(conn, pw.w.wh1, TODAY)
    # consumption (issued value): widget 300.00, gadget 40.00, dusty nothing
    assert items == {pw.widget: ("A", fen("300")), gadget: ("B", fen("40")), dusty: ("C", 0)}
    assert counted[pw.widget] == "A"


async def test_report_totals_agree_with_the_books_and_the_stock_ledger(db):
    await run_month(db)
    await post_pending(db)
    b = await balances(db)
    async with db.read() as conn:
        rep = await sales.sales_report(conn, TODAY, TODAY, "product")
        value = await inventory.stock_value_as_of(conn, TODAY)
        shipped = (
            await conn.execute(
                select(func.sum(stock_move.c.value_fen))
                .join(stock_operation, stock_operation.c.id == stock_move.c.operation_id)
                .where(stock_operation.c.source_type == "shipment")
            )
        ).scalar_one()
        returned = (
            await conn.execute(
                select(func.sum(stock_move.c.value_fen))
                .join(stock_operation, stock_operation.c.id == stock_move.c.operation_id)
                .where(stock_operation.c.source_type == "sales_return")
            )
        ).scalar_one()
        spend = await purchasing.purchase_spend(conn, TODAY, TODAY, "supplier")
        board = await dashboard.dashboard(conn, TODAY)
    assert rep.total.revenue == -b["6001"] == fen("1500")  # what 主营业务收入 holds
    assert rep.total.cost == shipped - returned == fen("815")  # the stock ledger's issues net of returns
    assert value == b["1405"] == fen("667.80")
    assert [s.amount for s in spend] == [fen("605") - fen("120")]  # bill 605.00, debit note −120.00
    assert (board.sales_today, board.margin_today, board.stock_value) == (fen("1500"), fen("685"), fen("667.80"))
    assert board.open_purchase_orders == 0 and board.low_stock == 0


def test_forecast_chooses_by_hold_out_error_on_known_shapes():
    trend = [Decimal(10 + 2 * i) for i in range(20)]
    noisy = [Decimal(v) for v in (10, 12, 9, 11, 10, 12, 8, 11, 10, 9, 12, 10, 11, 9, 10, 12, 10, 11, 9, 10)]
    method, err, nxt = forecast.choose(trend)
    assert method.startswith("holt") and err == Decimal("0.00") and nxt == Decimal(50)  # a straight line
    method, err, nxt = forecast.choose(noisy)
    assert method == "moving_average_12" and err == Decimal("6.65") and nxt == Decimal("10.25")
    f = forecast.forecast_series(trend, lead_time_days=14, service_level="0.95")
    # σ of 10, 12, … 48 (n − 1) = 11.832…; safety = 1.65 × σ × √2 = 27.610; ROP = 50 × 2 + safety
    assert (f.safety_stock, f.reorder_point) == (Decimal("27.610"), Decimal("127.610"))


async def _reorder_world(db):
    pw = await make_purchasing_world(db)
    await do_create_supplier_price(
        db, SupplierPriceInput(pw.supplier, pw.widget, "9.50", min_order_qty="50", pack_qty="25", lead_time_days=5)
    )
    await do_set_preferred_supplier(db, pw.widget, pw.supplier)
    await do_receive_stock(db, [StockLine(product_id=pw.widget, quantity="100", location_id=pw.w.a1, unit_cost="10")])
    await do_set_reorder_rule(db, pw.widget, pw.w.wh1, "60", "200")
    return pw


async def _auto_orders(db):
    async with db.read() as conn:
        return (
            await conn.execute(
                select(
                    purchase_order.c.id,
                    purchase_order.c.status,
                    purchase_order.c.supplier_id,
                    purchase_order_line.c.qty,
                )
                .join(purchase_order_line, purchase_order_line.c.order_id == purchase_order.c.id)
                .where(purchase_order.c.note.like("%automatic reorder%"))
            )
        ).all()


async def test_automatic_purchase_orders_follow_a_low_stock_event_once(db):
    pw = await _reorder_world(db)
    await ensure_jobs(db)
    await run_due_jobs(db, "p1")  # first round: everything due; the automation is still off
    assert await _auto_orders(db) == []
    await do_set_automation(db, "auto_purchase_orders", True, None)
    assert await run_due_jobs(db, "p1") == []  # nothing due, no stock.low yet
    await do_issue_stock(db, [StockLine(product_id=pw.widget, quantity="45", location_id=pw.w.a1)])  # 55 < 60
    assert "auto_purchase_orders" in await run_due_jobs(db, "p1")
    orders = await _auto_orders(db)
    # max 200 − available 55 = 145 → MOQ 50, pack 25 → 150, submitted into the approval flow
    assert [(o.supplier_id, o.qty, o.status) for o in orders] == [(pw.supplier, 150 * Q, "submitted")]
    assert await run_due_jobs(db, "p1") == []  # the event was seen; the order now counts as on order
    assert await run_job(db, "auto_purchase_orders", "p1", force=True)
    assert len(await _auto_orders(db)) == 1
    async with db.read() as conn:
        logs = (await conn.execute(select(automation_log).order_by(automation_log.c.id))).all()
        row = (await conn.execute(select(job).where(job.c.name == "auto_purchase_orders"))).one()
    assert [lg.trigger for lg in logs] == ["stock.low", "manual"]
    assert json.loads(logs[1].summary)["orders"] == [] and row.last_status == "ok" and row.runs == 3
    async with db.read() as conn:  # what the job did is audited like an API call, under the job's name
        audited = (
            await conn.execute(
                select(audit_log.c.operation, audit_log.c.target).where(audit_log.c.actor == "job:auto_purchase_orders")
            )
        ).all()
    assert {(a.operation, a.target) for a in audited} >= {("auto_purchase_orders", f"purchase_order:{orders[0].id}")}


async def test_a_job_runs_once_across_processes_and_again_after_a_crashed_lease(dbs):
    pw = await _reorder_world(dbs[0])
    await do_set_automation(dbs[0], "auto_purchase_orders", True, None)
    await ensure_jobs(dbs[0])
    await do_issue_stock(dbs[0], [StockLine(product_id=pw.widget, quantity="45", location_id=pw.w.a1)])
    ran = await asyncio.gather(*(run_job(d, "auto_purchase_orders", f"proc{i}") for i, d in enumerate(dbs)))
    assert sum(ran) == 1 and len(await _auto_orders(dbs[0])) == 1
    # a process died holding the lease: nobody runs it until the lease expires, then it runs again
    from sqlalchemy import update

    from server.core.clock import utcnow

    async with dbs[0].write() as conn:
        await conn.execute(
            update(job)
            .where(job.c.name == "expiry_alerts")
            .values(lease_owner="dead", lease_until=utcnow() + timedelta(minutes=5), next_run_at=utcnow())
        )
    assert not await run_job(dbs[1], "expiry_alerts", "alive")
    assert await run_job(dbs[1], "expiry_alerts", "alive", now=utcnow() + timedelta(minutes=6))


@pytest.mark.postgres
async def test_two_worker_processes_create_the_automatic_order_once(db, db_url):
    pw = await _reorder_world(db)
    await do_set_automation(db, "auto_purchase_orders", True, None)
    await do_issue_stock(db, [StockLine(product_id=pw.widget, quantity="45", location_id=pw.w.a1)])
    env = {**os.environ, "DATABASE_URL": db_url}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            "worker",
            "--once",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [(await p.communicate())[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sum("auto_purchase_orders" in o for o in outputs) == 1, outputs
    assert len(await _auto_orders(db)) == 1


async def test_reports_over_graphql_and_downloads(gql):
    from tests.gql import admin_token

    await small_shop(gql.db)
    manager = await admin_token(gql.db, "sales_manager")
    r = await gql.execute(
        """{ salesReport(groupBy: CUSTOMER) { total { revenue cost margin marginPercent }
        rows { label revenue sharePercent } csvUrl xlsxUrl } dashboard { salesToday stockValue openSalesOrders } }""",
        token=manager,
    )
    assert r["salesReport"]["total"] == {
        "revenue": "590.00",
        "cost": "290.00",
        "margin": "300.00",
        "marginPercent": "50.85",
    }
    assert r["dashboard"]["salesToday"] == "590.00" and r["dashboard"]["stockValue"] == "931.00"
    headers = {"authorization": f"Bearer {manager}"}
    csv_body = (await gql.http.get(r["salesReport"]["csvUrl"], headers=headers)).content.decode("utf-8-sig")
    assert "甲客户" in csv_body and "500.00" in csv_body
    xlsx = await gql.http.get(r["salesReport"]["xlsxUrl"], headers=headers)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    for name in ("stock", "turnover", "aging", "slow_movers", "overstock_shortage", "purchase_spend", "abc"):
        resp = await gql.http.get(f"/reports/{name}.csv", headers=headers)
        assert resp.status_code == 200, (name, resp.text)
    keeper = await admin_token(gql.db, "warehouse_keeper")
    assert (
        await gql.http.get(r["salesReport"]["csvUrl"], headers={"authorization": f"Bearer {keeper}"})
    ).status_code == 403
    listed = await gql.execute("{ jobs { name runs nextRunAt } }")
    assert {j["name"] for j in listed["jobs"]} >= {"auto_purchase_orders", "demand_forecast"}
    assert all(j["runs"] == 0 and j["nextRunAt"] is None for j in listed["jobs"])  # nothing scheduled yet
    async with gql.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(job))).scalar_one() == 0  # the query wrote nothing
    jobs = await gql.execute("mutation { runJob(name: DEMAND_FORECAST) { ok result errors { code } } }")
    assert jobs["runJob"]["ok"] is True and '"status": "ok"' in jobs["runJob"]["result"]


async def test_month_end_snapshots_change_no_figure(db):
    from server.reports.models import stock_snapshot
    from server.reports.snapshots import month_end, positions_as_of, refresh_stock_snapshots

    pw, gadget, _dusty, _c1, _c2 = await small_shop(db)
    await do_issue_stock(db, [StockLine(product_id=gadget, quantity="1", location_id=pw.w.a1)])
    days = [TODAY, month_end(TODAY), month_end(TODAY) + timedelta(days=1), TODAY + timedelta(days=45)]
    async with db.read() as conn:
        before = [await inventory.stock_as_of(conn, d, "location") for d in days]
    # pretend 70 days went by: the job snapshots every month that ended since
    later = TODAY + timedelta(days=70)
    expected, m = 0, month_end(TODAY)
    while m < later - timedelta(days=1):
        expected, m = expected + 1, month_end(m + timedelta(days=1))
    assert await refresh_stock_snapshots(db, today=later) == expected >= 2
    assert await refresh_stock_snapshots(db, today=later) == 0  # incremental
    async with db.read() as conn:
        months = (await conn.execute(select(func.count(func.distinct(stock_snapshot.c.month_end))))).scalar_one()
        after = [await inventory.stock_as_of(conn, d, "location") for d in days]
        full = positions_as_of(days[3], None)
        total = (await conn.execute(select(func.sum(full.c.value)))).scalar_one()
    assert months == expected
    assert after == before  # the same figures, read from a snapshot and the moves after it
    assert sum(r.value for r in after[3]) == total and sum(r.quantity for r in after[0]) == (75 + 39 + 7) * Q


async def test_large_demo_generator_keeps_the_ledger_consistent(db):
    from server.demo.large import SALES_PER_PRODUCT, load_large_demo
    from server.inventory.models import product_cost
    from server.sales.check import verify_ledger

    assert await load_large_demo(db, products=40, days=60)
    assert not await load_large_demo(db, products=40, days=60)  # once
    async with db.read() as conn:
        assert await verify_ledger(conn) == []
        lines = (await conn.execute(select(func.count()).select_from(shipment_line))).scalar_one()
        value = (await conn.execute(select(func.sum(product_cost.c.value_fen)))).scalar_one()
        rep = await sales.sales_report(conn, TODAY - timedelta(days=59), TODAY, "product")
        stock_value = await inventory.stock_value_as_of(conn, TODAY)
    assert lines == 40 * SALES_PER_PRODUCT and rep.total.shipped > 0 and rep.total.revenue > rep.total.cost > 0
    assert stock_value == value
