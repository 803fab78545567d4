"""``stockChanged`` over WebSocket against real server processes: live events, filters, ``since`` replay,
fan-out across processes and LISTEN reconnects (PostgreSQL)."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx
import pytest
import websockets

from schema.relay import to_global_id
from server.core import clock
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.servers import graphql, running_server, subscribe

SUB = """subscription($filter: StockChangedFilter, $since: Int) {
  stockChanged(filter: $filter, since: $since) {
    seq delta quantity moveType product { sku } location { code } warehouse { code }
  }
}"""

RECEIVE = """mutation($lines: [ReceiveLineInput!]!, $key: String!) {
  receiveStock(lines: $lines, idempotencyKey: $key) { errors { code } operation { id } }
}"""


def _receive_vars(product: int, location: int, qty: str, key: str) -> dict:
    return {
        "lines": [
            {
                "productId": to_global_id("Product", product),
                "locationId": to_global_id("Location", location),
                "quantity": qty,
                "unitCost": "1.00",
            }
        ],
        "key": key,
    }


@pytest.fixture
async def world(db):
    w = await make_world(db)
    p1 = await make_product(db, w)
    p2 = await make_product(db, w)
    return w, p1, p2


async def test_live_events_in_order_and_filtered(db_url, world):
    w, p1, p2 = world
    with running_server(db_url) as base:
        async with subscribe(base, SUB, {"filter": {"productId": to_global_id("Product", p1)}}) as sub:
            await asyncio.sleep(0.3)  # let the subscription register (no `since`: live only)
            async with httpx.AsyncClient() as http:
                await graphql(http, base, RECEIVE, _receive_vars(p2, w.a1, "5", "k-other"))
                await graphql(http, base, RECEIVE, _receive_vars(p1, w.a1, "3", "k-1"))
                await graphql(http, base, RECEIVE, _receive_vars(p1, w.a1, "4", "k-2"))
            first = (await sub.next())["stockChanged"]
            second = (await sub.next())["stockChanged"]
    assert first["product"]["sku"] == second["product"]["sku"] != ""
    assert (first["delta"], first["quantity"], second["delta"], second["quantity"]) == ("3", "3", "4", "7")
    assert first["location"]["code"] == "WH1-A-01" and first["warehouse"]["code"] == "WH1"
    assert first["moveType"] == "RECEIPT"
    assert second["seq"] > first["seq"]


async def test_since_replays_missed_events_once_then_goes_live(db, db_url, world):
    w, p1, _ = world
    for i in range(3):
        await do_receive_stock(db, [StockLine(product_id=p1, location_id=w.a1, quantity="1")], idempotency_key=f"r{i}")
    with running_server(db_url) as base:
        async with subscribe(base, SUB, {"since": 1}) as sub:
            replayed = [(await sub.next())["stockChanged"] for _ in range(2)]
            # each receipt writes its stock.changed, then a stock.available_to_sell: 1 2 | 3 4 | 5 6
            assert [e["seq"] for e in replayed] == [3, 5]
            assert [e["quantity"] for e in replayed] == ["2", "3"]
            async with httpx.AsyncClient() as http:
                await graphql(http, base, RECEIVE, _receive_vars(p1, w.a2, "2", "live"))
            live = (await sub.next())["stockChanged"]
            assert (live["seq"], live["quantity"], live["location"]["code"]) == (7, "2", "WH1-A-02")
            assert await sub.nothing_within(0.5)  # no duplicates


async def test_transfer_emits_both_sides_for_a_warehouse_filter(db, db_url, world):
    w, p1, _ = world
    await do_receive_stock(db, [StockLine(product_id=p1, location_id=w.a1, quantity="10")])
    transfer = """mutation($lines: [TransferLineInput!]!) { transferStock(lines: $lines, idempotencyKey: "t1") {
        errors { code } } }"""
    with running_server(db_url) as base:
        async with subscribe(
            base, SUB, {"filter": {"warehouseId": to_global_id("Warehouse", w.wh2)}, "since": 0}
        ) as sub:
            async with httpx.AsyncClient() as http:
                await graphql(
                    http,
                    base,
                    transfer,
                    {
                        "lines": [
                            {
                                "productId": to_global_id("Product", p1),
                                "fromLocationId": to_global_id("Location", w.a1),
                                "toLocationId": to_global_id("Location", w.b1),
                                "quantity": "4",
                            }
                        ]
                    },
                )
            event = (await sub.next())["stockChanged"]
            assert (event["delta"], event["quantity"], event["moveType"]) == ("4", "4", "TRANSFER")
            assert event["location"]["code"] == "WH2-B-01"
            assert await sub.nothing_within(0.5)  # the WH1 side is filtered out


@pytest.mark.postgres
async def test_fan_out_across_two_server_processes(db_url, world):
    w, p1, _ = world
    with running_server(db_url) as server_a, running_server(db_url) as server_b:
        async with subscribe(server_a, SUB) as sub:
            await asyncio.sleep(0.5)
            async with httpx.AsyncClient() as http:
                started = time.monotonic()
                await graphql(http, server_b, RECEIVE, _receive_vars(p1, w.a1, "6", "cross"))
                committed = time.monotonic()
            event = (await sub.next(timeout=1.0))["stockChanged"]
            received = time.monotonic()
    assert event["quantity"] == "6"
    assert received - committed < 1.0, (started, committed, received)


@pytest.mark.postgres
async def test_listener_reconnects_and_replays_after_connection_loss(db_url, world):
    w, p1, _ = world
    raw = db_url.replace("postgresql+asyncpg://", "postgresql://")
    with running_server(db_url) as server_a, running_server(db_url) as server_b:
        async with subscribe(server_a, SUB, {"since": 0}) as sub:
            await asyncio.sleep(0.5)
            admin = await asyncpg.connect(raw)
            try:
                killed = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'jxc-listener' AND datname = current_database()"
                )
                assert killed == 2  # one listener per server process
                async with httpx.AsyncClient() as http:
                    await graphql(http, server_b, RECEIVE, _receive_vars(p1, w.a1, "2", "while-down"))
                event = (await sub.next(timeout=5.0))["stockChanged"]
                assert event["quantity"] == "2"
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    listeners = await admin.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jxc-listener' "
                        "AND datname = current_database()"
                    )
                    if listeners == 2:
                        break
                    await asyncio.sleep(0.1)
                assert listeners == 2  # both processes listen again
            finally:
                await admin.close()


async def test_a_revoked_token_ends_its_subscription(db, db_url, world):
    from server.auth.services import do_create_api_token, do_revoke_token

    token_id, token = await do_create_api_token(db, name="wall-display", role_code="viewer")
    with running_server(db_url) as base:
        base.token = token
        async with subscribe(base, SUB) as sub:
            await asyncio.sleep(0.3)
            await do_revoke_token(db, token_id)
            started = time.monotonic()
            with pytest.raises(AssertionError) as exc:  # an error message instead of an event
                await sub.next(timeout=15)
            assert "PERMISSION_DENIED" in str(exc.value)
            assert time.monotonic() - started < 12
            with pytest.raises(websockets.ConnectionClosed) as closed:  # and then the connection is closed
                while True:  # ("complete" for the subscription may come first)
                    await asyncio.wait_for(sub.ws.recv(), 5)
            assert closed.value.rcvd.code == 4403


async def test_document_status_changes_are_live_and_respect_permissions(db, db_url):
    from server.auth.services import do_create_api_token
    from server.purchasing import orders
    from tests.purchasing_helpers import MANAGER, PURCHASER, make_purchasing_world

    pw = await make_purchasing_world(db)
    _, purchaser_token = await do_create_api_token(db, name="po-desk", role_code="purchaser")
    _, scanner_token = await do_create_api_token(db, name="gun", role_code="scanner")
    query = "subscription { documentStatusChanged { seq documentType number fromStatus toStatus actor } }"
    with running_server(db_url) as base:
        base.token = scanner_token  # a scanner may not see purchasing documents
        async with subscribe(base, query) as blind:
            base.token = purchaser_token
            async with subscribe(base, query) as sub:
                await asyncio.sleep(0.3)
                order_id = await orders.do_create_purchase_order(
                    db,
                    orders.OrderInput(
                        supplier_id=pw.supplier,
                        warehouse_id=pw.w.wh1,
                        lines=[orders.OrderLineInput(product_id=pw.widget, quantity="2")],
                    ),
                    PURCHASER,
                )
                await orders.do_submit_purchase_order(db, order_id, PURCHASER)
                await orders.do_approve_purchase_order(db, order_id, MANAGER)
                seen = [(await sub.next())["documentStatusChanged"] for _ in range(3)]
            assert await blind.nothing_within(0.5)
    assert [(e["fromStatus"], e["toStatus"]) for e in seen] == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]
    assert {e["number"] for e in seen} == {f"PO{clock.today().year}-000001"}
    assert seen[2]["actor"] == "user:bob" and seen[0]["seq"] < seen[1]["seq"] < seen[2]["seq"]
