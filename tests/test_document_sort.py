"""Document lists sorted in SQL (issue #17: every list sorts on the server): ``orderBy`` on
``salesOrders`` and ``purchaseOrders`` by number, date, total or status, ties newest first, pages that
never overlap."""

from __future__ import annotations

from datetime import timedelta

from server.core import clock
from server.sales import orders as so
from tests.sales_helpers import SALES, make_sales_world

ORDERS = """query($by: DocumentOrder, $first: Int, $after: String) {
  salesOrders(orderBy: $by, first: $first, after: $after) {
    edges { cursor node { number total orderDate status } } pageInfo { hasNextPage endCursor } } }"""


async def _orders(gql, by, first=10, after=None) -> dict:
    return (await gql.execute(ORDERS, {"by": by, "first": first, "after": after}))["salesOrders"]


async def test_sales_orders_sort_by_total_date_number_and_status_and_page_without_overlap(gql):
    sw = await make_sales_world(gql.db)
    today = clock.today()
    for qty, days_ago in (("3", 1), ("1", 5), ("2", 3), ("2", 0)):
        await so.do_create_sales_order(
            gql.db,
            so.SalesOrderInput(
                customer_id=sw.retail,
                warehouse_id=sw.w.wh1,
                order_date=today - timedelta(days=days_ago),
                lines=[so.SalesLineInput(sw.widget, qty)],
            ),
            SALES,
        )
    newest = [e["node"]["number"] for e in (await _orders(gql, None))["edges"]]
    assert newest == sorted(newest, reverse=True)  # the default: newest first

    by_total = [e["node"] for e in (await _orders(gql, {"field": "TOTAL", "direction": "ASC"}))["edges"]]
    totals = [float(n["total"]) for n in by_total]
    assert totals == sorted(totals)
    # equal totals: the newer one first
    twos = [n["number"] for n in by_total if float(n["total"]) == totals[1]]
    assert twos == sorted(twos, reverse=True)

    by_date = [e["node"]["orderDate"] for e in (await _orders(gql, {"field": "DATE", "direction": "DESC"}))["edges"]]
    assert by_date == sorted(by_date, reverse=True)
    by_number = [e["node"]["number"] for e in (await _orders(gql, {"field": "NUMBER", "direction": "ASC"}))["edges"]]
    assert by_number == sorted(by_number)

    first = await _orders(gql, {"field": "TOTAL", "direction": "DESC"}, first=2)
    rest = await _orders(gql, {"field": "TOTAL", "direction": "DESC"}, first=10, after=first["pageInfo"]["endCursor"])
    paged = [e["node"]["number"] for e in first["edges"] + rest["edges"]]
    whole = [e["node"]["number"] for e in (await _orders(gql, {"field": "TOTAL", "direction": "DESC"}))["edges"]]
    assert paged == whole and len(set(paged)) == 4

    pos = await gql.execute(
        """{ purchaseOrders(orderBy: {field: STATUS, direction: ASC}) { edges { node { number } } } }"""
    )
    assert pos["purchaseOrders"]["edges"] == []
