"""Reorder rules: the low-stock event fires once per crossing of the minimum (also when a sales
order's reservation causes it), re-arms when stock recovers, and suggestions order up to the maximum
at the supplier's MOQ and pack size."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from schema.relay import to_global_id
from server.events.models import event
from server.inventory.reorder import STOCK_LOW, do_set_reorder_rule
from server.inventory.services import StockLine, do_issue_stock, do_receive_stock
from server.purchasing import orders as po
from server.purchasing.prices import SupplierPriceInput, do_create_supplier_price, do_set_preferred_supplier
from server.purchasing.replenishment import reorder_suggestions
from server.sales import orders as so
from tests.purchasing_helpers import MANAGER, PURCHASER, make_purchasing_world
from tests.sales_helpers import SALES, make_sales_world
from tests.servers import running_server, subscribe

Q = 10**6


async def low_events(db) -> list[dict]:
    async with db.read() as conn:
        rows = (
            await conn.execute(select(event.c.payload).where(event.c.event_type == STOCK_LOW).order_by(event.c.seq))
        ).all()
    return [json.loads(r.payload) for r in rows]


async def test_low_stock_fires_once_per_crossing(db):
    sw = await make_sales_world(db)  # 100 widgets in A-01
    await do_set_reorder_rule(db, sw.widget, sw.w.wh1, "20", "100")
    assert await low_events(db) == []
    out = lambda q: do_issue_stock(db, [StockLine(product_id=sw.widget, location_id=sw.w.a1, quantity=q)])  # noqa: E731
    await out("80")  # available 20: not below
    assert await low_events(db) == []
    await out("5")  # 15 < 20: crossing
    await out("5")  # still below: no new event
    assert [(e["available"], e["min"]) for e in await low_events(db)] == [(15 * Q, 20 * Q)]
    await do_receive_stock(db, [StockLine(product_id=sw.widget, location_id=sw.w.a1, quantity="50")])  # 60: re-armed
    # a sales order reserving 45 brings available to 15: the reservation crosses the minimum
    order_id = await so.do_create_sales_order(
        db,
        so.SalesOrderInput(customer_id=sw.customer, warehouse_id=sw.w.wh1, lines=[so.SalesLineInput(sw.widget, "45")]),
        SALES,
    )
    assert await so.do_submit_sales_order(db, order_id, SALES) == "approved"
    assert [e["available"] for e in await low_events(db)] == [15 * Q, 15 * Q]
    await so.do_cancel_sales_order(db, order_id, SALES)  # back to 60, re-armed, no event
    assert len(await low_events(db)) == 2


async def test_a_new_rule_below_its_minimum_alerts_at_once_and_rules_are_validated(db):
    sw = await make_sales_world(db)
    await do_set_reorder_rule(db, sw.widget, sw.w.wh1, "200", "500")
    assert [e["available"] for e in await low_events(db)] == [100 * Q]
    from server.inventory.errors import InventoryError

    with pytest.raises(InventoryError) as exc:
        await do_set_reorder_rule(db, sw.widget, sw.w.wh1, "10", "5")
    assert exc.value.details[0].code == "INVALID_VALUE"
    with pytest.raises(InventoryError) as exc:
        await do_set_reorder_rule(db, sw.widget, sw.w.wh1, "1.5", "5")
    assert exc.value.details[0].code == "TOO_MANY_DECIMALS"


async def test_suggestions_order_up_to_max_at_moq_and_pack_net_of_open_orders(db):
    pw = await make_purchasing_world(db)
    await do_receive_stock(db, [StockLine(product_id=pw.widget, location_id=pw.w.a1, quantity="30")])
    await do_create_supplier_price(
        db, SupplierPriceInput(pw.supplier, pw.widget, "9.50", min_order_qty="48", pack_qty="12", lead_time_days=5)
    )
    await do_set_preferred_supplier(db, pw.widget, pw.supplier)
    await do_set_reorder_rule(db, pw.widget, pw.w.wh1, "40", "100")
    async with db.read() as conn:
        (s,) = await reorder_suggestions(conn)
    # 100 − 30 = 70 → rounded up to a multiple of the pack of 12 → 72
    assert (s.available, s.on_order, s.quantity, s.supplier_id, s.lead_time_days) == (30 * Q, 0, 72 * Q, pw.supplier, 5)
    order_id = await po.do_create_purchase_order(
        db, po.OrderInput(pw.supplier, pw.w.wh1, [po.OrderLineInput(pw.widget, "60")]), PURCHASER
    )
    await po.do_submit_purchase_order(db, order_id, PURCHASER)
    await po.do_approve_purchase_order(db, order_id, MANAGER)
    async with db.read() as conn:
        (s,) = await reorder_suggestions(conn)
    # 100 − (30 + 60 on order) = 10 → at least the MOQ of 48
    assert (s.on_order, s.quantity) == (60 * Q, 48 * Q)


async def test_low_stock_subscription_delivers_the_alert_live(db, db_url):
    from server.auth.services import do_create_api_token

    sw = await make_sales_world(db)
    await do_set_reorder_rule(db, sw.widget, sw.w.wh1, "50", "100")
    _, token = await do_create_api_token(db, name="wall", role_code="viewer")
    query = "subscription { lowStock { available minQuantity product { sku } warehouse { code } } }"
    with running_server(db_url) as base:
        base.token = token
        async with subscribe(base, query) as sub:
            await asyncio.sleep(0.3)
            await do_issue_stock(db, [StockLine(product_id=sw.widget, location_id=sw.w.a1, quantity="60")])
            got = (await sub.next(timeout=10))["lowStock"]
    assert (got["available"], got["minQuantity"], got["warehouse"]["code"]) == ("40", "50", "WH1")


async def test_availability_and_suggestions_through_the_api(gql):
    sw = await make_sales_world(gql.db)
    body = await gql.execute(
        """mutation($p: ID!, $w: ID!) { setReorderRule(productId: $p, warehouseId: $w,
        minQuantity: "120", maxQuantity: "200") { ok errors { code } } }""",
        {"p": to_global_id("Product", sw.widget), "w": to_global_id("Warehouse", sw.w.wh1)},
    )
    assert body["setReorderRule"] == {"ok": True, "errors": []}
    data = await gql.execute(
        """query($p: ID!) { availability(productId: $p) { onHand reserved available minQuantity }
        reorderSuggestions { quantity available product { sku } } }""",
        {"p": to_global_id("Product", sw.widget)},
    )
    assert data["availability"] == [{"onHand": "100", "reserved": "0", "available": "100", "minQuantity": "120"}]
    assert [(s["quantity"], s["available"]) for s in data["reorderSuggestions"]] == [("100", "100")]
