"""Real concurrent requests through the HTTP API on PostgreSQL: no overselling, no double apply, no deadlock."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from schema.relay import to_global_id
from server.inventory.models import stock_level, stock_move
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.invariants import assert_ledger_consistent
from tests.servers import auth_headers, running_server

pytestmark = pytest.mark.postgres

ISSUE = """mutation($lines: [IssueLineInput!]!, $key: String!) {
  issueStock(lines: $lines, idempotencyKey: $key) { replayed errors { code field } operation { id } } }"""
TRANSFER = """mutation($lines: [TransferLineInput!]!, $key: String!) {
  transferStock(lines: $lines, idempotencyKey: $key) { errors { code } operation { id } } }"""


async def _post_all(base: str, bodies: list[dict]) -> list[dict]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        responses = await asyncio.gather(
            *(http.post(base + "/graphql", json=b, headers=auth_headers(base)) for b in bodies)
        )
    for r in responses:
        assert r.status_code == 200, r.text
    return [r.json() for r in responses]


async def _counts(db, product_id: int):
    async with db.read() as conn:
        level = (
            await conn.execute(select(func.sum(stock_level.c.qty)).where(stock_level.c.product_id == product_id))
        ).scalar()
        moves = (
            await conn.execute(
                select(func.count()).where(stock_move.c.product_id == product_id, stock_move.c.move_type == "issue")
            )
        ).scalar()
    return level, moves


async def test_fifty_concurrent_issues_against_twenty_on_hand(db, db_url):
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="20", unit_cost="3.00")])
    line = {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "1"}
    with running_server(db_url, workers=2) as base:
        results = await _post_all(
            base, [{"query": ISSUE, "variables": {"lines": [line], "key": f"issue-{i}"}} for i in range(50)]
        )
    payloads = [r["data"]["issueStock"] for r in results]
    ok = [p_ for p_ in payloads if not p_["errors"]]
    refused = [p_ for p_ in payloads if p_["errors"]]
    assert len(ok) == 20 and len(refused) == 30
    assert all(p_["errors"] == [{"code": "INSUFFICIENT_STOCK", "field": "lines.0.quantity"}] for p_ in refused)
    assert await _counts(db, p) == (0, 20)
    await assert_ledger_consistent(db)


async def test_fifty_concurrent_repeats_of_one_idempotency_key_apply_once(db, db_url):
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="20")])
    line = {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "1"}
    with running_server(db_url, workers=2) as base:
        results = await _post_all(base, [{"query": ISSUE, "variables": {"lines": [line], "key": "same-key"}}] * 50)
    payloads = [r["data"]["issueStock"] for r in results]
    assert all(p_["errors"] == [] for p_ in payloads)
    assert len({p_["operation"]["id"] for p_ in payloads}) == 1
    assert sum(1 for p_ in payloads if not p_["replayed"]) == 1
    assert await _counts(db, p) == (19 * 10**6, 1)
    await assert_ledger_consistent(db)


async def test_opposite_transfers_do_not_deadlock(db, db_url):
    """A→B for products (1, 2) races B→A for products (2, 1): rows are locked in one global order."""
    w = await make_world(db)
    p1 = await make_product(db, w)
    p2 = await make_product(db, w)
    await do_receive_stock(
        db, [StockLine(product_id=p, location_id=loc, quantity="100") for p in (p1, p2) for loc in (w.a1, w.b1)]
    )

    def lines(src, dst, products):
        return [
            {
                "productId": to_global_id("Product", p),
                "fromLocationId": to_global_id("Location", src),
                "toLocationId": to_global_id("Location", dst),
                "quantity": "1",
            }
            for p in products
        ]

    bodies = []
    for i in range(30):
        forward = i % 2 == 0
        src, dst = (w.a1, w.b1) if forward else (w.b1, w.a1)
        bodies.append(
            {
                "query": TRANSFER,
                "variables": {"lines": lines(src, dst, (p1, p2) if forward else (p2, p1)), "key": f"t-{i}"},
            }
        )
    with running_server(db_url, workers=2) as base:
        results = await _post_all(base, bodies)
    assert all(not r.get("errors") and r["data"]["transferStock"]["errors"] == [] for r in results), results
    await assert_ledger_consistent(db)
