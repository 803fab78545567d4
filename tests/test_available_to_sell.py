"""Available to sell (issue #22): on hand in bins − reserved − safety stock per product and warehouse, as
the ``availableToSell`` query and the ``stock.available_to_sell`` event (webhook ``AVAILABLE_TO_SELL``)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from schema.relay import to_global_id
from server.auth import services as auth
from server.core import clock
from server.events.models import event
from server.events.types import AVAILABLE_TO_SELL
from server.integrations.external_ids import do_upsert_product
from server.inventory.availability import available_to_sell, do_set_safety_stock
from server.inventory.errors import InventoryError
from server.inventory.services import StockLine, do_receive_stock, do_transfer_stock
from server.inventory.transfers import DispatchInput, DispatchLineInput, do_dispatch_transfer
from server.sales import orders as so
from server.sales.models import sales_order_line
from server.sales.shipping import ShipmentInput, ShipmentLineInput, do_ship_goods
from tests.factories import make_product, make_world
from tests.purchasing_helpers import principal
from tests.sales_helpers import KEEPER, SALES, make_sales_world
from tests.test_dataloader_queries import count_statements
from tests.test_webhooks import deliver, receiver, register  # noqa: F401 - the receiver fixture

Q = 10**6


async def ats_events(db) -> list[dict]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(event.c.payload).where(event.c.event_type == AVAILABLE_TO_SELL).order_by(event.c.seq)
        )
        return [json.loads(r.payload) for r in rows]


async def figure(db, product_id: int, warehouse_id: int):
    async with db.read() as conn:
        (f,) = await available_to_sell(conn, [product_id], warehouse_id=warehouse_id)
    return f


async def test_the_figure_follows_receipts_reservations_shipments_transfers_and_safety_stock(db):
    sw = await make_sales_world(db)  # 100 widgets in WH1 A-01
    w, p = sw.w, sw.widget
    f = await figure(db, p, w.wh1)
    assert (f.on_hand, f.reserved, f.safety, f.net, f.available) == (100 * Q, 0, 0, 100 * Q, 100 * Q)
    mine = lambda evs: [e for e in evs if e["product_id"] == p]  # noqa: E731
    assert [(e["net"], e["previous"]) for e in mine(await ats_events(db))] == [(100 * Q, 0)]

    assert await do_set_safety_stock(db, p, w.wh1, "10") == 10 * Q
    order_id = await so.do_create_sales_order(
        db, so.SalesOrderInput(customer_id=sw.customer, warehouse_id=w.wh1, lines=[so.SalesLineInput(p, "30")]), SALES
    )
    assert await so.do_submit_sales_order(db, order_id, SALES) == "approved"  # reserves 30
    f = await figure(db, p, w.wh1)
    assert (f.on_hand, f.reserved, f.safety, f.net) == (100 * Q, 30 * Q, 10 * Q, 60 * Q)
    assert [(e["net"], e["previous"]) for e in mine(await ats_events(db))][1:] == [(90 * Q, 100 * Q), (60 * Q, 90 * Q)]

    # shipping reserved goods and moving stock between two bins of the warehouse change nothing to sell
    async with db.read() as conn:
        line = (await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == order_id))).one()
    await do_ship_goods(db, ShipmentInput(order_id, [ShipmentLineInput(line.id, "20", w.a1)]), KEEPER)
    await do_transfer_stock(db, [StockLine(product_id=p, location_id=w.a1, to_location_id=w.a2, quantity="5")])
    f = await figure(db, p, w.wh1)
    assert (f.on_hand, f.reserved, f.net) == (80 * Q, 10 * Q, 60 * Q)
    assert len(mine(await ats_events(db))) == 3

    # goods dispatched to WH2 leave WH1 at once but are not sellable in WH2 before they arrive
    await do_dispatch_transfer(db, DispatchInput(w.wh2, [DispatchLineInput(p, "15", w.a1)]), None)
    assert (await figure(db, p, w.wh1)).net == 45 * Q
    g = await figure(db, p, w.wh2)
    assert (g.on_hand, g.net) == (0, 0)  # 15 in transit
    assert [(e["warehouse_id"], e["net"]) for e in mine(await ats_events(db))][3:] == [(w.wh1, 45 * Q)]

    # a safety stock above what is free: nothing to sell, the shortfall kept
    clock.set_clock(clock.utcnow() + timedelta(minutes=5))
    await do_set_safety_stock(db, p, w.wh1, "100")
    f = await figure(db, p, w.wh1)
    assert (f.net, f.available) == (-45 * Q, 0) and f.changed_at >= clock.utcnow() - timedelta(seconds=5)
    last = mine(await ats_events(db))[-1]
    assert last == {
        "product_id": p,
        "warehouse_id": w.wh1,
        "on_hand": 65 * Q,
        "reserved": 10 * Q,
        "safety": 100 * Q,
        "net": -45 * Q,
        "previous": 45 * Q,
    }
    await do_set_safety_stock(db, p, w.wh1, "100")  # the same again: no event
    assert len(mine(await ats_events(db))) == 5


async def test_safety_stock_is_checked_and_scoped(db):
    w = await make_world(db)
    p = await make_product(db, w)
    kg = await make_product(db, w, unit="kg")
    for value, code in (("-1", "INVALID_VALUE"), ("1.5", "TOO_MANY_DECIMALS"), ("1e400", "INVALID_VALUE")):
        with pytest.raises(InventoryError) as exc:
            await do_set_safety_stock(db, p, w.wh1, value)
        assert (exc.value.details[0].code, exc.value.details[0].field) == (code, "quantity")
    with pytest.raises(InventoryError) as exc:
        await do_set_safety_stock(db, p, w.wh1, "1000000001")  # beyond what a quantity column holds
    assert exc.value.details[0].code == "INVALID_VALUE"
    assert await do_set_safety_stock(db, kg, w.wh1, "1.250") == 1_250_000
    keeper = principal("warehouse_keeper", 40, "keeper", warehouses=frozenset({w.wh2}))
    with pytest.raises(InventoryError) as exc:
        await do_set_safety_stock(db, p, w.wh1, "1", keeper)
    assert exc.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(InventoryError) as exc:
        await do_set_safety_stock(db, p, w.wh2, "1", principal("sales", 41))  # no stock.adjust
    assert exc.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(InventoryError) as exc:
        await do_set_safety_stock(db, 999_999, w.wh1, "1")
    assert exc.value.details[0].code == "NOT_FOUND"


ATS = """query($wh: ID, $p: [ID!], $src: String, $ext: [String!], $since: DateTime, $first: Int, $after: String) {
  availableToSell(warehouseId: $wh, productIds: $p, source: $src, externalIds: $ext, changedSince: $since,
                  first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { productId warehouseId available net onHand reserved safetyStock changedAt
                   product { sku } warehouse { code } } } } }"""
SET = """mutation($p: ID!, $wh: ID!, $q: Quantity!) {
  setSafetyStock(productId: $p, warehouseId: $wh, quantity: $q) { ok errors { field code message } } }"""


async def test_the_query_filters_pages_and_keeps_to_the_callers_warehouses(gql):
    db = gql.db
    w = await make_world(db)
    kg = await make_product(db, w, unit="kg")
    p = await make_product(db, w)
    await do_receive_stock(
        db,
        [
            StockLine(product_id=kg, location_id=w.a1, quantity="2.500"),
            StockLine(product_id=p, location_id=w.a1, quantity="7"),
            StockLine(product_id=p, location_id=w.b1, quantity="3"),
        ],
    )
    gid = lambda t, pk: to_global_id(t, pk)  # noqa: E731
    out = await gql.execute(SET, {"p": gid("Product", kg), "wh": gid("Warehouse", w.wh1), "q": "0.5"})
    assert out["setSafetyStock"] == {"ok": True, "errors": []}
    data = (await gql.execute(ATS))["availableToSell"]
    rows = [e["node"] for e in data["edges"]]
    assert [(r["product"]["sku"], r["warehouse"]["code"], r["available"], r["net"]) for r in rows] == [
        (rows[0]["product"]["sku"], "WH1", "2.000", "2.000"),
        (rows[1]["product"]["sku"], "WH1", "7", "7"),
        (rows[1]["product"]["sku"], "WH2", "3", "3"),
    ]
    assert rows[0]["productId"] == gid("Product", kg) and (rows[0]["onHand"], rows[0]["safetyStock"]) == (
        "2.500",
        "0.500",
    )
    # one warehouse, some products, a page at a time
    one = (await gql.execute(ATS, {"wh": gid("Warehouse", w.wh2)}))["availableToSell"]["edges"]
    assert [e["node"]["productId"] for e in one] == [gid("Product", p)]
    page = (await gql.execute(ATS, {"p": [gid("Product", p)], "first": 1}))["availableToSell"]
    assert page["pageInfo"]["hasNextPage"] and page["edges"][0]["node"]["warehouseId"] == gid("Warehouse", w.wh1)
    rest = await gql.execute(ATS, {"p": [gid("Product", p)], "first": 1, "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["warehouseId"] for e in rest["availableToSell"]["edges"]] == [gid("Warehouse", w.wh2)]
    # what changed since a moment
    clock.set_clock(clock.utcnow() + timedelta(minutes=10))
    since = clock.utcnow().isoformat()
    assert (await gql.execute(ATS, {"since": since}))["availableToSell"]["edges"] == []
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.b1, quantity="1")])
    changed = (await gql.execute(ATS, {"since": since}))["availableToSell"]["edges"]
    assert [(e["node"]["warehouse"]["code"], e["node"]["available"]) for e in changed] == [("WH2", "4")]
    # products by the ids a shop knows them by
    async with db.read() as conn:
        from server.catalog.models import product

        sku = (await conn.execute(select(product.c.sku).where(product.c.id == p))).scalar_one()
    from server.catalog.services import ProductInput

    await do_upsert_product(db, "shop:taobao", "TB-1", ProductInput(sku=sku, name="测试", base_unit_id=w.pcs))
    by_ext = (await gql.execute(ATS, {"src": "shop:taobao", "ext": ["TB-1", "TB-404"]}))["availableToSell"]["edges"]
    assert {e["node"]["productId"] for e in by_ext} == {gid("Product", p)} and len(by_ext) == 2
    assert (await gql.execute(ATS, {"src": "NOT A SOURCE", "ext": ["TB-1"]}))["availableToSell"]["edges"] == []

    # a user limited to WH2 sees WH2 only and may not set WH1's safety stock
    await auth.do_create_user(
        db, username="zhao", password="correct horse", roles=["warehouse_keeper"], warehouse_ids=[w.wh2]
    )
    token = (await auth.do_login(db, "zhao", "correct horse"))[0]
    seen = (await gql.execute(ATS, token=token))["availableToSell"]["edges"]
    assert [e["node"]["warehouse"]["code"] for e in seen] == ["WH2"]
    assert (await gql.execute(ATS, {"wh": gid("Warehouse", w.wh1)}, token=token))["availableToSell"]["edges"] == []
    refused = await gql.post(SET, {"p": gid("Product", p), "wh": gid("Warehouse", w.wh1), "q": "1"}, token=token)
    assert refused["data"]["setSafetyStock"]["errors"][0]["code"] == "PERMISSION_DENIED"


async def test_typed_errors_in_chinese_and_english(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    v = {"p": to_global_id("Product", p), "wh": to_global_id("Warehouse", w.wh1), "q": "1.5"}
    zh = (await gql.execute(SET, v, lang="zh-CN"))["setSafetyStock"]
    en = (await gql.execute(SET, v, lang="en"))["setSafetyStock"]
    assert zh["ok"] is False and [(e["field"], e["code"]) for e in zh["errors"]] == [("quantity", "TOO_MANY_DECIMALS")]
    assert "小数" in zh["errors"][0]["message"] and "decimals" in en["errors"][0]["message"]
    neg = (await gql.execute(SET, {**v, "q": "-2"}, lang="en"))["setSafetyStock"]["errors"]
    assert [(e["field"], e["code"]) for e in neg] == [("quantity", "INVALID_VALUE")]
    missing = (await gql.execute(SET, {**v, "wh": to_global_id("Warehouse", 9999), "q": "1"}))["setSafetyStock"]
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("warehouseId", "NOT_FOUND")]


async def test_a_page_costs_the_same_few_statements_whatever_its_size(gql):
    w = await make_world(gql.db)
    products = [await make_product(gql.db, w, unit="kg" if i % 3 == 0 else "pcs") for i in range(30)]
    await do_receive_stock(
        gql.db, [StockLine(product_id=p, location_id=loc, quantity="1") for p in products for loc in (w.a1, w.b1)]
    )
    await gql.execute(ATS, {"first": 1})  # once: what a first request reads and caches (settings, sessions)
    counts = []
    for first in (2, 60):
        with count_statements(gql.db) as statements:
            data = await gql.execute(ATS, {"first": first})
        assert len(data["availableToSell"]["edges"]) == first
        counts.append(len(statements))
    # the page itself, then the products, their units and the warehouses, batched by the loaders (SQLite: and
    # the read transaction's BEGIN)
    assert counts[0] == counts[1] <= {"postgresql": 4, "sqlite": 5}[gql.db.dialect], counts


async def test_the_webhook_event_carries_the_figure(gql, receiver):  # noqa: F811 - the fixture
    w = await make_world(gql.db)
    p = await make_product(gql.db, w, unit="kg")
    await register(gql, receiver, "/ats", ["AVAILABLE_TO_SELL"], warehouseIds=[to_global_id("Warehouse", w.wh1)])
    await do_receive_stock(
        gql.db,
        [
            StockLine(product_id=p, location_id=w.a1, quantity="12.500"),
            StockLine(product_id=p, location_id=w.b1, quantity="1"),  # WH2: filtered out
        ],
    )
    await do_set_safety_stock(gql.db, p, w.wh1, "2.5")
    await deliver(gql.db)
    got = receiver.on("/ats")
    assert [g.verified for g in got] == [True, True]
    bodies = [g.json for g in got]
    assert [b["type"] for b in bodies] == ["stock.available_to_sell"] * 2 and bodies[0]["version"] == 1
    assert bodies[0]["data"] == {
        "product": {"id": to_global_id("Product", p)},
        "warehouse": {"id": to_global_id("Warehouse", w.wh1)},
        "availableToSell": "12.5",
        "net": "12.5",
        "onHand": "12.5",
        "reserved": "0",
        "safetyStock": "0",
        "previousAvailableToSell": "0",
    }
    assert (bodies[1]["data"]["availableToSell"], bodies[1]["data"]["safetyStock"]) == ("10", "2.5")
    assert bodies[1]["data"]["previousAvailableToSell"] == "12.5"


async def test_jxc_check_finds_a_stale_or_missing_published_figure(db):
    from sqlalchemy import delete, update

    from server.inventory.models import stock_availability
    from server.sales.check import verify_ledger

    sw = await make_sales_world(db)
    async with db.read() as conn:
        assert await verify_ledger(conn) == []
    async with db.write() as conn:  # as if a change had gone out without its event
        await conn.execute(
            update(stock_availability)
            .where(stock_availability.c.product_id == sw.widget)
            .values(net_qty=stock_availability.c.net_qty + 1)
        )
        await conn.execute(delete(stock_availability).where(stock_availability.c.product_id == sw.lotted))
    async with db.read() as conn:
        problems = await verify_ledger(conn)
    assert problems == [
        f"available to sell product={sw.widget} warehouse={sw.w.wh1}: published {100 * Q + 1} != {100 * Q} "
        f"(on hand {100 * Q} − reserved 0 − safety 0)",
        f"available to sell product={sw.lotted} warehouse={sw.w.wh1}: not tracked",
    ]
