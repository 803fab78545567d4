"""Query cost: the product of list sizes is bounded over all aliases and fragments, and an over-cost
request is refused with a typed error before any resolver runs; the long lists are pages."""

from __future__ import annotations

import time

from schema.cost import DEFAULT_MAX_COST, query_cost
from schema.relay import to_global_id
from schema.schema import schema
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.gql import admin_token

NESTED = """query($id: ID!) { node(id: $id) { ... on StockOperation { moves(first: 100) { edges { node {
  operation { moves(first: 100) { edges { node { operation { moves(first: 100) { edges { node { id } } } } } } } }
} } } } } }"""


def _codes(body) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def _operation(gql) -> str:
    w = await make_world(gql.db)
    products = [await make_product(gql.db, w) for _ in range(3)]
    result = await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=w.a1, quantity="1") for p in products])
    return to_global_id("StockOperation", result.operation_id)


async def test_nested_lists_over_the_limit_are_refused_before_execution(gql):
    scanner = await admin_token(gql.db, role="scanner")
    started = time.monotonic()
    body = await gql.post(NESTED, {"id": await _operation(gql)}, token=scanner, lang="en")
    assert _codes(body) == ["QUERY_TOO_COMPLEX"], body
    assert body.get("data") is None
    assert "limit is 50000" in body["errors"][0]["message"]
    assert time.monotonic() - started < 2


async def test_the_same_nesting_with_small_pages_runs(gql):
    small = NESTED.replace("first: 100", "first: 10")
    body = await gql.post(small, {"id": await _operation(gql)})
    assert not body.get("errors"), body
    edges = body["data"]["node"]["moves"]["edges"]
    assert len(edges) == 3 and len(edges[0]["node"]["operation"]["moves"]["edges"]) == 3


async def test_aliases_and_fragments_are_counted(gql):
    one = "p{i}: products(first: 100) {{ edges {{ node {{ sku barcodes {{ code }} }} }} }}"
    aliased = "{ " + " ".join(one.format(i=i) for i in range(5)) + " }"
    body = await gql.post(aliased)
    assert _codes(body) == ["QUERY_TOO_COMPLEX"], body
    fragment = (
        "fragment F on Product { sku barcodes { code } units { unit { code } } } "
        "{ " + " ".join(f"p{i}: products(first: 100) {{ edges {{ node {{ ...F }} }} }}" for i in range(4)) + " }"
    )
    assert _codes(await gql.post(fragment)) == ["QUERY_TOO_COMPLEX"]
    assert _codes(await gql.post("{ p0: products(first: 100) { edges { node { sku barcodes { code } } } } }")) == []


def test_cost_follows_page_sizes_and_variables():
    from graphql import parse

    gs = schema._schema
    doc = parse("query($n: Int) { products(first: $n) { totalCount edges { node { sku } } } }")
    assert query_cost(gs, doc, {"n": 10}, None, max_page=100) == 1 + 1 + 3 * 10
    assert query_cost(gs, doc, {}, None, max_page=100) == 1 + 1 + 3 * 20  # the default page
    assert query_cost(gs, doc, {"n": 10_000}, None, max_page=100) == 1 + 1 + 3 * 100  # capped at the page limit
    nested = parse(NESTED)
    assert query_cost(gs, nested, {}, None, max_page=100) > DEFAULT_MAX_COST


async def test_operation_moves_and_warehouse_locations_are_pages(gql):
    op = await _operation(gql)
    body = await gql.execute(
        """query($id: ID!) { node(id: $id) { ... on StockOperation {
        moves(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { lineNo } } } } } }""",
        {"id": op},
    )
    page = body["node"]["moves"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["lineNo"] for e in page["edges"]] == [1, 2]
    rest = await gql.execute(
        """query($id: ID!, $after: String) { node(id: $id) { ... on StockOperation {
        moves(first: 2, after: $after) { pageInfo { hasNextPage } edges { node { lineNo } } } } } }""",
        {"id": op, "after": page["pageInfo"]["endCursor"]},
    )
    assert [e["node"]["lineNo"] for e in rest["node"]["moves"]["edges"]] == [3]
    assert rest["node"]["moves"]["pageInfo"]["hasNextPage"] is False
    wh = await gql.execute(
        "{ warehouses { edges { node { code locations(first: 1) { totalCount edges { node { code } } } } } } }"
    )
    first = wh["warehouses"]["edges"][0]["node"]["locations"]
    assert first["totalCount"] >= 2 and len(first["edges"]) == 1
