import asyncio, base64
import pytest
from sqlalchemy import select
from schema.relay import to_global_id as gid
from server.errors import InventoryError
from server.inventory.services import StockLine, do_receive_stock, do_issue_stock, do_adjust_stock
from server.catalog.services import do_update_product, ProductInput
from server.inventory.models import stock_level
from tests.factories import make_product, make_world

RECEIVE = """mutation($lines: [ReceiveLineInput!]!, $key: String!) {
  receiveStock(lines: $lines, idempotencyKey: $key) { replayed errors { field code message } operation { id } } }"""

async def test_overflow_value(gql):
    w = await make_world(gql.db); p = await make_product(gql.db, w)
    body = await gql.post(RECEIVE, {"key": "k1", "lines": [{"productId": gid("Product", p), "locationId": gid("Location", w.a1),
        "quantity": "1000", "unitCost": "10000000000000000"}]})
    print(body)

async def test_overflow_qty_exp(gql):
    w = await make_world(gql.db); p = await make_product(gql.db, w)
    body = await gql.post(RECEIVE, {"key": "k1", "lines": [{"productId": gid("Product", p), "locationId": gid("Location", w.a1),
        "quantity": "1e999999999"}]})
    print(body)

async def test_unitcost_exp(gql):
    w = await make_world(gql.db); p = await make_product(gql.db, w)
    body = await gql.post(RECEIVE, {"key": "k1", "lines": [{"productId": gid("Product", p), "locationId": gid("Location", w.a1),
        "quantity": "1", "unitCost": "1e999999999"}]})
    print(body)

async def test_huge_id(gql):
    w = await make_world(gql.db); p = await make_product(gql.db, w)
    big = base64.b64encode(b"Product:99999999999999999999").decode()
    print(await gql.post("query($id: ID!){ node(id: $id) { id } }", {"id": big}))
    body = await gql.post(RECEIVE, {"key": "k1", "lines": [{"productId": big, "locationId": gid("Location", w.a1), "quantity": "1"}]})
    print(body)

async def test_huge_cursor(gql):
    cur = base64.b64encode(b"offset:99999999999999999999").decode()
    print(await gql.post("query($a: String){ units(after: $a) { edges { cursor } } }", {"a": cur}))

async def test_tracking_change(db):
    w = await make_world(db); p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(p, "5", location_id=w.a1)], idempotency_key="r")
    await do_update_product(db, p, ProductInput(tracking="lot"))
    try:
        await do_issue_stock(db, [StockLine(p, "5", location_id=w.a1)], idempotency_key="i")
    except InventoryError as e:
        print("issue:", e.details)
    try:
        await do_adjust_stock(db, [StockLine(p, "-5", location_id=w.a1)], reason="x", idempotency_key="a")
    except InventoryError as e:
        print("adjust:", e.details)
