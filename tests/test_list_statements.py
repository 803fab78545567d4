"""Issue #20: a 100-row list of a main type costs a handful of SQL statements on one read connection.

Counted on the engine: every statement the driver runs (``before_cursor_execute``; on SQLite the
``BEGIN`` is one of them, issued by ``server/core/database.py``), the transactions begun, committed and
rolled back (``begin``/``commit``/``rollback`` events: asyncpg's ``BEGIN`` and every ``ROLLBACK`` are no
cursor statements) and the pool checkouts. ``round_trips`` = queries + BEGIN + COMMIT/ROLLBACK.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event

from server.catalog.services import AltUnitInput, BarcodeInput, ProductInput, do_create_category, do_create_product
from server.inventory.services import StockLine, do_receive_stock
from server.inventory.warehouses import do_create_location
from tests.factories import make_world

N = 100
#: the bound of issue #20, statements (queries and transaction statements) per list request
MAX_ROUND_TRIPS = 5
EXPECTED = Path(__file__).parent / "fixtures" / "list_statements.json"

STOCK_LEVELS = """{ stockLevels(first: 100) { edges { node {
  id quantity updatedAt
  product { id sku name spec salePrice vatRate tracking active
    baseUnit { code precision } category { id code name }
    units { factor unit { code } } barcodes { code kind unit { code } } }
  location { id code name } warehouse { id code name } lot { id code expiryDate } } } } }"""

PRODUCTS = """{ products(first: 100) { edges { node {
  id sku name spec salePrice vatRate tracking active baseUnit { code precision }
  category { id code name } units { factor unit { code } } barcodes { code kind unit { code } } } } } }"""

_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar("list_in_request", default=False)
AUTH_TABLES = re.compile(r"\b(auth_token|app_user|user_role|user_warehouse|role_permission|role)\b")
TX = {"BEGIN", "COMMIT", "ROLLBACK"}


@dataclass
class Counts:
    statements: list[str] = field(default_factory=list)
    begins: int = 0
    ends: int = 0  # commits and rollbacks
    checkouts: int = 0

    @property
    def queries(self) -> list[str]:
        return [s for s in self.statements if s.strip().upper() not in TX]

    @property
    def round_trips(self) -> int:
        return len(self.queries) + self.begins + self.ends

    def summary(self) -> str:
        return (
            f"queries={len(self.queries)} begins={self.begins} commit/rollback={self.ends} "
            f"checkouts={self.checkouts} round_trips={self.round_trips}"
        )


@contextlib.contextmanager
def counting(db):
    counts = Counts()
    engine = db.engine.sync_engine

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if _in_request.get() and not AUTH_TABLES.search(statement):
            counts.statements.append(statement)

    def on_begin(conn):
        if _in_request.get():
            counts.begins += 1

    def on_end(conn):
        if _in_request.get():
            counts.ends += 1

    def on_checkout(dbapi_conn, record, proxy):
        if _in_request.get():
            counts.checkouts += 1

    listeners = [
        (engine, "before_cursor_execute", on_execute),
        (engine, "begin", on_begin),
        (engine, "commit", on_end),
        (engine, "rollback", on_end),
        (engine.pool, "checkout", on_checkout),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    token = _in_request.set(True)
    try:
        yield counts
    finally:
        _in_request.reset(token)
        for target, name, fn in listeners:
            event.remove(target, name, fn)


async def seed(db) -> None:
    """100 products (3 categories, two base units, a box unit and barcodes, every third lot-tracked),
    each received at one of 4 locations in 2 warehouses: 100 stock levels."""
    w = await make_world(db)
    b2 = await do_create_location(db, warehouse_id=w.wh2, code="WH2-B-02", name="B-02")
    locations = (w.a1, w.a2, w.b1, b2)
    cats = [await do_create_category(db, code=f"C{i}", name=f"分类{i}") for i in range(3)]
    lines: list[list[StockLine]] = [[] for _ in locations]
    for i in range(N):
        kg = i % 5 == 0
        lot = i % 3 == 0
        pid = await do_create_product(
            db,
            ProductInput(
                sku=f"SKU-{i:03d}",
                name=f"商品{i:03d}",
                spec=f"规格{i % 7}",
                base_unit_id=w.kg if kg else w.pcs,
                category_id=cats[i % 3] if i % 10 else None,
                sale_price="9.90",
                purchase_price="3.00",
                tracking="lot" if lot else "none",
                units=[] if kg else [AltUnitInput(unit_id=w.box, factor="12")],
                barcodes=[BarcodeInput(code=f"P-{i:03d}")]
                + ([] if kg else [BarcodeInput(code=f"BOX-{i:03d}", unit_id=w.box)]),
            ),
        )
        lines[i % 4].append(
            StockLine(
                product_id=pid,
                location_id=locations[i % 4],
                quantity="1.5" if kg else str(10 + i),
                lot_code=f"L{i:03d}" if lot else None,
            )
        )
    for n, chunk in enumerate(lines):
        await do_receive_stock(db, chunk, idempotency_key=f"seed-{n}")


def _stable(data):
    """The result without what differs between runs (timestamps)."""
    if isinstance(data, dict):
        return {k: _stable(v) for k, v in data.items() if k != "updatedAt"}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


async def run(gql, query: str) -> tuple[dict, Counts]:
    await gql.execute("{ me { name } }")  # authentication is cached for a few seconds: not counted
    with counting(gql.db) as counts:
        body = await gql.post(query)
    assert not body.get("errors"), body["errors"]
    return body["data"], counts


async def test_list_statements(gql):
    await seed(gql.db)
    dialect = gql.db.dialect
    results, measured = {}, {}
    for name, query in (("stockLevels", STOCK_LEVELS), ("products", PRODUCTS)):
        data, counts = await run(gql, query)
        print(f"\n{dialect} {name}: {counts.summary()}")
        assert len(data[name]["edges"]) == N
        results[name] = _stable(data)
        measured[name] = counts
    if os.environ.get("JXC_UPDATE_FIXTURES"):  # writes the expected results (before a change of the loaders)
        EXPECTED.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert results == expected
    for name, counts in measured.items():
        assert counts.round_trips <= MAX_ROUND_TRIPS, f"{name}: {counts.summary()}\n" + "\n---\n".join(
            counts.statements
        )
        assert counts.checkouts == 1, f"{name}: {counts.summary()}"


PURCHASE_ORDERS = """{ purchaseOrders(first: 100) { edges { node {
  id number status orderDate total supplier { code name } warehouse { code }
  lines { lineNo quantity unitPrice product { sku name } unit { code } } } } } }"""

SALES_ORDERS = """{ salesOrders(first: 100) { edges { node {
  id number status orderDate total customer { code name } warehouse { code }
  lines { lineNo quantity unitPrice product { sku name } unit { code } } } } } }"""

#: what the order lists cost (issue #20: ≤ 5): the page with its partners and warehouses, the lines with their products and units
MAX_ORDER_ROUND_TRIPS = 5


async def test_order_list_statements(gql):
    from server.partners.services import PartnerInput, do_create_partner
    from server.purchasing import orders as po
    from server.sales import orders as so
    from tests.factories import make_product
    from tests.purchasing_helpers import PURCHASER
    from tests.sales_helpers import SALES

    w = await make_world(gql.db)
    supplier = await do_create_partner(gql.db, "supplier", PartnerInput(code="S001", name="华东五金"))
    customer = await do_create_partner(gql.db, "customer", PartnerInput(code="C001", name="华联超市"))
    items = [await make_product(gql.db, w), await make_product(gql.db, w, unit="kg")]
    for i in range(N):
        wh = w.wh1 if i % 2 else w.wh2
        await po.do_create_purchase_order(
            gql.db,
            po.OrderInput(
                supplier,
                wh,
                [
                    po.OrderLineInput(items[0], "12", unit_price="1.00"),
                    po.OrderLineInput(items[1], "1.5", unit_price="2.00"),
                ],
            ),
            PURCHASER,
        )
        await so.do_create_sales_order(
            gql.db,
            so.SalesOrderInput(customer, wh, [so.SalesLineInput(items[0], "2"), so.SalesLineInput(items[1], "0.5")]),
            SALES,
        )
    measured = {}
    for name, query in (("purchaseOrders", PURCHASE_ORDERS), ("salesOrders", SALES_ORDERS)):
        data, counts = await run(gql, query)
        print(f"\n{gql.db.dialect} {name}: {counts.summary()}")
        edges = data[name]["edges"]
        assert len(edges) == N
        assert all(len(e["node"]["lines"]) == 2 and e["node"]["lines"][0]["product"] for e in edges)
        measured[name] = counts
    for name, counts in measured.items():
        assert counts.round_trips <= MAX_ORDER_ROUND_TRIPS, f"{name}: {counts.summary()}\n" + "\n---\n".join(
            counts.statements
        )
        assert counts.checkouts == 1, f"{name}: {counts.summary()}"
