"""Inventory operations under real concurrent requests on PostgreSQL: the low-stock event fires once
per crossing, and a freeze count opened while issues are running sees exactly what stayed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from schema.relay import to_global_id
from server.events.models import event
from server.inventory.counts import CountEntry, do_approve_count, do_record_counts
from server.inventory.models import stock_count, stock_count_line
from server.inventory.reorder import STOCK_LOW, do_set_reorder_rule
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import principal
from tests.servers import running_server
from tests.test_concurrency import ISSUE, _post_all

pytestmark = pytest.mark.postgres

Q = 10**6


async def test_concurrent_issues_cross_the_minimum_once(db, db_url):
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="30")])
    await do_set_reorder_rule(db, p, w.wh1, "20", "50")
    line = {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "1"}
    with running_server(db_url, workers=2) as base:
        results = await _post_all(
            base, [{"query": ISSUE, "variables": {"lines": [line], "key": f"low-{i}"}} for i in range(25)]
        )
    assert all(not r["data"]["issueStock"]["errors"] for r in results)  # 30 → 5
    async with db.read() as conn:
        lows = [
            json.loads(r.payload)
            for r in await conn.execute(select(event.c.payload).where(event.c.event_type == STOCK_LOW))
        ]
    assert len(lows) == 1 and lows[0]["available"] == 19 * Q  # the one issue that crossed 20


async def test_freeze_count_opened_during_issues(db, db_url):
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="40", unit_cost="1.00")])
    line = {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "1"}
    open_count = {
        "query": """mutation($w: ID!) { openStockCount(input: {warehouseId: $w, mode: FREEZE}) {
        count { id } errors { code } } }""",
        "variables": {"w": to_global_id("Warehouse", w.wh1)},
    }
    bodies = [{"query": ISSUE, "variables": {"lines": [line], "key": f"fz-{i}"}} for i in range(20)]
    bodies.insert(10, open_count)
    with running_server(db_url, workers=2) as base:
        results = await _post_all(base, bodies)
    opened = results.pop(10)["data"]["openStockCount"]
    assert opened["errors"] == []
    done = [r for r in results if not r["data"]["issueStock"]["errors"]]
    frozen = [r for r in results if r["data"]["issueStock"]["errors"]]
    assert all(r["data"]["issueStock"]["errors"][0]["code"] == "LOCATION_FROZEN" for r in frozen)
    async with db.read() as conn:
        (ln,) = (await conn.execute(select(stock_count_line))).all()
        count_id = (await conn.execute(select(stock_count.c.id))).scalar_one()
    # the snapshot is exactly what the committed issues left; counting that shows no variance
    assert ln.snapshot_qty == (40 - len(done)) * Q
    counter, approver = principal("warehouse_keeper", 70, "c1"), principal("accountant", 71, "a1")
    await do_record_counts(db, count_id, [CountEntry(str(40 - len(done)), ln.id)], counter)
    await do_approve_count(db, count_id, approver)
    async with db.read() as conn:
        ln = (await conn.execute(select(stock_count_line))).one()
    assert ln.variance_qty == 0
    await assert_ledger_consistent(db)
